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
use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{ChangeHash, ObjType, PatchAction, Prop};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::document::{Document, DocumentError, check_len, now_rfc3339, parse_date, schema_error};
use crate::ids::{DocKind, DocRole, UserId};
use crate::rules::Path;

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// The name stored in documents and on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = DocumentError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(DocumentError::Invalid(format!(
                        concat!("{:?} is not a valid ", stringify!($name), "; expected one of: {}"),
                        other,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// What kind of contact a session was.
    SessionKind {
        /// A shift worked side by side.
        Shadowing = "shadowing",
        /// A 1:1 meeting.
        Meeting = "meeting",
        /// A short phone or online check-in.
        CheckIn = "check_in",
    }
);

string_enum!(
    /// How the pair met.
    Mode {
        /// In person.
        FaceToFace = "face_to_face",
        /// By phone.
        Phone = "phone",
        /// By video call.
        Online = "online",
    }
);

string_enum!(
    /// Whether the session took place.
    SessionStatus {
        /// It happened and is being logged.
        Logged = "logged",
        /// Called off in advance.
        Cancelled = "cancelled",
        /// Did not happen as planned.
        Missed = "missed",
    }
);

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
    fn expect_session(&self) -> Result<(), DocumentError> {
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

    /// Set the optional facts of a session; `None` fields are left as they are.
    pub fn set_session_details(&mut self, author: UserId, details: &SessionDetails) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["meta", "details"]))?;
        if let Some(start) = &details.start_time {
            time::Time::parse(start, time::macros::format_description!("[hour]:[minute]"))
                .map_err(|_| DocumentError::Invalid(format!("start time must look like 09:30, not {start:?}")))?;
        }
        if details.duration_minutes.is_some_and(|m| m > 24 * 60) {
            return Err(DocumentError::Invalid("a session cannot last more than 24 hours".into()));
        }
        if let Some(location) = &details.location {
            check_len("location", location)?;
        }
        let meta = self.root_obj("meta", ObjType::Map)?;
        self.transact(|doc| {
            if let Some(start) = &details.start_time {
                doc.put(&meta, "start_time", start.as_str())?;
            }
            if let Some(minutes) = details.duration_minutes {
                doc.put(&meta, "duration_minutes", u64::from(minutes))?;
            }
            if let Some(mode) = details.mode {
                doc.put(&meta, "mode", mode.as_str())?;
            }
            if let Some(location) = &details.location {
                doc.put(&meta, "location", location.as_str())?;
            }
            Ok(())
        })
    }

    /// Mark a session cancelled or missed (with a reason), or logged again.
    pub fn set_session_status(
        &mut self,
        author: UserId,
        status: SessionStatus,
        reason: Option<&str>,
    ) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["meta", "status"]))?;
        if let Some(reason) = reason {
            check_len("reason", reason)?;
        }
        let meta = self.root_obj("meta", ObjType::Map)?;
        self.transact(|doc| {
            doc.put(&meta, "status", status.as_str())?;
            match reason {
                Some(reason) => doc.put(&meta, "status_reason", reason)?,
                None => doc.delete(&meta, "status_reason")?,
            }
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

    /// Record a skill as practised in this session.
    pub fn add_skill(&mut self, author: UserId, skill: &str) -> Result<(), DocumentError> {
        self.expect_session()?;
        let skill = skill.trim();
        if skill.is_empty() || skill.len() > 200 {
            return Err(DocumentError::Invalid("a skill needs a name of at most 200 bytes".into()));
        }
        self.authorize(author, &Path::keys(["skills", skill]))?;
        let skills = self.root_obj("skills", ObjType::Map)?;
        self.transact(|doc| Ok(doc.put(&skills, skill, true)?))
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
        if text.trim().is_empty() {
            return Err(DocumentError::Invalid("an action needs some text".into()));
        }
        check_len("action", text)?;
        if self.header().role_of(owner) == DocRole::Outsider {
            return Err(DocumentError::Invalid("an action's owner must be the mentor or the mentee".into()));
        }
        if let Some(due) = due {
            parse_date("due date", due)?;
        }
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

    /// Share a short summary with the coordinator (the only free text the console shows).
    pub fn set_shared_summary(&mut self, author: UserId, summary: &str) -> Result<(), DocumentError> {
        self.expect_session()?;
        self.authorize(author, &Path::keys(["shared", "summary"]))?;
        check_len("summary", summary)?;
        let shared = self.root_obj("shared", ObjType::Map)?;
        self.transact(|doc| Ok(doc.put(&shared, "summary", summary)?))
    }

    /// Sign the session as it is now: the signature pins the current heads. The
    /// mentor signs as mentor, the mentee as mentee; nobody else can sign.
    pub fn sign_off(&mut self, author: UserId) -> Result<(), DocumentError> {
        self.expect_session()?;
        let slot = match self.header().role_of(author) {
            DocRole::Mentor => "mentor",
            DocRole::Mentee => "mentee",
            DocRole::Owner | DocRole::Outsider => "outsider",
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
        self.expect_session()?;
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
