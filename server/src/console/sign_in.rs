//! The sign-in page, signing in and out (the routes around [`super::login`]),
//! and setting a new password with a reset code. The forms before sign-in
//! carry a double-submit token (a short-lived cookie and the same value in the
//! form), since there is no login yet whose token it could carry.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::csrf::{CsrfForm, NoFields, SignInForm};
use super::layout::{Page, head};
use super::login::{self, SignIn};
use crate::auth::credentials::{self, CredentialError};
use crate::domain::{DomainError, Email};
use crate::error::ApiError;
use crate::error::sentence;
use crate::model::OrgId;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// Chosen when the email has console accounts in several organisations.
    #[serde(default)]
    organisation: String,
}

/// The organisations to choose from when one email and password fit several.
type Choices = [(OrgId, String)];

/// The sign-in form, with a fresh double-submit token.
fn sign_in_response(req: &HttpRequest, status: StatusCode, email: &str, message: Option<&str>) -> HttpResponse {
    choice_response(req, status, email, message, &[])
}

fn choice_response(
    req: &HttpRequest,
    status: StatusCode,
    email: &str,
    message: Option<&str>,
    choices: &Choices,
) -> HttpResponse {
    with_token(req, status, |token| sign_in_page(token, email, message, choices))
}

pub async fn sign_in_form(req: HttpRequest) -> HttpResponse {
    sign_in_response(&req, StatusCode::OK, "", None)
}

pub async fn sign_in(state: web::Data<AppState>, req: HttpRequest, form: SignInForm<Credentials>) -> Page {
    let Credentials { email, password, organisation } = form.0;
    let organisation = match organisation.trim() {
        "" => None,
        text => match text.parse::<uuid::Uuid>() {
            Ok(id) => Some(OrgId(id)),
            Err(_) => {
                return Ok(sign_in_response(&req, StatusCode::BAD_REQUEST, &email, Some("Choose an organisation.")));
            }
        },
    };
    let parsed = match Email::parse(&email) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Ok(sign_in_response(&req, StatusCode::BAD_REQUEST, &email, Some(&sentence(&error.to_string()))));
        }
    };
    let address = req.peer_addr().map(|addr| addr.ip());
    let attempt = match state.limiter.reserve(parsed.as_str(), address) {
        Ok(attempt) => attempt,
        Err(retry_after) => {
            state.metrics.record_login_throttled();
            return Err(ApiError::TooManyRequests { retry_after }.into());
        }
    };
    let outcome = login::sign_in(&state.db, &parsed, password, organisation).await?;
    match outcome {
        SignIn::Signed { token, person_id } => {
            state.limiter.succeeded(attempt);
            state.metrics.record_login();
            tracing::info!(%person_id, "console sign-in");
            let secure = login::is_secure(&req);
            let mut clear = login::sign_in_cookie("", secure);
            clear.make_removal();
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console"))
                .cookie(login::login_cookie(&token, secure))
                .cookie(clear)
                .finish())
        }
        SignIn::WrongCredentials => {
            state.metrics.record_login_failure();
            Ok(sign_in_response(&req, StatusCode::UNAUTHORIZED, &email, Some("The email or password is not correct.")))
        }
        SignIn::ChooseOrganisation(choices) => {
            // The password was right: not a failure to count.
            state.limiter.succeeded(attempt);
            let message = "This email has accounts in several organisations. Choose one and enter your password again.";
            Ok(choice_response(&req, StatusCode::CONFLICT, &email, Some(message), &choices))
        }
        SignIn::NotAllowed => {
            // The password was right: not a guessing attempt, so not a failure to count.
            state.limiter.succeeded(attempt);
            Err(login::not_allowed())
        }
    }
}

pub async fn sign_out(state: web::Data<AppState>, req: HttpRequest, form: CsrfForm<NoFields>) -> Page {
    let user = form.user;
    state.db.run(move |conn| login::sign_out(conn, &user)).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/sign-in"))
        .cookie(login::expired_login_cookie(login::is_secure(&req)))
        .finish())
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    new_password: String,
}

/// A page before sign-in with a fresh double-submit token in its cookie; `page`
/// puts the same token in its form.
fn with_token(req: &HttpRequest, status: StatusCode, page: impl FnOnce(&str) -> Markup) -> HttpResponse {
    let token = login::new_token();
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .cookie(login::sign_in_cookie(&token, login::is_secure(req)))
        .body(page(&token).into_string())
}

/// The form for a one-time reset code a coordinator or admin gave for a
/// forgotten password (`/console/reset-password`).
pub async fn reset_form(req: HttpRequest) -> HttpResponse {
    with_token(&req, StatusCode::OK, |token| reset_page(token, "", None))
}

/// Sets the new password: every device and console login of the person is
/// signed out, and they sign in with it. Wrong, used or expired codes and
/// unknown emails are answered alike and count against the sign-in limiter.
pub async fn reset(state: web::Data<AppState>, req: HttpRequest, form: SignInForm<ResetForm>) -> Page {
    let ResetForm { email, code, new_password } = form.0;
    let address = req.peer_addr().map(|addr| addr.ip());
    let redeemed = match Email::parse(&email) {
        Ok(parsed) => credentials::redeem_reset(&state.db, &state.limiter, address, &parsed, code, new_password).await,
        // A malformed email is as wrong as an unknown one.
        Err(_) => Err(CredentialError::Domain(crate::domain::passwords::invalid_reset_code())),
    };
    match redeemed {
        Ok(()) => {
            let done = signed_out_page(
                "Password set",
                html! {
                    h1 { "Your new password is set" }
                    p { "Every device and console sign-in you had is signed out. Sign in with the new password, here and in the Alongside app." }
                    p { a href="/console/sign-in" { "Sign in" } }
                },
            );
            Ok(HttpResponse::Ok().content_type(ContentType::html()).body(done.into_string()))
        }
        Err(CredentialError::Domain(DomainError::Invalid { message, .. })) => {
            let message = sentence(&message);
            Ok(with_token(&req, StatusCode::BAD_REQUEST, |token| reset_page(token, &email, Some(&message))))
        }
        Err(CredentialError::Throttled(retry_after)) => Err(ApiError::TooManyRequests { retry_after }.into()),
        Err(CredentialError::Domain(other)) => Err(other.into()),
    }
}

/// A console page for someone not signed in: the narrow layout, no navigation.
fn signed_out_page(title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            (head(title))
            body.narrow {
                main #main { (main) }
            }
        }
    }
}

fn reset_page(csrf: &str, email: &str, message: Option<&str>) -> Markup {
    signed_out_page(
        "Set a new password",
        html! {
            h1 { "Set a new password with a reset code" }
            p { "Forgot your password? Ask your coordinator (or, for a coordinator, an administrator) for a reset code. It works once, for 24 hours." }
            @if let Some(message) = message {
                div.notice.error role="alert" { p { (message) } }
            }
            form.stack method="post" action="/console/reset-password" {
                input type="hidden" name="csrf" value=(csrf);
                label for="email" { "Email" }
                input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
                label for="code" { "Reset code" }
                input #code type="text" name="code" autocomplete="one-time-code" required;
                label for="new_password" { "New password" }
                p.hint #new_password_hint { "At least 12 characters. A few unrelated words make a strong password that is easy to remember." }
                input #new_password type="password" name="new_password" autocomplete="new-password" minlength="12" required aria-describedby="new_password_hint";
                button type="submit" { "Set password" }
            }
            p { a href="/console/sign-in" { "Back to sign-in" } }
        },
    )
}

/// The sign-in page; `message` explains a failed attempt.
fn sign_in_page(csrf: &str, email: &str, message: Option<&str>, choices: &Choices) -> Markup {
    signed_out_page(
        "Sign in",
        html! {
            h1 { "Sign in to the Alongside console" }
            p { "For programme coordinators and administrators. Mentors and mentees use the Alongside app." }
            @if let Some(message) = message {
                div.notice.error role="alert" { p { (message) } }
            }
            form.stack method="post" action="/console/sign-in" {
                input type="hidden" name="csrf" value=(csrf);
                label for="email" { "Email" }
                input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                @if !choices.is_empty() {
                    label for="organisation" { "Organisation" }
                    select #organisation name="organisation" required {
                        @for (id, name) in choices {
                            option value=(id) { (name) }
                        }
                    }
                }
                button type="submit" { "Sign in" }
            }
            p { a href="/console/reset-password" { "Have a reset code for a forgotten password?" } }
        },
    )
}
