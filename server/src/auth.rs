//! Authentication: passwords, tokens, login throttling, device sign-in, and the
//! [`AuthUser`] extractor that every protected handler takes.
//!
//! Layers: `password` and `tokens` are leaves (hashing, JWTs, random values)
//! that the domain may use; `sign_in` is an operation over `db` and `domain`;
//! this module's extractors are the HTTP edge and answer [`ApiError`]s.
//!
//! A request is authenticated when its bearer token verifies (HS256 only,
//! signature, issuer, expiry) *and* the database confirms that the token's device
//! is not revoked and its person is active (read through
//! [`crate::db::auth_cache`], so most requests do not go to the database for
//! it, while a revocation still takes effect everywhere within a second). Roles and organisation come from the
//! database, not the token, so a role change takes effect at once.

pub mod credentials;
pub mod password;
pub mod rate_limit;
pub mod sign_in;
pub mod tokens;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::db::devices::Device;
use crate::db::people::Person;
use crate::db::{DbConnection, auth_cache, devices, people, retired_actors};
use crate::domain::Actor;
use crate::error::ApiError;
use crate::model::{DeviceId, OrgId, PersonId, Roles, Timestamp};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

/// Device activity is written at most this often.
const LAST_SEEN_GRANULARITY: Duration = Duration::from_secs(5 * 60);

/// The authenticated caller: a person on one of their devices.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub email: String,
    pub display_name: String,
    pub roles: Roles,
    pub device_id: DeviceId,
    pub device_name: String,
    pub actor_id: String,
}

impl AuthUser {
    /// The caller, for the domain's rules and the audit trail.
    pub fn actor(&self) -> Actor {
        Actor { person_id: Some(self.person_id), device_id: Some(self.device_id), roles: self.roles }
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let verified = verify_bearer(req);
        Box::pin(async move {
            let (state, VerifiedToken(claims)) = verified?;
            state.db.run(move |conn| confirm(conn, claims)).await
        })
    }
}

/// The application state and the request's bearer token, verified (signature,
/// issuer, expiry) but not yet confirmed against the database.
fn verify_bearer(req: &HttpRequest) -> Result<(web::Data<AppState>, VerifiedToken), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state is not registered"))?;
    let claims = state.keys.verify(&bearer_token(req)?)?;
    Ok((state, VerifiedToken(claims)))
}

/// A bearer token whose signature, issuer and expiry verified, not yet confirmed
/// against the database: for handlers that open a database call anyway and
/// confirm it there with [`VerifiedToken::confirm`] (sync, on every phone's every sync), saving
/// a second trip to a blocking thread.
#[derive(Debug)]
pub struct VerifiedToken(tokens::Claims);

impl VerifiedToken {
    /// Checks the token's device and person against the database.
    pub fn confirm(self, conn: &mut DbConnection) -> Result<AuthUser, ApiError> {
        confirm(conn, self.0)
    }

    /// [`VerifiedToken::confirm`] for a sync, keeping the token (a sync may
    /// confirm it again: see [`crate::sync::SyncError::AuthChanged`]): cached
    /// rows are used for longer, since the sync checks them against the
    /// database in its snapshot; with the tag to check them by
    /// (`db::auth_cache::matches_database`).
    pub fn confirm_for_sync(&self, conn: &mut DbConnection) -> Result<(AuthUser, i64), ApiError> {
        let claims = &self.0;
        let (found, tag) = match auth_cache::get_for_sync(claims.did) {
            Some((device, person, tag)) => ((device, person), tag),
            None => read_rows(conn, claims)?,
        };
        Ok((check(conn, claims, found)?, tag))
    }

    /// [`VerifiedToken::confirm`] again, keeping the token: for a connection that
    /// outlives its request (the live WebSocket re-checks its token while open).
    pub fn recheck(&self, conn: &mut DbConnection) -> Result<AuthUser, ApiError> {
        confirm(conn, self.0.clone())
    }

    /// When the token expires, in seconds since the Unix epoch.
    pub fn expires_at(&self) -> u64 {
        self.0.exp
    }
}

impl FromRequest for VerifiedToken {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(verify_bearer(req).map(|(_, token)| token))
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let missing = || ApiError::unauthorized("missing_token", "send an access token as `Authorization: Bearer <token>`");
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(missing)?.to_str().map_err(|_| missing())?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(missing()),
    }
}

/// Checks the token's device and person against the database, or against what
/// [`auth_cache`] kept of it (at most a second old unless the PostgreSQL
/// listener vouches that no change was missed).
fn confirm(conn: &mut DbConnection, claims: tokens::Claims) -> Result<AuthUser, ApiError> {
    let found = match auth_cache::get(claims.did) {
        Some(found) => found,
        None => read_rows(conn, &claims)?.0,
    };
    check(conn, &claims, found)
}

fn invalid() -> ApiError {
    ApiError::from(tokens::TokenError::Invalid)
}

/// The token's device row and its person's, read from the database and
/// cached, with the auth generation the read is tagged with.
fn read_rows(conn: &mut DbConnection, claims: &tokens::Claims) -> Result<((Device, Option<Person>), i64), ApiError> {
    let start = auth_cache::begin_read();
    let device = devices::find_by_id(conn, claims.did)?.ok_or_else(invalid)?;
    let person = people::find_by_id(conn, device.org_id, device.person_id)?;
    auth_cache::put(start, &device, person.as_ref());
    Ok(((device, person), start.db_generation()))
}

/// Whether the token still holds for the device and person it names.
fn check(
    conn: &mut DbConnection,
    claims: &tokens::Claims,
    (device, person): (Device, Option<Person>),
) -> Result<AuthUser, ApiError> {
    if device.person_id != claims.sub || device.org_id != claims.org {
        return Err(invalid());
    }
    // A device whose store was restored from an older copy gets a fresh actor
    // (`sync::engine`); tokens issued before it still name the retired one.
    if device.actor_id != claims.actor && !retired_actors::is_retired(conn, device.id, &claims.actor)? {
        return Err(invalid());
    }
    if device.revoked_at.is_some() {
        return Err(sign_in::SignInError::DeviceRevoked.into());
    }
    if claims.ep != device.sign_in_epoch {
        return Err(ApiError::unauthorized("signed_out", "this device has signed out since; sign in again"));
    }
    let person = person.ok_or_else(invalid)?;
    if !person.is_active() {
        return Err(sign_in::SignInError::AccountDeactivated.into());
    }
    let now = Timestamp::now();
    let stale_before = now - LAST_SEEN_GRANULARITY;
    // Compare first: an UPDATE that matches nothing still takes SQLite's write lock,
    // and this runs on every request.
    if device.last_seen_at.is_none_or(|seen| seen < stale_before) {
        devices::update_last_seen(conn, device.id, now, stale_before)?;
        auth_cache::record_seen(device.id, now);
    }
    Ok(AuthUser {
        roles: person.roles(),
        person_id: person.id,
        org_id: person.org_id,
        email: person.email,
        display_name: person.display_name,
        device_id: device.id,
        device_name: device.name,
        actor_id: device.actor_id,
    })
}
