//! `/v1/me`: who the caller is.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::db::people;
use crate::domain::people::PersonView;
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
    let (org_id, person_id) = (user.org_id.clone(), user.person_id.clone());
    let person = state
        .db
        .run(move |conn| people::find_by_id(conn, &org_id, &person_id)?.ok_or_else(|| ApiError::not_found("person")))
        .await?;
    Ok(HttpResponse::Ok().json(Me {
        person: PersonView::from(&person),
        device: SignedInDevice { id: user.device_id, name: user.device_name, actor_id: user.actor_id },
    }))
}
