//! The small files beside the stores (`accounts.json`, `current-account`): read
//! and written whole and atomically, sealed with the app's key when there is one.
//!
//! With a key, a file still plain (written before encryption) is read as it is
//! and sealed at start-up, like the stores ([`Client::encrypt_plain_files`]).
//! Without a key, a sealed file is a `Storage` error: the folder is encrypted and
//! the app must pass its key.

use std::path::Path as FsPath;

use super::{Client, ClientError};
use crate::ids::UserId;
use crate::store::{Store, is_sealed};

/// Which person's store an email signed in to, so signing in again can keep the
/// device (and its actor): `{"email": "user id"}`.
pub(super) const ACCOUNTS_FILE: &str = "accounts.json";
/// The user id of the person signed in, whose store the app reopens at start.
pub(super) const CURRENT_ACCOUNT_FILE: &str = "current-account";
const SMALL_FILES: [&str; 2] = [ACCOUNTS_FILE, CURRENT_ACCOUNT_FILE];
/// How a person's store is named in the data folder: `<user id>.sqlite3`.
pub(super) const STORE_SUFFIX: &str = ".sqlite3";

fn storage(message: impl std::fmt::Display) -> ClientError {
    ClientError::Storage { message: message.to_string() }
}

impl Client {
    /// A small file's contents (opened with the key when sealed); `None` when it
    /// does not exist.
    pub(super) fn read_small_file(&self, name: &str) -> Result<Option<Vec<u8>>, ClientError> {
        let bytes = match std::fs::read(self.data_dir.join(name)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(storage(format_args!("{name}: {e}"))),
        };
        if !is_sealed(&bytes) {
            return Ok(Some(bytes));
        }
        match &self.key {
            Some(key) => key
                .unseal(name, &bytes)
                .map(|plain| Some(plain.to_vec()))
                .map_err(|e| storage(format_args!("{name}: {e}"))),
            None => Err(storage(format_args!("{name} is encrypted: open the data folder with the app's key"))),
        }
    }

    /// Replace a small file atomically, sealed when the client has a key.
    pub(super) fn write_small_file(&self, name: &str, contents: &[u8]) -> Result<(), ClientError> {
        let path = self.data_dir.join(name);
        let written = match &self.key {
            Some(key) => write_atomically(&path, &key.seal(name, contents)),
            None => write_atomically(&path, contents),
        };
        written.map_err(|e| storage(format_args!("{name}: {e}")))
    }

    /// With a key: check it opens the small files already sealed (else a
    /// `Storage` error, before anything is written), then seal the plain ones and
    /// encrypt every plain store in the folder. Each step replaces one file
    /// atomically, so a kill at any point leaves each file whole, plain or
    /// encrypted, and the next start finishes the job.
    pub(super) fn encrypt_plain_files(&self) -> Result<(), ClientError> {
        let Some(key) = &self.key else { return Ok(()) };
        let mut plain = Vec::new();
        for name in SMALL_FILES {
            match std::fs::read(self.data_dir.join(name)) {
                Ok(bytes) if is_sealed(&bytes) => {
                    key.unseal(name, &bytes).map_err(|e| storage(format_args!("{name}: {e}")))?;
                }
                Ok(bytes) => plain.push((name, bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(storage(format_args!("{name}: {e}"))),
            }
        }
        for (name, bytes) in plain {
            write_atomically(&self.data_dir.join(name), &key.seal(name, &bytes))
                .map_err(|e| storage(format_args!("{name}: {e}")))?;
            tracing::info!(file = name, "sealed a file an older version wrote in plain");
        }
        let entries = std::fs::read_dir(&self.data_dir).map_err(storage)?;
        for entry in entries.flatten() {
            let path = entry.path();
            let is_store = path
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_suffix(STORE_SUFFIX))
                .is_some_and(|user| user.parse::<UserId>().is_ok());
            if !is_store {
                continue;
            }
            // A store that cannot be encrypted now (damaged, say) is left as it
            // is; opening it reports why.
            match Store::encrypt_if_plain(&path, key) {
                Ok(true) => tracing::info!("encrypted a store an older version wrote in plain"),
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "could not encrypt a plain store"),
            }
        }
        Ok(())
    }
}

/// Replace `path` with `bytes` so that a crash leaves either the old file or the
/// new one, never a torn one: write a temporary file beside it, make it durable,
/// rename it over, and make the rename durable.
fn write_atomically(path: &FsPath, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)?;
    if let Some(folder) = path.parent() {
        // Directory fsync is not available everywhere (Windows); the rename has happened either way.
        if let Ok(folder) = std::fs::File::open(folder) {
            let _ = folder.sync_all();
        }
    }
    Ok(())
}
