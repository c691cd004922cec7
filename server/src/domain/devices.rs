//! Registering, listing and revoking devices.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Actor, AuditObject, DomainError, permissions, record_audit, required_text};
use crate::auth::tokens;
use crate::db::devices::{self, Device};
use crate::db::people::{self, Person};
use crate::db::{self, DbConnection, refresh_tokens};
use crate::model::{DeviceId, OrgId, PersonId, Timestamp};

/// A device as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    #[schema(value_type = Uuid)]
    pub id: DeviceId,
    #[schema(value_type = Uuid)]
    pub person_id: PersonId,
    pub name: String,
    /// The device's Automerge actor id (32 lowercase hex characters).
    pub actor_id: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub last_seen_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub revoked_at: Option<Timestamp>,
}

impl From<&Device> for DeviceView {
    fn from(device: &Device) -> Self {
        Self {
            id: device.id,
            person_id: device.person_id,
            name: device.name.clone(),
            actor_id: device.actor_id.clone(),
            created_at: device.created_at,
            last_seen_at: device.last_seen_at,
            revoked_at: device.revoked_at,
        }
    }
}

/// Registers a new device for `person` with a fresh actor id.
pub fn register(conn: &mut DbConnection, person: &Person, name: &str) -> Result<Device, DomainError> {
    let now = Timestamp::now();
    let device = Device {
        id: DeviceId::new_random(),
        person_id: person.id,
        org_id: person.org_id,
        name: required_text("device_name", name, 100)?,
        actor_id: tokens::new_actor_id(),
        created_at: now,
        last_seen_at: Some(now),
        revoked_at: None,
        sign_in_epoch: 0,
    };
    devices::insert(conn, &device)?;
    Ok(device)
}

/// Whose devices to list.
#[derive(Debug, Clone, Copy)]
pub enum Whose {
    /// The actor's own.
    Mine,
    /// Every device of the organisation (managers).
    Organisation,
}

/// The devices `actor` asks for.
pub fn list(conn: &mut DbConnection, org_id: OrgId, actor: &Actor, whose: Whose) -> Result<Vec<Device>, DomainError> {
    match (whose, actor.person_id) {
        (Whose::Organisation, _) => {
            permissions::manage_organisation(actor.roles)?;
            Ok(devices::find_by_org(conn, org_id)?)
        }
        (Whose::Mine, Some(person_id)) => Ok(devices::find_by_person(conn, org_id, person_id)?),
        (Whose::Mine, None) => Ok(Vec::new()),
    }
}

/// A device of the organisation the actor may see: their own, or any for
/// managers. Other devices are not found, whether or not they exist.
pub fn find_visible(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    id: DeviceId,
) -> Result<Device, DomainError> {
    devices::find_by_id_in_org(conn, org_id, id)?
        .filter(|device| permissions::see_device(actor, device))
        .ok_or_else(|| DomainError::not_found("device"))
}

/// Revokes a device and every refresh token it holds. Revoking a revoked device
/// changes nothing and is not an error, so retries are harmless.
pub fn revoke(conn: &mut DbConnection, device: &Device, actor: &Actor) -> Result<Device, DomainError> {
    if !permissions::see_device(actor, device) {
        return Err(DomainError::not_found("device"));
    }
    let owner =
        people::find_by_id(conn, device.org_id, device.person_id)?.ok_or_else(|| DomainError::not_found("device"))?;
    permissions::revoke_device(actor, &owner)?;
    db::write_transaction(conn, |conn| {
        let now = Timestamp::now();
        if devices::update_revoked(conn, device.id, now)? > 0 {
            refresh_tokens::update_revoked_by_device(conn, device.id, now)?;
            record_audit(
                conn,
                device.org_id,
                actor,
                "device.revoked",
                AuditObject::new("device", device.id),
                serde_json::json!({ "person_id": device.person_id }),
            )?;
        }
        devices::find_by_id(conn, device.id)?.ok_or_else(|| DomainError::not_found("device"))
    })
}
