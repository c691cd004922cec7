//! `/v1/surveys/results`: survey results for coordinators and admins, the
//! console's survey page as JSON (means per question, groups of fewer than 5
//! respondents without a mean, shared text without names).

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::domain::surveys::{self, Grouping, ResultsFilter, SurveyResults};
use crate::domain::{DomainError, parse_input_date, permissions};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(survey_results);
}

/// Which results, grouped how.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ResultsQuery {
    /// Comma-separated, any of `programme`, `site`, `cohort` (the pairing's
    /// start month); default `programme`.
    pub group_by: Option<String>,
    pub programme_id: Option<String>,
    pub site_id: Option<String>,
    /// Pairings started in this day's month or later (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Pairings started in this day's month or earlier (`YYYY-MM-DD`).
    pub to: Option<String>,
}

fn id<T: std::str::FromStr>(field: &str, text: &Option<String>) -> Result<Option<T>, DomainError> {
    text.as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.parse().map_err(|_| DomainError::invalid("invalid_id", format!("`{field}` is not an id"))))
        .transpose()
}

fn parse(query: &ResultsQuery) -> Result<(ResultsFilter, Grouping), DomainError> {
    let day = |field: &str, text: &Option<String>| {
        text.as_deref().filter(|t| !t.trim().is_empty()).map(|t| parse_input_date(field, t.trim())).transpose()
    };
    let filter = ResultsFilter {
        programme_id: id("programme_id", &query.programme_id)?,
        site_id: id("site_id", &query.site_id)?,
        from: day("from", &query.from)?,
        to: day("to", &query.to)?,
    };
    let mut by = Grouping::default();
    for part in query.group_by.as_deref().unwrap_or("programme").split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "programme" => by.programme = true,
            "site" => by.site = true,
            "cohort" => by.cohort = true,
            other => {
                return Err(DomainError::invalid(
                    "invalid_group_by",
                    format!("`group_by` takes programme, site and cohort, not `{other}`"),
                ));
            }
        }
    }
    Ok((filter, by))
}

/// Mean scores per survey question by programme, site and/or start-month
/// cohort (coordinators and admins). A group of fewer than 5 respondents has
/// `mean: null`. `comments` holds free text respondents shared, in groups of 5
/// or more respondents of that survey, never with a name.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(ResultsQuery),
    responses(
        (status = 200, body = SurveyResults),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
#[get("/v1/surveys/results")]
pub async fn survey_results(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ResultsQuery>,
) -> Result<HttpResponse, ApiError> {
    permissions::read_survey_results(user.roles)?;
    let (filter, by) = parse(&query)?;
    let results = state.db.run(move |conn| surveys::results(conn, user.org_id, &user.actor(), &filter, by)).await?;
    Ok(HttpResponse::Ok().json(results))
}
