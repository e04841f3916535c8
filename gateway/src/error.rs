//! The gateway's error type: an HTTP status plus the Kafka REST Proxy error envelope.
//!
//! Clients of a REST proxy branch on `error_code` (HTTP status × 100 + a sub-code), so each
//! code below is stable and means one thing. The envelope is
//! `{"error_code": 40401, "message": "Topic not found"}`.

use std::fmt;

/// Stable error codes of the REST Proxy envelope, as the Confluent proxy uses them where it
/// defines one, and in the same `status * 100 + n` scheme where it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: the body is not JSON.
    MalformedJson = 400,
    /// 401: a token is configured and the request carries none, not as a Bearer token, or
    /// a wrong one (compared in constant time).
    Unauthorized = 40101,
    /// 404: no such route.
    NotFound = 404,
    /// 404: the topic does not exist on the broker (or its name is not a legal topic name).
    TopicNotFound = 40401,
    /// 404: the cluster id in a v3 path is not this cluster.
    ClusterNotFound = 40403,
    /// 405: the route exists, the method does not.
    MethodNotAllowed = 405,
    /// 408: the client did not send its body in time.
    RequestTimeout = 408,
    /// 413: the body is larger than the configured maximum.
    PayloadTooLarge = 413,
    /// 415: the Content-Type is not one this gateway produces from.
    UnsupportedMediaType = 415,
    /// 422: the JSON is well-formed but not a valid produce request.
    Unprocessable = 422,
    /// 422: a record's key or value is larger than the per-record maximum.
    RecordTooLarge = 42201,
    /// 422: a record names a partition the topic does not have.
    InvalidPartition = 42202,
    /// 429: too many produce requests in flight; retry after the given delay.
    TooManyRequests = 42901,
    /// 500: the broker refused the records for a reason retrying will not fix.
    KafkaError = 50002,
    /// 503 (v2 uses 500xx): the broker failed in a way that may pass (leader change, timeout,
    /// unreachable); retry after the given delay.
    KafkaRetriable = 50003,
    /// 500: a fault of the gateway itself.
    Internal = 500,
}

impl ErrorCode {
    /// The HTTP status that goes with this code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::MalformedJson => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::NotFound | ErrorCode::TopicNotFound | ErrorCode::ClusterNotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::Unprocessable | ErrorCode::RecordTooLarge | ErrorCode::InvalidPartition => {
                422
            }
            ErrorCode::TooManyRequests => 429,
            ErrorCode::KafkaError | ErrorCode::Internal => 500,
            ErrorCode::KafkaRetriable => 503,
        }
    }

    /// The number in the envelope's `error_code`.
    pub fn code(self) -> u32 {
        self as u32
    }
}

/// A request-level failure: rendered as the error envelope with `code.status()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds for a `Retry-After` header (429 and 503).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let retry_after = match code {
            ErrorCode::TooManyRequests => Some(1),
            ErrorCode::KafkaRetriable => Some(2),
            _ => None,
        };
        ApiError {
            code,
            message: message.into(),
            retry_after,
        }
    }

    pub fn topic_not_found() -> Self {
        ApiError::new(ErrorCode::TopicNotFound, "Topic not found")
    }

    /// The JSON envelope `{"error_code": n, "message": "..."}`.
    pub fn body(&self) -> Vec<u8> {
        crate::api::error_body(self.code.code(), &self.message).into_bytes()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code.status(),
            self.code.code(),
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

/// How a failed produce is reported per record: the v2 `error_code` is 2 for retriable and
/// 1 for non-retriable Kafka exceptions (the REST Proxy's convention).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub retriable: bool,
    pub message: String,
}

impl RecordError {
    /// The per-record code in a v2 `offsets` entry.
    pub fn v2_code(&self) -> u32 {
        if self.retriable {
            2
        } else {
            1
        }
    }

    /// The request-level error when every record of a request failed this way.
    pub fn to_api_error(&self) -> ApiError {
        let code = if self.retriable {
            ErrorCode::KafkaRetriable
        } else {
            ErrorCode::KafkaError
        };
        ApiError::new(code, self.message.clone())
    }
}

/// Classifies an rskafka error: may the same produce succeed if retried later?
pub fn classify_kafka_error(err: &rskafka::client::error::Error) -> RecordError {
    use rskafka::client::error::{Error, ProtocolError};
    let retriable = match err {
        // Network trouble, timeouts, exhausted retries: the broker may come back.
        Error::Connection(_) | Error::Request(_) | Error::RetryFailed(_) | Error::Timeout => true,
        Error::InvalidResponse(_) => false,
        Error::ServerError { protocol_error, .. } => !matches!(
            protocol_error,
            ProtocolError::MessageTooLarge
                | ProtocolError::RecordListTooLarge
                | ProtocolError::InvalidRecord
                | ProtocolError::CorruptMessage
                | ProtocolError::TopicAuthorizationFailed
                | ProtocolError::ClusterAuthorizationFailed
                | ProtocolError::InvalidTopicException
                | ProtocolError::UnsupportedVersion
                | ProtocolError::InvalidRequest
                | ProtocolError::UnsupportedForMessageFormat
                | ProtocolError::PolicyViolation
                | ProtocolError::InvalidRequiredAcks
        ),
        // rskafka's Error is non-exhaustive; an unknown kind is safest treated as transient.
        #[allow(unreachable_patterns)]
        _ => true,
    };
    // The client sees a stable message: the Kafka error's name, never rskafka's text, which
    // can carry broker addresses and internals. The caller logs the whole error.
    let message = match err {
        Error::ServerError { protocol_error, .. } => {
            format!("Kafka produce failed: {protocol_error:?}")
        }
        Error::Timeout => "Kafka produce timed out".to_string(),
        _ if retriable => "Kafka unavailable".to_string(),
        _ => "Kafka produce failed".to_string(),
    };
    RecordError { retriable, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_code() {
        let table = [
            (ErrorCode::MalformedJson, 400, 400),
            (ErrorCode::Unauthorized, 401, 40101),
            (ErrorCode::TopicNotFound, 404, 40401),
            (ErrorCode::ClusterNotFound, 404, 40403),
            (ErrorCode::PayloadTooLarge, 413, 413),
            (ErrorCode::UnsupportedMediaType, 415, 415),
            (ErrorCode::Unprocessable, 422, 422),
            (ErrorCode::RecordTooLarge, 422, 42201),
            (ErrorCode::InvalidPartition, 422, 42202),
            (ErrorCode::TooManyRequests, 429, 42901),
            (ErrorCode::KafkaError, 500, 50002),
            (ErrorCode::KafkaRetriable, 503, 50003),
        ];
        for (code, status, number) in table {
            assert_eq!(code.status(), status, "{code:?}");
            assert_eq!(code.code(), number, "{code:?}");
        }
    }

    #[test]
    fn envelope_is_the_rest_proxy_shape() {
        let body = ApiError::topic_not_found().body();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({"error_code": 40401, "message": "Topic not found"})
        );
    }

    #[test]
    fn overload_and_transient_failures_say_when_to_retry() {
        assert_eq!(
            ApiError::new(ErrorCode::TooManyRequests, "x").retry_after,
            Some(1)
        );
        assert_eq!(
            ApiError::new(ErrorCode::KafkaRetriable, "x").retry_after,
            Some(2)
        );
        assert_eq!(ApiError::new(ErrorCode::KafkaError, "x").retry_after, None);
    }

    #[test]
    fn kafka_errors_are_classified() {
        use rskafka::client::error::Error;
        let timeout = classify_kafka_error(&Error::Timeout);
        assert!(timeout.retriable);
        assert_eq!(timeout.v2_code(), 2);
        assert_eq!(timeout.to_api_error().code, ErrorCode::KafkaRetriable);
        let bad = classify_kafka_error(&Error::InvalidResponse(
            "garbage from broker 10.0.0.7:9092".into(),
        ));
        assert!(!bad.retriable);
        assert_eq!(bad.message, "Kafka produce failed");
        assert_eq!(bad.v2_code(), 1);
        assert_eq!(bad.to_api_error().code.status(), 500);
    }
}
