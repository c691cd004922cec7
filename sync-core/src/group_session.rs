//! Group sessions: one meeting of a group (a peer circle, a mentors' support
//! group), read and written by the group's current members.
//!
//! Layout (every top-level object comes from the genesis change):
//!
//! ```text
//! meta        date
//! notes       shared notes (collaborative text)
//! attendance  person id -> true / false (any member records it)
//! accounts    person id -> that member's own account (that member only)
//! ```
//!
//! Membership is not in the document (it changes): the server checks it on every
//! request before the write rules run, and the phone holds only the group
//! documents the server sent it.

use std::collections::BTreeMap;

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::document::{Document, DocumentError, check_len, parse_date};
use crate::ids::{DocKind, UserId};
use crate::rules::Path;

/// A group session as the apps show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSessionView {
    /// The session's document id.
    pub id: String,
    /// The group it belongs to.
    pub group_id: String,
    /// The day, `YYYY-MM-DD` (absent until one phone has set it).
    pub date: Option<String>,
    /// The shared notes.
    pub notes: String,
    /// Who attended, by person id.
    pub attendance: BTreeMap<String, bool>,
    /// Each member's own account, by person id.
    pub accounts: BTreeMap<String, String>,
}

impl Document {
    /// Set the day of a group session.
    pub fn set_group_session_date(&mut self, author: UserId, date: &str) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::GroupSession)?;
        self.authorize(author, &Path::keys(["meta", "date"]))?;
        parse_date("date", date)?;
        let meta = self.root_obj("meta", ObjType::Map)?;
        if self.get_string(&meta, "date", "/meta/date")?.as_deref() == Some(date) {
            return Ok(());
        }
        self.transact(|doc| Ok(doc.put(&meta, "date", date)?))
    }

    /// Splice the shared notes of a group session (UTF-16 code units).
    pub fn edit_group_notes(
        &mut self,
        author: UserId,
        index: usize,
        delete: usize,
        insert: &str,
    ) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::GroupSession)?;
        self.splice_notes(author, index, delete, insert)
    }

    /// Record whether `person` attended.
    pub fn set_attendance(&mut self, author: UserId, person: UserId, attended: bool) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::GroupSession)?;
        let key = person.to_string();
        self.authorize(author, &Path::keys(["attendance", key.as_str()]))?;
        let attendance = self.root_obj("attendance", ObjType::Map)?;
        self.transact(|doc| Ok(doc.put(&attendance, key.as_str(), attended)?))
    }

    /// Replace the author's own account of the group session.
    pub fn set_my_group_account(&mut self, author: UserId, text: &str) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::GroupSession)?;
        let key = author.to_string();
        self.authorize(author, &Path::keys(["accounts", key.as_str()]))?;
        check_len("account", text)?;
        let accounts = self.root_obj("accounts", ObjType::Map)?;
        self.transact(|doc| Ok(doc.put(&accounts, key.as_str(), text)?))
    }

    /// The group session as the apps show it.
    pub fn group_session_view(&self) -> Result<GroupSessionView, DocumentError> {
        self.expect_kind(DocKind::GroupSession)?;
        let meta = self.root_obj("meta", ObjType::Map)?;
        let notes = self.root_obj("notes", ObjType::Text)?;
        let attendance_obj = self.root_obj("attendance", ObjType::Map)?;
        let mut attendance = BTreeMap::new();
        for person in self.keys(&attendance_obj) {
            if let Some(attended) = self.get_bool(&attendance_obj, &person, "/attendance")? {
                attendance.insert(person, attended);
            }
        }
        let accounts_obj = self.root_obj("accounts", ObjType::Map)?;
        let mut accounts = BTreeMap::new();
        for person in self.keys(&accounts_obj) {
            if let Some(text) = self.get_string(&accounts_obj, &person, "/accounts")? {
                accounts.insert(person, text);
            }
        }
        Ok(GroupSessionView {
            id: self.header().id.to_string(),
            group_id: self.header().group_id().map(|g| g.to_string()).unwrap_or_default(),
            date: self.get_string(&meta, "date", "/meta/date")?,
            notes: self.text(&notes)?,
            attendance,
            accounts,
        })
    }
}
