//! `/v1/me`: who the caller is.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::people::{self, PersonView};
use crate::error::{ApiError, ErrorBody};
use crate::routes::auth::SignedInDevice;
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(get_me);
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub person: PersonView,
    /// The device this token belongs to.
    pub device: SignedInDevice,
}

/// The signed-in person and device.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Me),
        (status = 401, body = ErrorBody),
    )
)]
#[get("/v1/me")]
pub async fn get_me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let actor = user.actor();
    let (org_id, person_id) = (user.org_id, user.person_id);
    let person = state.db.run(move |conn| people::find(conn, org_id, &actor, person_id)).await?;
    Ok(HttpResponse::Ok().json(Me {
        person: PersonView::from(&person),
        device: SignedInDevice { id: user.device_id.to_string(), name: user.device_name, actor_id: user.actor_id },
    }))
}
