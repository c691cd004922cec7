//! Projections: the metadata of pair documents that coordinators may see.
//!
//! Dates, kinds, durations, statuses, sign-off state and counts; never notes,
//! accounts of the shift, feedback text, action text, goal titles or journals.
//! The only free text is what a pair put under `shared` on purpose. The rows
//! themselves are `db::projections`'; this module reads them off a document.

use sync_core::{DocKind, Document, DocumentError};

pub use crate::db::projections::{ActionProjection, GoalProjection, SessionProjection};
pub use crate::db::scheme_projections::{AgreementProjection, GroupSessionProjection};

/// The projection of a document, by kind. Journals have none at all: not even counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    Session(SessionProjection),
    Goals(Vec<GoalProjection>),
    Agreement(AgreementProjection),
    GroupSession(GroupSessionProjection),
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
                actions: view
                    .actions
                    .into_iter()
                    .map(|a| ActionProjection { action_id: a.id, due_on: a.due, done: a.done })
                    .collect(),
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
        DocKind::Agreement => {
            let view = doc.agreement_view()?;
            // The day the agreement was signed by both: the later signature.
            let signed_on = match (&view.mentor_signed_at, &view.mentee_signed_at) {
                (Some(a), Some(b)) => Some(a.max(b).chars().take(10).collect()),
                _ => None,
            };
            Ok(Projection::Agreement(AgreementProjection {
                mentor_signed: view.mentor_signed_at.is_some(),
                mentee_signed: view.mentee_signed_at.is_some(),
                signed_on,
                amended_after_signing: view.amended_after_signing,
                review_on: view.terms.review_on,
            }))
        }
        DocKind::GroupSession => {
            let view = doc.group_session_view()?;
            let attended = view.attendance.values().filter(|a| **a).count();
            Ok(Projection::GroupSession(GroupSessionProjection {
                session_date: view.date,
                attended: i32::try_from(attended).unwrap_or(i32::MAX),
            }))
        }
        DocKind::Journal => Ok(Projection::None),
    }
}
