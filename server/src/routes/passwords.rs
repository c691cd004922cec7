//! Passwords: change your own (`POST /v1/auth/password`), a coordinator's
//! one-time reset code (`POST /v1/people/{id}/password-reset`), and redeeming it
//! (`POST /v1/auth/password/reset`). The policy is `domain::passwords`'.

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::auth::AuthUser;
use crate::auth::credentials::{self, Changer, CredentialError};
use crate::domain::Email;
use crate::domain::passwords::{self, IssuedReset, Keep};
use crate::error::{ApiError, ErrorBody};
use crate::model::PersonId;
use crate::state::AppState;

pub use sync_core::api::{ChangePasswordRequest, ResetPasswordRequest};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(change_password).service(reset_password).service(issue_password_reset);
}

impl From<CredentialError> for ApiError {
    fn from(error: CredentialError) -> Self {
        match error {
            CredentialError::Throttled(retry_after) => ApiError::TooManyRequests { retry_after },
            CredentialError::Domain(error) => error.into(),
        }
    }
}

/// Change your own password. This device stays signed in; your other devices
/// and console logins are signed out.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "`wrong_password` (the current password is not correct) or `weak_password` (the message says why)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 429, description = "Too many wrong current passwords; see Retry-After", body = ErrorBody),
    )
)]
#[post("/v1/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let ChangePasswordRequest { old_password, new_password } = body.into_inner();
    let changer = Changer {
        person_id: user.person_id,
        org_id: user.org_id,
        keep: Keep::Device(user.device_id),
        address: req.peer_addr().map(|addr| addr.ip()),
    };
    credentials::change_own(&state.db, &state.limiter, changer, old_password, new_password).await?;
    tracing::info!(person_id = %user.person_id, "password changed");
    Ok(HttpResponse::NoContent().finish())
}

/// Set a new password with a one-time reset code from a coordinator. Every
/// device and console login of the person is signed out.
#[utoipa::path(
    tag = "auth",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "The password is set and the code used up; sign in with the new password"),
        (status = 400, description = "`invalid_reset_code` (wrong, used or expired, or no such account: not said which) or `weak_password`", body = ErrorBody),
        (status = 429, description = "Too many wrong codes; see Retry-After", body = ErrorBody),
    )
)]
#[post("/v1/auth/password/reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let ResetPasswordRequest { email, code, new_password } = body.into_inner();
    // A malformed email is as wrong as an unknown one.
    let email = Email::parse(&email).map_err(|_| passwords::invalid_reset_code())?;
    let address = req.peer_addr().map(|addr| addr.ip());
    credentials::redeem_reset(&state.db, &state.limiter, address, &email, code, new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issue a one-time password reset code for a person who forgot theirs
/// (coordinators and admins; an admin's only by an admin). The code is in this
/// answer only, valid for 24 hours, usable once; issuing another ends it.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 201, body = IssuedReset),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The person is deactivated", body = ErrorBody),
    )
)]
#[post("/v1/people/{id}/password-reset")]
pub async fn issue_password_reset(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<PersonId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let issued = state.db.run(move |conn| passwords::issue_reset(conn, user.org_id, &user.actor(), id)).await?;
    Ok(HttpResponse::Created().json(issued))
}
