//! `ep-gateway`: see `ep-gateway --help` and gateway/README.md.

use std::process::ExitCode;
use std::sync::Arc;

use ep_gateway::config::{Command, Config, USAGE};
use ep_gateway::gateway::Gateway;

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {},
                _ = tokio::signal::ctrl_c() => {},
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn main() -> ExitCode {
    let config = match Config::parse(std::env::args().skip(1), |k| std::env::var(k).ok()) {
        Ok(Command::Run(c)) => c,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ep-gateway: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ep-gateway: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(config.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("ep-gateway: cannot listen on {}: {e}", config.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        eprintln!(
            "ep-gateway: listening on http://{addr} (brokers {}, auth {}, max body {} B, max in-flight {})",
            config.brokers.join(","),
            if config.token.is_some() { "bearer token" } else { "off" },
            config.max_body_bytes,
            config.max_in_flight,
        );
        let gw = Arc::new(Gateway::new(config));
        match ep_gateway::server::serve(gw, listener, shutdown_signal()).await {
            Ok(()) => {
                eprintln!("ep-gateway: stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("ep-gateway: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
