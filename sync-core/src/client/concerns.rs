//! Concerns raised from this phone: written offline like every other document
//! (a new document per concern, synced later) and read from the local copies,
//! which carry the coordinators' status and response once a sync brought it back.

use serde::{Deserialize, Serialize};

use super::error::invalid;
use super::{Client, ClientError};
use crate::concern::{ConcernKind, ConcernView};
use crate::ids::{DocHeader, DocKind};

/// A concern the signed-in person raised, as their phone shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concern {
    /// The concern's id.
    pub id: String,
    /// The pairing it is about.
    pub mentorship_id: String,
    /// `pairing_not_working`, `safeguarding` or `other`.
    pub kind: String,
    /// The author's words.
    pub text: String,
    /// `open`, `acknowledged` or `closed` (as last synced).
    pub status: String,
    /// The coordinator's response (empty until there is one).
    pub response: String,
    /// When it was raised (RFC 3339).
    pub raised_at: Option<String>,
    /// When a coordinator acknowledged it (RFC 3339).
    pub acknowledged_at: Option<String>,
    /// When a coordinator closed it (RFC 3339).
    pub closed_at: Option<String>,
}

impl From<ConcernView> for Concern {
    fn from(view: ConcernView) -> Self {
        Self {
            id: view.id,
            mentorship_id: view.mentorship_id,
            kind: view.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
            text: view.text,
            status: view.status.as_str().to_owned(),
            response: view.response,
            raised_at: view.raised_at,
            acknowledged_at: view.acknowledged_at,
            closed_at: view.closed_at,
        }
    }
}

impl Client {
    /// Raise a concern about one of the signed-in person's pairings, privately
    /// with the organisation's coordinators (never the partner). Works offline:
    /// the concern is written here and sent at the next sync. Returns its id.
    pub fn raise_concern(&self, mentorship_id: &str, kind: &str, text: &str) -> Result<String, ClientError> {
        let kind: ConcernKind = kind.parse()?;
        if text.trim().is_empty() {
            return Err(invalid("a concern needs a few words saying what it is about"));
        }
        self.with_signed_in(|signed_in| {
            let pair = Self::pair_of(signed_in, mentorship_id)?;
            let me = signed_in.replica.user();
            let header = DocHeader::new_concern(pair.mentorship_id, me);
            let id = header.id;
            if pair.mentor_id != me && pair.mentee_id != me {
                return Err(ClientError::Forbidden { message: "only the pair raises concerns about it".into() });
            }
            signed_in.replica.ensure(header)?;
            signed_in.replica.edit(id, |doc, me| doc.raise_concern(me, kind, text))?;
            Ok(id.to_string())
        })
    }

    /// The concerns the signed-in person raised from this device (or received
    /// back from the server), newest first, with the coordinators' status and
    /// response as last synced. Reads offline.
    pub fn concerns(&self) -> Result<Vec<Concern>, ClientError> {
        self.with_signed_in(|signed_in| {
            let mut concerns = Vec::new();
            for header in signed_in.replica.store().headers()? {
                if header.kind == DocKind::Concern {
                    concerns.push(signed_in.replica.read(header.id, |doc| doc.concern_view())?);
                }
            }
            concerns.sort_by(|a, b| (&b.raised_at, &b.id).cmp(&(&a.raised_at, &a.id)));
            Ok(concerns.into_iter().map(Concern::from).collect())
        })
    }
}
