//! The documents one person holds on one device: the device store plus the
//! documents in memory, edited under the write rules and saved durably.

use std::collections::HashMap;
use std::path::Path as FsPath;

use automerge::ActorId;

use crate::document::{Document, DocumentError};
use crate::ids::{DocHeader, DocumentId, UserId};
use crate::store::{Store, StoreError};

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
    open: HashMap<DocumentId, Document>,
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
        if let Some(stored) = self.store.load(header.id)? {
            if stored.header != header {
                return Err(DocumentError::Invalid(format!(
                    "document {} already exists on this device with another owner or kind",
                    header.id
                ))
                .into());
            }
            return Ok(false);
        }
        let mut doc = Document::create(header, self.actor.clone())?;
        self.store.save_local(&header, &doc.save())?;
        self.open.insert(header.id, doc);
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
            let header = *doc.header();
            let bytes = doc.save();
            if let Err(error) = self.store.save_local(&header, &bytes) {
                // Memory is ahead of disk: forget it so the next read shows what is saved.
                self.open.remove(&id);
                return Err(error.into());
            }
        }
        Ok(result)
    }

    /// Read a document.
    pub fn read<R>(
        &mut self,
        id: DocumentId,
        read: impl FnOnce(&mut Document) -> Result<R, DocumentError>,
    ) -> Result<R, ReplicaError> {
        Ok(read(self.document(id)?)?)
    }

    /// The document in memory, loading it from the store on first use.
    pub fn document(&mut self, id: DocumentId) -> Result<&mut Document, ReplicaError> {
        if !self.open.contains_key(&id) {
            let stored = self.store.load(id)?.ok_or(ReplicaError::NotFound(id))?;
            let doc = Document::load(stored.header, &stored.bytes, self.actor.clone())
                .map_err(|source| ReplicaError::Unloadable { id, source })?;
            self.open.insert(id, doc);
        }
        self.open.get_mut(&id).ok_or(ReplicaError::NotFound(id))
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
