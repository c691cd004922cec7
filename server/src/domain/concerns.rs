//! Concerns a mentee or mentor raised privately with the organisation's
//! coordinators (`GET /v1/concerns`, `POST /v1/concerns/{id}/acknowledge` and
//! `/close`, the console's inbox).
//!
//! A concern is a document its author's phone writes (sync-core `concern`).
//! It is the one place a coordinator reads words a pair member wrote, because
//! the author chose to send them: the inbox reads the text from the document;
//! everything else (the dashboard's flag, the oversight report's counts) reads
//! `concern_projections`, which hold no text. Coordinators read and answer
//! concerns; admins do not (DESIGN.md's table: governance is not the running
//! of the programme). The answer is written into the document by the server
//! ([`crate::sync::engine::write_on_server`]), under the write rules' part
//! `Coordinator`, and reaches the author's phone on its next sync.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sync_core::{ConcernStatus, DocumentError};
use utoipa::ToSchema;

use super::{Actor, AuditObject, DomainError, record_audit, required_text};
use crate::db::concerns::{self as concerns_db, ConcernRow};
use crate::db::{self, DbConnection, people};
use crate::model::{Day, DocumentId, MentorshipId, OrgId, PersonId, ProgrammeId, SiteId, Timestamp};
use crate::sync::SyncError;
use crate::sync::cache::DocCache;
use crate::sync::engine::{ChangedDoc, ServerWriter, write_on_server};

/// Longest response a coordinator writes, in characters.
pub const MAX_RESPONSE_CHARS: usize = 10_000;

/// Why a concern operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ConcernError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl From<diesel::result::Error> for ConcernError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Domain(error.into())
    }
}

/// A concern as a coordinator reads it, with the author's words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConcernItem {
    #[schema(value_type = String)]
    pub id: DocumentId,
    #[schema(value_type = String)]
    pub mentorship_id: MentorshipId,
    #[schema(value_type = String)]
    pub author_id: PersonId,
    pub author_name: String,
    /// `pairing_not_working`, `safeguarding` or `other`.
    pub kind: String,
    /// `open`, `acknowledged` or `closed`.
    pub status: String,
    /// The author's words.
    pub text: String,
    /// The coordinators' latest response (empty until there is one).
    pub response: String,
    /// When the server first received it.
    #[schema(value_type = String)]
    pub raised_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub acknowledged_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<Timestamp>,
}

/// Reading and answering concerns: coordinators only.
pub fn read_concerns(actor: &Actor) -> Result<(), DomainError> {
    if actor.roles.coordinator {
        Ok(())
    } else {
        Err(DomainError::forbidden("only coordinators read and answer the concerns people raise"))
    }
}

/// The organisation's concerns, newest first, optionally of one status, with
/// their text.
pub fn list(
    conn: &mut DbConnection,
    cache: &DocCache,
    org_id: OrgId,
    actor: &Actor,
    status: Option<ConcernStatus>,
) -> Result<Vec<ConcernItem>, ConcernError> {
    read_concerns(actor)?;
    let rows = concerns_db::find_by_org(conn, org_id, status.map(ConcernStatus::as_str))?;
    let names: HashMap<PersonId, String> =
        people::find_by_org(conn, org_id)?.into_iter().map(|p| (p.id, p.display_name)).collect();
    rows.into_iter()
        .map(|row| {
            let view = crate::sync::read::concern_view(conn, cache, row.document_id)?;
            Ok(item(row, view.text, view.response, &names))
        })
        .collect()
}

fn item(row: ConcernRow, text: String, response: String, names: &HashMap<PersonId, String>) -> ConcernItem {
    ConcernItem {
        id: row.document_id,
        mentorship_id: row.mentorship_id,
        author_id: row.author_id,
        author_name: names.get(&row.author_id).cloned().unwrap_or_default(),
        kind: row.kind,
        status: row.status,
        text,
        response,
        raised_at: row.raised_at,
        acknowledged_at: row.acknowledged_at,
        closed_at: row.closed_at,
    }
}

/// How a coordinator answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Acknowledge,
    Close,
}

impl Answer {
    fn status(self) -> ConcernStatus {
        match self {
            Answer::Acknowledge => ConcernStatus::Acknowledged,
            Answer::Close => ConcernStatus::Closed,
        }
    }
}

/// Acknowledge or close a concern of the organisation with a response the
/// author reads on their phone. A concern of another organisation, or one that
/// does not exist, is "not found" alike; a closed one takes no further answer
/// (409 `concern_closed`). Audited without the text. Returns the concern as it
/// now stands and the changed document (for live updates).
pub fn answer(
    conn: &mut DbConnection,
    cache: &DocCache,
    org_id: OrgId,
    actor: &Actor,
    id: DocumentId,
    how: Answer,
    response: &str,
) -> Result<(ConcernItem, ChangedDoc), ConcernError> {
    read_concerns(actor)?;
    let person = actor.person_id.ok_or_else(|| DomainError::forbidden("a concern is answered by a person"))?;
    let response = required_text("response", response, MAX_RESPONSE_CHARS)?;
    let result = db::write_transaction(conn, |conn| -> Result<_, ConcernError> {
        let row = concerns_db::find_by_id(conn, org_id, id)?.ok_or(DomainError::not_found("concern"))?;
        if row.status == ConcernStatus::Closed.as_str() {
            return Err(closed().into());
        }
        let writer = ServerWriter { org_id, person };
        let status = how.status();
        let ((), changed) =
            write_on_server(conn, cache, writer, id, |doc, me| doc.respond_to_concern(me, status, &response))?
                .map_err(refusal)?;
        let row = concerns_db::find_by_id(conn, org_id, id)?.ok_or(DomainError::not_found("concern"))?;
        record_audit(
            conn,
            org_id,
            actor,
            match how {
                Answer::Acknowledge => "concern.acknowledged",
                Answer::Close => "concern.closed",
            },
            AuditObject::new("concern", id),
            serde_json::json!({ "kind": row.kind, "mentorship_id": row.mentorship_id, "author_id": row.author_id }),
        )?;
        Ok((row, changed))
    });
    let (row, changed) = match result {
        Ok(done) => done,
        Err(error) => {
            // The document may have been edited in memory before the rollback.
            cache.evict(id);
            return Err(error);
        }
    };
    let names: HashMap<PersonId, String> =
        people::find_by_org(conn, org_id)?.into_iter().map(|p| (p.id, p.display_name)).collect();
    let view = crate::sync::read::concern_view(conn, cache, id)?;
    Ok((item(row, view.text, view.response, &names), changed))
}

fn closed() -> DomainError {
    DomainError::conflict("concern_closed", "this concern is closed and takes no further answer")
}

fn refusal(error: DocumentError) -> ConcernError {
    match error {
        DocumentError::Forbidden(violation) => DomainError::forbidden(violation.to_string()).into(),
        DocumentError::Invalid(message) if message.contains("closed") => closed().into(),
        DocumentError::Invalid(message) => DomainError::invalid("invalid_concern", message).into(),
        other => SyncError::Unreadable { message: format!("the concern cannot be answered: {other}") }.into(),
    }
}

/// Concerns raised and closed in one group of pairings, for the oversight
/// report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConcernCounts {
    #[schema(value_type = String)]
    pub programme_id: ProgrammeId,
    #[schema(value_type = Option<String>)]
    pub site_id: Option<SiteId>,
    /// The month the pairings started, `YYYY-MM` (`None`: not started).
    pub cohort: Option<String>,
    /// Raised in the period (received by the server then).
    pub raised: u32,
    /// Closed in the period.
    pub closed: u32,
    /// Of those raised, how many were about safeguarding.
    pub safeguarding_raised: u32,
}

/// Concerns raised and closed between `from` and `to` (inclusive days; `None`:
/// unbounded), by the programme, site and start-month cohort of the pairing they
/// are about, in that order. Counts only, never text or who raised them; the
/// caller (the oversight report) checks the reader's role and suppresses small
/// cells.
pub fn counts_by_cohort(
    conn: &mut DbConnection,
    org_id: OrgId,
    from: Option<Day>,
    to: Option<Day>,
) -> Result<Vec<ConcernCounts>, DomainError> {
    let within = |at: Timestamp| {
        let day = at.day();
        from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
    };
    type Key = (ProgrammeId, Option<SiteId>, Option<String>);
    let mut groups: BTreeMap<Key, ConcernCounts> = BTreeMap::new();
    for (row, programme_id, site_id, started_on) in concerns_db::find_with_pairings(conn, org_id)? {
        let cohort = started_on.map(|d| d.to_string().chars().take(7).collect::<String>());
        let raised = within(row.raised_at);
        let closed = row.closed_at.is_some_and(within);
        if !raised && !closed {
            continue;
        }
        let entry = groups.entry((programme_id, site_id, cohort.clone())).or_insert(ConcernCounts {
            programme_id,
            site_id,
            cohort,
            raised: 0,
            closed: 0,
            safeguarding_raised: 0,
        });
        if raised {
            entry.raised += 1;
            if row.kind == "safeguarding" {
                entry.safeguarding_raised += 1;
            }
        }
        if closed {
            entry.closed += 1;
        }
    }
    Ok(groups.into_values().collect())
}

/// The open (not closed) safeguarding concerns of the organisation: the
/// pairings they are about, oldest first. No text; for the dashboard's flag.
pub fn open_safeguarding(conn: &mut DbConnection, org_id: OrgId) -> Result<Vec<MentorshipId>, DomainError> {
    Ok(concerns_db::find_open_safeguarding(conn, org_id)?)
}
