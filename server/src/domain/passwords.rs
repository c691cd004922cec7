//! The password policy, and what changing a password does to a person's
//! sign-ins; one-time reset codes.
//!
//! Policy (NIST SP 800-63B, section 3.1.1.2): at least [`MIN_LEN`] characters,
//! at most [`MAX_LEN`], any characters, no composition rules ("one digit, one
//! capital"), and no password that is common or easy to guess. Guessability is
//! zxcvbn's estimate (dictionaries of common passwords, names and words, keyboard
//! patterns, dates, repeats, l33t substitutions, and the person's own email and
//! name): a score below [`MIN_SCORE`] (fewer than about 10^10 guesses) is refused,
//! with zxcvbn's own warning and suggestions as the reason. The policy applies to
//! new passwords only: adding a person, changing and resetting a password;
//! existing accounts keep theirs.
//!
//! A changed password ends the person's *other* sign-ins: every refresh-token
//! family and access token of their other devices, and their other console
//! logins (the device or console login making the change stays signed in). A
//! reset ends all of them.

use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::permissions::{self, AccessChange};
use super::{Actor, AuditObject, DomainError, record_audit};
use crate::auth::tokens::fill_random;
use crate::db::password_resets::{self, PasswordReset};
use crate::db::people::{self, Person};
use crate::db::{self, DbConnection, devices, refresh_tokens};
use crate::model::{DeviceId, OrgId, PersonId, Timestamp};

/// Shortest accepted password, in characters.
pub const MIN_LEN: usize = 12;
/// Longest accepted password (NIST asks for at least 64).
pub const MAX_LEN: usize = 256;
/// Lowest accepted zxcvbn score (0 to 4; 3 is "safely unguessable").
pub const MIN_SCORE: u8 = 3;
/// How long a reset code may be redeemed.
pub const RESET_VALID_FOR: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Checks a new password against the policy; `about` holds what is known of
/// the person (their email, their name), which must not make up the password.
pub fn check_policy(password: &str, about: &[&str]) -> Result<(), DomainError> {
    let weak = |message: String| DomainError::invalid("weak_password", message);
    let length = password.chars().count();
    if length < MIN_LEN {
        return Err(weak(format!(
            "passwords must be at least {MIN_LEN} characters long; a few unrelated words make a good one"
        )));
    }
    if length > MAX_LEN {
        return Err(weak(format!("passwords can be at most {MAX_LEN} characters long")));
    }
    // The email's parts count too: "sam.osei@harbour.example" gives "sam", "osei", "harbour".
    let mut inputs: Vec<&str> = Vec::new();
    for item in about {
        inputs.push(item);
        inputs.extend(item.split(|c: char| !c.is_alphanumeric()).filter(|part| part.len() >= 3));
    }
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if u8::from(estimate.score()) >= MIN_SCORE {
        return Ok(());
    }
    let mut reason = String::from("this password is too easy to guess");
    if let Some(feedback) = estimate.feedback() {
        if let Some(warning) = feedback.warning() {
            reason.push_str(&format!(": {}", warning.to_string().trim_end_matches('.').to_lowercase()));
        }
        let suggestions: Vec<String> = feedback.suggestions().iter().map(ToString::to_string).collect();
        if !suggestions.is_empty() {
            reason.push_str(&format!(". {}", suggestions.join(" ")));
        }
    }
    Err(weak(reason))
}

/// Which of the person's sign-ins survive a password change.
#[derive(Debug, Clone)]
pub enum Keep {
    /// The phone making the change.
    Device(DeviceId),
    /// The console login making the change (its id).
    ConsoleLogin(String),
    /// None (a reset).
    Nothing,
}

/// Stores a new password hash for `person` and ends their other sign-ins (see
/// the module doc); `action` names the audit event.
pub fn replace_password(
    conn: &mut DbConnection,
    person: &Person,
    actor: &Actor,
    password_hash: &str,
    keep: &Keep,
    action: &str,
) -> Result<(), DomainError> {
    let now = Timestamp::now();
    let device = match keep {
        Keep::Device(id) => Some(*id),
        _ => None,
    };
    let login = match keep {
        Keep::ConsoleLogin(id) => Some(id.as_str()),
        _ => None,
    };
    people::update_password_hash(conn, person.id, password_hash)?;
    refresh_tokens::update_revoked_by_person(conn, person.id, device, now)?;
    devices::update_next_epoch_by_person(conn, person.id, device)?;
    people::update_console_logins_revoked(conn, person.id, login, now)?;
    password_resets::update_used_by_person(conn, person.id, now)?;
    record_audit(conn, person.org_id, actor, action, AuditObject::new("person", person.id), serde_json::json!({}))
}

/// A reset code as shown, once, to whoever issued it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedReset {
    /// Whose password it resets.
    #[schema(value_type = Uuid)]
    pub person_id: PersonId,
    /// The one-time code, e.g. `K7QM-2XPA-9WNC-4H0R`: give it to the person; it
    /// is not shown again.
    pub code: String,
    /// Until when it may be redeemed (24 hours).
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

/// Issues a one-time reset code for `person_id` (coordinators and admins; an
/// admin's only by an admin). Earlier unused codes of the person end.
pub fn issue_reset(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    person_id: PersonId,
) -> Result<IssuedReset, DomainError> {
    permissions::manage_organisation(actor.roles)?;
    let person = people::find_by_id(conn, org_id, person_id)?.ok_or_else(|| DomainError::not_found("person"))?;
    permissions::change_person(actor, &person, AccessChange::default())?;
    if !person.is_active() {
        return Err(DomainError::conflict("person_inactive", "this person is deactivated; reactivate them first"));
    }
    let code = new_reset_code();
    let now = Timestamp::now();
    let reset = PasswordReset {
        id: db::new_id(),
        org_id,
        person_id,
        code_hash: hash_reset_code(&code),
        issued_by: actor.person_id,
        created_at: now,
        expires_at: now + RESET_VALID_FOR,
        used_at: None,
    };
    db::write_transaction(conn, |conn| {
        password_resets::update_used_by_person(conn, person_id, now)?;
        password_resets::insert(conn, &reset)?;
        record_audit(
            conn,
            org_id,
            actor,
            "password.reset_issued",
            AuditObject::new("person", person_id),
            serde_json::json!({ "expires_at": reset.expires_at.to_string() }),
        )
    })?;
    Ok(IssuedReset { person_id, code, expires_at: reset.expires_at })
}

/// The person's redeemable reset matching `code`: unused and unexpired.
pub fn find_redeemable(
    conn: &mut DbConnection,
    person: &Person,
    code: &str,
) -> Result<Option<PasswordReset>, DomainError> {
    let found = password_resets::find_unused(conn, person.id, &hash_reset_code(code))?;
    Ok(found.filter(|reset| reset.expires_at > Timestamp::now()))
}

/// Redeems `reset` (once: a second redemption finds it used) and sets the new
/// password, ending every sign-in of the person.
pub fn redeem_reset(
    conn: &mut DbConnection,
    person: &Person,
    reset: &PasswordReset,
    password_hash: &str,
) -> Result<(), DomainError> {
    db::write_transaction(conn, |conn| {
        if password_resets::update_used(conn, &reset.id, Timestamp::now())? == 0 {
            return Err(invalid_reset_code());
        }
        replace_password(conn, person, &Actor::person(person, None), password_hash, &Keep::Nothing, "password.reset")
    })
}

/// The answer to a wrong, used or expired code (deliberately not saying which,
/// nor whether the email has an account).
pub fn invalid_reset_code() -> DomainError {
    DomainError::invalid("invalid_reset_code", "this reset code is not valid: it may be mistyped, used or expired")
}

/// Crockford's base 32: digits and capitals without I, L, O and U; when a code
/// is typed, O is read as 0 and I or L as 1.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 16 characters of 5 random bits each (80 bits), in groups of four.
fn new_reset_code() -> String {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes);
    let chars: Vec<char> = bytes.iter().map(|b| char::from(CODE_ALPHABET[usize::from(b % 32)])).collect();
    chars.chunks(4).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Codes are compared as typed, ignoring case, spaces and dashes.
fn hash_reset_code(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<(), DomainError>) -> String {
        match result {
            Ok(()) => "ok".into(),
            Err(DomainError::Invalid { code, message }) => format!("{code}: {message}"),
            Err(other) => other.to_string(),
        }
    }

    #[test]
    fn short_common_and_personal_passwords_are_refused_with_a_reason() {
        assert!(code(check_policy("short", &[])).contains("at least 12 characters"));
        assert!(code(check_policy("password1234", &[])).starts_with("weak_password: this password is too easy"));
        assert!(code(check_policy("qwertyuiop123", &[])).starts_with("weak_password"));
        let about = ["sam.osei@harbour.example", "Sam Osei"];
        assert!(code(check_policy("samoseisamosei", &about)).starts_with("weak_password"), "built from the email");
        assert!(code(check_policy(&"x".repeat(MAX_LEN + 1), &[])).contains("at most"));
    }

    #[test]
    fn long_unusual_passphrases_pass_without_composition_rules() {
        assert_eq!(code(check_policy("correct horse battery staple", &[])), "ok");
        assert_eq!(code(check_policy("kettle lantern orchard drizzle", &[])), "ok");
        assert_eq!(code(check_policy("ĉiuj ŝafoj manĝas herbon ĉe la lago", &[])), "ok", "any characters");
    }

    #[test]
    fn reset_codes_are_readable_and_compared_loosely() {
        let code = new_reset_code();
        assert_eq!(code.len(), 19);
        assert!(code.chars().all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8))));
        assert_eq!(hash_reset_code(&code), hash_reset_code(&code.replace('-', " ").to_lowercase()));
        assert_eq!(hash_reset_code("0O1I-L"), hash_reset_code("00111"));
        assert_ne!(new_reset_code(), code);
    }
}
