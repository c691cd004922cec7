//! `/v1/reports/oversight` (JSON), `.csv` and `.pdf`: the oversight report for
//! coordinators and admins (`domain::oversight`).

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::domain::oversight::{self, Report, ReportFilter};
use crate::domain::{DomainError, permissions};
use crate::error::{ApiError, ErrorBody};
use crate::model::Day;
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(oversight_report).service(oversight_csv).service(oversight_pdf);
}

/// Which starters and pairings the report covers.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct OversightQuery {
    /// People who started in post on or after this day (`YYYY-MM-DD`; default
    /// the first of the month 23 months before `to`'s: 24 cohorts).
    pub from: Option<String>,
    /// ... and on or before this day (default today).
    pub to: Option<String>,
    /// Only people of this site (404 if it is not the organisation's).
    pub site_id: Option<String>,
    /// Only pairings of this programme (404 if it is not the organisation's):
    /// starters mentored in it, and those mentored in none.
    pub programme_id: Option<String>,
}

impl OversightQuery {
    fn filter(&self) -> Result<ReportFilter, DomainError> {
        ReportFilter::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            self.site_id.as_deref(),
            self.programme_id.as_deref(),
            Day::today(),
        )
    }
}

/// A download of the oversight report (the API's and the console's).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Download {
    Csv,
    Pdf,
}

/// The answer carrying a download of the report, as an attachment.
pub(crate) fn download(format: Download, body: impl Into<Vec<u8>>) -> HttpResponse {
    let (content_type, filename) = match format {
        Download::Csv => ("text/csv; charset=utf-8", "oversight.csv"),
        Download::Pdf => ("application/pdf", "oversight.pdf"),
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")))
        .body(body.into())
}

/// Builds the report; `format` names a download, which is audited.
async fn load(
    state: &AppState,
    user: AuthUser,
    query: &OversightQuery,
    format: Option<&'static str>,
) -> Result<Report, ApiError> {
    permissions::manage_organisation(user.roles)?;
    let filter = query.filter()?;
    let report = state
        .db
        .run(move |conn| {
            let actor = user.actor();
            let today = Day::today();
            match format {
                Some(format) => oversight::export(conn, user.org_id, &actor, &filter, today, format),
                None => oversight::build(conn, user.org_id, &actor, &filter, today),
            }
        })
        .await?;
    Ok(report)
}

/// The oversight report: for people who started in post in the period, by
/// start-month cohort and site, starters, mentored and not, still in post at
/// 90 days, 6 and 12 months, and how their pairings went. Cells describing
/// fewer than 5 people are `suppressed` with `null` figures. Coordinators and
/// admins.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(OversightQuery),
    responses(
        (status = 200, body = Report),
        (status = 400, description = "A date or id that does not read, or `from` after `to`", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "Site or programme not in the organisation", body = ErrorBody),
    )
)]
#[get("/v1/reports/oversight")]
pub async fn oversight_report(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<OversightQuery>,
) -> Result<HttpResponse, ApiError> {
    let report = load(&state, user, &query, None).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The same report as CSV: one line per row and metric (`cohort` is `all` for
/// the whole period), suppressed figures written "fewer than 5". Audited.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(OversightQuery),
    responses(
        (status = 200, description = "The report as CSV", content_type = "text/csv", body = String),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "Site or programme not in the organisation", body = ErrorBody),
    )
)]
#[get("/v1/reports/oversight.csv")]
pub async fn oversight_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<OversightQuery>,
) -> Result<HttpResponse, ApiError> {
    let report = load(&state, user, &query, Some("csv")).await?;
    Ok(download(Download::Csv, oversight::csv(&report)))
}

/// The same report as a PDF (A4, text in the standard Helvetica, so nothing is
/// embedded), for a committee or an inspector. Audited.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(OversightQuery),
    responses(
        (status = 200, description = "The report as a PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "Site or programme not in the organisation", body = ErrorBody),
    )
)]
#[get("/v1/reports/oversight.pdf")]
pub async fn oversight_pdf(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<OversightQuery>,
) -> Result<HttpResponse, ApiError> {
    let report = load(&state, user, &query, Some("pdf")).await?;
    let body = web::block(move || oversight::pdf::render(&report))
        .await
        .map_err(|error| ApiError::internal(format!("rendering the report failed: {error}")))?;
    Ok(download(Download::Pdf, body))
}
