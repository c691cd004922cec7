//! How console failures are answered: an HTML page with the right status, never
//! the JSON API's body (a person reads it, not a program).
//!
//! - not signed in (no cookie, unknown, expired or revoked login): `303` to the
//!   sign-in page, for pages and for the live fragments alike (the page's script
//!   reloads, which lands on sign-in);
//! - a form without the login's CSRF token: `403`;
//! - everything else keeps the status [`ApiError`] gives it (400, 403, 404 for
//!   other organisations' ids, 409, 429, 500), with the same policy for 500s: the
//!   cause chain is logged and the page says only that something went wrong.
//!   The sentences, the `Retry-After` value and the 500 text are `crate::error`'s.

use actix_web::http::header;
use actix_web::http::{StatusCode, header::ContentType};
use actix_web::{HttpResponse, ResponseError};

use super::layout;
use crate::db::DbError;
use crate::domain::DomainError;
use crate::error::{ApiError, INTERNAL_MESSAGE, cause_chain, sentence};

/// Where the console sends people who are not signed in.
pub const SIGN_IN_PATH: &str = "/console/sign-in";

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("sign in to use the console")]
    SignInRequired,
    #[error("this form has expired or did not come from this console; reload the page and try again")]
    Csrf,
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl ConsoleError {
    /// A form body that could not be read.
    pub fn bad_form(error: &actix_web::error::UrlencodedError) -> Self {
        use actix_web::error::UrlencodedError as E;
        match error {
            E::Overflow { .. } => Self::Api(ApiError::PayloadTooLarge { message: "the form is too large".to_owned() }),
            other => Self::Api(ApiError::bad_request("invalid_form", format!("the form could not be read: {other}"))),
        }
    }

    /// A query string that could not be read.
    pub fn bad_query(error: &actix_web::error::QueryPayloadError) -> Self {
        Self::Api(ApiError::bad_request("invalid_query", format!("the address is not valid: {error}")))
    }

    pub fn not_found(what: &str) -> Self {
        Self::Api(ApiError::not_found(what))
    }
}

impl From<diesel::result::Error> for ConsoleError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Api(error.into())
    }
}

impl From<DbError> for ConsoleError {
    fn from(error: DbError) -> Self {
        Self::Api(error.into())
    }
}

impl From<DomainError> for ConsoleError {
    fn from(error: DomainError) -> Self {
        Self::Api(error.into())
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignInRequired => StatusCode::SEE_OTHER,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::Api(inner) => inner.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let Self::SignInRequired = self {
            return HttpResponse::SeeOther().insert_header((header::LOCATION, SIGN_IN_PATH)).finish();
        }
        let message = match self {
            Self::Api(ApiError::Internal(_)) => {
                tracing::error!(error = %cause_chain(self), "console request failed");
                INTERNAL_MESSAGE.to_owned()
            }
            other => sentence(&other.to_string()),
        };
        let mut response = HttpResponse::build(status);
        response.content_type(ContentType::html());
        if let Self::Api(api) = self
            && let Some(value) = api.retry_after_header()
        {
            response.insert_header((header::RETRY_AFTER, value));
        }
        response.body(layout::error_page(status, &message).into_string())
    }
}
