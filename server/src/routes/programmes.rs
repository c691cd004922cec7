//! `/v1/programmes`: the organisation's mentoring programmes (everyone reads;
//! coordinators and admins write).

use actix_web::{HttpResponse, get, patch, post, web};

use crate::auth::AuthUser;
use crate::domain::permissions;
use crate::domain::programmes::{self as ops, ProgrammeInput, ProgrammeView};
use crate::error::{ApiError, ErrorBody};
use crate::model::ProgrammeId;
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_programmes).service(create_programme).service(get_programme).service(update_programme);
}

/// The organisation's programmes, the default (oldest) first.
#[utoipa::path(
    tag = "programmes",
    security(("bearer" = [])),
    responses(
        (status = 200, body = [ProgrammeView]),
        (status = 401, body = ErrorBody),
    )
)]
#[get("/v1/programmes")]
pub async fn list_programmes(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let list = state.db.run(move |conn| ops::list(conn, user.org_id)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Add a programme (coordinators and admins). `name` is required; the rest
/// defaults to Induction's settings. An informal programme has no touchpoints.
#[utoipa::path(
    tag = "programmes",
    security(("bearer" = [])),
    request_body = ProgrammeInput,
    responses(
        (status = 201, body = ProgrammeView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "A programme of this name exists", body = ErrorBody),
    )
)]
#[post("/v1/programmes")]
pub async fn create_programme(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<ProgrammeInput>,
) -> Result<HttpResponse, ApiError> {
    permissions::manage_programmes(user.roles)?;
    let input = body.into_inner();
    let view = state.db.run(move |conn| ops::create(conn, user.org_id, &user.actor(), &input)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// One programme of the organisation.
#[utoipa::path(
    tag = "programmes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Programme id")),
    responses(
        (status = 200, body = ProgrammeView),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/v1/programmes/{id}")]
pub async fn get_programme(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ProgrammeId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state.db.run(move |conn| ops::find(conn, user.org_id, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Change a programme (coordinators and admins); absent fields stay as they are.
#[utoipa::path(
    tag = "programmes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Programme id")),
    request_body = ProgrammeInput,
    responses(
        (status = 200, body = ProgrammeView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Another programme has this name", body = ErrorBody),
    )
)]
#[patch("/v1/programmes/{id}")]
pub async fn update_programme(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ProgrammeId>,
    body: web::Json<ProgrammeInput>,
) -> Result<HttpResponse, ApiError> {
    permissions::manage_programmes(user.roles)?;
    let (id, input) = (id.into_inner(), body.into_inner());
    let view = state.db.run(move |conn| ops::update(conn, user.org_id, &user.actor(), id, &input)).await?;
    Ok(HttpResponse::Ok().json(view))
}
