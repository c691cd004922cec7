//! `GET /v1/documents/{id}`: the server's copy of one document as typed JSON,
//! through the same cache and the same access test as sync.

use sync_core::DocKind;

use super::SyncError;
use super::cache::{self, DocCache};
use super::engine::{self, Caller};
use crate::db::DbConnection;
use crate::db::documents as documents_db;
use crate::model::DocumentId;

/// A stored document as typed data.
#[derive(Debug)]
pub struct DocumentJson {
    pub header: sync_core::DocHeader,
    /// The server's heads, hex.
    pub heads: Vec<String>,
    /// The typed view: a session, `{"goals": [..]}` or `{"reflections": [..]}`.
    pub view: serde_json::Value,
}

/// The server's copy of one document the caller may read. A document that does
/// not exist, belongs to another organisation or is not the caller's to read is
/// "not found" alike, so nothing about it is revealed.
pub fn document_view(
    conn: &mut DbConnection,
    cache: &DocCache,
    caller: &Caller,
    id: DocumentId,
) -> Result<DocumentJson, SyncError> {
    let stored = documents_db::find_refs_by_ids(conn, &[id])?.into_iter().next().ok_or(SyncError::NotFound)?;
    let header = engine::stored_header(&stored)?;
    let access = engine::readable(conn, caller)?;
    if !engine::may_hold(&header, caller, &access) {
        return Err(SyncError::NotFound);
    }
    let slot = cache.slot(id);
    let mut guard = cache::lock(&slot);
    let cached = engine::load(conn, &mut guard, header, Some(stored.last_change_id))?;
    let heads = cached.doc.heads().iter().map(ToString::to_string).collect();
    let view = match header.kind {
        DocKind::Session => cached.doc.session_view().map(serde_json::to_value),
        DocKind::GoalPlan => cached.doc.goals().map(|goals| serde_json::to_value(GoalsJson { goals })),
        DocKind::Agreement => cached.doc.agreement_view().map(serde_json::to_value),
        DocKind::GroupSession => cached.doc.group_session_view().map(serde_json::to_value),
        DocKind::Journal => {
            cached.doc.reflections().map(|reflections| serde_json::to_value(ReflectionsJson { reflections }))
        }
        DocKind::SurveyResponse => {
            cached.doc.survey_response().map(|response| serde_json::to_value(SurveyResponseJson { response }))
        }
        DocKind::Concern => cached.doc.concern_view().map(serde_json::to_value),
    }
    .map_err(|e| {
        // The write rules govern who writes where, not the shape of values: a pair
        // member's malformed value can leave a document unreadable as typed data.
        SyncError::Unreadable { message: format!("the document cannot be read as a {}: {e}", header.kind.as_str()) }
    })?
    .map_err(|_| SyncError::Invariant("a typed view does not serialise"))?;
    Ok(DocumentJson { header, heads, view })
}

#[derive(serde::Serialize)]
struct GoalsJson {
    goals: Vec<sync_core::Goal>,
}

#[derive(serde::Serialize)]
struct ReflectionsJson {
    reflections: Vec<sync_core::Reflection>,
}

#[derive(serde::Serialize)]
struct SurveyResponseJson {
    response: Option<sync_core::SurveyResponseView>,
}

/// A stored concern, read for the coordinators' inbox (the caller checks the
/// reader's role and organisation first: there is no access test here).
pub fn concern_view(
    conn: &mut DbConnection,
    cache: &DocCache,
    id: DocumentId,
) -> Result<sync_core::ConcernView, SyncError> {
    let stored = documents_db::find_refs_by_ids(conn, &[id])?.into_iter().next().ok_or(SyncError::NotFound)?;
    let header = engine::stored_header(&stored)?;
    if header.kind != DocKind::Concern {
        return Err(SyncError::NotFound);
    }
    let slot = cache.slot(id);
    let mut guard = cache::lock(&slot);
    let cached = engine::load(conn, &mut guard, header, Some(stored.last_change_id))?;
    cached
        .doc
        .concern_view()
        .map_err(|e| SyncError::Unreadable { message: format!("the document cannot be read as a concern: {e}") })
}
