//! Projections: the metadata of pair documents that coordinators may see.
//!
//! Dates, kinds, durations, statuses, sign-off state, counts and the names of
//! skills practised; never notes, accounts of the shift, feedback text, action
//! text, goal titles or journals. The only free text is what a pair put under
//! `shared` on purpose and the reason a session was cancelled or missed (asked
//! for as an operational reason the coordinator sees). The rows themselves are
//! `db::projections`'; this module reads them off a document, and
//! [`reproject_stale`] rewrites rows left by older projection code.

use sync_core::{DocKind, Document, DocumentError};

use super::{SyncError, engine};
use crate::db::documents as documents_db;
use crate::db::projections::{self as projections_db, Owner};
use crate::db::{DbConnection, DbError};
use crate::model::Timestamp;

pub use crate::db::concerns::ConcernProjection;
pub use crate::db::projections::{ActionProjection, GoalProjection, SessionProjection};
pub use crate::db::scheme_projections::{AgreementProjection, GroupSessionProjection};

/// The projection of a document, by kind. Journals have none at all: not even counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    Session(Box<SessionProjection>),
    Goals(Vec<GoalProjection>),
    Agreement(AgreementProjection),
    GroupSession(GroupSessionProjection),
    /// A survey response: checked against its pairing and survey when written
    /// (`domain::surveys::project_response`). `None` until submitted.
    SurveyResponse(Option<Box<sync_core::SurveyResponseView>>),
    /// Kind and status only; the text stays in the document.
    Concern(ConcernProjection),
    None,
}

/// Project a document.
pub fn project(doc: &mut Document) -> Result<Projection, DocumentError> {
    match doc.header().kind {
        DocKind::Session => {
            let view = doc.session_view()?;
            Ok(Projection::Session(Box::new(SessionProjection {
                kind: view.kind.map(|k| k.as_str().to_owned()),
                session_date: view.date,
                start_time: view.details.start_time,
                duration_minutes: view.details.duration_minutes.and_then(|m| i32::try_from(m).ok()),
                mode: view.details.mode.map(|m| m.as_str().to_owned()),
                status: view.status.as_str().to_owned(),
                status_reason: view.status_reason,
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
                skills: view.skills,
            })))
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
        DocKind::SurveyResponse => Ok(Projection::SurveyResponse(doc.survey_response()?.map(Box::new))),
        DocKind::Concern => {
            let view = doc.concern_view()?;
            // Nothing raised yet (a genesis-only document): nothing to show.
            Ok(match view.kind {
                Some(kind) => Projection::Concern(ConcernProjection {
                    kind: kind.as_str().to_owned(),
                    status: view.status.as_str().to_owned(),
                }),
                None => Projection::None,
            })
        }
    }
}

/// Projects every session again when `projection_versions` says the rows were
/// written by older projection code
/// ([`projections_db::SESSION_PROJECTION_VERSION`]), one transaction per
/// document, then records the version unless one failed; returns how many were
/// rewritten. Run at
/// start-up after the migrations: when up to date it costs one query. A document
/// that cannot be loaded or read keeps its old row (logged), as when syncing; it
/// never stops the server starting. Safe to repeat or to run on two replicas at
/// once: each document's rows are replaced whole.
pub fn reproject_stale(conn: &mut DbConnection) -> Result<usize, DbError> {
    if projections_db::session_version(conn)? >= projections_db::SESSION_PROJECTION_VERSION {
        return Ok(0);
    }
    let mut rewritten = 0;
    let mut failed = 0;
    for owner in projections_db::find_session_owners(conn)? {
        match reproject(conn, owner) {
            Ok(true) => rewritten += 1,
            Ok(false) => {}
            Err(error) => {
                failed += 1;
                tracing::warn!(document = %owner.document_id, %error, "session could not be projected again");
            }
        }
    }
    // A document that failed is tried again at the next start: the version is
    // recorded only once every session has been projected by this code.
    if failed == 0 {
        projections_db::record_session_version(conn)?;
    }
    Ok(rewritten)
}

fn reproject(conn: &mut DbConnection, owner: Owner) -> Result<bool, SyncError> {
    let Some(stored) = documents_db::find_refs_by_ids(conn, &[owner.document_id])?.into_iter().next() else {
        return Ok(false);
    };
    let header = engine::stored_header(&stored)?;
    let mut slot = None;
    let cached = engine::load(conn, &mut slot, header, Some(stored.last_change_id))?;
    let Projection::Session(session) =
        project(&mut cached.doc).map_err(|e| SyncError::Unreadable { message: e.to_string() })?
    else {
        return Ok(false);
    };
    crate::db::write_transaction(conn, |conn| {
        projections_db::replace_session(conn, owner, &session, Timestamp::now())
    })?;
    Ok(true)
}
