//! Automerge calls that take bytes from another party, run so that a panic inside
//! Automerge becomes an error.
//!
//! Automerge 0.12 asserts on some malformed input instead of returning an error:
//! a crafted change can trip an assertion of its change graph inside
//! `apply_changes`, and a crafted sync message a remainder by zero in its bloom
//! filter inside `generate_sync_message`. Whoever sends such bytes must not take
//! down the phone app or the server's request, so every Automerge call fed with
//! received changes, documents or sync messages goes through these methods.
//!
//! After [`DocumentError::AutomergePanic`] the document in memory may be half
//! updated: the caller drops it and reloads it from storage.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, Change, LoadOptions};

use super::{Document, DocumentError, TEXT_ENCODING};

impl Document {
    /// Load saved bytes (see [`Document::load`]) under `catch_unwind`.
    pub(super) fn load_contained(bytes: &[u8]) -> Result<AutoCommit, DocumentError> {
        contain("loading a document", || {
            AutoCommit::load_with_options(bytes, LoadOptions::new().text_encoding(TEXT_ENCODING))
                .map_err(DocumentError::from)
        })
    }

    /// Apply changes received from elsewhere (a server reply, a device's offer).
    /// Changes whose dependencies are missing wait inside the document, as with
    /// Automerge's own `apply_changes`.
    pub fn apply_changes(&mut self, changes: Vec<Change>) -> Result<(), DocumentError> {
        contain("applying changes", || self.doc.apply_changes(changes).map_err(DocumentError::from))
    }

    /// A copy of this document to stage received input in (see PITFALLS: an
    /// applied change cannot be taken back), under `catch_unwind` because a
    /// document that took in crafted input earlier may not fork cleanly.
    pub fn fork(&mut self) -> Result<Document, DocumentError> {
        let header = self.header;
        contain("forking a document", || Ok(Document { header, doc: self.doc.fork() }))
    }

    /// [`Document::save`] under `catch_unwind`, for documents built from input
    /// received from elsewhere (the server's copies).
    pub fn save_contained(&mut self) -> Result<Vec<u8>, DocumentError> {
        contain("saving a document", || Ok(self.doc.save()))
    }

    /// The changes `other` (a fork of this document that received input) holds
    /// that this one lacks.
    pub fn changes_added(&mut self, other: &mut Document) -> Result<Vec<Change>, DocumentError> {
        contain("listing received changes", || Ok(self.doc.get_changes_added(&mut other.doc)))
    }

    /// Merge everything `other` has that this document lacks.
    pub fn merge(&mut self, other: &mut Document) -> Result<(), DocumentError> {
        contain("merging a document", || self.doc.merge(&mut other.doc).map(drop).map_err(DocumentError::from))
    }

    /// Receive a message of Automerge's sync protocol.
    pub fn receive_sync_message(
        &mut self,
        state: &mut sync::State,
        message: sync::Message,
    ) -> Result<(), DocumentError> {
        contain("receiving a sync message", || {
            self.doc.sync().receive_sync_message(state, message).map_err(DocumentError::from)
        })
    }

    /// The next message of Automerge's sync protocol, if any. The state holds what
    /// the other side sent (its bloom filter), so this too runs on received bytes.
    pub fn generate_sync_message(&mut self, state: &mut sync::State) -> Result<Option<sync::Message>, DocumentError> {
        contain("generating a sync message", || Ok(self.doc.sync().generate_sync_message(state)))
    }
}

/// Run `call`, turning a panic into [`DocumentError::AutomergePanic`].
fn contain<T>(operation: &'static str, call: impl FnOnce() -> Result<T, DocumentError>) -> Result<T, DocumentError> {
    catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|payload| {
        let detail = panic_message(payload.as_ref());
        tracing::error!(operation, detail, "automerge panicked; the input was refused");
        Err(DocumentError::AutomergePanic { operation, detail })
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}
