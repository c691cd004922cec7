//! `/v1/sites`: the organisation's care homes, community teams and wards.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::db::sites::{self, Site};
use crate::domain::{DomainError, organisations, permissions};
use crate::error::{ApiError, ErrorBody};
use crate::model::{SiteId, SiteKind, Timestamp};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_sites).service(create_site);
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SiteView {
    #[schema(value_type = Uuid)]
    pub id: SiteId,
    pub name: String,
    pub kind: SiteKind,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

impl From<Site> for SiteView {
    fn from(site: Site) -> Self {
        Self { id: site.id, name: site.name, kind: site.kind, created_at: site.created_at }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSiteRequest {
    pub name: String,
    pub kind: SiteKind,
}

/// The sites of the caller's organisation (anyone signed in to it).
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    responses((status = 200, body = [SiteView]), (status = 401, body = ErrorBody))
)]
#[get("/v1/sites")]
pub async fn list_sites(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let list = state.db.run(move |conn| Ok::<_, DomainError>(sites::find_by_org(conn, user.org_id)?)).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(SiteView::from).collect::<Vec<_>>()))
}

/// Add a site (coordinators and admins). Names are unique within the organisation.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    request_body = CreateSiteRequest,
    responses(
        (status = 201, body = SiteView),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "A site of this name exists", body = ErrorBody),
    )
)]
#[post("/v1/sites")]
pub async fn create_site(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<CreateSiteRequest>,
) -> Result<HttpResponse, ApiError> {
    permissions::manage_organisation(user.roles)?;
    let CreateSiteRequest { name, kind } = body.into_inner();
    let site =
        state.db.run(move |conn| organisations::create_site(conn, user.org_id, &user.actor(), &name, kind)).await?;
    Ok(HttpResponse::Created().json(SiteView::from(site)))
}
