//! The sign-in page, and signing in and out: the routes around
//! [`super::login`]. The sign-in form carries a double-submit token (a
//! short-lived cookie and the same value in the form), since there is no login
//! yet whose token it could carry.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::csrf::{CsrfForm, NoFields, SignInForm};
use super::layout::{Page, head};
use super::login::{self, SignIn};
use crate::domain::Email;
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
    let token = login::new_token();
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .cookie(login::sign_in_cookie(&token, login::is_secure(req)))
        .body(sign_in_page(&token, email, message, choices).into_string())
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

/// The sign-in page; `message` explains a failed attempt.
fn sign_in_page(csrf: &str, email: &str, message: Option<&str>, choices: &Choices) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            (head("Sign in"))
            body.narrow {
                main #main {
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
                }
            }
        }
    }
}
