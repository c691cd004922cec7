//! Queries on `programmes`.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{OrgId, ProgrammeId, Timestamp};
use crate::schema::programmes;

/// A formal mentoring scheme: induction length, contact rhythm and touchpoints.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = programmes)]
pub struct Programme {
    pub id: ProgrammeId,
    pub org_id: OrgId,
    pub name: String,
    pub induction_weeks: i32,
    pub contact_every_days: i32,
    pub first_contact_days: i32,
    /// Comma-separated days after the start, e.g. `30,60,90`.
    pub checkin_days: String,
    pub max_mentees_per_mentor: i32,
    pub created_at: Timestamp,
}

pub fn insert(conn: &mut DbConnection, programme: &Programme) -> QueryResult<()> {
    diesel::insert_into(programmes::table).values(programme).execute(conn).map(drop)
}

pub fn find_by_id(conn: &mut DbConnection, org_id: OrgId, id: ProgrammeId) -> QueryResult<Option<Programme>> {
    programmes::table
        .filter(programmes::org_id.eq(org_id))
        .filter(programmes::id.eq(id))
        .select(Programme::as_select())
        .first(conn)
        .optional()
}

/// The organisation's first programme, used when a pairing names none.
pub fn find_first_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Option<Programme>> {
    programmes::table
        .filter(programmes::org_id.eq(org_id))
        .order((programmes::created_at, programmes::id))
        .select(Programme::as_select())
        .first(conn)
        .optional()
}
