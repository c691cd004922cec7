//! `/v1/auth/*`: login, refresh, logout.

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::auth::AuthUser;
use crate::auth::sign_in::{self, DeviceLogin, Lifetimes};
use crate::db::people::Person;
use crate::db::{DbConnection, devices, organisations};
use crate::domain::{DomainError, Email, required_text};
use crate::error::{ApiError, ErrorBody};
use crate::model::{DeviceId, OrgId};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(refresh).service(logout);
}

/// The shapes of these routes, shared with the phone client.
pub use sync_core::api::{
    LoginRequest, OrganisationChoice, OrganisationOption, RefreshRequest, SignedInDevice, SignedInUser, TokenResponse,
};

/// A sign-in as the JSON shape sync-core defines for both sides.
fn token_response(signed: DeviceLogin) -> TokenResponse {
    TokenResponse {
        access_token: signed.tokens.access_token,
        refresh_token: signed.tokens.refresh_token,
        token_type: "Bearer".to_owned(),
        expires_in: signed.tokens.expires_in,
        user: SignedInUser {
            roles: signed.person.roles().to_list().into_iter().map(|role| role.as_str().to_owned()).collect(),
            id: signed.person.id.to_string(),
            org_id: signed.person.org_id.to_string(),
            email: signed.person.email,
            display_name: signed.person.display_name,
        },
        device: SignedInDevice {
            id: signed.device.id.to_string(),
            name: signed.device.name,
            actor_id: signed.device.actor_id,
        },
    }
}

fn lifetimes(state: &AppState) -> Lifetimes {
    Lifetimes { refresh: state.settings.refresh_token_ttl }
}

/// Sign in on a new device.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; a new device is registered", body = TokenResponse),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 409, description = "The password fits accounts in several organisations: sign in again with `organisation_id`", body = OrganisationChoice),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = ErrorBody),
    )
)]
#[post("/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password, device_name, device_id, organisation_id } = body.into_inner();
    let email = Email::parse(&email)?;
    let address = req.peer_addr().map(|addr| addr.ip());
    required_text("device_name", &device_name, 100)?;
    let attempt = state.limiter.reserve(email.as_str(), address).map_err(|retry_after| {
        state.metrics.record_login_throttled();
        ApiError::TooManyRequests { retry_after }
    })?;
    match sign_in::verify(&state.db, &email, password, organisation_id.map(OrgId)).await? {
        sign_in::Verified::Right(person) => {
            let keys = state.keys.clone();
            let lifetimes = lifetimes(&state);
            let signed = state
                .db
                .run(move |conn| sign_in::login(conn, &keys, lifetimes, person, &device_name, device_id.map(DeviceId)))
                .await?;
            state.limiter.succeeded(attempt);
            state.metrics.record_login();
            tracing::info!(person_id = %signed.person.id, device_id = %signed.device.id, "login");
            Ok(HttpResponse::Ok().json(token_response(signed)))
        }
        sign_in::Verified::Several(people) => {
            // The caller proved the password, so naming the organisations it
            // fits tells them nothing they could not learn by signing in.
            state.limiter.succeeded(attempt);
            let choice = state.db.run(move |conn| organisation_choice(conn, &people)).await?;
            Ok(HttpResponse::Conflict().json(choice))
        }
        sign_in::Verified::Failed { wrong } => {
            // The same answer whether the email has no account, one or several.
            if !wrong.is_empty() {
                state
                    .db
                    .run(move |conn| wrong.iter().try_for_each(|person| sign_in::record_failed_login(conn, person)))
                    .await?;
            }
            state.metrics.record_login_failure();
            Err(ApiError::unauthorized("invalid_credentials", "the email or password is not correct"))
        }
    }
}

/// The 409 body naming the organisations whose account a password fits.
fn organisation_choice(conn: &mut DbConnection, people: &[Person]) -> Result<OrganisationChoice, DomainError> {
    let mut organisations = Vec::new();
    for person in people {
        let org = organisations::find_by_id(conn, person.org_id)?.ok_or(DomainError::not_found("organisation"))?;
        organisations.push(OrganisationOption { id: org.id.to_string(), name: org.name });
    }
    let names: Vec<String> = organisations.iter().map(|org| format!("{} ({})", org.name, org.id)).collect();
    Ok(OrganisationChoice {
        error: "organisation_required".to_owned(),
        message: format!(
            "this email and password fit accounts in several organisations; sign in with one of them: {}",
            names.join(", ")
        ),
        organisations,
    })
}

/// Exchange a refresh token for a new pair.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; the presented refresh token is used up", body = TokenResponse),
        (status = 401, description = "Unknown, expired or reused token (reuse revokes the whole family), or revoked device", body = ErrorBody),
    )
)]
#[post("/v1/auth/refresh")]
pub async fn refresh(state: web::Data<AppState>, body: web::Json<RefreshRequest>) -> Result<HttpResponse, ApiError> {
    let keys = state.keys.clone();
    let lifetimes = lifetimes(&state);
    let presented = body.into_inner().refresh_token;
    let signed = state.db.run(move |conn| sign_in::refresh(conn, &keys, lifetimes, &presented)).await?;
    Ok(HttpResponse::Ok().json(token_response(signed)))
}

/// Sign this device out: its refresh tokens stop working.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[post("/v1/auth/logout")]
pub async fn logout(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    state
        .db
        .run(move |conn| {
            let device = devices::find_by_id(conn, user.device_id)?.ok_or(DomainError::not_found("device"))?;
            sign_in::logout(conn, &device, &user.actor())
        })
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
