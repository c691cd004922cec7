//! [`ClientError`]: every failure of the client, in the terms an app acts on.

use crate::document::DocumentError;
use crate::ids::InvalidId;
use crate::replica::ReplicaError;
use crate::store::StoreError;

/// Everything that can go wrong, in the terms an app acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server cannot be reached. Local edits are kept and sync later.
    #[error("offline: {message}")]
    Offline {
        /// What failed.
        message: String,
    },
    /// Wrong credentials, or the sign-in expired: sign in again.
    #[error("unauthorized: {message}")]
    Unauthorized {
        /// What the server said.
        message: String,
    },
    /// This device was revoked; its local data has been wiped.
    #[error("device revoked: {message}")]
    Revoked {
        /// What the server said.
        message: String,
    },
    /// The write rules or the server refuse this.
    #[error("forbidden: {message}")]
    Forbidden {
        /// Why.
        message: String,
    },
    /// No such thing (or not visible to this person).
    #[error("not found: {message}")]
    NotFound {
        /// What.
        message: String,
    },
    /// The input is not acceptable, or the server's answer made no sense.
    #[error("invalid: {message}")]
    Invalid {
        /// Why.
        message: String,
    },
    /// The local store failed or is damaged.
    #[error("storage: {message}")]
    Storage {
        /// What failed.
        message: String,
    },
    /// The server failed; try again later. Local edits are kept.
    #[error("server error: {message}")]
    Server {
        /// What the server said.
        message: String,
    },
}

impl From<ReplicaError> for ClientError {
    fn from(error: ReplicaError) -> Self {
        match error {
            ReplicaError::Document(e) => e.into(),
            ReplicaError::NotFound(id) => ClientError::NotFound { message: format!("document {id}") },
            ReplicaError::Store(e) => e.into(),
            e @ ReplicaError::Unloadable { .. } => ClientError::Storage { message: e.to_string() },
        }
    }
}

impl From<DocumentError> for ClientError {
    fn from(error: DocumentError) -> Self {
        let message = error.to_string();
        match error {
            DocumentError::Forbidden(_) => ClientError::Forbidden { message },
            DocumentError::NotFound(_) => ClientError::NotFound { message },
            DocumentError::Invalid(_) | DocumentError::WrongKind { .. } => ClientError::Invalid { message },
            DocumentError::Schema { .. }
            | DocumentError::NewerSchema { .. }
            | DocumentError::Automerge(_)
            | DocumentError::AutomergePanic { .. } => ClientError::Storage { message },
        }
    }
}

impl From<StoreError> for ClientError {
    fn from(error: StoreError) -> Self {
        ClientError::Storage { message: error.to_string() }
    }
}

impl From<InvalidId> for ClientError {
    fn from(error: InvalidId) -> Self {
        invalid(error.to_string())
    }
}

pub(super) fn invalid(message: impl Into<String>) -> ClientError {
    ClientError::Invalid { message: message.into() }
}
