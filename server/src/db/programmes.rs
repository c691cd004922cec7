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
    /// `formal` or `informal`.
    pub kind: String,
    /// JSON list of `{name, day, window_days}`; `None` for a programme from
    /// before touchpoints were listed (see `domain::programme::touchpoints`).
    pub touchpoints: Option<String>,
    /// JSON list of course names a mentor must hold.
    pub required_training: String,
    /// JSON list of survey definitions (objects with a `key`).
    pub surveys: String,
}

/// Fields to change on a programme; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = programmes)]
pub struct ProgrammeChanges {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub induction_weeks: Option<i32>,
    pub contact_every_days: Option<i32>,
    pub max_mentees_per_mentor: Option<i32>,
    pub touchpoints: Option<Option<String>>,
    pub required_training: Option<String>,
    pub surveys: Option<String>,
}

pub fn update(
    conn: &mut DbConnection,
    org_id: OrgId,
    id: ProgrammeId,
    changes: &ProgrammeChanges,
) -> QueryResult<usize> {
    diesel::update(programmes::table.filter(programmes::org_id.eq(org_id)).filter(programmes::id.eq(id)))
        .set(changes)
        .execute(conn)
}

/// The organisation's programmes, oldest first (the first is the default).
pub fn find_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<Programme>> {
    programmes::table
        .filter(programmes::org_id.eq(org_id))
        .order((programmes::created_at, programmes::id))
        .select(Programme::as_select())
        .load(conn)
}

pub fn find_by_name(conn: &mut DbConnection, org_id: OrgId, name: &str) -> QueryResult<Option<Programme>> {
    programmes::table
        .filter(programmes::org_id.eq(org_id))
        .filter(programmes::name.eq(name))
        .select(Programme::as_select())
        .first(conn)
        .optional()
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
