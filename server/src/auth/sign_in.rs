//! Signing a device in, rotating its refresh tokens and signing it out. (A
//! "session" is a mentoring session; a device's sign-in is a `DeviceLogin`.)
//!
//! A login registers a new device (or keeps the phone's previous one) and starts
//! a refresh-token *family*. Each refresh marks the presented token used and
//! issues a new one in the same family. Presenting a used token means a copy is
//! in someone else's hands, so the whole family is revoked, the device's access
//! tokens end at once (its sign-in epoch moves on, as at sign-out) and the device
//! must sign in again. One exception: the same token presented again within
//! [`REFRESH_GRACE`] of its rotation, while the token it was rotated to is still
//! unused, is the phone retrying after a lost response (or two racing
//! refreshes); it gets that same successor back.

use std::time::Duration;

use super::password;
use super::tokens::{self, AccessSubject, JwtKeys, TokenError};
use crate::db::devices::{self, Device};
use crate::db::people::{self, Person};
use crate::db::refresh_tokens::{self, RefreshToken};
use crate::db::{self, Db, DbConnection, DbError};
use crate::domain::{Actor, AuditObject, DomainError, Email, devices as device_ops, record_audit, required_text};
use crate::model::{DeviceId, OrgId, Timestamp};

/// Why a sign-in, refresh or sign-out was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the refresh token is not valid")]
    InvalidRefreshToken,
    #[error("the refresh token has expired; sign in again")]
    RefreshTokenExpired,
    #[error("this refresh token was already used; sign in again")]
    RefreshTokenReused,
    #[error("this device has been signed out")]
    DeviceRevoked,
    #[error("this account is not active")]
    AccountDeactivated,
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Token(#[from] TokenError),
}

impl SignInError {
    /// The stable code of a refusal (all are 401s); `None` for failures.
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Self::InvalidRefreshToken => "invalid_refresh_token",
            Self::RefreshTokenExpired => "refresh_token_expired",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::DeviceRevoked => "device_revoked",
            Self::AccountDeactivated => "account_deactivated",
            Self::Domain(_) | Self::Token(_) => return None,
        })
    }
}

impl From<DbError> for SignInError {
    fn from(error: DbError) -> Self {
        Self::Domain(error.into())
    }
}

impl From<diesel::result::Error> for SignInError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Domain(error.into())
    }
}

/// A fresh access token and refresh token.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// A successful sign-in or refresh: who, on which device, with which tokens.
#[derive(Debug, Clone)]
pub struct DeviceLogin {
    pub person: Person,
    pub device: Device,
    pub tokens: TokenPair,
}

/// How long issued tokens live.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub refresh: Duration,
}

/// At most this many accounts of one email are checked at sign-in (one argon2
/// verification each). An email normally has one; a person working for several
/// organisations a few.
pub const MAX_ACCOUNTS_PER_EMAIL: usize = 8;

/// What checking a password came to.
#[derive(Debug)]
pub enum Verified {
    /// The password fits no active account of this email (in the organisation
    /// asked for, if any); `wrong` are the accounts it did not fit (none for an
    /// unknown email, which still cost one dummy verification).
    Failed { wrong: Vec<Person> },
    /// The password fits exactly this account.
    Right(Person),
    /// The password fits several accounts (of different organisations) and no
    /// organisation was asked for: the caller chooses one.
    Several(Vec<Person>),
}

/// Checks an email and password without holding a database connection while
/// argon2 runs: the accounts are looked up, the connection goes back to the
/// pool, then the hashes are checked on the hashing threads. (Holding a
/// connection while queued for hashing let a burst of logins starve every other
/// request.) One email may have an account in several organisations: each
/// active one (in `org_id` only, when given) costs one verification, at most
/// [`MAX_ACCOUNTS_PER_EMAIL`], run side by side; an unknown email costs one
/// dummy verification, like a wrong password.
pub async fn verify(db: &Db, email: &Email, password: String, org_id: Option<OrgId>) -> Result<Verified, DbError> {
    let account = email.as_str().to_owned();
    let found = db
        .run(move |conn| {
            Ok::<_, DbError>(match org_id {
                Some(org_id) => people::find_by_email(conn, org_id, &account)?.into_iter().collect(),
                None => people::find_all_by_email(conn, &account, 100)?,
            })
        })
        .await?;
    let candidates: Vec<Person> = found.into_iter().filter(Person::is_active).take(MAX_ACCOUNTS_PER_EMAIL).collect();
    if candidates.is_empty() {
        password::check(password, None).await;
        return Ok(Verified::Failed { wrong: Vec::new() });
    }
    // Started together, so two accounts take about as long as one while the
    // hashing threads are free.
    let checks: Vec<_> = candidates
        .iter()
        .map(|person| actix_web::rt::spawn(password::check(password.clone(), Some(person.password_hash.clone()))))
        .collect();
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for (person, check) in candidates.into_iter().zip(checks) {
        if check.await.unwrap_or(false) {
            right.push(person);
        } else {
            wrong.push(person);
        }
    }
    Ok(match right.len() {
        0 => Verified::Failed { wrong },
        1 => Verified::Right(right.remove(0)),
        _ => Verified::Several(right),
    })
}

/// Records a failed login of a known person.
pub fn record_failed_login(conn: &mut DbConnection, person: &Person) -> Result<(), DomainError> {
    record_audit(
        conn,
        person.org_id,
        &Actor::person(person, None),
        "login.failed",
        AuditObject::new("person", person.id),
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
    previous_device: Option<DeviceId>,
) -> Result<DeviceLogin, SignInError> {
    let device_name = required_text("device_name", device_name, 100)?;
    db::write_transaction(conn, |conn| {
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
                refresh_tokens::update_revoked_by_device(conn, device.id, Timestamp::now())?;
                device
            }
            None => device_ops::register(conn, &person, &device_name)?,
        };
        let tokens = issue_pair(conn, keys, lifetimes, &person, &device, &db::new_id(), tokens::new_refresh_token())?;
        record_audit(
            conn,
            person.org_id,
            &Actor::person(&person, Some(device.id)),
            "login",
            AuditObject::new("device", device.id),
            serde_json::json!({ "device_name": device.name, "resumed": resumed }),
        )?;
        Ok(DeviceLogin { person, device, tokens })
    })
}

/// How long after a refresh token was rotated the same token is still answered
/// with its successor instead of counting as reuse: long enough for a phone whose
/// refresh response was cut to retry, short enough that a stolen copy is of
/// little use (and only until the successor is used).
pub const REFRESH_GRACE: Duration = Duration::from_secs(30);

/// Rotates a refresh token. See the module doc for reuse detection; a token
/// presented again within [`REFRESH_GRACE`] of its rotation, while its
/// successor is still unused, is answered with that same successor.
pub fn refresh(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    lifetimes: Lifetimes,
    presented: &str,
) -> Result<DeviceLogin, SignInError> {
    let invalid = || SignInError::InvalidRefreshToken;
    let token = refresh_tokens::find_by_hash(conn, &tokens::hash_refresh_token(presented))?.ok_or_else(invalid)?;
    let device = devices::find_by_id(conn, token.device_id)?.ok_or_else(invalid)?;
    if device.revoked_at.is_some() {
        return Err(SignInError::DeviceRevoked);
    }
    if token.revoked_at.is_some() {
        return Err(invalid());
    }
    if token.used_at.is_some() {
        return replayed(conn, keys, &token, &device, presented);
    }
    if token.expires_at < Timestamp::now() {
        return Err(SignInError::RefreshTokenExpired);
    }
    let person = active_person(conn, &device, &token)?;

    let successor = keys.successor_refresh_token(presented);
    let rotated = db::write_transaction(conn, |conn| {
        // The conditional update comes first: it takes the write lock at once and
        // only one of two racing refreshes can win it.
        if refresh_tokens::update_used(conn, &token.id, Timestamp::now())? == 0 {
            return Ok(None);
        }
        issue_pair(conn, keys, lifetimes, &person, &device, &token.family_id, successor.clone()).map(Some)
    })?;
    match rotated {
        Some(tokens) => Ok(DeviceLogin { person, device, tokens }),
        // A racing refresh of the same token won: answered like a quick replay.
        None => replayed(conn, keys, &token, &device, presented),
    }
}

fn active_person(conn: &mut DbConnection, device: &Device, token: &RefreshToken) -> Result<Person, SignInError> {
    people::find_by_id(conn, device.org_id, token.person_id)?
        .filter(Person::is_active)
        .ok_or(SignInError::AccountDeactivated)
}

/// A used refresh token presented again: within the grace window, with its
/// successor unused, the same successor (and a fresh access token); otherwise
/// reuse, which ends the family.
fn replayed(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    token: &RefreshToken,
    device: &Device,
    presented: &str,
) -> Result<DeviceLogin, SignInError> {
    // Read again: a racing refresh may have used it a moment ago.
    let used_at = refresh_tokens::find_by_hash(conn, &token.token_hash)?
        .filter(|current| current.revoked_at.is_none())
        .and_then(|current| current.used_at);
    let in_grace = used_at.is_some_and(|used_at| used_at + REFRESH_GRACE >= Timestamp::now());
    if in_grace {
        let successor = keys.successor_refresh_token(presented);
        let next = refresh_tokens::find_by_hash(conn, &tokens::hash_refresh_token(&successor))?;
        let unused = next.is_some_and(|next| {
            next.family_id == token.family_id && next.used_at.is_none() && next.revoked_at.is_none()
        });
        if unused {
            let person = active_person(conn, device, token)?;
            let access_token = issue_access(keys, &person, device)?;
            let tokens = TokenPair { access_token, refresh_token: successor, expires_in: keys.access_ttl().as_secs() };
            return Ok(DeviceLogin { person, device: device.clone(), tokens });
        }
    }
    Err(revoke_family_for_reuse(conn, token, device))
}

/// Revokes every refresh token of the device and ends its access tokens.
pub fn logout(conn: &mut DbConnection, device: &Device, actor: &Actor) -> Result<(), DomainError> {
    db::write_transaction(conn, |conn| {
        refresh_tokens::update_revoked_by_device(conn, device.id, Timestamp::now())?;
        devices::update_next_epoch(conn, device.id)?;
        record_audit(conn, device.org_id, actor, "logout", AuditObject::new("device", device.id), serde_json::json!({}))
    })
}

/// Revokes the family and ends the device's access tokens at once (a copy of a
/// refresh token may have minted one), committed whatever the caller then
/// answers; returns the error to answer with.
fn revoke_family_for_reuse(conn: &mut DbConnection, token: &RefreshToken, device: &Device) -> SignInError {
    let result = db::write_transaction(conn, |conn| {
        refresh_tokens::update_revoked_by_family(conn, &token.family_id, Timestamp::now())?;
        devices::update_next_epoch(conn, device.id)?;
        record_audit(
            conn,
            device.org_id,
            &Actor { person_id: Some(token.person_id), device_id: Some(device.id), roles: Default::default() },
            "refresh_token.reused",
            AuditObject::new("device", device.id),
            serde_json::json!({ "family_id": token.family_id }),
        )
    });
    match result {
        Ok(()) => SignInError::RefreshTokenReused,
        Err(error) => error.into(),
    }
}

fn issue_pair(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    lifetimes: Lifetimes,
    person: &Person,
    device: &Device,
    family_id: &str,
    refresh_token: String,
) -> Result<TokenPair, SignInError> {
    let issued = Timestamp::now();
    refresh_tokens::insert(
        conn,
        &RefreshToken {
            id: db::new_id(),
            family_id: family_id.to_owned(),
            device_id: device.id,
            person_id: person.id,
            token_hash: tokens::hash_refresh_token(&refresh_token),
            issued_at: issued,
            expires_at: issued + lifetimes.refresh,
            used_at: None,
            revoked_at: None,
        },
    )?;
    let access_token = issue_access(keys, person, device)?;
    Ok(TokenPair { access_token, refresh_token, expires_in: keys.access_ttl().as_secs() })
}

fn issue_access(keys: &JwtKeys, person: &Person, device: &Device) -> Result<String, TokenError> {
    keys.issue(AccessSubject {
        person_id: person.id,
        org_id: person.org_id,
        roles: person.roles().to_list(),
        device_id: device.id,
        actor_id: &device.actor_id,
        sign_in_epoch: device.sign_in_epoch,
    })
}
