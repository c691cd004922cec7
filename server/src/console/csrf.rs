//! CSRF protection as extractors, so that no form handler can skip it.
//!
//! A console form is read only through [`CsrfForm`] (signed-in pages: the
//! login's token) or [`SignInForm`] (the sign-in page: the double-submit
//! cookie). Each reads the urlencoded body, compares its `csrf` field with the
//! expected token in constant time, and only then yields the form. Three
//! fences keep a plain `web::Form` out:
//!
//! - POST routes are registered with [`post`], which accepts only a handler
//!   whose last argument is one of these extractors (a compile error otherwise);
//! - inside `/console`, `web::Form` is configured to refuse every non-empty body
//!   ([`forbid_plain_forms`]), so a handler that bypasses [`post`] fails on its
//!   first form;
//! - the tests post to every console form without a token and expect 403.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::{Payload, UrlEncoded};
use actix_web::{FromRequest, Handler, HttpRequest, Responder, Route, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::ConsoleError;
use super::login::{ConsoleUser, SIGN_IN_COOKIE};
use crate::error::ApiError;

/// Largest form body the console accepts.
const FORM_LIMIT: usize = 16 * 1024;

/// A form posted by a signed-in coordinator or admin, carrying their login's
/// CSRF token.
#[derive(Debug)]
pub struct CsrfForm<T> {
    pub user: ConsoleUser,
    pub form: T,
}

/// The sign-in form, carrying the token of its double-submit cookie.
#[derive(Debug)]
pub struct SignInForm<T>(pub T);

/// A form with no field but its token (a button).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// A form's fields beside its token. The forms hold only strings and optional
/// strings, which serde's flattening reads from a urlencoded body faithfully.
#[derive(Debug, Deserialize)]
struct Tokened<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ConsoleError>>>>;

fn read<T: DeserializeOwned + 'static>(req: &HttpRequest, payload: &mut Payload) -> UrlEncoded<Tokened<T>> {
    UrlEncoded::new(req, payload).limit(FORM_LIMIT)
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = ConsoleError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = ConsoleUser::from_request(req, payload);
        let body = read::<T>(req, payload);
        Box::pin(async move {
            // Not signed in answers the redirect before the body is read.
            let user = user.await?;
            let Tokened { csrf, form } = body.await.map_err(|error| ConsoleError::bad_form(&error))?;
            if !same_secret(&csrf, &user.csrf_token) {
                return Err(ConsoleError::Csrf);
            }
            Ok(Self { user, form })
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for SignInForm<T> {
    type Error = ConsoleError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let cookie = req.cookie(SIGN_IN_COOKIE).map(|cookie| cookie.value().to_owned()).unwrap_or_default();
        let body = read::<T>(req, payload);
        Box::pin(async move {
            let Tokened { csrf, form } = body.await.map_err(|error| ConsoleError::bad_form(&error))?;
            if cookie.is_empty() || !same_secret(&cookie, &csrf) {
                return Err(ConsoleError::Csrf);
            }
            Ok(Self(form))
        })
    }
}

/// An extractor that checks a CSRF token.
pub trait Checked {}
impl<T> Checked for CsrfForm<T> {}
impl<T> Checked for SignInForm<T> {}

/// Handler arguments whose last one is a [`Checked`] form.
pub trait EndsWithCheckedForm {}
impl<F: Checked> EndsWithCheckedForm for (F,) {}
impl<A, F: Checked> EndsWithCheckedForm for (A, F) {}
impl<A, B, F: Checked> EndsWithCheckedForm for (A, B, F) {}
impl<A, B, C, F: Checked> EndsWithCheckedForm for (A, B, C, F) {}

/// A POST route; its handler must read its form through a checking extractor.
pub fn post<H, Args>(handler: H) -> Route
where
    H: Handler<Args>,
    Args: FromRequest + EndsWithCheckedForm + 'static,
    H::Output: Responder + 'static,
{
    web::post().to(handler)
}

/// The `web::Form` configuration for the console: every non-empty form body is
/// refused with a logged server error, so a handler that reads a form without
/// [`CsrfForm`] or [`SignInForm`] cannot work by accident.
pub fn forbid_plain_forms() -> web::FormConfig {
    web::FormConfig::default().limit(0).error_handler(|_error, _req| {
        ConsoleError::Api(ApiError::internal("a console form was read without its CSRF check (use CsrfForm)")).into()
    })
}

/// Compares two secrets without stopping at the first difference, so timing does
/// not reveal how much of a guess was right.
fn same_secret(a: &str, b: &str) -> bool {
    // The length is not secret (tokens have one fixed length); the bytes are.
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_whole_value() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "a"));
    }

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[serde(default)]
        reason: String,
        mentee: Option<String>,
        admin: Option<String>,
    }

    async fn parse(body: &'static str) -> Tokened<Sample> {
        let (req, mut payload) = actix_web::test::TestRequest::post()
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body)
            .to_http_parts();
        read::<Sample>(&req, &mut payload).await.unwrap()
    }

    #[actix_web::test]
    async fn flattened_forms_keep_strings_and_optional_strings() {
        let read = parse("csrf=t0k&reason=moved+on&mentee=on").await;
        assert_eq!(read.csrf, "t0k");
        assert_eq!(read.form.reason, "moved on");
        assert_eq!(read.form.mentee.as_deref(), Some("on"));
        assert!(read.form.admin.is_none());
        let bare = parse("").await;
        assert!(bare.csrf.is_empty() && bare.form.reason.is_empty());
    }
}
