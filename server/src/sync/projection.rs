//! Projections: the metadata of pair documents that coordinators may see.
//!
//! Dates, kinds, durations, statuses, sign-off state and counts; never notes,
//! accounts of the shift, feedback text, action text, goal titles or journals.
//! The only free text is what a pair put under `shared` on purpose.

use sync_core::{DocKind, Document, DocumentError, GoalStatus, SessionStatus};

/// What the console may know of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionProjection {
    pub kind: Option<String>,
    pub session_date: Option<String>,
    pub start_time: Option<String>,
    pub duration_minutes: Option<i32>,
    pub mode: Option<String>,
    pub status: String,
    pub mentor_signed: bool,
    pub mentee_signed: bool,
    pub amended_after_sign_off: bool,
    pub amended_parts: String,
    pub shared_summary: Option<String>,
    /// (action id, due date, done) for every action: no action text.
    pub actions: Vec<(String, Option<String>, bool)>,
}

/// What the console may know of a goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalProjection {
    pub goal_id: String,
    pub category: String,
    pub status: String,
    pub target_date: Option<String>,
}

/// The projection of a document, by kind. Journals have none at all: not even counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    Session(SessionProjection),
    Goals(Vec<GoalProjection>),
    None,
}

/// Project a document.
pub fn project(doc: &mut Document) -> Result<Projection, DocumentError> {
    match doc.header().kind {
        DocKind::Session => {
            let view = doc.session_view()?;
            Ok(Projection::Session(SessionProjection {
                kind: view.kind.map(|k| k.as_str().to_owned()),
                session_date: view.date,
                start_time: view.details.start_time,
                duration_minutes: view.details.duration_minutes.and_then(|m| i32::try_from(m).ok()),
                mode: view.details.mode.map(|m| m.as_str().to_owned()),
                status: view.status.as_str().to_owned(),
                mentor_signed: view.mentor_sign_off.is_some(),
                mentee_signed: view.mentee_sign_off.is_some(),
                amended_after_sign_off: view.amended_after_sign_off,
                amended_parts: view.amended_parts.join(","),
                shared_summary: view.shared_summary,
                actions: view.actions.into_iter().map(|a| (a.id, a.due, a.done)).collect(),
            }))
        }
        DocKind::GoalPlan => Ok(Projection::Goals(
            doc.goals()?
                .into_iter()
                .map(|g| GoalProjection {
                    goal_id: g.id,
                    category: g.category.as_str().to_owned(),
                    status: g.status.as_str().to_owned(),
                    target_date: g.target_date,
                })
                .collect(),
        )),
        DocKind::Journal => Ok(Projection::None),
    }
}

/// Whether a session status counts as contact having happened.
pub fn is_contact(status: &str) -> bool {
    status == SessionStatus::Logged.as_str()
}

/// Whether a goal status counts as achieved.
pub fn is_achieved(status: &str) -> bool {
    status == GoalStatus::Achieved.as_str()
}
