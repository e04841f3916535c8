//! `ep-model`, the native model builder. The command line lives in `cli.rs`;
//! this shell exists so that wasm test builds (which compile every binary
//! target) get an empty program instead of native-only code.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
