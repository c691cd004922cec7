//! Queries on `training_records` and `mentor_profiles`.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{Day, OrgId, PersonId, Timestamp};
use crate::schema::{mentor_profiles, training_records};

/// One course a person completed.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = training_records)]
pub struct TrainingRecord {
    pub id: String,
    pub org_id: OrgId,
    pub person_id: PersonId,
    pub course: String,
    pub completed_on: Day,
    pub expires_on: Option<Day>,
    pub evidence: String,
    pub recorded_by: Option<PersonId>,
    pub created_at: Timestamp,
}

pub fn insert(conn: &mut DbConnection, record: &TrainingRecord) -> QueryResult<()> {
    diesel::insert_into(training_records::table).values(record).execute(conn).map(drop)
}

/// A person's records, newest completion first.
pub fn find_by_person(conn: &mut DbConnection, org_id: OrgId, person_id: PersonId) -> QueryResult<Vec<TrainingRecord>> {
    training_records::table
        .filter(training_records::org_id.eq(org_id))
        .filter(training_records::person_id.eq(person_id))
        .order((training_records::completed_on.desc(), training_records::id))
        .select(TrainingRecord::as_select())
        .load(conn)
}

/// Every record of the organisation (the console's matrix, matching).
pub fn find_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<TrainingRecord>> {
    training_records::table
        .filter(training_records::org_id.eq(org_id))
        .order((training_records::person_id, training_records::completed_on.desc()))
        .select(TrainingRecord::as_select())
        .load(conn)
}

/// A mentor's profile for matching. Lists are JSON text.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = mentor_profiles)]
#[diesel(treat_none_as_null = true)]
pub struct MentorProfileRow {
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub capacity: Option<i32>,
    pub languages: String,
    pub shift_pattern: Option<String>,
    pub specialisms: String,
    pub updated_at: Timestamp,
}

pub fn find_profile(
    conn: &mut DbConnection,
    org_id: OrgId,
    person_id: PersonId,
) -> QueryResult<Option<MentorProfileRow>> {
    mentor_profiles::table
        .filter(mentor_profiles::org_id.eq(org_id))
        .filter(mentor_profiles::person_id.eq(person_id))
        .select(MentorProfileRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_profiles_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<MentorProfileRow>> {
    mentor_profiles::table.filter(mentor_profiles::org_id.eq(org_id)).select(MentorProfileRow::as_select()).load(conn)
}

/// Writes the whole profile (insert or replace).
pub fn upsert_profile(conn: &mut DbConnection, row: &MentorProfileRow) -> QueryResult<()> {
    let updated = diesel::update(
        mentor_profiles::table
            .filter(mentor_profiles::org_id.eq(row.org_id))
            .filter(mentor_profiles::person_id.eq(row.person_id)),
    )
    .set(row)
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(mentor_profiles::table).values(row).execute(conn)?;
    }
    Ok(())
}
