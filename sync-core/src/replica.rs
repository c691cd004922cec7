//! The documents one person holds on one device: the device store plus the
//! documents in memory, edited under the write rules and saved durably.
//!
//! Saves are incremental: each write appends Automerge's save of the changes
//! the store lacks (`save_after` the heads it holds) as a chunk, instead of
//! rewriting the whole document; when the chunks grow past
//! [`ChunkLayout::wants_compaction`], the write is a full save instead, which
//! replaces the snapshot and its chunks in the same transaction.

use std::collections::HashMap;
use std::path::Path as FsPath;

use automerge::{ActorId, ChangeHash};

use crate::document::{Document, DocumentError};
use crate::ids::{DocHeader, DocumentId, UserId};
use crate::store::{ChunkLayout, Store, StoreError};

/// What can go wrong with local documents.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The device store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The edit or read failed (including a refusal by the write rules).
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A stored document could not be loaded.
    #[error("stored document {id} cannot be loaded: {source}")]
    Unloadable {
        /// The document.
        id: DocumentId,
        /// Why.
        source: DocumentError,
    },
    /// The device does not hold this document.
    #[error("document {0} is not on this device")]
    NotFound(DocumentId),
}

/// One person's documents on one device.
#[derive(Debug)]
pub struct Replica {
    store: Store,
    user: UserId,
    actor: ActorId,
    open: HashMap<DocumentId, Open>,
}

/// A document in memory and what of it the store holds.
#[derive(Debug)]
struct Open {
    doc: Document,
    /// The heads of what the store holds: an incremental save writes the
    /// changes after these.
    saved: Vec<ChangeHash>,
    /// How the stored bytes are made up.
    layout: ChunkLayout,
}

/// Whose write a save records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    /// A local edit: one more local write to send.
    Local,
    /// Changes received from the server.
    Server,
}

impl Replica {
    /// Open (or create) the store at `path` for `user`, writing as `actor`.
    pub fn open(path: &FsPath, user: UserId, actor: ActorId) -> Result<Self, ReplicaError> {
        Ok(Self { store: Store::open(path)?, user, actor, open: HashMap::new() })
    }

    /// Open (or create) the store at `path` as [`Replica::open`] does, encrypted
    /// with `key` when one is given ([`Store::open_with_key`]).
    pub fn open_with_key(
        path: &FsPath,
        key: Option<&crate::store::StoreKey>,
        user: UserId,
        actor: ActorId,
    ) -> Result<Self, ReplicaError> {
        Ok(Self { store: Store::open_with_key(path, key)?, user, actor, open: HashMap::new() })
    }

    /// Wrap an already open store.
    pub fn with_store(store: Store, user: UserId, actor: ActorId) -> Self {
        Self { store, user, actor, open: HashMap::new() }
    }

    /// The person this replica belongs to.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// The device store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The device store, for the sync engine.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Make sure the document exists on this device, creating it from its genesis
    /// if it does not (joining a session another phone created gives the same
    /// root objects). Returns whether it was created.
    pub fn ensure(&mut self, header: DocHeader) -> Result<bool, ReplicaError> {
        if let Some(stored) = self.store.header(header.id)? {
            if stored != header {
                return Err(DocumentError::Invalid(format!(
                    "document {} already exists on this device with another owner or kind",
                    header.id
                ))
                .into());
            }
            return Ok(false);
        }
        let mut doc = Document::create(header, self.actor.clone())?;
        let bytes = doc.save();
        self.store.save_local(&header, &bytes)?;
        let saved = doc.heads();
        let layout = ChunkLayout { snapshot_bytes: bytes.len() as u64, ..ChunkLayout::default() };
        self.open.insert(header.id, Open { doc, saved, layout });
        Ok(true)
    }

    /// Edit a document as this person. The edit is refused before anything is
    /// written if the write rules forbid it; once this returns `Ok`, the edit is
    /// durably saved.
    pub fn edit<R>(
        &mut self,
        id: DocumentId,
        edit: impl FnOnce(&mut Document, UserId) -> Result<R, DocumentError>,
    ) -> Result<R, ReplicaError> {
        let user = self.user;
        let doc = self.document(id)?;
        let before = doc.heads();
        let result = edit(doc, user)?;
        if doc.heads() != before {
            self.persist(id, Writer::Local)?;
        }
        Ok(result)
    }

    /// Save what the sync engine changed in an open document (changes received
    /// from the server, merged or applied in memory): an incremental save, no
    /// local write to send. Nothing to do when the store holds it all already.
    pub fn save_received(&mut self, id: DocumentId) -> Result<(), ReplicaError> {
        if self.open.contains_key(&id) {
            self.persist(id, Writer::Server)?;
        }
        Ok(())
    }

    /// Write what the store lacks of the open document `id`: its changes after
    /// the stored heads as one chunk, or, when the chunks would grow too many
    /// or too large, the whole document as a new snapshot. On failure the
    /// document in memory is ahead of disk, so it is dropped: the next read
    /// shows what is saved.
    fn persist(&mut self, id: DocumentId, writer: Writer) -> Result<(), StoreError> {
        let Some(open) = self.open.get_mut(&id) else { return Ok(()) };
        let heads = open.doc.heads();
        if heads == open.saved {
            return Ok(());
        }
        let header = *open.doc.header();
        let chunk = open.doc.automerge().save_after(&open.saved);
        let grown = ChunkLayout {
            chunks: open.layout.chunks + 1,
            chunk_bytes: open.layout.chunk_bytes + chunk.len() as u64,
            ..open.layout
        };
        let written = if grown.wants_compaction() {
            let bytes = open.doc.save();
            let layout = ChunkLayout { snapshot_bytes: bytes.len() as u64, ..ChunkLayout::default() };
            match writer {
                Writer::Local => self.store.save_local(&header, &bytes),
                Writer::Server => self.store.save_remote(&header, &bytes),
            }
            .map(|()| layout)
        } else {
            match writer {
                Writer::Local => self.store.append_local(&header, &chunk),
                Writer::Server => self.store.append_remote(&header, &chunk),
            }
        };
        match written {
            Ok(layout) => {
                open.saved = heads;
                open.layout = layout;
                Ok(())
            }
            Err(error) => {
                self.open.remove(&id);
                Err(error)
            }
        }
    }

    /// Whether the document is in memory (loaded or written in this session).
    pub fn is_open(&self, id: DocumentId) -> bool {
        self.open.contains_key(&id)
    }

    /// Run `work` as one store transaction ([`Store::transaction`]): all its
    /// writes are one durable write, and if it fails (or panics) none of them
    /// happened, and every document in memory is dropped so that the next read
    /// shows what the store holds.
    pub fn transaction<R, E: From<StoreError>>(
        &mut self,
        work: impl FnOnce(&mut Replica) -> Result<R, E>,
    ) -> Result<R, E> {
        let started = self.store.begin_outer()?;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(self)));
        if !started {
            return outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        let failed = match outcome {
            Ok(Ok(value)) => match self.store.commit_outer() {
                Ok(()) => return Ok(value),
                Err(error) => Err(E::from(error)),
            },
            Ok(Err(error)) => Err(error),
            Err(panic) => {
                self.store.rollback_outer();
                self.open.clear();
                std::panic::resume_unwind(panic);
            }
        };
        self.store.rollback_outer();
        self.open.clear();
        failed
    }

    /// Read a document.
    pub fn read<R>(
        &mut self,
        id: DocumentId,
        read: impl FnOnce(&mut Document) -> Result<R, DocumentError>,
    ) -> Result<R, ReplicaError> {
        Ok(read(self.document(id)?)?)
    }

    /// A damaged document is repaired by a sync with the whole inventory: drop
    /// the change cursor (the client's `sync_cursor` setting) so the next sync
    /// sends it.
    fn forget_sync_cursor(&mut self) {
        if let Err(error) = self.store.set_setting("sync_cursor", None) {
            tracing::warn!(%error, "could not drop the sync cursor after a damaged document");
        }
    }

    /// The document in memory, loading it from the store on first use.
    pub fn document(&mut self, id: DocumentId) -> Result<&mut Document, ReplicaError> {
        if !self.open.contains_key(&id) {
            let stored = match self.store.load(id) {
                Ok(stored) => stored.ok_or(ReplicaError::NotFound(id))?,
                Err(error) => {
                    self.forget_sync_cursor();
                    return Err(error.into());
                }
            };
            let mut doc = match Document::load(stored.header, &stored.bytes, self.actor.clone()) {
                Ok(doc) => doc,
                Err(source) => {
                    self.forget_sync_cursor();
                    return Err(ReplicaError::Unloadable { id, source });
                }
            };
            let saved = doc.heads();
            let mut layout = stored.layout;
            if layout.wants_compaction() {
                // Chunks appended without loading (changes from the server) pile
                // up until the document is next read: fold them now.
                let bytes = doc.save();
                match self.store.compact(id, &bytes) {
                    Ok(()) => layout = ChunkLayout { snapshot_bytes: bytes.len() as u64, ..ChunkLayout::default() },
                    Err(error) => tracing::warn!(%id, %error, "could not compact a stored document"),
                }
            }
            self.open.insert(id, Open { doc, saved, layout });
        }
        self.open.get_mut(&id).map(|open| &mut open.doc).ok_or(ReplicaError::NotFound(id))
    }

    /// Forget a document on this device (access withdrawn).
    pub fn remove(&mut self, id: DocumentId) -> Result<(), ReplicaError> {
        self.open.remove(&id);
        self.store.delete(id)?;
        Ok(())
    }

    /// Drop the in-memory copy of one document, after the store was changed
    /// underneath it.
    pub fn forget(&mut self, id: DocumentId) {
        self.open.remove(&id);
    }

    /// Write as `actor` from now on (the server issued a fresh one). Documents in
    /// memory are dropped, so each is reloaded under it.
    pub fn set_actor(&mut self, actor: ActorId) {
        self.actor = actor;
        self.open.clear();
    }

    /// The actor this replica writes as.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// Drop every in-memory copy.
    pub fn forget_all(&mut self) {
        self.open.clear();
    }
}
