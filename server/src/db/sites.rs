//! Queries on `sites`.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{OrgId, SiteId, SiteKind, Timestamp};
use crate::schema::sites;

/// A care home, community team or ward inside an organisation.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sites)]
pub struct Site {
    pub id: SiteId,
    pub org_id: OrgId,
    pub name: String,
    pub kind: SiteKind,
    pub created_at: Timestamp,
}

pub fn insert(conn: &mut DbConnection, site: &Site) -> QueryResult<()> {
    diesel::insert_into(sites::table).values(site).execute(conn).map(drop)
}

pub fn find_by_id(conn: &mut DbConnection, org_id: OrgId, id: SiteId) -> QueryResult<Option<Site>> {
    sites::table
        .filter(sites::org_id.eq(org_id))
        .filter(sites::id.eq(id))
        .select(Site::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_name(conn: &mut DbConnection, org_id: OrgId, name: &str) -> QueryResult<Option<Site>> {
    sites::table
        .filter(sites::org_id.eq(org_id))
        .filter(sites::name.eq(name))
        .select(Site::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<Site>> {
    sites::table.filter(sites::org_id.eq(org_id)).order((sites::name, sites::id)).select(Site::as_select()).load(conn)
}
