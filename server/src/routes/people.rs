//! `/v1/people`: the organisation's people (coordinators and admins).

use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::people::{self as ops, NewPerson, PersonUpdate, PersonView};
use crate::domain::training::{self as profiles, ProfileUpdate, ShiftPattern};
use crate::domain::{Role, Roles, permissions};
use crate::error::{ApiError, ErrorBody};
use crate::model::{LeavingReason, PersonId, SiteId};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_people).service(create_person).service(get_person).service(update_person);
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePersonRequest {
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Initial password: at least 12 characters and not easy to guess (400 `weak_password` says why).
    pub password: String,
    #[schema(value_type = Option<Uuid>)]
    pub line_manager_id: Option<PersonId>,
    #[schema(value_type = Option<Uuid>)]
    pub site_id: Option<SiteId>,
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
    permissions::manage_organisation(user.roles)?;
    let (list, mut profiles, departures) = state
        .db
        .run(move |conn| {
            let list = ops::list(conn, user.org_id, &user.actor())?;
            let departures = ops::departures(conn, user.org_id)?;
            Ok::<_, crate::domain::DomainError>((list, profiles::profiles(conn, user.org_id)?, departures))
        })
        .await?;
    let views: Vec<PersonView> = list
        .iter()
        .map(|p| {
            PersonView { profile: Some(profiles.remove(&p.id).unwrap_or_default()), ..PersonView::from(p) }
                .with_departure(departures.get(&p.id))
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
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
    let body = body.into_inner();
    permissions::add_person(user.roles, Roles::from_list(&body.roles))?;
    let new = NewPerson {
        email: body.email,
        display_name: body.display_name,
        roles: body.roles,
        password: body.password,
        line_manager_id: body.line_manager_id,
        site_id: body.site_id,
        start_date: body.start_date,
    };
    let person = state.db.run(move |conn| ops::create(conn, user.org_id, &user.actor(), &new)).await?;
    let view = PersonView { profile: Some(profiles::MentorProfile::default()), ..PersonView::from(&person) };
    Ok(HttpResponse::Created().json(view))
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
    id: web::Path<PersonId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let person = ops::find(conn, user.org_id, &user.actor(), id)?;
            let profile = profiles::profile(conn, user.org_id, id)?;
            let departure = ops::departure(conn, user.org_id, id)?;
            Ok::<_, crate::domain::DomainError>(
                PersonView { profile: Some(profile), ..PersonView::from(&person) }.with_departure(departure.as_ref()),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
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
    pub line_manager_id: Option<Option<PersonId>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub site_id: Option<Option<SiteId>>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub start_date: Option<Option<String>>,
    /// `false` deactivates the person and revokes all their devices (their phones
    /// wipe on the next sync); `true` reactivates them.
    #[serde(default)]
    pub active: Option<bool>,
    /// With `active: false`, the day the person left (`YYYY-MM-DD`, default
    /// today; not a day to come, not before their start date). Also corrects a
    /// deactivated person's record. Reactivating forgets it (the audit trail
    /// keeps it).
    #[serde(default)]
    pub left_on: Option<String>,
    /// With `active: false` (or for a deactivated person): why they left.
    #[serde(default)]
    pub leaving_reason: Option<LeavingReason>,
    /// Most mentees at once (0 to 50); `null`: the programme's figure.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable)]
    pub capacity: Option<Option<i32>>,
    #[serde(default)]
    pub languages: Option<Vec<String>>,
    /// `early`, `late`, `night`, `days` or `mixed`; `null` clears.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ShiftPattern>, nullable)]
    pub shift_pattern: Option<Option<ShiftPattern>>,
    #[serde(default)]
    pub specialisms: Option<Vec<String>>,
}

/// A field that is present, possibly `null`: absent stays `None` through `default`.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Change a person of the caller's organisation: name, roles, line manager, site,
/// start date, mentor profile (capacity, languages, shift pattern,
/// specialisms), or deactivate (with the day they left and why) / reactivate
/// (coordinators and admins). Only admins
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
    id: web::Path<PersonId>,
    body: web::Json<UpdatePersonRequest>,
) -> Result<HttpResponse, ApiError> {
    permissions::manage_organisation(user.roles)?;
    let body = body.into_inner();
    let update = PersonUpdate {
        display_name: body.display_name,
        roles: body.roles,
        line_manager_id: body.line_manager_id,
        site_id: body.site_id,
        start_date: body.start_date,
        active: body.active,
        left_on: body.left_on,
        leaving_reason: body.leaving_reason,
    };
    let profile_update = ProfileUpdate {
        capacity: body.capacity,
        languages: body.languages,
        shift_pattern: body.shift_pattern,
        specialisms: body.specialisms,
    };
    profiles::validate_profile(&profile_update)?;
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let actor = user.actor();
            let person = ops::update(conn, user.org_id, &actor, id, &update)?;
            let profile = profiles::update_profile(conn, user.org_id, &actor, id, &profile_update)?;
            let departure = ops::departure(conn, user.org_id, id)?;
            Ok::<_, crate::domain::DomainError>(
                PersonView { profile: Some(profile), ..PersonView::from(&person) }.with_departure(departure.as_ref()),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
