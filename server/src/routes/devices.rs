//! `/v1/devices`: signed-in devices and revocation.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::devices::{self as ops, DeviceView, Whose};
use crate::domain::permissions;
use crate::error::{ApiError, ErrorBody};
use crate::model::DeviceId;
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
    let whose = match query.into_inner().scope {
        DeviceScope::Mine => Whose::Mine,
        DeviceScope::Org => {
            permissions::manage_organisation(user.roles)?;
            Whose::Organisation
        }
    };
    let list = state.db.run(move |conn| ops::list(conn, user.org_id, &user.actor(), whose)).await?;
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
    id: web::Path<DeviceId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let device = state
        .db
        .run(move |conn| {
            let actor = user.actor();
            let device = ops::find_visible(conn, user.org_id, &actor, id)?;
            ops::revoke(conn, &device, &actor)
        })
        .await?;
    Ok(HttpResponse::Ok().json(DeviceView::from(&device)))
}
