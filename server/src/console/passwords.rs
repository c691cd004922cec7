//! Passwords in the console: changing your own (`/console/password`), and
//! issuing a one-time reset code for a person who forgot theirs (the button on
//! the people page), shown once on the page that answers. The rules are
//! [`crate::domain::passwords`]'; the checks and throttling
//! [`crate::auth::credentials`]'.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::csrf::{CsrfForm, NoFields};
use super::error::ConsoleError;
use super::layout::{Page, Section, csrf_field, html, layout, path_id};
use super::login::ConsoleUser;
use crate::auth::credentials::{self, Changer, CredentialError};
use crate::domain::DomainError;
use crate::domain::passwords::{self as ops, Keep};
use crate::error::{ApiError, sentence};
use crate::model::PersonId;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn page(user: ConsoleUser) -> Page {
    Ok(html(password_page(&user, None)))
}

pub async fn change(state: web::Data<AppState>, req: HttpRequest, form: CsrfForm<PasswordForm>) -> Page {
    let CsrfForm { user, form } = form;
    let changer = Changer {
        person_id: user.person_id,
        org_id: user.org_id,
        keep: Keep::ConsoleLogin(user.login_id.clone()),
        address: req.peer_addr().map(|addr| addr.ip()),
    };
    match credentials::change_own(&state.db, &state.limiter, changer, form.current_password, form.new_password).await {
        Ok(()) => {
            let done = html! {
                h1 { "Your password is changed" }
                p { "You stay signed in here. Your phones and any other console sign-ins are signed out and use the new password from now on." }
                p { a href="/console" { "Back to the programme" } }
            };
            Ok(html(layout(&user, Section::Programme, "Password changed", done)))
        }
        Err(CredentialError::Domain(DomainError::Invalid { message, .. })) => {
            let body = password_page(&user, Some(&sentence(&message)));
            Ok(HttpResponse::build(StatusCode::BAD_REQUEST).content_type(ContentType::html()).body(body.into_string()))
        }
        Err(CredentialError::Throttled(retry_after)) => Err(ApiError::TooManyRequests { retry_after }.into()),
        Err(CredentialError::Domain(other)) => Err(other.into()),
    }
}

fn password_page(user: &ConsoleUser, message: Option<&str>) -> Markup {
    let main = html! {
        h1 { "Change your password" }
        p { "At least 12 characters. A few unrelated words make a strong password that is easy to remember; common passwords and ones built from your name or email are refused." }
        @if let Some(message) = message {
            div.notice.error role="alert" { p { (message) } }
        }
        form.stack method="post" action="/console/password" {
            (csrf_field(&user.csrf_token))
            label for="current_password" { "Current password" }
            input #current_password type="password" name="current_password" autocomplete="current-password" required;
            label for="new_password" { "New password" }
            input #new_password type="password" name="new_password" autocomplete="new-password" minlength="12" required;
            button type="submit" { "Change password" }
        }
    };
    layout(user, Section::Programme, "Change your password", main)
}

/// Issues a reset code for a person and shows it, once.
pub async fn reset(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<NoFields>) -> Page {
    let CsrfForm { user, .. } = form;
    let id: PersonId = path_id("person", &id)?;
    let actor = user.actor();
    let org_id = user.org_id;
    let (issued, name) = state
        .db
        .run(move |conn| {
            let person = crate::domain::people::find(conn, org_id, &actor, id)?;
            let issued = ops::issue_reset(conn, org_id, &actor, id)?;
            Ok::<_, ConsoleError>((issued, person.display_name))
        })
        .await?;
    let main = html! {
        h1 { "Password reset code for " (name) }
        p.code { strong { code #reset-code { (issued.code) } } }
        p { "Give this code to " (name) " in person or by phone. It works once, until " (issued.expires_at) ", and is not shown again. They set a new password with it and their email; every device they have signed in is signed out." }
        p { a href="/console/people" { "Back to people" } }
    };
    Ok(html(layout(&user, Section::People, "Password reset code", main)))
}
