//! The oversight report on the console (`/console/reports/oversight`): the
//! same report as `GET /v1/reports/oversight` (`domain::oversight`), one table
//! per cohort with a column per site, a retention chart, and the CSV and PDF
//! downloads under the console's own login.

use actix_web::web;
use maud::{Markup, html};
use serde::Deserialize;

use super::charts::{self, RetentionBar};
use super::layout::{Page, Section, html, layout, render, svg};
use super::login::ConsoleUser;
use super::queries;
use crate::db::programmes::Programme;
use crate::db::sites::Site;
use crate::domain::DomainError;
use crate::domain::oversight::{self, METRICS, Report, ReportFilter, Row};
use crate::model::Day;
use crate::routes::reports::{Download, download};
use crate::state::AppState;

/// The filter, as the form and the links carry it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    programme_id: Option<String>,
}

impl ReportQuery {
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

/// The query string of a filter, for links to the downloads and the chart.
fn query_string(filter: &ReportFilter) -> String {
    let mut out = format!("from={}&to={}", filter.from, filter.to);
    if let Some(id) = filter.site_id {
        out.push_str(&format!("&site_id={id}"));
    }
    if let Some(id) = filter.programme_id {
        out.push_str(&format!("&programme_id={id}"));
    }
    out
}

struct ReportData {
    report: Report,
    sites: Vec<Site>,
    programmes: Vec<Programme>,
}

async fn load(
    state: &AppState,
    user: &ConsoleUser,
    query: &ReportQuery,
    format: Option<&'static str>,
) -> Result<ReportData, DomainError> {
    let filter = query.filter()?;
    let user = user.clone();
    state
        .db
        .run(move |conn| {
            let actor = user.actor();
            let today = Day::today();
            let report = match format {
                Some(format) => oversight::export(conn, user.org_id, &actor, &filter, today, format)?,
                None => oversight::build(conn, user.org_id, &actor, &filter, today)?,
            };
            let sites = queries::sites(conn, user.org_id)?;
            let programmes = queries::programmes(conn, user.org_id)?;
            Ok(ReportData { report, sites, programmes })
        })
        .await
}

pub async fn page(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<ReportQuery>) -> Page {
    let data = load(&state, &user, &query, None).await?;
    let page = render(move || Ok(report_page(&user, &data))).await?;
    Ok(html(page))
}

pub async fn csv(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<ReportQuery>) -> Page {
    let data = load(&state, &user, &query, Some("csv")).await?;
    Ok(download(Download::Csv, oversight::csv(&data.report)))
}

pub async fn pdf(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<ReportQuery>) -> Page {
    let data = load(&state, &user, &query, Some("pdf")).await?;
    let body = render(move || Ok(oversight::pdf::render(&data.report))).await?;
    Ok(download(Download::Pdf, body))
}

/// The whole period's row (the last one).
fn total(report: &Report) -> Option<&Row> {
    report.rows.iter().find(|r| r.cohort.is_none())
}

pub async fn retention_chart(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<ReportQuery>) -> Page {
    let data = load(&state, &user, &query, None).await?;
    let chart = render(move || {
        let value = |key: &str| total(&data.report).and_then(|row| row.cells.get(key)).and_then(|cell| cell.value);
        let bars = [
            RetentionBar {
                label: "90 days",
                mentored: value("in_post_90_days.mentored"),
                not_mentored: value("in_post_90_days.not_mentored"),
            },
            RetentionBar {
                label: "6 months",
                mentored: value("in_post_6_months.mentored"),
                not_mentored: value("in_post_6_months.not_mentored"),
            },
            RetentionBar {
                label: "12 months",
                mentored: value("in_post_12_months.mentored"),
                not_mentored: value("in_post_12_months.not_mentored"),
            },
        ];
        charts::retention(&bars)
    })
    .await?;
    Ok(svg(chart))
}

fn cohort_table(title: &str, rows: &[&Row]) -> Markup {
    html! {
        section.report-cohort {
            h2 { (title) }
            div.table-scroll {
                table.report {
                    thead { tr {
                        th scope="col" { "Measure" }
                        @for row in rows { th scope="col" { (row.site) } }
                    } }
                    tbody {
                        @for metric in METRICS {
                            tr data-metric=(metric.key) {
                                th scope="row" { (metric.label) }
                                @for row in rows {
                                    @let cell = row.cells.get(metric.key);
                                    td data-label=(row.site) data-suppressed=[cell.filter(|c| c.suppressed).map(|_| "true")] {
                                        @match cell {
                                            Some(cell) => {
                                                (oversight::display(cell, metric.unit))
                                                @if !cell.reasons.is_empty() {
                                                    ul.reasons { @for r in &cell.reasons { li { (r.reason) " (" (r.sessions) ")" } } }
                                                }
                                            }
                                            None => { "—" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn report_page(user: &ConsoleUser, data: &ReportData) -> Markup {
    let report = &data.report;
    let filter =
        ReportFilter { from: report.from, to: report.to, site_id: report.site_id, programme_id: report.programme_id };
    let query = query_string(&filter);
    let mut cohorts: Vec<(String, Vec<&Row>)> = Vec::new();
    for row in &report.rows {
        let title = match &row.cohort {
            Some(cohort) => format!("Started {cohort}"),
            None => "Whole period".to_owned(),
        };
        match cohorts.last_mut() {
            Some((last, rows)) if *last == title => rows.push(row),
            _ => cohorts.push((title, vec![row])),
        }
    }
    // The whole period first: it is what a committee reads.
    cohorts.rotate_right(1);
    let main = html! {
        h1 { "Oversight report" }
        p {
            "People who started in post from " (report.from) " to " (report.to) ", by the month they started and their site; "
            "retention and touchpoints judged on " (report.as_of) ". "
            "Figures about fewer than " (report.threshold) " people show as \u{201c}" (oversight::suppressed_text()) "\u{201d}. "
            "Nothing a pair wrote is used."
        }
        form.inline.filter method="get" action="/console/reports/oversight" {
            label for="from" { "From " } input #from type="date" name="from" value=(report.from);
            " " label for="to" { "to " } input #to type="date" name="to" value=(report.to);
            " " label for="site_id" { "Site " }
            select #site_id name="site_id" {
                option value="" { "All sites" }
                @for s in &data.sites { option value=(s.id) selected[Some(s.id) == report.site_id] { (s.name) } }
            }
            " " label for="programme_id" { "Programme " }
            select #programme_id name="programme_id" {
                option value="" { "All programmes" }
                @for p in &data.programmes { option value=(p.id) selected[Some(p.id) == report.programme_id] { (p.name) } }
            }
            " " button type="submit" { "Show" }
        }
        p.downloads {
            a href={ "/console/reports/oversight.csv?" (query) } download { "Download CSV" } " · "
            a href={ "/console/reports/oversight.pdf?" (query) } download { "Download PDF" }
        }
        figure.chart {
            img src={ "/console/reports/oversight/retention.svg?" (query) } width="760" height="300"
                alt="Share of starters still in post at 90 days, 6 months and 12 months, mentored and not mentored; the figures are in the table below.";
        }
        @for (title, rows) in &cohorts { (cohort_table(title, rows)) }
    };
    layout(user, Section::Reports, "Oversight report", main)
}
