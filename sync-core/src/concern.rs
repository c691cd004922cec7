//! Concerns: a mentee or mentor raises a problem privately with the
//! organisation's coordinators (the pairing is not working, a safeguarding
//! worry, anything else), and sees their answer.
//!
//! Layout (every top-level object comes from the genesis change):
//!
//! ```text
//! concern   kind, text, raised_at               (the author only)
//! response  status, text, by, acknowledged_at, closed_at
//!                                               (coordinators only, written by the server)
//! ```
//!
//! The header names the pairing the concern is about and its author; the
//! partner in that pairing is an outsider to it. A coordinator's phone never
//! holds one: the server writes the response for them, under the rules' part
//! [`DocRole::Coordinator`], and the author's phone receives it on its next sync.

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantNames};

use crate::document::{Document, DocumentError, check_len, not_one_of, now_rfc3339};
use crate::ids::{DocKind, DocRole, UserId};
use crate::rules::Path;

/// What a concern is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Display, EnumString, IntoStaticStr, VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = DocumentError, parse_err_fn = not_one_of::<Self>)]
pub enum ConcernKind {
    /// The pairing is not working.
    PairingNotWorking,
    /// A safeguarding worry (flagged on the coordinators' dashboard while open).
    Safeguarding,
    /// Anything else.
    Other,
}

/// Where a concern stands with the coordinators.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    Display,
    EnumString,
    IntoStaticStr,
    VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = DocumentError, parse_err_fn = not_one_of::<Self>)]
pub enum ConcernStatus {
    /// Raised, not yet answered.
    #[default]
    Open,
    /// A coordinator has seen it and said so.
    Acknowledged,
    /// Dealt with.
    Closed,
}

wire_names!(ConcernKind, ConcernStatus);

/// A concern as the author's phone and the coordinators' inbox show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcernView {
    /// The concern's document id.
    pub id: String,
    /// The pairing it is about.
    pub mentorship_id: String,
    /// Who raised it.
    pub author_id: String,
    /// What it is about (absent only in a document nobody raised yet).
    pub kind: Option<ConcernKind>,
    /// The author's words.
    pub text: String,
    /// When it was raised (RFC 3339, the author's clock).
    pub raised_at: Option<String>,
    /// Where it stands.
    pub status: ConcernStatus,
    /// The coordinator's latest response (empty until there is one).
    pub response: String,
    /// The coordinator who responded last.
    pub responded_by: Option<String>,
    /// When it was first acknowledged (RFC 3339, the server's clock).
    pub acknowledged_at: Option<String>,
    /// When it was closed (RFC 3339, the server's clock).
    pub closed_at: Option<String>,
}

impl Document {
    /// Write what the author raises: the kind and their words. Raising again
    /// replaces both (the phone raises once per document).
    pub fn raise_concern(&mut self, author: UserId, kind: ConcernKind, text: &str) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::Concern)?;
        self.authorize(author, &Path::keys(["concern", "text"]))?;
        let text = text.trim();
        if text.is_empty() {
            return Err(DocumentError::Invalid("a concern needs a few words saying what it is about".into()));
        }
        check_len("concern", text)?;
        let concern = self.root_obj("concern", ObjType::Map)?;
        let raised = self.get_string(&concern, "raised_at", "/concern/raised_at")?;
        self.transact(|doc| {
            doc.put(&concern, "kind", kind.as_str())?;
            doc.put(&concern, "text", text)?;
            if raised.is_none() {
                doc.put(&concern, "raised_at", now_rfc3339())?;
            }
            Ok(())
        })
    }

    /// A coordinator's answer: acknowledge (status `acknowledged`) or close
    /// (`closed`), with a response the author reads. `coordinator` must have been
    /// checked as a coordinator of the organisation by the caller (the server):
    /// the rules give that part the response and nothing else. A closed concern
    /// takes no further answer, and one cannot go back to `open`.
    pub fn respond_to_concern(
        &mut self,
        coordinator: UserId,
        status: ConcernStatus,
        response: &str,
    ) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::Concern)?;
        self.authorize_as(DocRole::Coordinator, coordinator, &Path::keys(["response", "status"]))?;
        let response = response.trim();
        check_len("response", response)?;
        let current = self.concern_view()?;
        match (current.status, status) {
            (_, ConcernStatus::Open) => {
                return Err(DocumentError::Invalid("a concern is answered by acknowledging or closing it".into()));
            }
            (ConcernStatus::Closed, _) => {
                return Err(DocumentError::Invalid("this concern is closed already".into()));
            }
            _ => {}
        }
        if current.kind.is_none() {
            return Err(DocumentError::Invalid("nothing has been raised in this concern".into()));
        }
        let obj = self.root_obj("response", ObjType::Map)?;
        let now = now_rfc3339();
        self.transact(|doc| {
            doc.put(&obj, "status", status.as_str())?;
            doc.put(&obj, "text", response)?;
            doc.put(&obj, "by", coordinator.to_string())?;
            if current.acknowledged_at.is_none() {
                doc.put(&obj, "acknowledged_at", now.as_str())?;
            }
            if status == ConcernStatus::Closed {
                doc.put(&obj, "closed_at", now.as_str())?;
            }
            Ok(())
        })
    }

    /// The concern, with the coordinators' status and response.
    pub fn concern_view(&self) -> Result<ConcernView, DocumentError> {
        self.expect_kind(DocKind::Concern)?;
        let concern = self.root_obj("concern", ObjType::Map)?;
        let response = self.root_obj("response", ObjType::Map)?;
        let kind = self.get_string(&concern, "kind", "/concern/kind")?.map(|k| k.parse()).transpose()?;
        let status = self
            .get_string(&response, "status", "/response/status")?
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or_default();
        let header = self.header();
        Ok(ConcernView {
            id: header.id.to_string(),
            mentorship_id: header.concern_about().map(|m| m.to_string()).unwrap_or_default(),
            author_id: header.owner_id().map(|a| a.to_string()).unwrap_or_default(),
            kind,
            text: self.get_string(&concern, "text", "/concern/text")?.unwrap_or_default(),
            raised_at: self.get_string(&concern, "raised_at", "/concern/raised_at")?,
            status,
            response: self.get_string(&response, "text", "/response/text")?.unwrap_or_default(),
            responded_by: self.get_string(&response, "by", "/response/by")?,
            acknowledged_at: self.get_string(&response, "acknowledged_at", "/response/acknowledged_at")?,
            closed_at: self.get_string(&response, "closed_at", "/response/closed_at")?,
        })
    }
}
