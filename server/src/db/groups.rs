//! Queries on `peer_groups` and `peer_group_members`, and the organisation's
//! confidentiality statement.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{GroupId, OrgId, PersonId, ProgrammeId, Timestamp};
use crate::schema::{organisations, peer_group_members, peer_groups};

/// A peer circle or support group inside an organisation.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = peer_groups)]
pub struct Group {
    pub id: GroupId,
    pub org_id: OrgId,
    pub name: String,
    pub programme_id: Option<ProgrammeId>,
    pub facilitator_id: PersonId,
    pub created_at: Timestamp,
}

pub fn insert(conn: &mut DbConnection, group: &Group) -> QueryResult<()> {
    diesel::insert_into(peer_groups::table).values(group).execute(conn).map(drop)
}

pub fn find_by_id(conn: &mut DbConnection, org_id: OrgId, id: GroupId) -> QueryResult<Option<Group>> {
    peer_groups::table
        .filter(peer_groups::org_id.eq(org_id))
        .filter(peer_groups::id.eq(id))
        .select(Group::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<Group>> {
    peer_groups::table
        .filter(peer_groups::org_id.eq(org_id))
        .order((peer_groups::name, peer_groups::id))
        .select(Group::as_select())
        .load(conn)
}

/// The groups `person` belongs to, as member or facilitator.
pub fn find_by_person(conn: &mut DbConnection, org_id: OrgId, person: PersonId) -> QueryResult<Vec<Group>> {
    let member_of: Vec<GroupId> = peer_group_members::table
        .filter(peer_group_members::person_id.eq(person))
        .select(peer_group_members::group_id)
        .load(conn)?;
    let order = (peer_groups::name, peer_groups::id);
    // One statement whatever the number of groups (see `id_list`).
    match conn {
        DbConnection::Sqlite(conn) => peer_groups::table
            .filter(peer_groups::org_id.eq(org_id))
            .filter(super::id_list::in_json(peer_groups::id, &member_of).or(peer_groups::facilitator_id.eq(person)))
            .order(order)
            .select(Group::as_select())
            .load(conn),
        DbConnection::Pg(conn) => peer_groups::table
            .filter(peer_groups::org_id.eq(org_id))
            .filter(peer_groups::id.eq_any(member_of).or(peer_groups::facilitator_id.eq(person)))
            .order(order)
            .select(Group::as_select())
            .load(conn),
    }
}

/// The members of the groups `ids` (the facilitators not included), by group.
pub fn find_members(conn: &mut DbConnection, ids: &[GroupId]) -> QueryResult<Vec<(GroupId, PersonId)>> {
    peer_group_members::table
        .filter(peer_group_members::group_id.eq_any(ids))
        .order((peer_group_members::group_id, peer_group_members::person_id))
        .select((peer_group_members::group_id, peer_group_members::person_id))
        .load(conn)
}

/// Make `members` the group's members: those missing are added, the others removed.
pub fn replace_members(conn: &mut DbConnection, id: GroupId, members: &[PersonId], now: Timestamp) -> QueryResult<()> {
    diesel::delete(
        peer_group_members::table
            .filter(peer_group_members::group_id.eq(id))
            .filter(peer_group_members::person_id.ne_all(members)),
    )
    .execute(conn)?;
    let current: Vec<PersonId> = peer_group_members::table
        .filter(peer_group_members::group_id.eq(id))
        .select(peer_group_members::person_id)
        .load(conn)?;
    for person in members.iter().filter(|p| !current.contains(p)) {
        diesel::insert_into(peer_group_members::table)
            .values((
                peer_group_members::group_id.eq(id),
                peer_group_members::person_id.eq(person),
                peer_group_members::added_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn update_name(conn: &mut DbConnection, id: GroupId, name: &str) -> QueryResult<()> {
    diesel::update(peer_groups::table.filter(peer_groups::id.eq(id)))
        .set(peer_groups::name.eq(name))
        .execute(conn)
        .map(drop)
}

/// The organisation's confidentiality statement, if a coordinator set one.
pub fn find_confidentiality(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Option<String>> {
    organisations::table
        .filter(organisations::id.eq(org_id))
        .select(organisations::confidentiality_statement)
        .first(conn)
        .optional()
        .map(Option::flatten)
}

pub fn update_confidentiality(conn: &mut DbConnection, org_id: OrgId, statement: &str) -> QueryResult<()> {
    diesel::update(organisations::table.filter(organisations::id.eq(org_id)))
        .set(organisations::confidentiality_statement.eq(Some(statement)))
        .execute(conn)
        .map(drop)
}
