//! The reads reminders and the coordinators' digest need (projection
//! metadata only: dates, statuses, signatures, never a pair's words), and the
//! `digest_sends` row that keeps the weekly digest to one send per
//! organisation per week across processes and restarts.

use diesel::prelude::*;

use super::DbConnection;
use super::id_list::in_json;
use crate::model::{DocumentId, MentorshipId, OrgId, Timestamp};
use crate::schema::{action_projections, digest_sends, session_projections};

/// What reminders know of a session: its day, status and signatures.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = session_projections)]
pub struct SessionFact {
    pub document_id: DocumentId,
    pub org_id: OrgId,
    pub mentorship_id: MentorshipId,
    /// As the pair wrote it (`YYYY-MM-DD` when readable).
    pub session_date: Option<String>,
    pub status: String,
    pub mentor_signed: bool,
    pub mentee_signed: bool,
}

/// What reminders know of an open action: its session and due date.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = action_projections)]
pub struct ActionFact {
    pub document_id: DocumentId,
    pub org_id: OrgId,
    pub action_id: String,
    pub mentorship_id: MentorshipId,
    pub due_on: Option<String>,
}

/// The sessions of these pairings of the organisation.
///
/// Driven by the pairing index whatever the organisation's size: the SQL
/// filters by pairing only (an organisation filter there makes SQLite scan the
/// whole organisation's sessions by its `org_id` index, which also serves the
/// order), and the organisation is checked on the rows.
pub fn find_sessions(
    conn: &mut DbConnection,
    org_id: OrgId,
    mentorship_ids: &[MentorshipId],
) -> QueryResult<Vec<SessionFact>> {
    let order = (session_projections::session_date, session_projections::document_id);
    let mut rows: Vec<SessionFact> = match conn {
        DbConnection::Sqlite(conn) => session_projections::table
            .filter(in_json(session_projections::mentorship_id, mentorship_ids))
            .order(order)
            .select(SessionFact::as_select())
            .load(conn)?,
        DbConnection::Pg(conn) => session_projections::table
            .filter(session_projections::mentorship_id.eq_any(mentorship_ids))
            .order(order)
            .select(SessionFact::as_select())
            .load(conn)?,
    };
    rows.retain(|row| row.org_id == org_id);
    Ok(rows)
}

/// The actions of these pairings that are not done (driven by the pairing
/// index, as [`find_sessions`]).
pub fn find_open_actions(
    conn: &mut DbConnection,
    org_id: OrgId,
    mentorship_ids: &[MentorshipId],
) -> QueryResult<Vec<ActionFact>> {
    let order = (action_projections::due_on, action_projections::document_id, action_projections::action_id);
    let mut rows: Vec<ActionFact> = match conn {
        DbConnection::Sqlite(conn) => action_projections::table
            .filter(in_json(action_projections::mentorship_id, mentorship_ids))
            .filter(action_projections::done.eq(false))
            .order(order)
            .select(ActionFact::as_select())
            .load(conn)?,
        DbConnection::Pg(conn) => action_projections::table
            .filter(action_projections::mentorship_id.eq_any(mentorship_ids))
            .filter(action_projections::done.eq(false))
            .order(order)
            .select(ActionFact::as_select())
            .load(conn)?,
    };
    rows.retain(|row| row.org_id == org_id);
    Ok(rows)
}

/// When the organisation's digest was last sent (`None`: never).
pub fn find_last_sent(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Option<Timestamp>> {
    digest_sends::table
        .filter(digest_sends::org_id.eq(org_id))
        .select(digest_sends::last_sent_at)
        .first::<Option<Timestamp>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Sets the last send to `now` only if it is still `previous` (compare and
/// set), creating the row first if missing. Returns whether this caller won:
/// of several processes claiming the same week, exactly one does.
pub fn claim_send(
    conn: &mut DbConnection,
    org_id: OrgId,
    previous: Option<Timestamp>,
    now: Timestamp,
) -> QueryResult<bool> {
    let row = (digest_sends::org_id.eq(org_id), digest_sends::last_sent_at.eq(None::<Timestamp>));
    match conn {
        DbConnection::Sqlite(conn) => {
            diesel::insert_into(digest_sends::table).values(row).on_conflict_do_nothing().execute(conn)?;
        }
        DbConnection::Pg(conn) => {
            diesel::insert_into(digest_sends::table).values(row).on_conflict_do_nothing().execute(conn)?;
        }
    }
    let target = digest_sends::table.filter(digest_sends::org_id.eq(org_id));
    let changed = match previous {
        Some(previous) => diesel::update(target.filter(digest_sends::last_sent_at.eq(previous)))
            .set(digest_sends::last_sent_at.eq(Some(now)))
            .execute(conn)?,
        None => diesel::update(target.filter(digest_sends::last_sent_at.is_null()))
            .set(digest_sends::last_sent_at.eq(Some(now)))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Gives a claim back after the send failed: the row returns to `previous`
/// if it still holds this claim, so the next check tries again.
pub fn release_send(
    conn: &mut DbConnection,
    org_id: OrgId,
    claimed: Timestamp,
    previous: Option<Timestamp>,
) -> QueryResult<()> {
    diesel::update(
        digest_sends::table
            .filter(digest_sends::org_id.eq(org_id))
            .filter(digest_sends::last_sent_at.eq(Some(claimed))),
    )
    .set(digest_sends::last_sent_at.eq(previous))
    .execute(conn)
    .map(drop)
}

/// Records a send made now whatever was recorded before (`digest send`).
pub fn record_send(conn: &mut DbConnection, org_id: OrgId, now: Timestamp) -> QueryResult<()> {
    let previous = find_last_sent(conn, org_id)?;
    if !claim_send(conn, org_id, previous, now)? {
        diesel::update(digest_sends::table.filter(digest_sends::org_id.eq(org_id)))
            .set(digest_sends::last_sent_at.eq(Some(now)))
            .execute(conn)?;
    }
    Ok(())
}
