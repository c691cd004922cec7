//! Mentoring agreements: one per mentorship, what the pair agree at the start.
//!
//! Layout (every top-level object comes from the genesis change):
//!
//! ```text
//! terms      meeting_frequency, preferred_modes (comma-separated modes), boundaries, review_on
//! hopes      mentee, mentor          (each member writes only their own)
//! sign_offs  mentor / mentee -> {by, at, heads} (each signer only, as for sessions)
//! ```
//!
//! Signing pins the heads exactly as a session sign-off does; a later edit is
//! accepted and shows as "amended after signing" (see `session/view.rs`). The
//! organisation's confidentiality statement is not part of the document: it is
//! the organisation's text, shown read-only beside it.

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::document::{Document, DocumentError, check_len, parse_date};
use crate::ids::{DocKind, DocRole, UserId};
use crate::rules::{Path, Rule, Violation};
use crate::session::Mode;

/// What a member writes into the agreement. Every field is written whole; a field
/// equal to what the document holds is not written again (so re-saving an
/// unchanged form never counts as an amendment). The other member's hopes may be
/// passed back unchanged, never changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementInput {
    /// How often the pair meets (free text, e.g. "every two weeks").
    pub meeting_frequency: String,
    /// How they meet: `face_to_face`, `phone`, `online`.
    pub preferred_modes: Vec<Mode>,
    /// Boundaries agreed (contact hours, what is and is not discussed...).
    pub boundaries: String,
    /// What the mentee hopes to achieve (the mentee only).
    pub hopes_mentee: String,
    /// What the mentor hopes to achieve (the mentor only).
    pub hopes_mentor: String,
    /// When the pair will review the agreement (`YYYY-MM-DD`).
    pub review_on: Option<String>,
}

/// An agreement as the document holds it, with its signatures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementView {
    /// The agreement's document id.
    pub id: String,
    /// The mentorship it belongs to.
    pub mentorship_id: String,
    /// What was agreed.
    pub terms: AgreementInput,
    /// When the mentor signed (RFC 3339), if they did.
    pub mentor_signed_at: Option<String>,
    /// When the mentee signed (RFC 3339), if they did.
    pub mentee_signed_at: Option<String>,
    /// Whether anything but signatures changed after a signature.
    pub amended_after_signing: bool,
    /// The parts changed after a signature (`terms`, `hopes`).
    pub amended_parts: Vec<String>,
}

impl Document {
    /// Write the agreement's terms and the author's own hopes.
    pub fn set_agreement(&mut self, author: UserId, input: &AgreementInput) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::Agreement)?;
        for (field, text) in [
            ("meeting frequency", &input.meeting_frequency),
            ("boundaries", &input.boundaries),
            ("hopes", &input.hopes_mentee),
            ("hopes", &input.hopes_mentor),
        ] {
            check_len(field, text)?;
        }
        if let Some(date) = &input.review_on {
            parse_date("review date", date)?;
        }
        let current = self.agreement_view()?.terms;
        self.authorize(author, &Path::keys(["terms", "boundaries"]))?;
        // The signer's own hopes, and whether the other member's would change.
        let (own_key, own_hopes, own_current, other_changed, other_key) = match self.header().role_of(author) {
            DocRole::Mentee => (
                "mentee",
                &input.hopes_mentee,
                &current.hopes_mentee,
                input.hopes_mentor != current.hopes_mentor,
                "mentor",
            ),
            _ => (
                "mentor",
                &input.hopes_mentor,
                &current.hopes_mentor,
                input.hopes_mentee != current.hopes_mentee,
                "mentee",
            ),
        };
        if other_changed {
            return Err(Violation { path: Path::keys(["hopes", other_key]), rule: Rule::OwnHopesOnly }.into());
        }
        let modes = modes_text(&input.preferred_modes);
        let terms = self.root_obj("terms", ObjType::Map)?;
        let hopes = self.root_obj("hopes", ObjType::Map)?;
        let changed = (
            input.meeting_frequency != current.meeting_frequency,
            modes != modes_text(&current.preferred_modes),
            input.boundaries != current.boundaries,
            input.review_on != current.review_on,
            own_hopes != own_current,
        );
        if changed == (false, false, false, false, false) {
            return Ok(());
        }
        self.transact(|doc| {
            if changed.0 {
                doc.put(&terms, "meeting_frequency", input.meeting_frequency.as_str())?;
            }
            if changed.1 {
                doc.put(&terms, "preferred_modes", modes.as_str())?;
            }
            if changed.2 {
                doc.put(&terms, "boundaries", input.boundaries.as_str())?;
            }
            if changed.3 {
                match &input.review_on {
                    Some(date) => doc.put(&terms, "review_on", date.as_str())?,
                    None => doc.delete(&terms, "review_on")?,
                }
            }
            if changed.4 {
                doc.put(&hopes, own_key, own_hopes.as_str())?;
            }
            Ok(())
        })
    }

    /// Sign the agreement as it is now: the signature pins the current heads.
    pub fn sign_agreement(&mut self, author: UserId) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::Agreement)?;
        self.sign(author)
    }

    /// The agreement, its signatures and whether it changed after them.
    pub fn agreement_view(&mut self) -> Result<AgreementView, DocumentError> {
        self.expect_kind(DocKind::Agreement)?;
        let terms = self.root_obj("terms", ObjType::Map)?;
        let hopes = self.root_obj("hopes", ObjType::Map)?;
        let preferred_modes = self
            .get_string(&terms, "preferred_modes", "/terms/preferred_modes")?
            .unwrap_or_default()
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Mode>, _>>()?;
        let input = AgreementInput {
            meeting_frequency: self
                .get_string(&terms, "meeting_frequency", "/terms/meeting_frequency")?
                .unwrap_or_default(),
            preferred_modes,
            boundaries: self.get_string(&terms, "boundaries", "/terms/boundaries")?.unwrap_or_default(),
            hopes_mentee: self.get_string(&hopes, "mentee", "/hopes/mentee")?.unwrap_or_default(),
            hopes_mentor: self.get_string(&hopes, "mentor", "/hopes/mentor")?.unwrap_or_default(),
            review_on: self.get_string(&terms, "review_on", "/terms/review_on")?,
        };
        let state = self.sign_off_state()?;
        Ok(AgreementView {
            id: self.header().id.to_string(),
            mentorship_id: self.header().mentorship_id().map(|m| m.to_string()).unwrap_or_default(),
            terms: input,
            mentor_signed_at: state.mentor.map(|s| s.at),
            mentee_signed_at: state.mentee.map(|s| s.at),
            amended_after_signing: !state.amended_parts.is_empty(),
            amended_parts: state.amended_parts,
        })
    }
}

fn modes_text(modes: &[Mode]) -> String {
    let mut names: Vec<&str> = modes.iter().map(|m| m.as_str()).collect();
    names.dedup();
    names.join(",")
}
