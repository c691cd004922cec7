//! `/v1/people/{id}/training`: the courses a person holds (coordinators and
//! admins write; the person reads their own).

use actix_web::{HttpResponse, get, post, web};

use crate::auth::AuthUser;
use crate::domain::permissions;
use crate::domain::training::{self as ops, TrainingInput, TrainingView};
use crate::error::{ApiError, ErrorBody};
use crate::model::PersonId;
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_training).service(record_training);
}

/// A person's training records, newest first.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 200, body = [TrainingView]),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/v1/people/{id}/training")]
pub async fn list_training(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<PersonId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let list = state.db.run(move |conn| ops::list(conn, user.org_id, &user.actor(), id)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Record a course a person completed (coordinators and admins).
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    request_body = TrainingInput,
    responses(
        (status = 201, body = TrainingView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
#[post("/v1/people/{id}/training")]
pub async fn record_training(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<PersonId>,
    body: web::Json<TrainingInput>,
) -> Result<HttpResponse, ApiError> {
    permissions::manage_organisation(user.roles)?;
    let (id, input) = (id.into_inner(), body.into_inner());
    let view = state.db.run(move |conn| ops::record(conn, user.org_id, &user.actor(), id, &input)).await?;
    Ok(HttpResponse::Created().json(view))
}
