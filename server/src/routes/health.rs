//! Liveness, readiness and metrics.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel::RunQueryDsl;
use secrecy::ExposeSecret;
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::config::MetricsAccess;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Readiness fails rather than hang when the database does not answer in time.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".to_owned() })
}

/// The database answers.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "Database unreachable", body = ErrorBody),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let probe = state.db.run(|conn| {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok::<_, crate::db::DbError>(())
    });
    match tokio::time::timeout(READY_TIMEOUT, probe).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(Health { status: "ready".to_owned() })),
        Ok(Err(error)) => {
            tracing::warn!(error = %crate::error::cause_chain(&error), "readiness check failed");
            Err(not_ready())
        }
        Err(_) => Err(not_ready()),
    }
}

fn not_ready() -> ApiError {
    ApiError::Unavailable { message: "the database is not reachable".to_owned() }
}

/// Prometheus metrics, when the server is configured to show them here
/// (`ALONGSIDE_METRICS`: `off` by default, `public`, `token:SECRET` for a bearer
/// token, or `listen:ADDR` to serve them on a separate address only).
#[utoipa::path(
    tag = "operations",
    security((), ("metrics_token" = [])),
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "A metrics token is configured and this request did not send it", body = ErrorBody),
        (status = 404, description = "Metrics are off, or served on another address", body = ErrorBody),
    )
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    match &state.settings.metrics {
        MetricsAccess::Public => {}
        MetricsAccess::Token(secret) => {
            let sent = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "))
                .unwrap_or("");
            if !bool::from(sent.as_bytes().ct_eq(secret.expose_secret().as_bytes())) {
                return Err(ApiError::unauthorized(
                    "missing_token",
                    "send the metrics token as `Authorization: Bearer <token>`",
                ));
            }
        }
        MetricsAccess::Off | MetricsAccess::Listen(_) => return Err(ApiError::not_found("resource")),
    }
    Ok(render(&state))
}

/// The metrics as Prometheus text, for whichever listener serves them.
pub fn render(state: &AppState) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.render())
}

/// `GET /metrics` on the separate metrics address (`listen:ADDR`), unconditionally.
pub async fn metrics_on_own_address(state: web::Data<AppState>) -> HttpResponse {
    render(&state)
}
