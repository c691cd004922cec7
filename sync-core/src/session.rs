//! Session documents: one shadowing shift, meeting or check-in of a pair.
//!
//! Layout (every top-level object comes from the genesis change):
//!
//! ```text
//! meta             kind, date, start_time, duration_minutes, mode, location, status, status_reason
//! notes            shared notes (collaborative text)
//! accounts         author user id -> that author's own account of the shift
//! skills           skill name -> true (a set that merges)
//! feedback         strengths, development            (the mentor only)
//! mentee_feedback  working, not_working              (the mentee only)
//! actions          action id -> {text, owner_id, due, done, created_at}
//! sign_offs        mentor / mentee -> {by, at, heads} (each signer only)
//! shared           what the pair explicitly shares with the coordinator
//! ```

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantNames};
use uuid::Uuid;

use crate::document::{Document, DocumentError, check_len, not_one_of, now_rfc3339, parse_date};
use crate::ids::{DocKind, DocRole, UserId};
use crate::rules::Path;

mod view;

pub use view::SignOffState;

/// What kind of contact a session was.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Display, EnumString, IntoStaticStr, VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = DocumentError, parse_err_fn = not_one_of::<Self>)]
pub enum SessionKind {
    /// A shift worked side by side.
    Shadowing,
    /// A 1:1 meeting.
    Meeting,
    /// A short phone or online check-in.
    CheckIn,
}

/// How the pair met.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Display, EnumString, IntoStaticStr, VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = DocumentError, parse_err_fn = not_one_of::<Self>)]
pub enum Mode {
    /// In person.
    FaceToFace,
    /// By phone.
    Phone,
    /// By video call.
    Online,
}

/// Whether the session took place.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Display, EnumString, IntoStaticStr, VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = DocumentError, parse_err_fn = not_one_of::<Self>)]
pub enum SessionStatus {
    /// Arranged for a date to come; not yet happened.
    Planned,
    /// It happened and is being logged.
    Logged,
    /// Called off in advance.
    Cancelled,
    /// Did not happen as planned.
    Missed,
}

wire_names!(SessionKind, Mode, SessionStatus);

/// The mentor's feedback to the mentee.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// What went well.
    pub strengths: String,
    /// Areas for development.
    pub development: String,
}

/// The mentee's feedback to the mentor: feedback runs both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenteeFeedback {
    /// What is working.
    pub working: String,
    /// What is not.
    pub not_working: String,
}

/// An agreed action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Its id within the session.
    pub id: String,
    /// What is to be done.
    pub text: String,
    /// Who does it.
    pub owner_id: String,
    /// When it is due (`YYYY-MM-DD`), if agreed.
    pub due: Option<String>,
    /// Whether it is done.
    pub done: bool,
    /// When it was added (RFC 3339).
    pub created_at: String,
}

/// One signature: the heads the signer saw when signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    /// Who signed.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// The document heads signed, as hex.
    pub heads: Vec<String>,
}

/// Optional facts about a session beyond its kind and date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDetails {
    /// Start time, `HH:MM`.
    pub start_time: Option<String>,
    /// Length in minutes.
    pub duration_minutes: Option<u32>,
    /// How the pair met.
    pub mode: Option<Mode>,
    /// Where (site, unit, client's home...).
    pub location: Option<String>,
}

/// A session as the apps show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// The session's document id.
    pub id: String,
    /// The mentorship it belongs to.
    pub mentorship_id: String,
    /// Shadowing, meeting or check-in (absent until one phone has set it).
    pub kind: Option<SessionKind>,
    /// The day, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Start time and the rest.
    pub details: SessionDetails,
    /// Logged, cancelled or missed.
    pub status: SessionStatus,
    /// Why it was cancelled or missed.
    pub status_reason: Option<String>,
    /// The shared notes.
    pub notes: String,
    /// Each author's own account of the shift, by author id.
    pub accounts: BTreeMap<String, String>,
    /// Skills practised.
    pub skills: Vec<String>,
    /// The mentor's feedback.
    pub feedback: Feedback,
    /// The mentee's feedback to the mentor.
    pub mentee_feedback: MenteeFeedback,
    /// Agreed actions, oldest first.
    pub actions: Vec<Action>,
    /// The mentor's sign-off.
    pub mentor_sign_off: Option<SignOff>,
    /// The mentee's sign-off.
    pub mentee_sign_off: Option<SignOff>,
    /// Whether anything but sign-offs changed after a signature.
    pub amended_after_sign_off: bool,
    /// The top-level parts that changed after a signature (e.g. `notes`).
    pub amended_parts: Vec<String>,
    /// A summary the pair chose to share with the coordinator.
    pub shared_summary: Option<String>,
}

impl Document {
    pub(super) fn expect_session(&self) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::Session)
    }

    /// Set the kind and date of a session. Both phones of a pair may do this for
    /// the same session (scanned QR code, scheduled session): equal values merge.
    pub fn set_session_basics(&mut self, author: UserId, kind: SessionKind, date: &str) -> Result<(), DocumentError> {
        self.expect_session()?;
        parse_date("date", date)?;
        self.authorize(author, &Path::keys(["meta", "date"]))?;
        let meta = self.root_obj("meta", ObjType::Map)?;
        self.transact(|doc| {
            doc.put(&meta, "kind", kind.as_str())?;
            doc.put(&meta, "date", date)?;
            Ok(())
        })
    }

    /// Set the optional facts of a session. Every field is written: `None` clears
    /// it (the key is deleted), so a phone can take back a wrong duration or place.
    pub fn set_session_details(&mut self, author: UserId, details: &SessionDetails) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["meta", "details"]))?;
        if let Some(start) = &details.start_time {
            check_start_time(start)?;
        }
        if details.duration_minutes.is_some_and(|m| m > 24 * 60) {
            return Err(DocumentError::Invalid("a session cannot last more than 24 hours".into()));
        }
        if let Some(location) = &details.location {
            check_len("location", location)?;
        }
        let meta = self.root_obj("meta", ObjType::Map)?;
        self.transact(|doc| {
            put_or_clear(doc, &meta, "start_time", details.start_time.as_deref().map(ScalarValue::from))?;
            put_or_clear(
                doc,
                &meta,
                "duration_minutes",
                details.duration_minutes.map(|m| ScalarValue::Uint(m.into())),
            )?;
            put_or_clear(doc, &meta, "mode", details.mode.map(|m| ScalarValue::from(m.as_str())))?;
            put_or_clear(doc, &meta, "location", details.location.as_deref().map(ScalarValue::from))?;
            Ok(())
        })
    }

    /// Move a session to another day, and to `start_time` (`HH:MM`) on it;
    /// `None` clears the start time (a new day's time is not the old day's).
    /// Either member of the pair, one change; the kind, status and everything
    /// written stay as they are.
    pub fn reschedule(&mut self, author: UserId, date: &str, start_time: Option<&str>) -> Result<(), DocumentError> {
        self.expect_session()?;
        parse_date("date", date)?;
        if let Some(start) = start_time {
            check_start_time(start)?;
        }
        self.authorize(author, &Path::keys(["meta", "date"]))?;
        self.authorize(author, &Path::keys(["meta", "start_time"]))?;
        let meta = self.root_obj("meta", ObjType::Map)?;
        self.transact(|doc| {
            doc.put(&meta, "date", date)?;
            put_or_clear(doc, &meta, "start_time", start_time.map(ScalarValue::from))
        })
    }

    /// Set the start time alone (`HH:MM`), leaving the other details as they are.
    pub fn set_start_time(&mut self, author: UserId, start_time: &str) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["meta", "start_time"]))?;
        check_start_time(start_time)?;
        let meta = self.root_obj("meta", ObjType::Map)?;
        self.transact(|doc| Ok(doc.put(&meta, "start_time", start_time)?))
    }

    /// Plan a session, or mark it logged, cancelled or missed. Cancelled and missed
    /// need a reason (an operational one, such as "no cover on the unit": the
    /// coordinator sees it); for planned and logged a reason is optional. An empty
    /// reason counts as none and clears the stored one.
    pub fn set_session_status(
        &mut self,
        author: UserId,
        status: SessionStatus,
        reason: Option<&str>,
    ) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["meta", "status"]))?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(reason) = reason {
            check_len("reason", reason)?;
        } else if matches!(status, SessionStatus::Cancelled | SessionStatus::Missed) {
            return Err(DocumentError::Invalid(format!("a {status} session needs a reason")));
        }
        let meta = self.root_obj("meta", ObjType::Map)?;
        self.transact(|doc| {
            doc.put(&meta, "status", status.as_str())?;
            put_or_clear(doc, &meta, "status_reason", reason.map(ScalarValue::from))?;
            Ok(())
        })
    }

    /// Splice the shared notes: delete `delete` UTF-16 code units at `index`, then
    /// insert `insert` there.
    pub fn edit_notes(
        &mut self,
        author: UserId,
        index: usize,
        delete: usize,
        insert: &str,
    ) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.splice_notes(author, index, delete, insert)
    }

    /// Splice the `notes` text of a session or a group session.
    pub(crate) fn splice_notes(
        &mut self,
        author: UserId,
        index: usize,
        delete: usize,
        insert: &str,
    ) -> Result<(), DocumentError> {
        self.authorize(author, &Path::keys(["notes", "*"]))?;
        let notes = self.root_obj("notes", ObjType::Text)?;
        let current = self.text(&notes)?;
        let len = current.encode_utf16().count();
        let end = index.checked_add(delete).filter(|end| *end <= len).ok_or_else(|| {
            DocumentError::Invalid(format!("cannot delete {delete} characters at {index}: the notes are {len} long"))
        })?;
        if !is_char_boundary_utf16(&current, index) || !is_char_boundary_utf16(&current, end) {
            return Err(DocumentError::Invalid(format!(
                "position {index}..{end} splits a character (an emoji counts as two positions)"
            )));
        }
        if len - delete + insert.encode_utf16().count() > crate::document::MAX_TEXT_LEN {
            return Err(DocumentError::Invalid("the notes would be too long".into()));
        }
        let delete = isize::try_from(delete).map_err(|_| DocumentError::Invalid("delete count too large".into()))?;
        self.transact(|doc| Ok(doc.splice_text(&notes, index, delete, insert)?))
    }

    /// Replace the author's own account of the shift.
    pub fn set_my_account(&mut self, author: UserId, text: &str) -> Result<(), DocumentError> {
        self.expect_session()?;
        let key = author.to_string();
        self.authorize(author, &Path::keys(["accounts", key.as_str()]))?;
        check_len("account", text)?;
        let accounts = self.root_obj("accounts", ObjType::Map)?;
        self.transact(|doc| Ok(doc.put(&accounts, key.as_str(), text)?))
    }

    /// The mentor's feedback (the mentor only).
    pub fn set_feedback(&mut self, author: UserId, strengths: &str, development: &str) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["feedback", "strengths"]))?;
        check_len("strengths", strengths)?;
        check_len("development", development)?;
        let feedback = self.root_obj("feedback", ObjType::Map)?;
        self.transact(|doc| {
            doc.put(&feedback, "strengths", strengths)?;
            doc.put(&feedback, "development", development)?;
            Ok(())
        })
    }

    /// The mentee's feedback to the mentor (the mentee only).
    pub fn set_mentee_feedback(
        &mut self,
        author: UserId,
        working: &str,
        not_working: &str,
    ) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["mentee_feedback", "working"]))?;
        check_len("working", working)?;
        check_len("not working", not_working)?;
        let feedback = self.root_obj("mentee_feedback", ObjType::Map)?;
        self.transact(|doc| {
            doc.put(&feedback, "working", working)?;
            doc.put(&feedback, "not_working", not_working)?;
            Ok(())
        })
    }

    /// Record a skill as practised in this session: a catalogue skill (by id or
    /// title, stored as its title) or free text.
    pub fn add_skill(&mut self, author: UserId, skill: &str) -> Result<(), DocumentError> {
        self.expect_session()?;
        let skill = crate::skills::normalize(skill)?;
        self.authorize(author, &Path::keys(["skills", skill.as_str()]))?;
        let skills = self.root_obj("skills", ObjType::Map)?;
        self.transact(|doc| Ok(doc.put(&skills, skill.as_str(), true)?))
    }

    /// Take a skill off this session (named as [`Document::add_skill`] takes it);
    /// removing one that is not there does nothing.
    pub fn remove_skill(&mut self, author: UserId, skill: &str) -> Result<(), DocumentError> {
        self.expect_session()?;
        let skill = crate::skills::normalize(skill)?;
        self.authorize(author, &Path::keys(["skills", skill.as_str()]))?;
        let skills = self.root_obj("skills", ObjType::Map)?;
        self.transact(|doc| put_or_clear(doc, &skills, &skill, None))
    }

    /// Add an agreed action; returns its id.
    pub fn add_action(
        &mut self,
        author: UserId,
        text: &str,
        owner: UserId,
        due: Option<&str>,
    ) -> Result<String, DocumentError> {
        self.expect_session()?;
        let id = Uuid::new_v4().to_string();
        self.authorize(author, &Path::keys(["actions", id.as_str()]))?;
        check_action(self, text, owner, due)?;
        let actions = self.root_obj("actions", ObjType::Map)?;
        let created_at = now_rfc3339();
        self.transact(|doc| {
            let action = doc.put_object(&actions, id.as_str(), ObjType::Map)?;
            doc.put(&action, "text", text)?;
            doc.put(&action, "owner_id", owner.to_string())?;
            if let Some(due) = due {
                doc.put(&action, "due", due)?;
            }
            doc.put(&action, "done", false)?;
            doc.put(&action, "created_at", created_at.as_str())?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Mark an action done or not done.
    pub fn set_action_done(&mut self, author: UserId, action_id: &str, done: bool) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["actions", action_id, "done"]))?;
        let actions = self.root_obj("actions", ObjType::Map)?;
        let action = self
            .get_obj(&actions, action_id, ObjType::Map, "/actions")?
            .ok_or_else(|| DocumentError::NotFound(format!("action {action_id}")))?;
        self.transact(|doc| Ok(doc.put(&action, "done", done)?))
    }

    /// Rewrite an agreed action: its text, owner and due date (`None` clears it).
    pub fn edit_action(
        &mut self,
        author: UserId,
        action_id: &str,
        text: &str,
        owner: UserId,
        due: Option<&str>,
    ) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["actions", action_id, "text"]))?;
        check_action(self, text, owner, due)?;
        let actions = self.root_obj("actions", ObjType::Map)?;
        let action = self
            .get_obj(&actions, action_id, ObjType::Map, "/actions")?
            .ok_or_else(|| DocumentError::NotFound(format!("action {action_id}")))?;
        self.transact(|doc| {
            doc.put(&action, "text", text)?;
            doc.put(&action, "owner_id", owner.to_string())?;
            put_or_clear(doc, &action, "due", due.map(ScalarValue::from))?;
            Ok(())
        })
    }

    /// Share a short summary with the coordinator (the only free text the console
    /// shows); either member may; an empty text takes it back.
    pub fn set_shared_summary(&mut self, author: UserId, summary: &str) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["shared", "summary"]))?;
        check_len("summary", summary)?;
        let shared = self.root_obj("shared", ObjType::Map)?;
        let summary = Some(summary).filter(|s| !s.trim().is_empty()).map(ScalarValue::from);
        self.transact(|doc| put_or_clear(doc, &shared, "summary", summary))
    }

    /// Sign the session as it is now: the signature pins the current heads. The
    /// mentor signs as mentor, the mentee as mentee; nobody else can sign.
    pub fn sign_off(&mut self, author: UserId) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.sign(author)
    }

    /// Sign a session or an agreement as it is now, in the signer's slot.
    pub(crate) fn sign(&mut self, author: UserId) -> Result<(), DocumentError> {
        let slot = match self.header().role_of(author) {
            DocRole::Mentor => "mentor",
            DocRole::Mentee => "mentee",
            DocRole::Owner | DocRole::Member | DocRole::Outsider | DocRole::Coordinator => "outsider",
        };
        self.authorize(author, &Path::keys(["sign_offs", slot]))?;
        let heads = hex_heads(&self.heads());
        let sign_offs = self.root_obj("sign_offs", ObjType::Map)?;
        let at = now_rfc3339();
        self.transact(|doc| {
            let signature = doc.put_object(&sign_offs, slot, ObjType::Map)?;
            doc.put(&signature, "by", author.to_string())?;
            doc.put(&signature, "at", at.as_str())?;
            doc.put(&signature, "heads", heads.join(","))?;
            Ok(())
        })
    }
}

pub(crate) fn hex_heads(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(ToString::to_string).collect()
}

fn is_char_boundary_utf16(text: &str, index: usize) -> bool {
    let mut units = 0;
    for ch in text.chars() {
        if units == index {
            return true;
        }
        if units > index {
            return false;
        }
        units += ch.len_utf16();
    }
    units == index
}

/// A start time must look like `09:30`.
fn check_start_time(start: &str) -> Result<(), DocumentError> {
    time::Time::parse(start, time::macros::format_description!("[hour]:[minute]"))
        .map(|_| ())
        .map_err(|_| DocumentError::Invalid(format!("start time must look like 09:30, not {start:?}")))
}

/// What an action must be: some text, an owner in the pair, a real due date.
fn check_action(doc: &Document, text: &str, owner: UserId, due: Option<&str>) -> Result<(), DocumentError> {
    if text.trim().is_empty() {
        return Err(DocumentError::Invalid("an action needs some text".into()));
    }
    check_len("action", text)?;
    if doc.header().role_of(owner) == DocRole::Outsider {
        return Err(DocumentError::Invalid("an action's owner must be the mentor or the mentee".into()));
    }
    if let Some(due) = due {
        parse_date("due date", due)?;
    }
    Ok(())
}

/// Put `value` at `key`, or delete the key when `value` is `None`. A key that is
/// already absent is left alone, so clearing twice writes no operation.
fn put_or_clear(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: Option<ScalarValue>) -> Result<(), DocumentError> {
    match value {
        Some(value) => doc.put(obj, key, value)?,
        None if doc.get(obj, key)?.is_some() => doc.delete(obj, key)?,
        None => {}
    }
    Ok(())
}
