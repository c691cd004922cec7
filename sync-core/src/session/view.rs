//! Reading a session: the view the apps show, its actions, and the sign-off
//! state (who signed which heads, and what changed after).

use std::collections::BTreeMap;
use std::str::FromStr;

use automerge::{ChangeHash, ObjType, PatchAction, Prop};

use super::{Action, Feedback, MenteeFeedback, SessionDetails, SessionStatus, SessionView, SignOff};
use crate::document::{Document, DocumentError, schema_error};

impl Document {
    /// The session as the apps show it.
    pub fn session_view(&mut self) -> Result<SessionView, DocumentError> {
        self.expect_session()?;
        let meta = self.root_obj("meta", ObjType::Map)?;
        let kind = self.get_string(&meta, "kind", "/meta/kind")?.map(|k| k.parse()).transpose()?;
        let mode = self.get_string(&meta, "mode", "/meta/mode")?.map(|m| m.parse()).transpose()?;
        let status = self
            .get_string(&meta, "status", "/meta/status")?
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(SessionStatus::Logged);
        let duration_minutes = self
            .get_u64(&meta, "duration_minutes", "/meta/duration_minutes")?
            .map(|m| u32::try_from(m).map_err(|_| schema_error("/meta/duration_minutes", "out of range")))
            .transpose()?;
        let details = SessionDetails {
            start_time: self.get_string(&meta, "start_time", "/meta/start_time")?,
            duration_minutes,
            mode,
            location: self.get_string(&meta, "location", "/meta/location")?,
        };

        let notes = self.root_obj("notes", ObjType::Text)?;
        let accounts_obj = self.root_obj("accounts", ObjType::Map)?;
        let mut accounts = BTreeMap::new();
        for author in self.keys(&accounts_obj) {
            if let Some(text) = self.get_string(&accounts_obj, &author, "/accounts")? {
                accounts.insert(author, text);
            }
        }
        let skills_obj = self.root_obj("skills", ObjType::Map)?;
        let mut skills = Vec::new();
        for skill in self.keys(&skills_obj) {
            if self.get_bool(&skills_obj, &skill, "/skills")?.unwrap_or(false) {
                skills.push(skill);
            }
        }
        let feedback_obj = self.root_obj("feedback", ObjType::Map)?;
        let feedback = Feedback {
            strengths: self.get_string(&feedback_obj, "strengths", "/feedback/strengths")?.unwrap_or_default(),
            development: self.get_string(&feedback_obj, "development", "/feedback/development")?.unwrap_or_default(),
        };
        let mentee_obj = self.root_obj("mentee_feedback", ObjType::Map)?;
        let mentee_feedback = MenteeFeedback {
            working: self.get_string(&mentee_obj, "working", "/mentee_feedback/working")?.unwrap_or_default(),
            not_working: self
                .get_string(&mentee_obj, "not_working", "/mentee_feedback/not_working")?
                .unwrap_or_default(),
        };
        let actions = self.actions()?;
        let shared = self.root_obj("shared", ObjType::Map)?;
        let state = self.sign_off_state()?;
        Ok(SessionView {
            id: self.header().id.to_string(),
            mentorship_id: self.header().mentorship_id().map(|m| m.to_string()).unwrap_or_default(),
            kind,
            date: self.get_string(&meta, "date", "/meta/date")?,
            details,
            status,
            status_reason: self.get_string(&meta, "status_reason", "/meta/status_reason")?,
            notes: self.text(&notes)?,
            accounts,
            skills,
            feedback,
            mentee_feedback,
            actions,
            amended_after_sign_off: !state.amended_parts.is_empty(),
            amended_parts: state.amended_parts,
            mentor_sign_off: state.mentor,
            mentee_sign_off: state.mentee,
            shared_summary: self.get_string(&shared, "summary", "/shared/summary")?,
        })
    }

    /// The agreed actions, oldest first.
    pub fn actions(&self) -> Result<Vec<Action>, DocumentError> {
        let actions_obj = self.root_obj("actions", ObjType::Map)?;
        let mut actions = Vec::new();
        for id in self.keys(&actions_obj) {
            let path = format!("/actions/{id}");
            let Some(action) = self.get_obj(&actions_obj, &id, ObjType::Map, &path)? else { continue };
            actions.push(Action {
                text: self.get_string(&action, "text", &path)?.unwrap_or_default(),
                owner_id: self.get_string(&action, "owner_id", &path)?.unwrap_or_default(),
                due: self.get_string(&action, "due", &path)?,
                done: self.get_bool(&action, "done", &path)?.unwrap_or(false),
                created_at: self.get_string(&action, "created_at", &path)?.unwrap_or_default(),
                id,
            });
        }
        actions.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(actions)
    }

    /// The signatures, and what changed after them.
    pub fn sign_off_state(&mut self) -> Result<SignOffState, DocumentError> {
        if self.header().kind != crate::ids::DocKind::Agreement {
            self.expect_session()?;
        }
        let sign_offs = self.root_obj("sign_offs", ObjType::Map)?;
        let mut state = SignOffState::default();
        for slot in ["mentor", "mentee"] {
            let path = format!("/sign_offs/{slot}");
            let Some(obj) = self.get_obj(&sign_offs, slot, ObjType::Map, &path)? else { continue };
            let heads: Vec<String> = self
                .get_string(&obj, "heads", &path)?
                .unwrap_or_default()
                .split(',')
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect();
            let signature = SignOff {
                by: self.get_string(&obj, "by", &path)?.unwrap_or_default(),
                at: self.get_string(&obj, "at", &path)?.unwrap_or_default(),
                heads,
            };
            for part in self.changed_since(&signature.heads) {
                if !state.amended_parts.contains(&part) {
                    state.amended_parts.push(part);
                }
            }
            if slot == "mentor" {
                state.mentor = Some(signature);
            } else {
                state.mentee = Some(signature);
            }
        }
        state.amended_parts.sort();
        Ok(state)
    }

    /// The top-level parts (other than sign-offs) that differ between `signed`
    /// heads and now. Heads this document does not know cannot be verified and
    /// count as an amendment of everything.
    fn changed_since(&mut self, signed: &[String]) -> Vec<String> {
        let mut heads = Vec::with_capacity(signed.len());
        for hex in signed {
            match ChangeHash::from_str(hex) {
                Ok(hash) if self.has_change(&hash) => heads.push(hash),
                _ => return vec!["unverifiable signature".to_owned()],
            }
        }
        let current = self.heads();
        if heads == current {
            return Vec::new();
        }
        let mut parts = Vec::new();
        for patch in self.automerge().diff(&heads, &current) {
            let top = match (patch.path.first(), &patch.action) {
                (Some((_, Prop::Map(key))), _) => key.clone(),
                (None, PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key }) => key.clone(),
                _ => "/".to_owned(),
            };
            if top != "sign_offs" && !parts.contains(&top) {
                parts.push(top);
            }
        }
        parts
    }
}

/// Signatures on a session and whether it changed after them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignOffState {
    /// The mentor's signature.
    pub mentor: Option<SignOff>,
    /// The mentee's signature.
    pub mentee: Option<SignOff>,
    /// Top-level parts changed after a signature; empty when not amended.
    pub amended_parts: Vec<String>,
}
