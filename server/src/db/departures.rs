//! Queries on `person_departures`: the day a deactivated person left and why.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{Day, LeavingReason, OrgId, PersonId, Timestamp};
use crate::schema::person_departures;

/// A leaver's departure, kept while they are deactivated.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = person_departures)]
pub struct Departure {
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub left_on: Day,
    pub leaving_reason: Option<LeavingReason>,
    pub recorded_at: Timestamp,
}

/// Records a departure, replacing the person's earlier one if any.
pub fn upsert(conn: &mut DbConnection, departure: &Departure) -> QueryResult<()> {
    delete(conn, departure.org_id, departure.person_id)?;
    diesel::insert_into(person_departures::table).values(departure).execute(conn).map(drop)
}

pub fn delete(conn: &mut DbConnection, org_id: OrgId, person_id: PersonId) -> QueryResult<usize> {
    diesel::delete(
        person_departures::table
            .filter(person_departures::org_id.eq(org_id))
            .filter(person_departures::person_id.eq(person_id)),
    )
    .execute(conn)
}

pub fn find_by_person(conn: &mut DbConnection, org_id: OrgId, person_id: PersonId) -> QueryResult<Option<Departure>> {
    person_departures::table
        .filter(person_departures::org_id.eq(org_id))
        .filter(person_departures::person_id.eq(person_id))
        .select(Departure::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<Departure>> {
    person_departures::table
        .filter(person_departures::org_id.eq(org_id))
        .order(person_departures::person_id)
        .select(Departure::as_select())
        .load(conn)
}
