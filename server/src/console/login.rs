//! Console logins: a browser signed in to the console by cookie. ("Session" is
//! the mentoring session; the rows live in the `console_sessions` table for
//! history's sake.)
//!
//! Signing in checks the password with the same verification (argon2) and the
//! same failed-login throttling as `/v1/auth/login`, then stores a login row and
//! sets a cookie holding a random 256-bit token. The row is keyed by the token's
//! SHA-256, so the table cannot be replayed as cookies. The cookie is `HttpOnly`,
//! `SameSite=Strict`, limited to `/console`, and `Secure` whenever the request
//! arrived over TLS (directly or, per `X-Forwarded-Proto`/`Forwarded`, through a
//! proxy).
//!
//! A login lives [`IDLE`] after its last use and never more than [`ABSOLUTE`]
//! after sign-in; signing out revokes it at once. Every request re-reads the
//! person, so deactivating someone or withdrawing their coordinator role takes
//! effect on their next click.
//!
//! Each login has its own CSRF token, rendered into every form as a hidden
//! field and checked by [`super::csrf`] on every POST. The sign-in form, which
//! has no login yet, uses a double-submit token: a short-lived cookie and the
//! same value in the form.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use sha2::{Digest, Sha256};

use super::error::ConsoleError;
use super::store::{self, ConsoleLogin};
use crate::auth::sign_in::{Verified, verify};
use crate::auth::tokens::fill_random;
use crate::db::people::{self, Person};
use crate::db::{self, Db, DbConnection, DbError};
use crate::domain::{Actor, AuditObject, DomainError, Email, Roles, permissions, record_audit};
use crate::error::ApiError;
use crate::model::{OrgId, PersonId, Timestamp};
use crate::state::AppState;

/// The login cookie.
pub const COOKIE: &str = "alongside_console";
/// The sign-in form's double-submit CSRF cookie.
pub const SIGN_IN_COOKIE: &str = "alongside_console_sign_in";
/// Both cookies are sent only to the console.
pub const COOKIE_PATH: &str = "/console";

/// A login ends this long after its last use...
pub const IDLE: Duration = Duration::from_secs(60 * 60);
/// ...and at the latest this long after sign-in: a working day.
pub const ABSOLUTE: Duration = Duration::from_secs(10 * 60 * 60);
/// Activity is written at most this often.
const TOUCH_EVERY: Duration = Duration::from_secs(5 * 60);
/// How long a sign-in form stays usable.
const SIGN_IN_FORM_TTL: Duration = Duration::from_secs(60 * 60);

/// A coordinator or admin signed in to the console.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub display_name: String,
    pub roles: Roles,
    /// The login row's id (the token's hash).
    pub login_id: String,
    /// Rendered into every form.
    pub csrf_token: String,
}

impl ConsoleUser {
    /// The console acts as the person, on no device.
    pub fn actor(&self) -> Actor {
        Actor { person_id: Some(self.person_id), device_id: None, roles: self.roles }
    }
}

impl FromRequest for ConsoleUser {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(COOKIE).map(|cookie| cookie.value().to_owned());
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ConsoleError::Api(ApiError::internal("application state is not registered")))?;
            let token = token.filter(|t| !t.is_empty()).ok_or(ConsoleError::SignInRequired)?;
            let id = hash_token(&token);
            state.db.run(move |conn| confirm(conn, &id)).await
        })
    }
}

/// Checks a login and its person; slides the expiry when due.
fn confirm(conn: &mut DbConnection, id: &str) -> Result<ConsoleUser, ConsoleError> {
    let login = store::find_by_id(conn, id)?.ok_or(ConsoleError::SignInRequired)?;
    let now = Timestamp::now();
    if login.revoked_at.is_some() || login.expires_at <= now {
        return Err(ConsoleError::SignInRequired);
    }
    let person = people::find_by_id(conn, login.org_id, login.person_id)?
        .filter(Person::is_active)
        .ok_or(ConsoleError::SignInRequired)?;
    permissions::use_console(person.roles())?;
    if login.last_seen_at < now - TOUCH_EVERY {
        store::update_seen(conn, &login.id, now, sliding_expiry(&login, now))?;
    }
    Ok(ConsoleUser {
        roles: person.roles(),
        person_id: person.id,
        org_id: person.org_id,
        display_name: person.display_name,
        login_id: login.id,
        csrf_token: login.csrf_token,
    })
}

fn sliding_expiry(login: &ConsoleLogin, now: Timestamp) -> Timestamp {
    (now + IDLE).min(login.created_at + ABSOLUTE)
}

/// The refusal for people who are neither coordinators nor admins.
pub fn not_allowed() -> ConsoleError {
    match permissions::use_console(Roles::default()) {
        Err(refusal) => refusal.into(),
        Ok(()) => ConsoleError::SignInRequired,
    }
}

/// What a sign-in attempt came to.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: set this token as the cookie.
    Signed { token: String, person_id: PersonId },
    /// Wrong email or password (deliberately not saying which).
    WrongCredentials,
    /// The password is right but the person may not use the console.
    NotAllowed,
    /// The password fits console accounts in several organisations: choose one
    /// (id and name of each).
    ChooseOrganisation(Vec<(OrgId, String)>),
}

/// Checks the credentials with the API's own verification (argon2 on the
/// hashing threads, no pooled connection held meanwhile) and, for a coordinator
/// or admin, opens a login.
/// An email with accounts in several organisations signs in to the one asked
/// for (`org_id`), or to the only one of those the password fits that may use
/// the console.
pub async fn sign_in(db: &Db, email: &Email, password: String, org_id: Option<OrgId>) -> Result<SignIn, ApiError> {
    let person = match verify(db, email, password, org_id).await? {
        Verified::Failed { wrong } => {
            if !wrong.is_empty() {
                db.run(move |conn| wrong.iter().try_for_each(|person| audit(conn, person, "console.sign_in_failed")))
                    .await?;
            }
            return Ok(SignIn::WrongCredentials);
        }
        Verified::Right(person) => person,
        Verified::Several(people) => {
            let mut allowed: Vec<Person> =
                people.into_iter().filter(|person| permissions::use_console(person.roles()).is_ok()).collect();
            match allowed.len() {
                0 => return Ok(SignIn::NotAllowed),
                1 => allowed.remove(0),
                _ => {
                    let choices = db
                        .run(move |conn| {
                            allowed
                                .iter()
                                .map(|person| {
                                    let org = crate::db::organisations::find_by_id(conn, person.org_id)?
                                        .ok_or(DomainError::not_found("organisation"))?;
                                    Ok((org.id, org.name))
                                })
                                .collect::<Result<Vec<_>, DomainError>>()
                        })
                        .await?;
                    return Ok(SignIn::ChooseOrganisation(choices));
                }
            }
        }
    };
    if permissions::use_console(person.roles()).is_err() {
        db.run(move |conn| audit(conn, &person, "console.sign_in_refused")).await?;
        return Ok(SignIn::NotAllowed);
    }
    Ok(db.run(move |conn| open(conn, &person)).await?)
}

fn audit(conn: &mut DbConnection, person: &Person, action: &str) -> Result<(), DomainError> {
    record_audit(
        conn,
        person.org_id,
        &Actor::person(person, None),
        action,
        AuditObject::new("person", person.id),
        serde_json::json!({}),
    )
}

/// Stores a new login for a verified coordinator or admin.
fn open(conn: &mut DbConnection, person: &Person) -> Result<SignIn, DomainError> {
    let token = new_token();
    let now = Timestamp::now();
    let login = ConsoleLogin {
        id: hash_token(&token),
        person_id: person.id,
        org_id: person.org_id,
        csrf_token: new_token(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + IDLE.min(ABSOLUTE),
        revoked_at: None,
    };
    db::write_transaction(conn, |conn| {
        store::delete_finished_for_person(conn, person.id, login.created_at)?;
        store::insert(conn, &login)?;
        audit(conn, person, "console.signed_in")
    })?;
    Ok(SignIn::Signed { token, person_id: person.id })
}

/// Ends the login (idempotent).
pub fn sign_out(conn: &mut DbConnection, user: &ConsoleUser) -> Result<(), DomainError> {
    db::write_transaction(conn, |conn| {
        if store::update_revoked(conn, &user.login_id, Timestamp::now())? > 0 {
            record_audit(
                conn,
                user.org_id,
                &user.actor(),
                "console.signed_out",
                AuditObject::new("person", user.person_id),
                serde_json::json!({}),
            )?;
        }
        Ok(())
    })
}

/// Whether this login is still usable (for long-lived responses such as the
/// event stream, which re-check it now and then).
pub fn is_live(conn: &mut DbConnection, login_id: &str) -> Result<bool, DbError> {
    let now = Timestamp::now();
    Ok(store::find_by_id(conn, login_id)?.is_some_and(|s| s.revoked_at.is_none() && s.expires_at > now))
}

/// Whether the request reached us over TLS, directly or through a proxy that
/// says so. Only decides the `Secure` flag: a client that lies gets a cookie
/// its own browser will not send back over plain HTTP.
pub fn is_secure(req: &HttpRequest) -> bool {
    req.connection_info().scheme().eq_ignore_ascii_case("https")
}

/// The login cookie for `token`.
pub fn login_cookie(token: &str, secure: bool) -> Cookie<'static> {
    base_cookie(COOKIE, token.to_owned(), COOKIE_PATH, secure, ABSOLUTE)
}

/// A cookie that deletes the login cookie.
pub fn expired_login_cookie(secure: bool) -> Cookie<'static> {
    base_cookie(COOKIE, String::new(), COOKIE_PATH, secure, Duration::ZERO)
}

/// The sign-in form's CSRF cookie.
pub fn sign_in_cookie(token: &str, secure: bool) -> Cookie<'static> {
    base_cookie(SIGN_IN_COOKIE, token.to_owned(), COOKIE_PATH, secure, SIGN_IN_FORM_TTL)
}

fn base_cookie(name: &'static str, value: String, path: &'static str, secure: bool, ttl: Duration) -> Cookie<'static> {
    let seconds = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(seconds))
        .finish()
}

/// 32 random bytes as 64 hex characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    hex::encode(bytes)
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_timestamps_round_trip() {
        let at = time::macros::datetime!(2026-03-14 09:30:05 UTC);
        assert_eq!(Timestamp::from(at).to_string().parse::<Timestamp>().map(Timestamp::to_offset), Ok(at));
        assert!("yesterday".parse::<Timestamp>().is_err());
    }

    #[test]
    fn logins_slide_but_never_past_the_absolute_limit() {
        let created = Timestamp::from(time::macros::datetime!(2026-03-14 08:00:00 UTC));
        let login = ConsoleLogin {
            id: "x".into(),
            person_id: PersonId::new_random(),
            org_id: OrgId::new_random(),
            csrf_token: "c".into(),
            created_at: created,
            last_seen_at: created,
            expires_at: created + IDLE,
            revoked_at: None,
        };
        let early = created + Duration::from_secs(2 * 60 * 60);
        assert_eq!(sliding_expiry(&login, early), early + IDLE);
        let late = created + ABSOLUTE - Duration::from_secs(60);
        assert_eq!(sliding_expiry(&login, late), created + ABSOLUTE);
    }
}
