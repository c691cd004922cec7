//! Queries on `audit_events`.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{DeviceId, OrgId, PersonId, Timestamp};
use crate::schema::audit_events;

/// Who did what, from which device, when it happened and when the server learnt
/// of it. `detail` is a JSON object; `object_id` is the id of whatever
/// `object_type` names.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: String,
    pub org_id: OrgId,
    pub actor_person_id: Option<PersonId>,
    pub device_id: Option<DeviceId>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub event_time: Timestamp,
    pub server_time: Timestamp,
    pub detail: String,
}

pub fn insert(conn: &mut DbConnection, event: &AuditEvent) -> QueryResult<()> {
    diesel::insert_into(audit_events::table).values(event).execute(conn).map(drop)
}

/// The organisation's events, oldest first.
pub fn find_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::org_id.eq(org_id))
        .order((audit_events::server_time, audit_events::id))
        .select(AuditEvent::as_select())
        .load(conn)
}
