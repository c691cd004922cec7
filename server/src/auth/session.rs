//! Signing in, rotating refresh tokens and signing out.
//!
//! A login registers a new device and starts a refresh-token *family*. Each
//! refresh marks the presented token used and issues a new one in the same
//! family. Presenting a used token means a copy is in someone else's hands, so
//! the whole family is revoked and the device must sign in again.

use std::time::Duration;

use time::OffsetDateTime;

use super::password;
use super::tokens::{self, AccessSubject, JwtKeys};
use crate::db::devices::{self, Device};
use crate::db::people::{self, Person};
use crate::db::refresh_tokens::{self, RefreshToken};
use crate::db::{self, Db, DbConnection};
use crate::domain::{Actor, AuditObject, Email, devices as device_ops, record_audit, required_text};
use crate::error::ApiError;

/// A fresh access token and refresh token.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// A successful sign-in or refresh.
#[derive(Debug, Clone)]
pub struct Signed {
    pub person: Person,
    pub device: Device,
    pub tokens: TokenPair,
}

/// How long issued tokens live.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub refresh: Duration,
}

/// What checking a password came to.
#[derive(Debug)]
pub enum Verified {
    /// No active person has this email (one dummy hash was still computed).
    Unknown,
    /// The person exists; the password is wrong.
    Wrong(Person),
    /// The password is right.
    Right(Person),
}

/// Checks an email and password without holding a database connection while
/// argon2 runs: the person is looked up, the connection goes back to the pool,
/// then the hash is checked on the hashing threads. (Holding a connection while
/// queued for hashing let a burst of logins starve every other request.) An
/// unknown email costs one dummy verification, like a wrong password.
pub async fn verify(db: &Db, email: &Email, password: String) -> Result<Verified, ApiError> {
    let account = email.as_str().to_owned();
    let person = db.run(move |conn| Ok(people::find_by_email(conn, &account)?)).await?;
    let person = person.filter(Person::is_active);
    let right = password::check(password, person.as_ref().map(|p| p.password_hash.clone())).await;
    Ok(match person {
        None => Verified::Unknown,
        Some(person) if right => Verified::Right(person),
        Some(person) => Verified::Wrong(person),
    })
}

/// Records a failed login of a known person.
pub fn record_failed_login(conn: &mut DbConnection, person: &Person) -> Result<(), ApiError> {
    record_audit(
        conn,
        &person.org_id,
        &Actor { person_id: Some(person.id.clone()), device_id: None },
        "login.failed",
        AuditObject { kind: "person", id: &person.id },
        serde_json::json!({}),
    )
}

/// Completes the login of a verified person: registers the device and issues
/// the first token pair of a new family.
pub fn login(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    lifetimes: Lifetimes,
    person: Person,
    device_name: &str,
    previous_device: Option<&str>,
) -> Result<Signed, ApiError> {
    let device_name = required_text("device_name", device_name, 100)?;
    crate::db::write_transaction(conn, |conn| {
        // A phone signing in again keeps its device (and actor) when it may:
        // changes it made before, not yet synced, then still carry its own actor.
        let kept = match previous_device {
            Some(id) => devices::find_by_id(conn, id)?
                .filter(|d| d.person_id == person.id && d.org_id == person.org_id && d.revoked_at.is_none()),
            None => None,
        };
        let resumed = kept.is_some();
        let device = match kept {
            Some(device) => {
                // The new sign-in starts a new refresh family.
                refresh_tokens::update_revoked_by_device(conn, &device.id, &db::now())?;
                device
            }
            None => device_ops::register(conn, &person, &device_name)?,
        };
        let tokens = issue_pair(conn, keys, lifetimes, &person, &device, &db::new_id())?;
        record_audit(
            conn,
            &person.org_id,
            &Actor { person_id: Some(person.id.clone()), device_id: Some(device.id.clone()) },
            "login",
            AuditObject { kind: "device", id: &device.id },
            serde_json::json!({ "device_name": device.name, "resumed": resumed }),
        )?;
        Ok(Signed { person, device, tokens })
    })
}

/// Rotates a refresh token. See the module doc for reuse detection.
pub fn refresh(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    lifetimes: Lifetimes,
    presented: &str,
) -> Result<Signed, ApiError> {
    let invalid = || ApiError::unauthorized("invalid_refresh_token", "the refresh token is not valid");
    let token = refresh_tokens::find_by_hash(conn, &tokens::hash_refresh_token(presented))?.ok_or_else(invalid)?;
    let device = devices::find_by_id(conn, &token.device_id)?.ok_or_else(invalid)?;
    if device.revoked_at.is_some() {
        return Err(device_revoked());
    }
    if token.revoked_at.is_some() {
        return Err(invalid());
    }
    if token.used_at.is_some() {
        return Err(revoke_family_for_reuse(conn, &token, &device));
    }
    if token.expires_at < db::now() {
        return Err(ApiError::unauthorized("refresh_token_expired", "the refresh token has expired; sign in again"));
    }
    let person = people::find_by_id(conn, &device.org_id, &token.person_id)?
        .filter(Person::is_active)
        .ok_or_else(|| ApiError::unauthorized("account_deactivated", "this account is not active"))?;

    let rotated = crate::db::write_transaction(conn, |conn| {
        // The conditional update comes first: it takes the write lock at once and
        // only one of two racing refreshes can win it.
        if refresh_tokens::update_used(conn, &token.id, &db::now())? == 0 {
            return Ok(None);
        }
        issue_pair(conn, keys, lifetimes, &person, &device, &token.family_id).map(Some)
    })?;
    match rotated {
        Some(tokens) => Ok(Signed { person, device, tokens }),
        None => Err(revoke_family_for_reuse(conn, &token, &device)),
    }
}

/// Revokes every refresh token of the device and ends its access tokens.
pub fn logout(conn: &mut DbConnection, device: &Device, actor: &Actor) -> Result<(), ApiError> {
    crate::db::write_transaction(conn, |conn| {
        refresh_tokens::update_revoked_by_device(conn, &device.id, &db::now())?;
        devices::update_next_epoch(conn, &device.id)?;
        record_audit(
            conn,
            &device.org_id,
            actor,
            "logout",
            AuditObject { kind: "device", id: &device.id },
            serde_json::json!({}),
        )
    })
}

pub fn device_revoked() -> ApiError {
    ApiError::unauthorized("device_revoked", "this device has been signed out")
}

/// Revokes the family (committed, whatever the caller then answers) and returns
/// the error to answer with.
fn revoke_family_for_reuse(conn: &mut DbConnection, token: &RefreshToken, device: &Device) -> ApiError {
    let result = crate::db::write_transaction(conn, |conn| {
        refresh_tokens::update_revoked_by_family(conn, &token.family_id, &db::now())?;
        record_audit(
            conn,
            &device.org_id,
            &Actor { person_id: Some(token.person_id.clone()), device_id: Some(device.id.clone()) },
            "refresh_token.reused",
            AuditObject { kind: "device", id: &device.id },
            serde_json::json!({ "family_id": token.family_id }),
        )
    });
    match result {
        Ok(()) => ApiError::unauthorized("refresh_token_reused", "this refresh token was already used; sign in again"),
        Err(error) => error,
    }
}

fn issue_pair(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    lifetimes: Lifetimes,
    person: &Person,
    device: &Device,
    family_id: &str,
) -> Result<TokenPair, ApiError> {
    let refresh_token = tokens::new_refresh_token();
    let issued = OffsetDateTime::now_utc();
    refresh_tokens::insert(
        conn,
        &RefreshToken {
            id: db::new_id(),
            family_id: family_id.to_owned(),
            device_id: device.id.clone(),
            person_id: person.id.clone(),
            token_hash: tokens::hash_refresh_token(&refresh_token),
            issued_at: db::timestamp(issued),
            expires_at: db::timestamp(issued + lifetimes.refresh),
            used_at: None,
            revoked_at: None,
        },
    )?;
    let access_token = keys.issue(AccessSubject {
        person_id: &person.id,
        org_id: &person.org_id,
        roles: person.roles().to_list(),
        device_id: &device.id,
        actor_id: &device.actor_id,
        session_epoch: device.session_epoch,
    })?;
    Ok(TokenPair { access_token, refresh_token, expires_in: keys.access_ttl().as_secs() })
}
