//! Registering and revoking devices.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::tokens;
use crate::db::devices::{self, Device};
use crate::db::people::Person;
use crate::db::{self, DbConnection, refresh_tokens};
use crate::domain::{Actor, AuditObject, record_audit, required_text};
use crate::error::ApiError;

/// A device as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub person_id: String,
    pub name: String,
    /// The device's Automerge actor id (32 lowercase hex characters).
    pub actor_id: String,
    pub created_at: String,
    pub last_seen_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&Device> for DeviceView {
    fn from(device: &Device) -> Self {
        Self {
            id: device.id.clone(),
            person_id: device.person_id.clone(),
            name: device.name.clone(),
            actor_id: device.actor_id.clone(),
            created_at: device.created_at.clone(),
            last_seen_at: device.last_seen_at.clone(),
            revoked_at: device.revoked_at.clone(),
        }
    }
}

/// Registers a new device for `person` with a fresh actor id.
pub fn register(conn: &mut DbConnection, person: &Person, name: &str) -> Result<Device, ApiError> {
    let now = db::now();
    let device = Device {
        id: db::new_id(),
        person_id: person.id.clone(),
        org_id: person.org_id.clone(),
        name: required_text("device_name", name, 100)?,
        actor_id: tokens::new_actor_id(),
        created_at: now.clone(),
        last_seen_at: Some(now),
        revoked_at: None,
        session_epoch: 0,
    };
    devices::insert(conn, &device)?;
    Ok(device)
}

/// Revokes a device and every refresh token it holds. Revoking a revoked device
/// changes nothing and is not an error, so retries are harmless.
pub fn revoke(conn: &mut DbConnection, device: &Device, actor: &Actor) -> Result<Device, ApiError> {
    crate::db::write_transaction(conn, |conn| {
        let now = db::now();
        if devices::update_revoked(conn, &device.id, &now)? > 0 {
            refresh_tokens::update_revoked_by_device(conn, &device.id, &now)?;
            record_audit(
                conn,
                &device.org_id,
                actor,
                "device.revoked",
                AuditObject { kind: "device", id: &device.id },
                serde_json::json!({ "person_id": device.person_id }),
            )?;
        }
        devices::find_by_id(conn, &device.id)?.ok_or_else(|| ApiError::not_found("device"))
    })
}
