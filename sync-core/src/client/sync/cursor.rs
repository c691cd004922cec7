//! The device's side of the change cursor (see [`crate::protocol::SyncCursor`]):
//! which kind of request a sync opens with, and keeping the cursor.
//!
//! A sync opens with the cursor and only the documents holding unacknowledged
//! local writes, unless the device has no cursor or its last whole-inventory
//! sync is older than [`RECONCILE_EVERY_SECS`] (a periodic reconciliation, which
//! also repairs anything a cursor could not know about). The cursor a sync
//! ends with is kept only if everything it stands for was applied: every
//! fallback finished, no reply named a document the device lacks or left a
//! change waiting for dependencies, and no further whole-inventory round was
//! still due. Otherwise it is dropped and the next sync sends the inventory.

use crate::protocol::{self, SyncCursor};
use crate::store::{Store, StoreError};

/// How often a device sends its whole inventory even with a cursor (a day).
pub const RECONCILE_EVERY_SECS: i64 = 24 * 60 * 60;

const CURSOR_KEY: &str = "sync_cursor";
const RECONCILED_KEY: &str = "sync_reconciled_at";

/// What a round of a sync offers.
#[derive(Debug, Clone)]
pub(super) enum Mode {
    /// Every document the device holds.
    Complete,
    /// The documents with local writes, and the cursor.
    Cursor(SyncCursor),
    /// Only the documents in the fallback protocol.
    Fallback,
}

impl Mode {
    /// Whether this round opens a sync (so its reply's cursor stands for the device).
    pub(super) fn opens(&self) -> bool {
        !matches!(self, Self::Fallback)
    }
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// How a sync starts.
pub(super) fn opening(store: &Store) -> Result<Mode, StoreError> {
    let reconciled: Option<i64> = store.setting(RECONCILED_KEY)?.and_then(|s| s.parse().ok());
    if reconciled.is_none_or(|at| now_secs().saturating_sub(at) >= RECONCILE_EVERY_SECS || at > now_secs() + 300) {
        return Ok(Mode::Complete);
    }
    let cursor = store
        .setting(CURSOR_KEY)?
        .and_then(|hex| hex::decode(hex).ok())
        .and_then(|bytes| ciborium::from_reader::<SyncCursor, _>(bytes.as_slice()).ok());
    Ok(cursor.map_or(Mode::Complete, Mode::Cursor))
}

/// Keep the cursor a sync ended with (`None`: drop it), and, after a
/// whole-inventory sync, when it was reconciled.
pub(super) fn keep(store: &mut Store, cursor: Option<&SyncCursor>, reconciled: bool) -> Result<(), StoreError> {
    let encoded = cursor.and_then(|cursor| protocol::encode(cursor).ok()).map(hex::encode);
    let reconciled_at = match (&encoded, reconciled) {
        (None, _) => Some(None),
        (Some(_), true) => Some(Some(now_secs().to_string())),
        (Some(_), false) => None,
    };
    // Nothing written when nothing moved (a no-op sync), else one commit.
    if store.setting(CURSOR_KEY)? == encoded && reconciled_at.is_none() {
        return Ok(());
    }
    store.transaction(|store| {
        store.set_setting(CURSOR_KEY, encoded.as_deref())?;
        if let Some(at) = reconciled_at {
            store.set_setting(RECONCILED_KEY, at.as_deref())?;
        }
        Ok::<_, StoreError>(())
    })
}
