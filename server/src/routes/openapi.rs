//! `/openapi.json`, generated from the handlers' annotations.

use std::sync::LazyLock;

use actix_web::{HttpResponse, get, web};
use utoipa::openapi::PathItem;
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
        routes::governance::list_audit,
        routes::governance::audit_csv,
        routes::governance::subject_access_export,
        routes::governance::erase_person,
        routes::governance::get_retention,
        routes::governance::put_retention,
        routes::programmes::list_programmes,
        routes::programmes::create_programme,
        routes::programmes::get_programme,
        routes::programmes::update_programme,
        routes::training::list_training,
        routes::training::record_training,
        routes::matching::suggest_mentors,
        routes::groups::list_groups,
        routes::groups::create_group,
        routes::groups::update_group,
        routes::groups::get_confidentiality,
        routes::groups::put_confidentiality,
        routes::surveys::survey_results,
        routes::concerns::list_concerns,
        routes::concerns::acknowledge_concern,
        routes::concerns::close_concern,
        routes::reminders::list_reminders,
        routes::reports::oversight_report,
        routes::reports::oversight_csv,
        routes::reports::oversight_pdf,
        openapi_json,
    ),
    components(schemas(crate::error::ErrorBody, routes::devices::DeviceScope)),
    modifiers(&BearerAuth, &UnauthorizedDocumented),
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

/// Every operation that takes a body or a query string can answer 400, every
/// one that takes a body 408 (too slow) and 413 (too large), and every
/// operation that takes a token can answer 401 (no, invalid or expired
/// token, signed-out or revoked device): said once here rather than on each
/// handler, so no route (whoever adds it) leaves it out.
struct UnauthorizedDocumented;

impl Modify for UnauthorizedDocumented {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations_mut(item) {
                let takes_input = operation.request_body.is_some()
                    || operation.parameters.as_ref().is_some_and(|parameters| {
                        parameters.iter().any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
                    });
                if takes_input {
                    operation.responses.responses.entry("400".to_owned()).or_insert_with(|| {
                        error_response(
                            "Malformed input: a body or query string that cannot be read (the `error` code says what)",
                        )
                    });
                }
                if operation.request_body.is_some() {
                    operation.responses.responses.entry("408".to_owned()).or_insert_with(|| {
                        error_response(
                            "The request body arrived too slowly (`request_timeout`); the connection is closed",
                        )
                    });
                    operation.responses.responses.entry("413".to_owned()).or_insert_with(|| {
                        error_response(
                            "The request is larger than this operation accepts (`payload_too_large`; `too_many_documents` for a sync)",
                        )
                    });
                }
                if operation.security.as_ref().is_some_and(|security| !security.is_empty()) {
                    operation.responses.responses.entry("401".to_owned()).or_insert_with(|| {
                        error_response(
                            "No valid access token (missing, invalid or expired; device signed out or revoked)",
                        )
                    });
                }
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    utoipa::openapi::ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            utoipa::openapi::content::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The methods the API serves at each documented path, for answering 405 (with
/// `Allow`) rather than 404 when a known path is called with another method.
static ALLOWED: LazyLock<Vec<(Vec<String>, Vec<&'static str>)>> = LazyLock::new(|| {
    ApiDoc::openapi()
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let segments = path.trim_matches('/').split('/').map(str::to_owned).collect();
            let methods = [
                ("GET", item.get.is_some()),
                ("PUT", item.put.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
            ]
            .into_iter()
            .filter_map(|(method, present)| present.then_some(method))
            .collect();
            (segments, methods)
        })
        .collect()
});

/// The methods served at `path` (`{id}` segments match any one segment), if
/// it is a documented path.
pub fn allowed_methods(path: &str) -> Option<Vec<&'static str>> {
    let asked: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut found: Vec<&'static str> = Vec::new();
    for (segments, methods) in ALLOWED.iter() {
        let matches = segments.len() == asked.len()
            && segments.iter().zip(&asked).all(|(pattern, segment)| {
                (pattern.starts_with('{') && pattern.ends_with('}') && !segment.is_empty()) || pattern == segment
            });
        if matches {
            found.extend(methods.iter().filter(|method| !found.contains(method)).copied().collect::<Vec<_>>());
        }
    }
    (!found.is_empty()).then_some(found)
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
