//! The client: a phone's view of Alongside, as a phone app uses it. Blocking I/O;
//! the mobile bindings run it off the UI thread.
//!
//! One job per module: [`transport`] speaks HTTP and turns failures into
//! [`ClientError`]s; [`account`] signs in and out, keeps the tokens and the
//! pairings; [`sync`] reconciles with the server; [`editing`] is the local
//! editing API.
//!
//! The signed-in state (account and replica) sits behind one mutex, so a
//! [`Client`] can be shared between threads, and that mutex is never held across
//! the network: a sync builds its request under the lock, sends it without, and
//! re-locks to apply the reply, so an edit made while a sync waits on a slow
//! network does not wait for it. Two more mutexes keep one sync and one token
//! refresh at a time.

use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::replica::Replica;
use crate::store::StoreKey;

mod account;
mod concerns;
mod editing;
mod error;
mod files;
mod reminders;
mod scheme;
mod surveys;
mod sync;
mod transport;

pub use account::{Account, Mentorship, SignOut};
pub use concerns::Concern;
pub use editing::{OpenAction, Rejection};
pub use error::ClientError;
pub use reminders::Reminder;
pub use scheme::{Agreement, Group};
pub use surveys::DueSurvey;
pub use sync::{SyncProgress, SyncReport};

use transport::Transport;

/// A phone's view of Alongside.
pub struct Client {
    data_dir: PathBuf,
    /// The app's key: the stores are SQLCipher files under it and the small files
    /// beside them are sealed. `None`: everything plain, as before encryption.
    key: Option<StoreKey>,
    transport: Transport,
    signed_in: Mutex<Option<SignedIn>>,
    /// Held for a whole sync, so two syncs never interleave their requests and
    /// replies (the second waits, then usually needs one quick round trip).
    syncing: Mutex<()>,
    /// Held for a token refresh: each refresh token works once, and presenting a
    /// used one revokes the whole family, so two threads must not both refresh.
    refreshing: Mutex<()>,
    /// Numbers each sign-in, so work begun for one sign-in (a sync in flight) is
    /// never applied to the next.
    sign_ins: AtomicU64,
    /// When the reminders were last fetched by this client (sign-in or sync):
    /// a sync that moved nothing fetches them again only after
    /// `reminders::REFETCH_AFTER`.
    reminders_fetched: Mutex<Option<std::time::Instant>>,
}

/// The signed-in person's state on this device.
struct SignedIn {
    /// Which sign-in this is ([`Client::sign_ins`]).
    serial: u64,
    account: Account,
    replica: Replica,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("data_dir", &self.data_dir).field("transport", &self.transport).finish()
    }
}

impl Client {
    /// A client keeping its data under `data_dir`, unencrypted, talking to
    /// `server_url`. Opens the account that was signed in last, if any, so the
    /// app works offline. See [`Client::with_key`].
    pub fn new(data_dir: &FsPath, server_url: &str) -> Result<Self, ClientError> {
        Self::with_key(data_dir, server_url, None)
    }

    /// A client as [`Client::new`], with everything under `data_dir` encrypted
    /// with `key` when one is given (the app keeps it in the Android Keystore or
    /// the iOS Keychain): the stores, their logs, the accounts index and the
    /// current-account file. What an older version left plain is encrypted now,
    /// each file replaced atomically. A key that does not open the folder is a
    /// [`ClientError::Storage`] error, and nothing on disk is changed.
    pub fn with_key(data_dir: &FsPath, server_url: &str, key: Option<StoreKey>) -> Result<Self, ClientError> {
        std::fs::create_dir_all(data_dir).map_err(|e| ClientError::Storage { message: e.to_string() })?;
        let client = Self {
            data_dir: data_dir.to_owned(),
            key,
            transport: Transport::new(server_url),
            signed_in: Mutex::new(None),
            syncing: Mutex::new(()),
            refreshing: Mutex::new(()),
            sign_ins: AtomicU64::new(0),
            reminders_fetched: Mutex::new(None),
        };
        client.encrypt_plain_files()?;
        client.reopen_last_account()?;
        Ok(client)
    }

    fn lock(&self) -> MutexGuard<'_, Option<SignedIn>> {
        // A panic while holding the lock leaves plain data behind; carry on with it.
        self.signed_in.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn next_serial(&self) -> u64 {
        self.sign_ins.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Run `f` on the signed-in state, whichever sign-in it is.
    fn with_signed_in<R>(&self, f: impl FnOnce(&mut SignedIn) -> Result<R, ClientError>) -> Result<R, ClientError> {
        let mut guard = self.lock();
        let signed_in = guard.as_mut().ok_or_else(not_signed_in)?;
        f(signed_in)
    }

    /// Run `f` on the signed-in state if it is still sign-in `serial`: work begun
    /// before a sign-out (or a sign-in as someone else) is dropped, not applied.
    fn with_sign_in<R>(
        &self,
        serial: u64,
        f: impl FnOnce(&mut SignedIn) -> Result<R, ClientError>,
    ) -> Result<R, ClientError> {
        let mut guard = self.lock();
        match guard.as_mut() {
            Some(signed_in) if signed_in.serial == serial => f(signed_in),
            _ => Err(ClientError::Unauthorized { message: "signed out while a request was in flight".into() }),
        }
    }

    /// The current sign-in's serial.
    fn current_serial(&self) -> Result<u64, ClientError> {
        self.lock().as_ref().map(|s| s.serial).ok_or_else(not_signed_in)
    }
}

fn not_signed_in() -> ClientError {
    ClientError::Unauthorized { message: "not signed in".into() }
}
