//! Access tokens (short-lived HS256 JWTs), refresh tokens (opaque, stored only as
//! sha256) and server-issued Automerge actor ids.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand_core::{OsRng, RngCore};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{DeviceId, OrgId, PersonId, Role};

const ISSUER: &str = "alongside";
/// HS256 wants at least as many key bytes as the hash output.
const MIN_SECRET_LEN: usize = 32;
const SECRET_FILE: &str = "jwt-secret";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Person id.
    pub sub: PersonId,
    /// Organisation id.
    pub org: OrgId,
    /// Roles at the time of issue (the server re-reads them from the database).
    pub roles: Vec<Role>,
    /// Device id.
    pub did: DeviceId,
    /// The device's Automerge actor id.
    pub actor: String,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    /// The device's sign-in epoch at issue; a sign-out moves the device on, which
    /// ends this token before it expires.
    #[serde(default)]
    pub ep: i32,
}

/// Signing and verification keys plus the pinned validation rules.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
    /// Derives a refresh token's successor (see [`JwtKeys::successor_refresh_token`]).
    successor_key: [u8; 32],
}

/// Why an access token could not be issued or was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid")]
    Invalid,
    #[error("the access token could not be signed")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the JWT secret must be at least {MIN_SECRET_LEN} bytes long")]
    TooShort,
    #[error("cannot read or create the JWT secret file {path}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Result<Self, SecretError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(SecretError::TooShort);
        }
        // Pinning the algorithm list is what refuses `alg: none` and any attempt
        // to switch algorithms.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
        validation.leeway = 5;
        validation.validate_exp = true;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            successor_key: Sha256::new()
                .chain_update(b"alongside refresh successor\0")
                .chain_update(secret)
                .finalize()
                .into(),
        })
    }

    /// Uses the configured secret, or the one stored under `data_dir`, creating
    /// it (mode 0600) on first run.
    pub fn load(configured: Option<&SecretString>, data_dir: &Path, access_ttl: Duration) -> Result<Self, SecretError> {
        match configured {
            Some(secret) => Self::new(secret.expose_secret().as_bytes(), access_ttl),
            None => {
                let secret = load_or_create_secret(data_dir)?;
                Self::new(secret.expose_secret().as_bytes(), access_ttl)
            }
        }
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    /// The refresh token that rotating `presented` issues. It is derived, not
    /// random, so a client whose refresh response was lost can be given the same
    /// token again within the grace window without the server keeping any token
    /// in the clear (the database holds only hashes). Nobody without the server's
    /// secret can compute it from the presented token.
    pub fn successor_refresh_token(&self, presented: &str) -> String {
        hex::encode(Sha256::new().chain_update(self.successor_key).chain_update(presented.as_bytes()).finalize())
    }

    /// Signs an access token for this person on this device.
    pub fn issue(&self, subject: AccessSubject<'_>) -> Result<String, TokenError> {
        let iat = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: subject.person_id,
            org: subject.org_id,
            roles: subject.roles,
            did: subject.device_id,
            actor: subject.actor_id.to_owned(),
            iss: ISSUER.to_owned(),
            iat,
            exp: iat + self.access_ttl.as_secs(),
            jti: uuid::Uuid::new_v4().to_string(),
            ep: subject.sign_in_epoch,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(TokenError::Sign)
    }

    /// Checks signature, algorithm, issuer and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(
            |error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            },
        )
    }
}

/// Who an access token is for.
#[derive(Debug, Clone)]
pub struct AccessSubject<'a> {
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub roles: Vec<Role>,
    pub device_id: DeviceId,
    pub actor_id: &'a str,
    pub sign_in_epoch: i32,
}

fn load_or_create_secret(data_dir: &Path) -> Result<SecretString, SecretError> {
    let path = data_dir.join(SECRET_FILE);
    let file_error = |source| SecretError::File { path: path.display().to_string(), source };
    std::fs::create_dir_all(data_dir).map_err(file_error)?;
    let mut bytes = [0u8; 48];
    fill_random(&mut bytes);
    let fresh = hex::encode(bytes);
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
        Ok(mut file) => {
            file.write_all(fresh.as_bytes()).map_err(file_error)?;
            file.sync_all().map_err(file_error)?;
            Ok(SecretString::from(fresh))
        }
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            let mut stored = String::new();
            std::fs::File::open(&path).and_then(|mut file| file.read_to_string(&mut stored)).map_err(file_error)?;
            Ok(SecretString::from(stored.trim().to_owned()))
        }
        Err(error) => Err(file_error(error)),
    }
}

/// Fills `bytes` from the operating system's generator.
pub fn fill_random(bytes: &mut [u8]) {
    OsRng.fill_bytes(bytes);
}

/// A fresh opaque refresh token: what the client keeps.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    hex::encode(bytes)
}

/// What the server keeps of a refresh token.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh Automerge actor id: 16 random bytes as 32 lowercase hex characters.
pub fn new_actor_id() -> String {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes);
    hex::encode(bytes)
}
