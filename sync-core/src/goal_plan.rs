//! Goal plans: the goals of one mentorship, with dated progress notes.
//!
//! Layout: `goals` maps a goal id to `{title, description, category, target_date,
//! status, created_at, progress: {note id -> {date, at, text, by}}}` (`at`, the
//! moment written, is absent from notes written before it was added). Either member of
//! the pair may write anything below `goals`.

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantNames};
use uuid::Uuid;

use crate::document::{Document, DocumentError, check_len, not_one_of, now_rfc3339, parse_date};
use crate::ids::{DocKind, UserId};
use crate::rules::Path;

/// What a goal is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Display, EnumString, IntoStaticStr, VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = DocumentError, parse_err_fn = not_one_of::<Self>)]
pub enum GoalCategory {
    /// A practical skill.
    Skill,
    /// Confidence in the role.
    Confidence,
    /// Wellbeing at work.
    Wellbeing,
    /// Career and development.
    Career,
}

/// Where a goal stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Display, EnumString, IntoStaticStr, VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = DocumentError, parse_err_fn = not_one_of::<Self>)]
pub enum GoalStatus {
    /// Suggested, not yet agreed.
    Proposed,
    /// Agreed by the pair.
    Agreed,
    /// Being worked on.
    InProgress,
    /// Reached.
    Achieved,
    /// Set aside.
    Dropped,
}

wire_names!(GoalCategory, GoalStatus);

/// A dated note on a goal's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressNote {
    /// Its id within the goal.
    pub id: String,
    /// When (`YYYY-MM-DD`).
    pub date: String,
    /// The moment it was written (RFC 3339), or its date for older notes.
    pub at: String,
    /// What happened.
    pub text: String,
    /// Who wrote it.
    pub by: String,
}

/// A goal as the apps show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    /// Its id within the plan.
    pub id: String,
    /// A short title.
    pub title: String,
    /// A longer description.
    pub description: String,
    /// What it is about.
    pub category: GoalCategory,
    /// When it should be reached (`YYYY-MM-DD`).
    pub target_date: Option<String>,
    /// Where it stands.
    pub status: GoalStatus,
    /// When it was added (RFC 3339).
    pub created_at: String,
    /// Progress notes, oldest first.
    pub progress: Vec<ProgressNote>,
}

impl Document {
    /// Add a goal (status `proposed`); returns its id.
    pub fn add_goal(
        &mut self,
        author: UserId,
        title: &str,
        category: GoalCategory,
        target_date: Option<&str>,
    ) -> Result<String, DocumentError> {
        self.expect_kind(DocKind::GoalPlan)?;
        let id = Uuid::new_v4().to_string();
        self.authorize(author, &Path::keys(["goals", id.as_str()]))?;
        if title.trim().is_empty() {
            return Err(DocumentError::Invalid("a goal needs a title".into()));
        }
        check_len("title", title)?;
        if let Some(date) = target_date {
            parse_date("target date", date)?;
        }
        let goals = self.root_obj("goals", ObjType::Map)?;
        let created_at = now_rfc3339();
        self.transact(|doc| {
            let goal = doc.put_object(&goals, id.as_str(), ObjType::Map)?;
            doc.put(&goal, "title", title)?;
            doc.put(&goal, "description", "")?;
            doc.put(&goal, "category", category.as_str())?;
            if let Some(date) = target_date {
                doc.put(&goal, "target_date", date)?;
            }
            doc.put(&goal, "status", GoalStatus::Proposed.as_str())?;
            doc.put(&goal, "created_at", created_at.as_str())?;
            doc.put_object(&goal, "progress", ObjType::Map)?;
            Ok(())
        })?;
        Ok(id)
    }

    fn goal_obj(&self, goal_id: &str) -> Result<automerge::ObjId, DocumentError> {
        let goals = self.root_obj("goals", ObjType::Map)?;
        self.get_obj(&goals, goal_id, ObjType::Map, "/goals")?
            .ok_or_else(|| DocumentError::NotFound(format!("goal {goal_id}")))
    }

    /// Move a goal to another status.
    pub fn set_goal_status(&mut self, author: UserId, goal_id: &str, status: GoalStatus) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::GoalPlan)?;
        self.authorize(author, &Path::keys(["goals", goal_id, "status"]))?;
        let goal = self.goal_obj(goal_id)?;
        self.transact(|doc| Ok(doc.put(&goal, "status", status.as_str())?))
    }

    /// Describe a goal at more length.
    pub fn set_goal_description(
        &mut self,
        author: UserId,
        goal_id: &str,
        description: &str,
    ) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::GoalPlan)?;
        self.authorize(author, &Path::keys(["goals", goal_id, "description"]))?;
        check_len("description", description)?;
        let goal = self.goal_obj(goal_id)?;
        self.transact(|doc| Ok(doc.put(&goal, "description", description)?))
    }

    /// Add a dated progress note to a goal; returns its id.
    pub fn add_goal_progress(
        &mut self,
        author: UserId,
        goal_id: &str,
        date: &str,
        text: &str,
    ) -> Result<String, DocumentError> {
        self.expect_kind(DocKind::GoalPlan)?;
        let note_id = Uuid::new_v4().to_string();
        self.authorize(author, &Path::keys(["goals", goal_id, "progress", note_id.as_str()]))?;
        parse_date("date", date)?;
        if text.trim().is_empty() {
            return Err(DocumentError::Invalid("a progress note needs some text".into()));
        }
        check_len("progress note", text)?;
        let goal = self.goal_obj(goal_id)?;
        let progress = self
            .get_obj(&goal, "progress", ObjType::Map, "/goals/progress")?
            .ok_or_else(|| crate::document::schema_error(format!("/goals/{goal_id}/progress"), "missing"))?;
        self.transact(|doc| {
            let note = doc.put_object(&progress, note_id.as_str(), ObjType::Map)?;
            doc.put(&note, "date", date)?;
            doc.put(&note, "at", now_rfc3339())?;
            doc.put(&note, "text", text)?;
            doc.put(&note, "by", author.to_string())?;
            Ok(())
        })?;
        Ok(note_id)
    }

    /// Every goal of the plan, oldest first.
    pub fn goals(&self) -> Result<Vec<Goal>, DocumentError> {
        self.expect_kind(DocKind::GoalPlan)?;
        let goals_obj = self.root_obj("goals", ObjType::Map)?;
        let mut goals = Vec::new();
        for id in self.keys(&goals_obj) {
            let path = format!("/goals/{id}");
            let Some(goal) = self.get_obj(&goals_obj, &id, ObjType::Map, &path)? else { continue };
            let mut progress = Vec::new();
            if let Some(notes) = self.get_obj(&goal, "progress", ObjType::Map, &path)? {
                for note_id in self.keys(&notes) {
                    let Some(note) = self.get_obj(&notes, &note_id, ObjType::Map, &path)? else { continue };
                    let date = self.get_string(&note, "date", &path)?.unwrap_or_default();
                    progress.push(ProgressNote {
                        at: self.get_string(&note, "at", &path)?.unwrap_or_else(|| date.clone()),
                        date,
                        id: note_id,
                        text: self.get_string(&note, "text", &path)?.unwrap_or_default(),
                        by: self.get_string(&note, "by", &path)?.unwrap_or_default(),
                    });
                }
            }
            progress.sort_by(|a, b| (&a.date, &a.at, &a.id).cmp(&(&b.date, &b.at, &b.id)));
            let category = self.get_string(&goal, "category", &path)?.unwrap_or_default().parse()?;
            let status = self.get_string(&goal, "status", &path)?.unwrap_or_default().parse()?;
            goals.push(Goal {
                title: self.get_string(&goal, "title", &path)?.unwrap_or_default(),
                description: self.get_string(&goal, "description", &path)?.unwrap_or_default(),
                category,
                target_date: self.get_string(&goal, "target_date", &path)?,
                status,
                created_at: self.get_string(&goal, "created_at", &path)?.unwrap_or_default(),
                progress,
                id,
            });
        }
        goals.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(goals)
    }
}
