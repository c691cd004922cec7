//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes,
//! OWASP's recommended minimum).

use std::sync::LazyLock;

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand_core::OsRng;

use crate::error::ApiError;

/// Hashes a password into a PHC string (`$argon2id$v=19$...`).
pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ApiError::internal(error.to_string()))
}

/// Checks a password against a stored hash. A malformed stored hash never
/// matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the email is unknown, so
/// that an unknown email costs as much time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut bytes = [0u8; 32];
    crate::auth::tokens::fill_random(&mut bytes);
    hash(&hex::encode(bytes)).unwrap_or_default()
});

/// Spends the time of one verification without any account.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, &DUMMY_HASH);
}
