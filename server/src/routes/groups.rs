//! `/v1/groups` and `/v1/organisation/confidentiality`: the groups whose
//! members share group sessions, and the statement shown with every agreement.

use actix_web::{HttpResponse, get, patch, post, put, web};
use serde::Deserialize;
use sync_core::api::{Confidentiality, GroupItem};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::groups::{self, GroupChanges, NewGroup};
use crate::domain::permissions;
use crate::error::{ApiError, ErrorBody};
use crate::model::{GroupId, PersonId, ProgrammeId};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_groups)
        .service(create_group)
        .service(update_group)
        .service(get_confidentiality)
        .service(put_confidentiality);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    pub name: String,
    #[schema(value_type = Option<Uuid>)]
    pub programme_id: Option<ProgrammeId>,
    #[schema(value_type = Uuid)]
    pub facilitator_id: PersonId,
    #[schema(value_type = Vec<Uuid>)]
    #[serde(default)]
    pub member_ids: Vec<PersonId>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroupRequest {
    pub name: Option<String>,
    /// The whole new list of members (the facilitator stays a member).
    #[schema(value_type = Option<Vec<Uuid>>)]
    pub member_ids: Option<Vec<PersonId>>,
}

/// The caller's groups (as member or facilitator); coordinators and admins see all.
#[utoipa::path(
    tag = "groups",
    security(("bearer" = [])),
    responses((status = 200, body = [GroupItem]), (status = 401, body = ErrorBody))
)]
#[get("/v1/groups")]
pub async fn list_groups(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let list = state.db.run(move |conn| groups::list(conn, user.org_id, &user.actor())).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Create a group (coordinators): a name, an optional programme, a facilitator
/// and members, all of the caller's organisation.
#[utoipa::path(
    tag = "groups",
    security(("bearer" = [])),
    request_body = CreateGroupRequest,
    responses(
        (status = 201, body = GroupItem),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
#[post("/v1/groups")]
pub async fn create_group(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<CreateGroupRequest>,
) -> Result<HttpResponse, ApiError> {
    permissions::change_groups(user.roles)?;
    let CreateGroupRequest { name, programme_id, facilitator_id, member_ids } = body.into_inner();
    let new = NewGroup { name, programme_id, facilitator_id, member_ids };
    let group = state.db.run(move |conn| groups::create(conn, user.org_id, &user.actor(), new)).await?;
    Ok(HttpResponse::Created().json(group))
}

/// Rename a group or replace its members (coordinators). Removed members lose
/// the group's documents at their next sync.
#[utoipa::path(
    tag = "groups",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The group")),
    request_body = UpdateGroupRequest,
    responses(
        (status = 200, body = GroupItem),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
#[patch("/v1/groups/{id}")]
pub async fn update_group(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<UpdateGroupRequest>,
) -> Result<HttpResponse, ApiError> {
    permissions::change_groups(user.roles)?;
    let id: GroupId = path.parse().map_err(|_| ApiError::not_found("group"))?;
    let UpdateGroupRequest { name, member_ids } = body.into_inner();
    let changes = GroupChanges { name, member_ids };
    let group = state.db.run(move |conn| groups::update(conn, user.org_id, &user.actor(), id, changes)).await?;
    Ok(HttpResponse::Ok().json(group))
}

/// The organisation's confidentiality statement (anyone in the organisation;
/// empty until a coordinator sets it).
#[utoipa::path(
    tag = "groups",
    security(("bearer" = [])),
    responses((status = 200, body = Confidentiality), (status = 401, body = ErrorBody))
)]
#[get("/v1/organisation/confidentiality")]
pub async fn get_confidentiality(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let statement = state.db.run(move |conn| groups::confidentiality(conn, user.org_id)).await?;
    Ok(HttpResponse::Ok().json(Confidentiality { statement }))
}

/// Set the confidentiality statement (coordinators), including when
/// confidentiality must be broken (safeguarding).
#[utoipa::path(
    tag = "groups",
    security(("bearer" = [])),
    request_body = Confidentiality,
    responses(
        (status = 200, body = Confidentiality),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
#[put("/v1/organisation/confidentiality")]
pub async fn put_confidentiality(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<Confidentiality>,
) -> Result<HttpResponse, ApiError> {
    permissions::set_confidentiality(user.roles)?;
    let Confidentiality { statement } = body.into_inner();
    let statement =
        state.db.run(move |conn| groups::set_confidentiality(conn, user.org_id, &user.actor(), &statement)).await?;
    Ok(HttpResponse::Ok().json(Confidentiality { statement }))
}
