//! The one error type of the HTTP API, and the policy for turning failures into
//! responses.
//!
//! Policy:
//!
//! - Every error response is JSON `{"error": "<code>", "message": "<sentence>"}`.
//!   `error` is a stable snake_case code that clients branch on; `message` is for
//!   people and may change wording.
//! - Statuses follow DESIGN.md: 400 bad input, 401 missing/invalid/expired token or
//!   revoked device, 403 authenticated but not allowed, 404 not found *or not
//!   visible to the caller* (ids from another organisation, other people's devices),
//!   409 conflict with the current state, 413 body too large, 429 too many attempts
//!   (with `Retry-After`), 503 when the database cannot be reached.
//! - Anything unexpected (database failure, I/O, a bug) is a 500. Its whole cause
//!   chain is logged at `error` level and the client only gets a generic sentence,
//!   so internals (SQL, paths, library messages) never leak.
//! - Messages never contain secrets, passwords or tokens.

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

/// The JSON body of every error response, shared with the phone client.
pub use sync_core::api::ErrorBody;

/// An error answered to an API client. See the module doc for the policy.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    NotFound { message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    PayloadTooLarge { message: String },
    #[error("too many attempts; try again in {} seconds", retry_after.as_secs())]
    TooManyRequests { retry_after: Duration },
    #[error("{message}")]
    UnsupportedMediaType { message: String },
    #[error("{message}")]
    Unavailable { message: String },
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthorized { code, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden { message: message.into() }
    }

    /// `what` names the thing, e.g. `not_found("mentorship")`.
    pub fn not_found(what: &str) -> Self {
        Self::NotFound { message: format!("{what} not found") }
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::UnsupportedMediaType { message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }

    pub fn internal(cause: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// The stable code sent as `error`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } | Self::Unauthorized { code, .. } | Self::Conflict { code, .. } => code,
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::Unavailable { .. } => "unavailable",
            Self::Internal(_) => "internal_error",
        }
    }
}

/// Renders an error and all its sources on one line, for logs and the CLI.
pub fn cause_chain(error: &(dyn StdError + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(out, ": {cause}");
        source = cause.source();
    }
    out
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            Self::Internal(_) => {
                tracing::error!(error = %cause_chain(self), "request failed");
                "Something went wrong on the server; the error has been logged.".to_owned()
            }
            other => sentence(&other.to_string()),
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Self::TooManyRequests { retry_after } = self {
            // Round up so a client that waits exactly this long is let in.
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.insert_header((header::RETRY_AFTER, value));
            }
        }
        response.json(ErrorBody { error: self.code().to_owned(), message })
    }
}

/// Internal messages are lowercase fragments (as Rust errors are); the API sends
/// sentences.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '?', '!']) {
        out.push('.');
    }
    out
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => Self::not_found("record"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict("conflict", "that record already exists")
            }
            other => Self::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::internal(error)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::internal(error)
    }
}

/// Turns actix's JSON extractor failures into our shape: 413 for size, 400 naming
/// the problem otherwise.
pub fn json_error(error: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match error {
        E::Overflow { limit } | E::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge { message: format!("the request body is larger than the limit of {limit} bytes") }
        }
        E::ContentType => ApiError::bad_request(
            "unsupported_content_type",
            "the request body must be JSON with `Content-Type: application/json`",
        ),
        E::Deserialize(inner) if inner.is_data() => {
            ApiError::bad_request("invalid_body", format!("the request body is not valid: {inner}"))
        }
        E::Deserialize(inner) => {
            ApiError::bad_request("invalid_json", format!("the request body is not valid JSON: {inner}"))
        }
        other => ApiError::bad_request("invalid_json", format!("the request body could not be read: {other}")),
    }
}
