//! `/openapi.json`, generated from the handlers' annotations.

use actix_web::{HttpResponse, get, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Alongside",
        description = "Offline-first peer mentoring for health and social care: auth, people, pairings, devices, sync (CBOR) and documents. The manager console under /console is server-rendered HTML for browsers (cookie sessions) and is not described here."
    ),
    paths(
        routes::health::healthz,
        routes::health::readyz,
        routes::health::metrics,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::passwords::change_password,
        routes::passwords::reset_password,
        routes::passwords::issue_password_reset,
        routes::me::get_me,
        routes::mentorships::list_mentorships,
        routes::mentorships::create_mentorship,
        routes::mentorships::pause_mentorship,
        routes::mentorships::resume_mentorship,
        routes::mentorships::end_mentorship,
        routes::people::list_people,
        routes::people::create_person,
        routes::people::get_person,
        routes::people::update_person,
        routes::sites::list_sites,
        routes::sites::create_site,
        routes::devices::list_devices,
        routes::devices::revoke_device,
        routes::sync::post_sync,
        routes::sync::get_live,
        routes::documents::get_document,
        openapi_json,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi_json);
}

/// This document.
#[utoipa::path(tag = "operations", responses((status = 200, description = "OpenAPI 3.1 document")))]
#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
