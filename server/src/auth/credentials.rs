//! Changing your own password and redeeming a reset code: the flows around
//! [`crate::domain::passwords`] that check a secret with argon2 (on the hashing
//! threads, no pooled connection held meanwhile) under the same throttling as
//! logins ([`super::rate_limit`]): the current password and reset codes can be
//! guessed at like a login.

use std::net::IpAddr;
use std::time::Duration;

use super::password;
use super::rate_limit::LoginLimiter;
use super::sign_in::MAX_ACCOUNTS_PER_EMAIL;
use crate::db::people::{self, Person};
use crate::db::{Db, DbError};
use crate::domain::passwords::{self, Keep};
use crate::domain::{Actor, DomainError, Email, NewPassword};
use crate::model::{OrgId, PersonId};

/// Why a password change or reset did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("too many attempts")]
    Throttled(Duration),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<DbError> for CredentialError {
    fn from(error: DbError) -> Self {
        Self::Domain(error.into())
    }
}

impl From<password::PasswordError> for CredentialError {
    fn from(error: password::PasswordError) -> Self {
        Self::Domain(error.into())
    }
}

/// Who is changing their password, and from where.
#[derive(Debug, Clone)]
pub struct Changer {
    pub person_id: PersonId,
    pub org_id: OrgId,
    /// The sign-in that stays signed in.
    pub keep: Keep,
    pub address: Option<IpAddr>,
}

/// Changes the caller's own password after checking the current one. Their
/// other sign-ins end.
pub async fn change_own(
    db: &Db,
    limiter: &LoginLimiter,
    changer: Changer,
    old_password: String,
    new_password: String,
) -> Result<(), CredentialError> {
    let Changer { person_id, org_id, keep, address } = changer;
    let person = db
        .run(move |conn| Ok::<_, DomainError>(people::find_by_id(conn, org_id, person_id)?))
        .await?
        .ok_or_else(|| DomainError::not_found("person"))?;
    let attempt = limiter.reserve(&person.email, address).map_err(CredentialError::Throttled)?;
    if !password::check(old_password.clone(), Some(person.password_hash.clone())).await {
        return Err(DomainError::invalid("wrong_password", "the current password is not correct").into());
    }
    limiter.succeeded(attempt);
    if old_password == new_password {
        return Err(DomainError::invalid("weak_password", "the new password must differ from the current one").into());
    }
    NewPassword::parse(&new_password, &about(&person))?;
    let hash = password::hash_async(new_password).await?;
    db.run(move |conn| {
        crate::db::write_transaction(conn, |conn| {
            passwords::replace_password(conn, &person, &Actor::person(&person, None), &hash, &keep, "password.changed")
        })
    })
    .await?;
    Ok(())
}

/// Sets a new password with a one-time reset code. A wrong code and an email
/// without an account are answered alike, and both count as failed attempts.
pub async fn redeem_reset(
    db: &Db,
    limiter: &LoginLimiter,
    address: Option<IpAddr>,
    email: &Email,
    code: String,
    new_password: String,
) -> Result<(), CredentialError> {
    let attempt = limiter.reserve(email.as_str(), address).map_err(CredentialError::Throttled)?;
    let account = email.as_str().to_owned();
    let found = db
        .run(move |conn| {
            // An email may have an account in several organisations: the code
            // says whose (each is 80 random bits, kept per person).
            let candidates = people::find_all_by_email(conn, &account, 100)?;
            for person in candidates.into_iter().filter(Person::is_active).take(MAX_ACCOUNTS_PER_EMAIL) {
                if let Some(reset) = passwords::find_redeemable(conn, &person, &code)? {
                    return Ok::<_, DomainError>(Some((person, reset)));
                }
            }
            Ok(None)
        })
        .await?;
    let (person, reset) = found.ok_or_else(passwords::invalid_reset_code)?;
    limiter.succeeded(attempt);
    // Checked after the code, so a weak choice does not use the code up.
    NewPassword::parse(&new_password, &about(&person))?;
    let hash = password::hash_async(new_password).await?;
    db.run(move |conn| passwords::redeem_reset(conn, &person, &reset, &hash)).await?;
    Ok(())
}

fn about(person: &Person) -> [&str; 2] {
    [person.email.as_str(), person.display_name.as_str()]
}
