//! `/v1/people`: the organisation's people (coordinators and admins).

use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::people;
use crate::domain::Role;
use crate::domain::people::{self as ops, NewPerson, PersonUpdate, PersonView};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_people).service(create_person).service(get_person).service(update_person);
}

const MANAGERS: &[Role] = &[Role::Coordinator, Role::Admin];

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePersonRequest {
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Initial password, at least 8 characters.
    pub password: String,
    pub line_manager_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    /// `YYYY-MM-DD`.
    pub start_date: Option<String>,
}

/// Everyone in the caller's organisation.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    responses(
        (status = 200, body = [PersonView]),
        (status = 403, body = ErrorBody),
    )
)]
#[get("/v1/people")]
pub async fn list_people(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    user.require_any(MANAGERS)?;
    let list = state.db.run(move |conn| Ok(people::find_by_org(conn, &user.org_id)?)).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(PersonView::from).collect::<Vec<_>>()))
}

/// Add a person to the caller's organisation. Only admins may create admins.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    request_body = CreatePersonRequest,
    responses(
        (status = 201, body = PersonView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "Line manager or site not in the organisation", body = ErrorBody),
        (status = 409, description = "Email already in use", body = ErrorBody),
    )
)]
#[post("/v1/people")]
pub async fn create_person(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<CreatePersonRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_any(MANAGERS)?;
    let body = body.into_inner();
    if body.roles.contains(&Role::Admin) {
        user.require_any(&[Role::Admin])?;
    }
    let new = NewPerson {
        email: body.email,
        display_name: body.display_name,
        roles: body.roles,
        password: body.password,
        line_manager_id: body.line_manager_id.map(|id| id.to_string()),
        site_id: body.site_id.map(|id| id.to_string()),
        start_date: body.start_date,
    };
    let person = state.db.run(move |conn| ops::create(conn, &user.org_id, &user.actor(), &new)).await?;
    Ok(HttpResponse::Created().json(PersonView::from(&person)))
}

/// One person. Anyone may read their own record; coordinators and admins anyone's
/// in their organisation.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 200, body = PersonView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/v1/people/{id}")]
pub async fn get_person(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    if id != user.person_id {
        user.require_any(MANAGERS)?;
    }
    let person = state
        .db
        .run(move |conn| people::find_by_id(conn, &user.org_id, &id)?.ok_or_else(|| ApiError::not_found("person")))
        .await?;
    Ok(HttpResponse::Ok().json(PersonView::from(&person)))
}

/// A change to a person: absent fields stay as they are; `null` clears an
/// optional field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePersonRequest {
    #[serde(default)]
    pub display_name: Option<String>,
    /// The full new set of roles.
    #[serde(default)]
    pub roles: Option<Vec<Role>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub line_manager_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub site_id: Option<Option<Uuid>>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub start_date: Option<Option<String>>,
    /// `false` deactivates the person and revokes all their devices (their phones
    /// wipe on the next sync); `true` reactivates them.
    #[serde(default)]
    pub active: Option<bool>,
}

/// A field that is present, possibly `null`: absent stays `None` through `default`.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Change a person of the caller's organisation: name, roles, line manager, site,
/// start date, or deactivate / reactivate (coordinators and admins). Only admins
/// change admins or grant the admin role; nobody deactivates themselves or
/// withdraws their own coordinator or admin role.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    request_body = UpdatePersonRequest,
    responses(
        (status = 200, body = PersonView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "Person, line manager or site not in the organisation", body = ErrorBody),
        (status = 409, description = "Would change the caller's own access", body = ErrorBody),
    )
)]
#[patch("/v1/people/{id}")]
pub async fn update_person(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<UpdatePersonRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_any(MANAGERS)?;
    let body = body.into_inner();
    let update = PersonUpdate {
        display_name: body.display_name,
        roles: body.roles,
        line_manager_id: body.line_manager_id.map(|id| id.map(|id| id.to_string())),
        site_id: body.site_id.map(|id| id.map(|id| id.to_string())),
        start_date: body.start_date,
        active: body.active,
    };
    let id = id.into_inner().to_string();
    let person =
        state.db.run(move |conn| ops::update(conn, &user.org_id, &user.actor(), user.roles, &id, &update)).await?;
    Ok(HttpResponse::Ok().json(PersonView::from(&person)))
}
