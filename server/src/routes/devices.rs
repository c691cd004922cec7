//! `/v1/devices`: signed-in devices and revocation.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::devices;
use crate::domain::Role;
use crate::domain::devices::{self as ops, DeviceView};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_devices).service(revoke_device);
}

/// Whose devices to list.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceScope {
    /// The caller's own devices.
    #[default]
    Mine,
    /// Every device in the organisation (coordinators and admins).
    Org,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListDevicesQuery {
    /// `mine` (default) or `org`.
    #[serde(default)]
    pub scope: DeviceScope,
}

/// The caller's devices, or with `scope=org` the organisation's.
#[utoipa::path(
    tag = "devices",
    security(("bearer" = [])),
    params(ListDevicesQuery),
    responses(
        (status = 200, body = [DeviceView]),
        (status = 403, body = ErrorBody),
    )
)]
#[get("/v1/devices")]
pub async fn list_devices(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListDevicesQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = query.into_inner().scope;
    if let DeviceScope::Org = scope {
        user.require_any(&[Role::Coordinator, Role::Admin])?;
    }
    let list = state
        .db
        .run(move |conn| {
            Ok(match scope {
                DeviceScope::Mine => devices::find_by_person(conn, &user.org_id, &user.person_id)?,
                DeviceScope::Org => devices::find_by_org(conn, &user.org_id)?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(list.iter().map(DeviceView::from).collect::<Vec<_>>()))
}

/// Sign a device out for good: its tokens stop working and it cannot refresh.
/// Allowed for the device's owner and for coordinators and admins of the same
/// organisation; other devices are reported as not found.
#[utoipa::path(
    tag = "devices",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Device id")),
    responses(
        (status = 200, description = "Revoked (revoking twice is harmless)", body = DeviceView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
#[post("/v1/devices/{id}/revoke")]
pub async fn revoke_device(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let device = state
        .db
        .run(move |conn| {
            let device = devices::find_by_id_in_org(conn, &user.org_id, &id)?
                .filter(|device| device.person_id == user.person_id || user.roles.manages_org())
                .ok_or_else(|| ApiError::not_found("device"))?;
            ops::revoke(conn, &device, &user.actor())
        })
        .await?;
    Ok(HttpResponse::Ok().json(DeviceView::from(&device)))
}
