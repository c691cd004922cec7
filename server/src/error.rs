//! The one error type of the HTTP API, and the policy for turning failures into
//! responses.
//!
//! Each layer has its own error: queries diesel's, the pool [`DbError`], the
//! domain [`DomainError`], sync [`SyncError`], sign-in [`SignInError`], tokens
//! [`TokenError`]. They become an [`ApiError`] here, at the edge, through
//! `From`; nothing below `routes/`, the auth extractors and the console knows
//! about HTTP. The console answers HTML with the same statuses and reuses
//! [`sentence`], [`retry_after_seconds`] and [`INTERNAL_MESSAGE`].
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

use crate::auth::sign_in::SignInError;
use crate::auth::tokens::TokenError;
use crate::db::DbError;
use crate::domain::DomainError;
use crate::sync::SyncError;

/// The JSON body of every error response, shared with the phone client.
pub use sync_core::api::ErrorBody;

/// What a person is told about a 500 (the cause is logged, never sent).
pub const INTERNAL_MESSAGE: &str = "Something went wrong on the server; the error has been logged.";

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
    /// 413 with its own code: a request within the size limit that asks too much
    /// (`too_many_documents`).
    #[error("{message}")]
    TooMuchAtOnce { code: &'static str, message: String },
    /// 408: the body did not arrive in time.
    #[error("{message}")]
    RequestTimeout { message: String },
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
            Self::BadRequest { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Conflict { code, .. }
            | Self::TooMuchAtOnce { code, .. } => code,
            Self::RequestTimeout { .. } => "request_timeout",
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
            Self::PayloadTooLarge { .. } | Self::TooMuchAtOnce { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
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
                INTERNAL_MESSAGE.to_owned()
            }
            other => sentence(&other.to_string()),
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Some(value) = self.retry_after_header() {
            response.insert_header((header::RETRY_AFTER, value));
        }
        response.json(ErrorBody { error: self.code().to_owned(), message })
    }
}

impl ApiError {
    /// The `Retry-After` value of a 429.
    pub fn retry_after_header(&self) -> Option<HeaderValue> {
        match self {
            Self::TooManyRequests { retry_after } => {
                HeaderValue::from_str(&retry_after_seconds(*retry_after).to_string()).ok()
            }
            _ => None,
        }
    }
}

/// Whole seconds to wait, rounded up (so a client that waits exactly this long
/// is let in) and at least one.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Internal messages are lowercase fragments (as Rust errors are); people are
/// shown sentences.
pub fn sentence(text: &str) -> String {
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

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            DbError::Query(Error::NotFound) => Self::not_found("record"),
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Self::conflict("conflict", "that record already exists")
            }
            other => Self::internal(other),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        DbError::Query(error).into()
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::NotFound { what } => Self::not_found(what),
            DomainError::Conflict { code, message } => Self::Conflict { code, message },
            DomainError::Forbidden { message } => Self::Forbidden { message },
            DomainError::Invalid { code, message } => Self::BadRequest { code, message },
            DomainError::Db(error) => error.into(),
            other @ DomainError::Password(_) => Self::internal(other),
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Malformed { code, message } => Self::BadRequest { code, message },
            error @ SyncError::TooManyDocuments { .. } => {
                Self::TooMuchAtOnce { code: "too_many_documents", message: error.to_string() }
            }
            SyncError::NotFound => Self::not_found("document"),
            SyncError::Unreadable { message } => Self::conflict("unreadable_document", message),
            SyncError::Db(error) => error.into(),
            error @ SyncError::AuthChanged => Self::Unavailable { message: error.to_string() },
            other @ (SyncError::Stored { .. } | SyncError::Invariant(_)) => Self::internal(other),
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Expired => Self::unauthorized("token_expired", error.to_string()),
            TokenError::Invalid => Self::unauthorized("invalid_token", error.to_string()),
            other @ TokenError::Sign(_) => Self::internal(other),
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(error: SignInError) -> Self {
        match (error.code(), error) {
            (Some(code), refusal) => Self::unauthorized(code, refusal.to_string()),
            (None, SignInError::Domain(error)) => error.into(),
            (None, SignInError::Token(error)) => error.into(),
            (None, other) => Self::internal(other),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_never_zero() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
    }

    #[test]
    fn layer_errors_keep_their_codes_at_the_edge() {
        let cases: [(ApiError, StatusCode, &str); 6] = [
            (DomainError::not_found("mentor").into(), StatusCode::NOT_FOUND, "not_found"),
            (DomainError::invalid("invalid_date", "no").into(), StatusCode::BAD_REQUEST, "invalid_date"),
            (DomainError::conflict("own_access", "no").into(), StatusCode::CONFLICT, "own_access"),
            (DomainError::forbidden("no").into(), StatusCode::FORBIDDEN, "forbidden"),
            (SyncError::NotFound.into(), StatusCode::NOT_FOUND, "not_found"),
            (SignInError::DeviceRevoked.into(), StatusCode::UNAUTHORIZED, "device_revoked"),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status_code(), error.code()), (status, code), "{error}");
        }
        let unique = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new("duplicate".to_owned()),
        );
        assert_eq!(ApiError::from(DomainError::from(unique)).code(), "conflict");
        assert_eq!(sentence("the email is taken"), "The email is taken.");
    }
}
