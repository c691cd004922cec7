//! Reflection journals: one per person, private to its owner.
//!
//! Layout: `entries` maps an entry id to `{created_at, what_happened, feelings,
//! went_well, to_improve, next_time}` (a guided reflection).

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::document::{Document, DocumentError, check_len, now_rfc3339};
use crate::ids::{DocKind, UserId};
use crate::rules::Path;

/// The guided questions of a reflection, in the order the apps ask them.
const FIELDS: [&str; 5] = ["what_happened", "feelings", "went_well", "to_improve", "next_time"];

/// What the person writes in one reflection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReflectionInput {
    /// What happened.
    pub what_happened: String,
    /// How it felt.
    pub feelings: String,
    /// What went well.
    pub went_well: String,
    /// What could be better.
    pub to_improve: String,
    /// What I'd do next time.
    pub next_time: String,
}

impl ReflectionInput {
    fn fields(&self) -> [&str; 5] {
        [&self.what_happened, &self.feelings, &self.went_well, &self.to_improve, &self.next_time]
    }
}

/// A journal entry as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reflection {
    /// Its id within the journal.
    pub id: String,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// The answers.
    pub input: ReflectionInput,
}

impl Document {
    /// Add a reflection; returns its id.
    pub fn add_reflection(&mut self, author: UserId, input: &ReflectionInput) -> Result<String, DocumentError> {
        self.expect_kind(DocKind::Journal)?;
        let id = Uuid::new_v4().to_string();
        self.authorize(author, &Path::keys(["entries", id.as_str()]))?;
        for (field, value) in FIELDS.iter().zip(input.fields()) {
            check_len(field, value)?;
        }
        if input.fields().iter().all(|value| value.trim().is_empty()) {
            return Err(DocumentError::Invalid("a reflection needs at least one answer".into()));
        }
        let entries = self.root_obj("entries", ObjType::Map)?;
        let created_at = now_rfc3339();
        self.transact(|doc| {
            let entry = doc.put_object(&entries, id.as_str(), ObjType::Map)?;
            doc.put(&entry, "created_at", created_at.as_str())?;
            for (field, value) in FIELDS.iter().zip(input.fields()) {
                doc.put(&entry, *field, value)?;
            }
            Ok(())
        })?;
        Ok(id)
    }

    /// Every reflection, oldest first.
    pub fn reflections(&self) -> Result<Vec<Reflection>, DocumentError> {
        self.expect_kind(DocKind::Journal)?;
        let entries = self.root_obj("entries", ObjType::Map)?;
        let mut reflections = Vec::new();
        for id in self.keys(&entries) {
            let path = format!("/entries/{id}");
            let Some(entry) = self.get_obj(&entries, &id, ObjType::Map, &path)? else { continue };
            let answer = |field: &str| self.get_string(&entry, field, &path).map(Option::unwrap_or_default);
            let input = ReflectionInput {
                what_happened: answer("what_happened")?,
                feelings: answer("feelings")?,
                went_well: answer("went_well")?,
                to_improve: answer("to_improve")?,
                next_time: answer("next_time")?,
            };
            reflections.push(Reflection {
                created_at: self.get_string(&entry, "created_at", &path)?.unwrap_or_default(),
                id,
                input,
            });
        }
        reflections.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(reflections)
    }
}
