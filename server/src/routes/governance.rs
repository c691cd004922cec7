//! Governance, for admins: the audit trail (`/v1/audit`, `/v1/audit.csv`),
//! subject access exports, erasure and the retention settings. The rules are
//! `domain::permissions::govern`; the work is in `domain::{audit,
//! subject_access, erasure, retention}`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::db::audit_events::EventFilter;
use crate::domain::audit::{self, AuditPage};
use crate::domain::erasure::{self, ErasureReport};
use crate::domain::retention::{self, RetentionPolicy};
use crate::domain::subject_access::{self, SubjectAccessError};
use crate::domain::{DomainError, permissions};
use crate::error::{ApiError, ErrorBody};
use crate::model::{PersonId, Timestamp};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_audit)
        .service(audit_csv)
        .service(subject_access_export)
        .service(erase_person)
        .service(get_retention)
        .service(put_retention);
}

impl From<SubjectAccessError> for ApiError {
    fn from(error: SubjectAccessError) -> Self {
        match error {
            SubjectAccessError::Domain(error) => error.into(),
            other => ApiError::internal(other),
        }
    }
}

/// Which events to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Recorded at or after this instant (`YYYY-MM-DDTHH:MM:SSZ`) or day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Recorded before this instant or day (exclusive).
    pub to: Option<String>,
    /// Done by this person.
    pub actor_id: Option<String>,
    /// About this thing (a person, pairing, device, document... id).
    pub subject_id: Option<String>,
    /// This action, e.g. `console.viewed_pairing`.
    pub action: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Events per page (default 100, at most 500).
    pub limit: Option<i64>,
}

fn instant(field: &str, text: &str) -> Result<Timestamp, DomainError> {
    let text = text.trim();
    let bad = || {
        DomainError::invalid(
            "invalid_date",
            format!("`{field}` must be written YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, got `{text}`"),
        )
    };
    if text.len() == 10 {
        let day: crate::model::Day = text.parse().map_err(|_| bad())?;
        return format!("{day}T00:00:00Z").parse().map_err(|_| bad());
    }
    text.parse().map_err(|_| bad())
}

impl AuditQuery {
    fn filter(&self) -> Result<EventFilter, DomainError> {
        let actor_id = match self.actor_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => Some(text.parse::<PersonId>().map_err(|_| {
                DomainError::invalid("invalid_actor_id", format!("`actor_id` must be a person id, got `{text}`"))
            })?),
            None => None,
        };
        let after_seq = match self.cursor.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => Some(
                text.parse::<i64>()
                    .map_err(|_| DomainError::invalid("invalid_cursor", "`cursor` must be a `next_cursor` value"))?,
            ),
            None => None,
        };
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        Ok(EventFilter {
            from: self.from.as_deref().map(|t| instant("from", t)).transpose()?,
            to: self.to.as_deref().map(|t| instant("to", t)).transpose()?,
            actor_id,
            subject_id: text(&self.subject_id),
            action: text(&self.action),
            after_seq,
        })
    }
}

/// The organisation's audit trail, oldest first, a page at a time (admins).
#[utoipa::path(
    tag = "governance",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
#[get("/v1/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    permissions::govern(user.roles)?;
    let filter = query.filter()?;
    let limit = query.limit.unwrap_or(100);
    let page = state.db.run(move |conn| audit::list(conn, user.org_id, &user.actor(), &filter, limit)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The same events as CSV, all pages at once (admins). The download is audited.
#[utoipa::path(
    tag = "governance",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "text/csv", content_type = "text/csv", body = String),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
#[get("/v1/audit.csv")]
pub async fn audit_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    permissions::govern(user.roles)?;
    let filter = query.filter()?;
    let body = state
        .db
        .run(move |conn| {
            let actor = user.actor();
            let body = audit::csv(conn, user.org_id, &actor, &filter)?;
            crate::domain::record_audit(
                conn,
                user.org_id,
                &actor,
                "audit.exported",
                crate::domain::AuditObject::new("organisation", user.org_id),
                serde_json::json!({ "format": "csv", "bytes": body.len() }),
            )?;
            Ok::<_, DomainError>(body)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""))
        .body(body))
}

/// Everything held about a person, as a ZIP of `data.json`, `index.html` and
/// `review.txt` (admins). The export is audited.
#[utoipa::path(
    tag = "governance",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 200, description = "application/zip", content_type = "application/zip", body = Vec<u8>),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
#[post("/v1/people/{id}/subject-access")]
pub async fn subject_access_export(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    permissions::govern(user.roles)?;
    let id: PersonId = id.parse().map_err(|_| DomainError::not_found("person"))?;
    let export = state.db.run(move |conn| subject_access::export(conn, user.org_id, &user.actor(), id)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"subject-access-{}.zip\"", export.person_id),
        ))
        .body(export.zip))
}

/// Erase a person (admins): deactivate them, erase their journal at once, and
/// replace their name and email by a pseudonym in the records that stay.
#[utoipa::path(
    tag = "governance",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Person id")),
    responses(
        (status = 200, body = ErasureReport),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Erasing yourself", body = ErrorBody),
    )
)]
#[post("/v1/people/{id}/erase")]
pub async fn erase_person(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    permissions::govern(user.roles)?;
    let id: PersonId = id.parse().map_err(|_| DomainError::not_found("person"))?;
    let report = state.db.run(move |conn| erasure::erase_person(conn, user.org_id, &user.actor(), id)).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The organisation's retention periods (admins).
#[utoipa::path(
    tag = "governance",
    security(("bearer" = [])),
    responses((status = 200, body = RetentionPolicy), (status = 403, body = ErrorBody))
)]
#[get("/v1/organisation/retention")]
pub async fn get_retention(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    permissions::govern(user.roles)?;
    let policy = state.db.run(move |conn| retention::get(conn, user.org_id, &user.actor())).await?;
    Ok(HttpResponse::Ok().json(policy))
}

/// Set the organisation's retention periods (admins); every field is required.
#[utoipa::path(
    tag = "governance",
    security(("bearer" = [])),
    request_body = RetentionPolicy,
    responses(
        (status = 200, body = RetentionPolicy),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
#[put("/v1/organisation/retention")]
pub async fn put_retention(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<RetentionPolicy>,
) -> Result<HttpResponse, ApiError> {
    permissions::govern(user.roles)?;
    let policy = body.into_inner();
    let saved = state.db.run(move |conn| retention::set(conn, user.org_id, &user.actor(), policy)).await?;
    Ok(HttpResponse::Ok().json(saved))
}
