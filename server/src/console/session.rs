//! Console sign-in sessions and CSRF protection.
//!
//! Signing in checks the password with the same verification (argon2) and the
//! same failed-login throttling as `/v1/auth/login`, then stores a session row and
//! sets a cookie holding a random 256-bit token. The row is keyed by the token's
//! SHA-256, so the table cannot be replayed as cookies. The cookie is `HttpOnly`,
//! `SameSite=Strict`, limited to `/console`, and `Secure` whenever the request
//! arrived over TLS (directly or, per `X-Forwarded-Proto`/`Forwarded`, through a
//! proxy).
//!
//! A session lives [`IDLE`] after its last use and never more than [`ABSOLUTE`]
//! after sign-in; signing out revokes it at once. Every request re-reads the
//! person, so deactivating someone or withdrawing their coordinator role takes
//! effect on their next click.
//!
//! Each session has its own CSRF token, rendered into every form as a hidden
//! field and compared (in constant time) on every POST. The sign-in form, which
//! has no session yet, uses a double-submit token: a short-lived cookie and the
//! same value in the form.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

use super::error::ConsoleError;
use super::store::{self, ConsoleSession};
use crate::auth::session::{Verified, verify};
use crate::auth::tokens::fill_random;
use crate::db::people::{self, Person};
use crate::db::{self, Db, DbConnection};
use crate::domain::{Actor, AuditObject, Email, Roles, record_audit};
use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie.
pub const COOKIE: &str = "alongside_console";
/// The sign-in form's double-submit CSRF cookie.
pub const SIGN_IN_COOKIE: &str = "alongside_console_sign_in";
/// Both cookies are sent only to the console.
pub const COOKIE_PATH: &str = "/console";

/// A session ends this long after its last use...
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
    pub person_id: String,
    pub org_id: String,
    pub display_name: String,
    pub roles: Roles,
    /// The session row's id (the token's hash).
    pub session_id: String,
    /// Rendered into every form.
    pub csrf_token: String,
}

impl ConsoleUser {
    /// The console acts as the person, on no device.
    pub fn actor(&self) -> Actor {
        Actor { person_id: Some(self.person_id.clone()), device_id: None }
    }

    /// Refuses a form that does not carry this session's CSRF token.
    pub fn check_csrf(&self, presented: &str) -> Result<(), ConsoleError> {
        if same_secret(presented, &self.csrf_token) { Ok(()) } else { Err(ConsoleError::Csrf) }
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
            state.db.run(move |conn| Ok(confirm(conn, &id))).await?
        })
    }
}

/// Checks a session and its person; slides the expiry when due.
fn confirm(conn: &mut DbConnection, id: &str) -> Result<ConsoleUser, ConsoleError> {
    let session = store::find_by_id(conn, id)?.ok_or(ConsoleError::SignInRequired)?;
    let now = OffsetDateTime::now_utc();
    let now_text = db::timestamp(now);
    if session.revoked_at.is_some() || session.expires_at <= now_text {
        return Err(ConsoleError::SignInRequired);
    }
    let person = people::find_by_id(conn, &session.org_id, &session.person_id)?
        .filter(Person::is_active)
        .ok_or(ConsoleError::SignInRequired)?;
    if !person.roles().manages_org() {
        return Err(not_allowed());
    }
    if session.last_seen_at < db::timestamp(now - TOUCH_EVERY) {
        store::update_seen(conn, &session.id, &now_text, &sliding_expiry(&session, now))?;
    }
    Ok(ConsoleUser {
        roles: person.roles(),
        person_id: person.id,
        org_id: person.org_id,
        display_name: person.display_name,
        session_id: session.id,
        csrf_token: session.csrf_token,
    })
}

fn sliding_expiry(session: &ConsoleSession, now: OffsetDateTime) -> String {
    let idle = now + IDLE;
    let expiry = match parse_timestamp(&session.created_at) {
        Some(created) => idle.min(created + ABSOLUTE),
        // Unreadable creation time: do not extend.
        None => return session.expires_at.clone(),
    };
    db::timestamp(expiry)
}

/// The refusal for people who are neither coordinators nor admins.
pub fn not_allowed() -> ConsoleError {
    ConsoleError::Api(ApiError::forbidden(
        "the console is for programme coordinators and administrators; mentors and mentees use the Alongside app",
    ))
}

/// What a sign-in attempt came to.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: set this token as the cookie.
    Signed { token: String, person_id: String },
    /// Wrong email or password (deliberately not saying which).
    WrongCredentials,
    /// The password is right but the person may not use the console.
    NotAllowed,
}

/// Checks the credentials with the API's own verification (argon2 on the
/// hashing threads, no pooled connection held meanwhile) and, for a coordinator
/// or admin, opens a session.
pub async fn sign_in(db: &Db, email: &Email, password: String) -> Result<SignIn, ApiError> {
    let person = match verify(db, email, password).await? {
        Verified::Unknown => return Ok(SignIn::WrongCredentials),
        Verified::Wrong(person) => {
            db.run(move |conn| audit(conn, &person, "console.sign_in_failed")).await?;
            return Ok(SignIn::WrongCredentials);
        }
        Verified::Right(person) => person,
    };
    if !person.roles().manages_org() {
        db.run(move |conn| audit(conn, &person, "console.sign_in_refused")).await?;
        return Ok(SignIn::NotAllowed);
    }
    db.run(move |conn| open(conn, &person)).await
}

fn audit(conn: &mut DbConnection, person: &Person, action: &str) -> Result<(), ApiError> {
    let actor = Actor { person_id: Some(person.id.clone()), device_id: None };
    record_audit(
        conn,
        &person.org_id,
        &actor,
        action,
        AuditObject { kind: "person", id: &person.id },
        serde_json::json!({}),
    )
}

/// Stores a new session for a verified coordinator or admin.
fn open(conn: &mut DbConnection, person: &Person) -> Result<SignIn, ApiError> {
    let token = new_token();
    let now = OffsetDateTime::now_utc();
    let session = ConsoleSession {
        id: hash_token(&token),
        person_id: person.id.clone(),
        org_id: person.org_id.clone(),
        csrf_token: new_token(),
        created_at: db::timestamp(now),
        last_seen_at: db::timestamp(now),
        expires_at: db::timestamp(now + IDLE.min(ABSOLUTE)),
        revoked_at: None,
    };
    db::write_transaction(conn, |conn| {
        store::delete_finished_for_person(conn, &person.id, &session.created_at)?;
        store::insert(conn, &session)?;
        audit(conn, person, "console.signed_in")
    })?;
    Ok(SignIn::Signed { token, person_id: person.id.clone() })
}

/// Ends the session (idempotent).
pub fn sign_out(conn: &mut DbConnection, user: &ConsoleUser) -> Result<(), ApiError> {
    db::write_transaction(conn, |conn| {
        if store::update_revoked(conn, &user.session_id, &db::now())? > 0 {
            record_audit(
                conn,
                &user.org_id,
                &user.actor(),
                "console.signed_out",
                AuditObject { kind: "person", id: &user.person_id },
                serde_json::json!({}),
            )?;
        }
        Ok(())
    })
}

/// Whether this session is still usable (for long-lived responses such as the
/// event stream, which re-check it now and then).
pub fn is_live(conn: &mut DbConnection, session_id: &str) -> Result<bool, ApiError> {
    let now = db::now();
    Ok(store::find_by_id(conn, session_id)?.is_some_and(|s| s.revoked_at.is_none() && s.expires_at > now))
}

/// Whether the request reached us over TLS, directly or through a proxy that
/// says so. Only decides the `Secure` flag: a client that lies gets a cookie
/// its own browser will not send back over plain HTTP.
pub fn is_secure(req: &HttpRequest) -> bool {
    req.connection_info().scheme().eq_ignore_ascii_case("https")
}

/// The session cookie for `token`.
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    base_cookie(COOKIE, token.to_owned(), COOKIE_PATH, secure, ABSOLUTE)
}

/// A cookie that deletes the session cookie.
pub fn expired_session_cookie(secure: bool) -> Cookie<'static> {
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

/// Whether the sign-in form's hidden token matches its cookie.
pub fn sign_in_csrf_matches(req: &HttpRequest, presented: &str) -> bool {
    req.cookie(SIGN_IN_COOKIE)
        .is_some_and(|cookie| !cookie.value().is_empty() && same_secret(cookie.value(), presented))
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

/// Compares two secrets without stopping at the first difference, so timing does
/// not reveal how much of a guess was right.
fn same_secret(a: &str, b: &str) -> bool {
    // The length is not secret (tokens have one fixed length); the bytes are.
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

/// Parses the stored instant form `YYYY-MM-DDTHH:MM:SSZ`.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(text, format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
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

    #[test]
    fn stored_timestamps_round_trip() {
        let at = time::macros::datetime!(2026-03-14 09:30:05 UTC);
        assert_eq!(parse_timestamp(&db::timestamp(at)), Some(at));
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn sessions_slide_but_never_past_the_absolute_limit() {
        let created = time::macros::datetime!(2026-03-14 08:00:00 UTC);
        let session = ConsoleSession {
            id: "x".into(),
            person_id: "p".into(),
            org_id: "o".into(),
            csrf_token: "c".into(),
            created_at: db::timestamp(created),
            last_seen_at: db::timestamp(created),
            expires_at: db::timestamp(created + IDLE),
            revoked_at: None,
        };
        let early = created + Duration::from_secs(2 * 60 * 60);
        assert_eq!(sliding_expiry(&session, early), db::timestamp(early + IDLE));
        let late = created + ABSOLUTE - Duration::from_secs(60);
        assert_eq!(sliding_expiry(&session, late), db::timestamp(created + ABSOLUTE));
    }
}
