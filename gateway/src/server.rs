//! The HTTP side: routing, authentication, body limits, and rendering outcomes as the REST
//! Proxy's responses. hyper's HTTP/1.1 server with a bounded number of connections.

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::api::{self, Outcome, V2_CONTENT_TYPES, V2_RESPONSE_TYPE};
use crate::error::{ApiError, ErrorCode};
use crate::gateway::Gateway;

type Resp = Response<Full<Bytes>>;

/// A client gets this long to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// In-flight requests get this long to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

fn respond(status: u16, content_type: &str, body: Vec<u8>) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn json_response(status: u16, content_type: &str, body: &Value) -> Resp {
    respond(status, content_type, body.to_string().into_bytes())
}

fn error_response(e: &ApiError, content_type: &str) -> Resp {
    let mut r = respond(e.code.status(), content_type, e.body());
    if let Some(secs) = e.retry_after {
        r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    if e.code == ErrorCode::Unauthorized {
        r.headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

/// Compares in time that depends only on the expected token's length, so response timing
/// does not reveal how many leading bytes of a guess were right: the loop always walks the
/// whole expected token, ORs every byte difference together and never exits early; a guess
/// of another length is folded into the same `diff` (a shorter guess reads as zero bytes,
/// a longer one is never read past the expected length), so the only thing the time depends
/// on is the configured token's length, which the guesser cannot vary.
pub fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = given.len() ^ expected.len();
    for (i, e) in expected.iter().enumerate() {
        let g = given.get(i).copied().unwrap_or(0);
        diff |= usize::from(g ^ e);
    }
    std::hint::black_box(diff) == 0
}

/// Checks `Authorization: Bearer <token>` when a token is configured.
pub fn authorize(expected: Option<&str>, header: Option<&[u8]>) -> Result<(), ApiError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let given = header
        .and_then(|h| {
            let scheme = h.get(..7)?;
            scheme
                .eq_ignore_ascii_case(b"bearer ")
                .then(|| h.get(7..))
                .flatten()
        })
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthorized,
                "Authentication required: send Authorization: Bearer <token>",
            )
        })?;
    if constant_time_eq(given, expected.as_bytes()) {
        Ok(())
    } else {
        // 401 like a missing token (RFC 6750 invalid_token): the client must authenticate.
        Err(ApiError::new(ErrorCode::Unauthorized, "Invalid token"))
    }
}

/// Reads the body up to the configured limit, refusing early on a large Content-Length.
async fn read_body(gw: &Gateway, req: Request<Incoming>) -> Result<Bytes, ApiError> {
    let max = gw.config.max_body_bytes;
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("Request body exceeds the limit of {max} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let collect = Limited::new(req.into_body(), max).collect();
    match tokio::time::timeout(gw.config.produce_timeout, collect).await {
        Ok(Ok(c)) => Ok(c.to_bytes()),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large())
        }
        Ok(Err(e)) => {
            eprintln!("ep-gateway: reading a request body failed: {e}");
            Err(ApiError::new(
                ErrorCode::MalformedJson,
                "Could not read the request body",
            ))
        }
        Err(_) => Err(ApiError::new(
            ErrorCode::RequestTimeout,
            "Timed out reading the request body",
        )),
    }
}

fn content_type(req: &Request<Incoming>) -> Option<String> {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn produce_v2(gw: &Gateway, topic: &str, req: Request<Incoming>) -> Result<Resp, ApiError> {
    api::check_content_type(content_type(&req).as_deref(), V2_CONTENT_TYPES)?;
    if !gw.topic_allowed(topic) {
        return Err(ApiError::topic_not_found());
    }
    let _slot = gw.admit()?;
    let body = read_body(gw, req).await?;
    let records = api::parse_v2(&body, gw.config.max_record_bytes)?;
    let outcomes = gw.produce(topic, records).await?;
    // Every record failed: say so in the status too, so a client that only looks at the
    // status retries. Partial failure is 200 with per-record error codes (the proxy's way).
    if let Some(err) = all_failed(&outcomes) {
        return Err(err);
    }
    Ok(respond(
        200,
        V2_RESPONSE_TYPE,
        api::v2_response(&outcomes).into_bytes(),
    ))
}

fn all_failed(outcomes: &[Outcome]) -> Option<ApiError> {
    let mut first = None;
    for o in outcomes {
        match o {
            Outcome::Written { .. } => return None,
            Outcome::Failed { error, .. } => {
                first.get_or_insert_with(|| error.to_api_error());
            }
        }
    }
    first
}

async fn produce_v3(gw: &Gateway, topic: &str, req: Request<Incoming>) -> Result<Resp, ApiError> {
    api::check_content_type(content_type(&req).as_deref(), &["application/json"])?;
    if !gw.topic_allowed(topic) {
        return Err(ApiError::topic_not_found());
    }
    let _slot = gw.admit()?;
    let body = read_body(gw, req).await?;
    let records = api::parse_v3(&body, gw.config.max_record_bytes)?;
    let outcomes = gw.produce(topic, records.clone()).await?;
    let reports: Vec<String> = records
        .iter()
        .zip(&outcomes)
        .map(|(r, o)| api::v3_report(&gw.config.cluster_id, topic, r, o))
        .collect();
    match (reports.as_slice(), outcomes.as_slice()) {
        // One record: the HTTP status carries its result.
        ([report], [Outcome::Failed { error, .. }]) => {
            let e = error.to_api_error();
            let mut r = respond(
                e.code.status(),
                "application/json",
                report.clone().into_bytes(),
            );
            if let Some(secs) = e.retry_after {
                r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            Ok(r)
        }
        ([report], _) => Ok(respond(
            200,
            "application/json",
            report.clone().into_bytes(),
        )),
        // Several concatenated records: 200 and one report per record, each with its code.
        _ => {
            let mut body = Vec::new();
            for r in &reports {
                body.extend_from_slice(r.as_bytes());
                body.push(b'\n');
            }
            Ok(respond(200, "application/json", body))
        }
    }
}

async fn list_topics_v2(gw: &Gateway) -> Result<Resp, ApiError> {
    let mut names = gw.kafka.list_topics().await?;
    names.retain(|t| gw.topic_allowed(t));
    Ok(json_response(200, V2_RESPONSE_TYPE, &json!(names)))
}

fn cluster_v3(gw: &Gateway) -> Value {
    json!({
        "kind": "KafkaCluster",
        "metadata": { "self": format!("/v3/clusters/{}", gw.config.cluster_id) },
        "cluster_id": gw.config.cluster_id,
    })
}

/// Liveness for anyone; the counters only for a caller that may produce (any caller when no
/// token is configured). Never the broker addresses, versions or configuration.
async fn health(gw: &Gateway, authorized: bool) -> Resp {
    if !authorized {
        return json_response(200, "application/json", &json!({ "status": "ok" }));
    }
    let s = &gw.stats;
    json_response(
        200,
        "application/json",
        &json!({
            "status": "ok",
            "brokerConnected": gw.kafka.connected(),
            "inFlight": gw.in_flight(),
            "maxInFlight": gw.config.max_in_flight,
            "recordsWritten": s.records_written.load(Ordering::Relaxed),
            "recordsFailed": s.records_failed.load(Ordering::Relaxed),
            "requestsRefusedBusy": s.requests_refused_busy.load(Ordering::Relaxed),
        }),
    )
}

/// Routes one request. Every path through here answers; nothing panics on client input.
pub async fn handle(gw: Arc<Gateway>, req: Request<Incoming>) -> Resp {
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method().clone();
    let v3 = segments.first() == Some(&"v3");
    let err_type = if v3 {
        "application/json"
    } else {
        V2_RESPONSE_TYPE
    };

    let auth = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    let authorized = authorize(gw.config.token.as_deref(), auth);
    if method == Method::GET && segments.as_slice() == ["healthz"] {
        return health(&gw, authorized.is_ok()).await;
    }
    if let Err(e) = authorized {
        return error_response(&e, err_type);
    }

    let result = match (segments.as_slice(), &method) {
        (["topics"], &Method::GET) => list_topics_v2(&gw).await,
        (["topics", topic], &Method::POST) => {
            let topic = topic.to_string();
            produce_v2(&gw, &topic, req).await
        }
        (["v3", "clusters"], &Method::GET) => Ok(json_response(
            200,
            "application/json",
            &json!({ "kind": "KafkaClusterList", "metadata": { "self": "/v3/clusters", "next": null },
                     "data": [cluster_v3(&gw)] }),
        )),
        (["v3", "clusters", id], &Method::GET) if *id == gw.config.cluster_id => {
            Ok(json_response(200, "application/json", &cluster_v3(&gw)))
        }
        (["v3", "clusters", id, "topics", topic, "records"], &Method::POST) => {
            if *id == gw.config.cluster_id {
                let topic = topic.to_string();
                produce_v3(&gw, &topic, req).await
            } else {
                Err(ApiError::new(
                    ErrorCode::ClusterNotFound,
                    format!("Cluster {id} not found"),
                ))
            }
        }
        (["v3", "clusters", _], &Method::GET) => Err(ApiError::new(
            ErrorCode::ClusterNotFound,
            "Cluster not found",
        )),
        (["topics"], _)
        | (["topics", _], _)
        | (["v3", "clusters"], _)
        | (["v3", "clusters", _, "topics", _, "records"], _) => Err(ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("Method {method} not allowed here"),
        )),
        _ => Err(ApiError::new(ErrorCode::NotFound, "Not found")),
    };
    match result {
        Ok(r) => r,
        Err(e) => error_response(&e, err_type),
    }
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish (bounded).
pub async fn serve(
    gw: Arc<Gateway>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(gw.config.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // Waiting for a connection slot leaves further clients in the kernel's backlog.
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            s = Arc::clone(&connections).acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => break,
            },
        };
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    eprintln!("ep-gateway: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let gw = Arc::clone(&gw);
        let service = hyper::service::service_fn(move |req| {
            let gw = Arc::clone(&gw);
            async move { Ok::<_, Infallible>(handle(gw, req).await) }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("ep-gateway: some connections were still open after {DRAIN_TIMEOUT:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison_equal_length() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(constant_time_eq(b"", b""));
        // A difference at the first, a middle and the last byte; every bit of a byte.
        for wrong in [&b"x3cret"[..], b"s3Cret", b"s3crex", b"S3cret"] {
            assert!(!constant_time_eq(wrong, b"s3cret"), "{wrong:?}");
        }
        for bit in 0..8 {
            let mut flipped = *b"s3cret";
            flipped[5] ^= 1 << bit;
            assert!(!constant_time_eq(&flipped, b"s3cret"), "bit {bit}");
        }
    }

    #[test]
    fn token_comparison_unequal_length() {
        // Shorter (a prefix, empty), longer (an extension, a repeat): none match, in
        // either direction, and a zero-padded prefix cannot pass for the token.
        for wrong in [&b""[..], b"s3cre", b"s3cret!", b"s3crets3cret", b"s3cret\0"] {
            assert!(!constant_time_eq(wrong, b"s3cret"), "{wrong:?}");
            assert!(!constant_time_eq(b"s3cret", wrong), "{wrong:?} as expected");
        }
        assert!(!constant_time_eq(b"ab", b"ab\0"));
        assert!(!constant_time_eq(b"ab\0", b"ab"));
        let long = vec![b'k'; 64 * 1024];
        assert!(!constant_time_eq(&long, b"s3cret"));
    }

    #[test]
    fn authorization_header() {
        let code = |r: Result<(), ApiError>| r.err().map(|e| e.code.code());
        assert_eq!(code(authorize(None, None)), None);
        assert_eq!(code(authorize(None, Some(b"Bearer anything"))), None);
        assert_eq!(code(authorize(Some("t0k"), Some(b"Bearer t0k"))), None);
        assert_eq!(code(authorize(Some("t0k"), Some(b"bearer t0k"))), None);
        assert_eq!(code(authorize(Some("t0k"), None)), Some(40101));
        assert_eq!(
            code(authorize(Some("t0k"), Some(b"Basic dDBr"))),
            Some(40101)
        );
        assert_eq!(code(authorize(Some("t0k"), Some(b"Bearer"))), Some(40101));
        for wrong in [
            &b"Bearer t0K"[..],
            b"Bearer ",
            b"Bearer t0k ",
            b"Bearer  t0k",
            b"Bearer t0",
            b"Bearer t0kt0k",
            b"t0k",
            b"Bearert0k",
        ] {
            assert_eq!(
                code(authorize(Some("t0k"), Some(wrong))),
                Some(40101),
                "{}",
                String::from_utf8_lossy(wrong)
            );
        }
    }
}
