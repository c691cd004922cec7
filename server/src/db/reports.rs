//! Organisation-wide reads for reports: projection columns only (dates,
//! statuses, the reason given for a session that did not happen), never a
//! shared summary, a note or a goal's words.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{MentorshipId, OrgId};
use crate::schema::{goal_projections, session_projections};

/// A session as a report counts it.
#[derive(Debug, Clone, Queryable)]
pub struct SessionFact {
    pub mentorship_id: MentorshipId,
    pub session_date: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
}

pub fn find_session_facts(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<SessionFact>> {
    session_projections::table
        .filter(session_projections::org_id.eq(org_id))
        .order((session_projections::session_date, session_projections::document_id))
        .select((
            session_projections::mentorship_id,
            session_projections::session_date,
            session_projections::status,
            session_projections::status_reason,
        ))
        .load(conn)
}

/// Every goal's pairing and status.
pub fn find_goal_statuses(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<(MentorshipId, String)>> {
    goal_projections::table
        .filter(goal_projections::org_id.eq(org_id))
        .order((goal_projections::document_id, goal_projections::goal_id))
        .select((goal_projections::mentorship_id, goal_projections::status))
        .load(conn)
}
