//! The app's key and what is derived from it: the SQLCipher key of the device
//! store and the key that seals the small files beside the stores
//! (`accounts.json`, `current-account`).
//!
//! The app passes 32 random bytes it keeps in the platform's key store (Android
//! Keystore, iOS Keychain). Nothing here stores the key: a data folder holds only
//! what it encrypts. Each use gets its own subkey (HKDF-SHA256 with a purpose
//! label), so the store's key and the files' key are independent, and a change
//! of cipher in one never touches the other.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Starts every sealed file, so a sealed file is never taken for a plain one (and
/// a plain file from an older version is recognised and sealed on first use).
const SEALED_MAGIC: &[u8; 8] = b"ALSEAL01";
const NONCE_LEN: usize = 24;

/// A 256-bit key for one data folder, passed by the app.
#[derive(Clone)]
pub struct StoreKey {
    bytes: Zeroizing<[u8; StoreKey::LEN]>,
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

/// The bytes given are not a 256-bit key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a store key must be exactly {} bytes, not {found}", StoreKey::LEN)]
pub struct InvalidKey {
    /// How many bytes were given.
    pub found: usize,
}

/// A sealed file that does not open with this key: another key sealed it, or
/// it was altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the file does not open with this key (a wrong key, or the file was altered)")]
pub struct WrongKey;

impl StoreKey {
    /// The key length in bytes.
    pub const LEN: usize = 32;

    /// A key from exactly [`StoreKey::LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, InvalidKey> {
        let array: [u8; Self::LEN] = bytes.try_into().map_err(|_| InvalidKey { found: bytes.len() })?;
        Ok(Self { bytes: Zeroizing::new(array) })
    }

    fn subkey(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        let info = format!("alongside/v1/{purpose}");
        let Ok(()) = Hkdf::<Sha256>::new(None, self.bytes.as_slice()).expand(info.as_bytes(), out.as_mut_slice())
        else {
            unreachable!("32 bytes are within HKDF-SHA256's output limit of 8160");
        };
        out
    }

    /// The store's SQLCipher key as SQLCipher's raw-key literal (`x'<64 hex>'`):
    /// a raw key skips SQLCipher's passphrase derivation, which the app's random
    /// key does not need, so opening costs no PBKDF2.
    pub(crate) fn sqlcipher_raw_key(&self) -> Zeroizing<String> {
        let key = self.subkey("sqlcipher");
        Zeroizing::new(format!("x'{}'", hex::encode(key.as_slice())))
    }

    fn file_cipher(&self) -> XChaCha20Poly1305 {
        let key = self.subkey("files");
        XChaCha20Poly1305::new(key.as_slice().into())
    }

    /// Seal a small file's contents. `name` (the file's name) is bound in as
    /// associated data, so one sealed file cannot stand in for another.
    pub(crate) fn seal(&self, name: &str, plaintext: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self.file_cipher().encrypt(&nonce, Payload { msg: plaintext, aad: name.as_bytes() });
        // Encryption fails only for messages beyond the cipher's limit (256 GiB).
        let sealed = sealed.unwrap_or_default();
        let mut out = Vec::with_capacity(SEALED_MAGIC.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(SEALED_MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Open what [`StoreKey::seal`] sealed under the same `name`.
    pub(crate) fn unseal(&self, name: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, WrongKey> {
        let body = sealed.strip_prefix(SEALED_MAGIC.as_slice()).ok_or(WrongKey)?;
        if body.len() < NONCE_LEN {
            return Err(WrongKey);
        }
        let (nonce, ciphertext) = body.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| WrongKey)?;
        self.file_cipher()
            .decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: name.as_bytes() })
            .map(Zeroizing::new)
            .map_err(|_| WrongKey)
    }
}

/// Whether `bytes` are a sealed file (else a plain one, as older versions wrote).
pub(crate) fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(SEALED_MAGIC)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_32_bytes_make_a_key() {
        assert_eq!(StoreKey::from_bytes(&[7; 31]).unwrap_err(), InvalidKey { found: 31 });
        assert_eq!(StoreKey::from_bytes(&[7; 33]).unwrap_err(), InvalidKey { found: 33 });
        assert!(StoreKey::from_bytes(&[7; 32]).is_ok());
    }

    #[test]
    fn sealed_files_open_with_their_key_and_name_only() {
        let key = StoreKey::from_bytes(&[1; 32]).unwrap();
        let other = StoreKey::from_bytes(&[2; 32]).unwrap();
        let sealed = key.seal("accounts.json", b"{\"ann@example.org\":\"id\"}");
        assert!(is_sealed(&sealed));
        assert!(!sealed.windows(3).any(|w| w == b"ann"), "the contents are not visible");
        assert_eq!(key.unseal("accounts.json", &sealed).unwrap().as_slice(), b"{\"ann@example.org\":\"id\"}");
        assert_eq!(other.unseal("accounts.json", &sealed), Err(WrongKey));
        assert_eq!(key.unseal("current-account", &sealed), Err(WrongKey));
        let mut altered = sealed.clone();
        if let Some(last) = altered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(key.unseal("accounts.json", &altered), Err(WrongKey));
        assert_ne!(key.seal("a", b"same"), key.seal("a", b"same"), "a fresh nonce each time");
    }

    #[test]
    fn the_store_key_and_the_file_key_differ_and_are_stable() {
        let key = StoreKey::from_bytes(&[3; 32]).unwrap();
        assert_eq!(key.sqlcipher_raw_key().as_str(), key.clone().sqlcipher_raw_key().as_str());
        assert_ne!(key.subkey("sqlcipher").as_slice(), key.subkey("files").as_slice());
        assert_eq!(key.sqlcipher_raw_key().len(), 67);
    }
}
