//! Queries on `organisations`.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{OrgId, Timestamp};
use crate::schema::organisations;

/// A care provider: the tenant boundary.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub created_at: Timestamp,
}

pub fn insert(conn: &mut DbConnection, org: &Organisation) -> QueryResult<()> {
    diesel::insert_into(organisations::table).values(org).execute(conn).map(drop)
}

pub fn find_by_id(conn: &mut DbConnection, id: OrgId) -> QueryResult<Option<Organisation>> {
    organisations::table.find(id).select(Organisation::as_select()).first(conn).optional()
}

/// The oldest organisation with this exact name.
pub fn find_by_name(conn: &mut DbConnection, name: &str) -> QueryResult<Option<Organisation>> {
    organisations::table
        .filter(organisations::name.eq(name))
        .order((organisations::created_at, organisations::id))
        .select(Organisation::as_select())
        .first(conn)
        .optional()
}
