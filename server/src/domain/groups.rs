//! Groups (peer circles, mentors' support groups) and the organisation's
//! confidentiality statement. A group's current members and its facilitator
//! read and write its group sessions; the sync engine asks
//! [`crate::db::groups::find_by_person`] on every request, so a member removed
//! here has the group's documents purged from their phone on its next sync.

use std::collections::BTreeMap;

use sync_core::api::GroupItem;

use super::{Actor, AuditObject, DomainError, permissions, record_audit, required_text};
use crate::db::groups::{self as groups_db, Group};
use crate::db::{self, DbConnection, people, programmes};
use crate::model::{GroupId, OrgId, PersonId, ProgrammeId, Timestamp};

/// The longest confidentiality statement accepted, in characters.
const MAX_STATEMENT: usize = 20_000;

/// A group to create.
#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: String,
    pub programme_id: Option<ProgrammeId>,
    pub facilitator_id: PersonId,
    pub member_ids: Vec<PersonId>,
}

/// Changes to a group; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub member_ids: Option<Vec<PersonId>>,
}

/// Every person named must be an active person of the organisation.
fn check_people(conn: &mut DbConnection, org_id: OrgId, ids: &[PersonId]) -> Result<(), DomainError> {
    for id in ids {
        match people::find_by_id(conn, org_id, *id)? {
            Some(person) if person.is_active() => {}
            Some(_) => return Err(DomainError::invalid("person_inactive", format!("person {id} is deactivated"))),
            None => {
                return Err(DomainError::invalid("unknown_person", format!("person {id} is not in the organisation")));
            }
        }
    }
    Ok(())
}

/// The members without duplicates or the facilitator.
fn distinct_members(members: &[PersonId], facilitator: PersonId) -> Vec<PersonId> {
    let mut list: Vec<PersonId> = members.iter().copied().filter(|m| *m != facilitator).collect();
    list.sort();
    list.dedup();
    list
}

/// The API's view of groups, with their members.
pub fn items(conn: &mut DbConnection, groups: Vec<Group>) -> Result<Vec<GroupItem>, DomainError> {
    let ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
    let mut members: BTreeMap<GroupId, Vec<String>> = BTreeMap::new();
    for (group, person) in groups_db::find_members(conn, &ids)? {
        members.entry(group).or_default().push(person.to_string());
    }
    Ok(groups
        .into_iter()
        .map(|g| GroupItem {
            id: g.id.to_string(),
            name: g.name,
            programme_id: g.programme_id.map(|p| p.to_string()),
            facilitator_id: g.facilitator_id.to_string(),
            member_ids: members.remove(&g.id).unwrap_or_default(),
            created_at: g.created_at.to_string(),
        })
        .collect())
}

/// Create a group (coordinators).
pub fn create(conn: &mut DbConnection, org_id: OrgId, actor: &Actor, new: NewGroup) -> Result<GroupItem, DomainError> {
    permissions::change_groups(actor.roles)?;
    let name = required_text("name", &new.name, 200)?;
    let members = distinct_members(&new.member_ids, new.facilitator_id);
    let group = Group {
        id: GroupId::new_random(),
        org_id,
        name,
        programme_id: new.programme_id,
        facilitator_id: new.facilitator_id,
        created_at: Timestamp::now(),
    };
    db::write_transaction(conn, |conn| {
        if let Some(programme) = group.programme_id
            && programmes::find_by_id(conn, org_id, programme)?.is_none()
        {
            return Err(DomainError::invalid(
                "unknown_programme",
                format!("programme {programme} is not in the organisation"),
            ));
        }
        check_people(conn, org_id, &[group.facilitator_id])?;
        check_people(conn, org_id, &members)?;
        groups_db::insert(conn, &group)?;
        groups_db::replace_members(conn, group.id, &members, group.created_at)?;
        record_audit(
            conn,
            org_id,
            actor,
            "group.created",
            AuditObject::new("group", group.id),
            serde_json::json!({ "facilitator_id": group.facilitator_id, "member_ids": members }),
        )?;
        Ok(())
    })?;
    items(conn, vec![group])?.pop().ok_or_else(|| DomainError::not_found("group"))
}

/// Rename a group or change its members (coordinators). A removed member loses
/// the group's documents at their next sync.
pub fn update(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    id: GroupId,
    changes: GroupChanges,
) -> Result<GroupItem, DomainError> {
    permissions::change_groups(actor.roles)?;
    let name = changes.name.as_deref().map(|n| required_text("name", n, 200)).transpose()?;
    let group = db::write_transaction(conn, |conn| {
        let group = groups_db::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("group"))?;
        if let Some(name) = &name {
            groups_db::update_name(conn, id, name)?;
        }
        if let Some(members) = &changes.member_ids {
            let members = distinct_members(members, group.facilitator_id);
            check_people(conn, org_id, &members)?;
            groups_db::replace_members(conn, id, &members, Timestamp::now())?;
            record_audit(
                conn,
                org_id,
                actor,
                "group.members_changed",
                AuditObject::new("group", id),
                serde_json::json!({ "member_ids": members }),
            )?;
        }
        groups_db::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("group"))
    })?;
    items(conn, vec![group])?.pop().ok_or_else(|| DomainError::not_found("group"))
}

/// The caller's groups; coordinators and admins see every group.
pub fn list(conn: &mut DbConnection, org_id: OrgId, actor: &Actor) -> Result<Vec<GroupItem>, DomainError> {
    let groups = match actor.person_id {
        Some(person) if !permissions::see_all_groups(actor.roles) => groups_db::find_by_person(conn, org_id, person)?,
        _ => groups_db::find_by_org(conn, org_id)?,
    };
    items(conn, groups)
}

/// The organisation's confidentiality statement (empty until set); anyone in
/// the organisation reads it.
pub fn confidentiality(conn: &mut DbConnection, org_id: OrgId) -> Result<String, DomainError> {
    Ok(groups_db::find_confidentiality(conn, org_id)?.unwrap_or_default())
}

/// Set the confidentiality statement (coordinators). It shows read-only with
/// every agreement on the phones after their next fetch.
pub fn set_confidentiality(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    statement: &str,
) -> Result<String, DomainError> {
    permissions::set_confidentiality(actor.roles)?;
    let statement = statement.trim();
    if statement.chars().count() > MAX_STATEMENT {
        return Err(DomainError::invalid(
            "field_too_long",
            format!("`statement` must be at most {MAX_STATEMENT} characters"),
        ));
    }
    db::write_transaction(conn, |conn| {
        groups_db::update_confidentiality(conn, org_id, statement)?;
        record_audit(
            conn,
            org_id,
            actor,
            "organisation.confidentiality_set",
            AuditObject::new("organisation", org_id),
            serde_json::json!({ "length": statement.chars().count() }),
        )
    })?;
    Ok(statement.to_owned())
}
