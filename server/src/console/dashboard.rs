//! The dashboard (`/console`): headline numbers, sessions per week, every
//! pairing (needing attention first) and the skills practised
//! ([`super::skills`]); its live fragment and its chart.

use actix_web::web;
use maud::{Markup, PreEscaped, html};
use time::{Date, OffsetDateTime};

use super::charts;
use super::error::ConsoleError;
use super::layout::{
    Page, Section, date_cell, days_ago, device_line, hours, html, layout, render, status_label, svg, touchpoint_class,
    week_text,
};
use super::login::ConsoleUser;
use super::programmes::{self, ProgrammeFilter};
use super::progress::{self, Dashboard, PairingSummary, Rows};
use super::queries::{self, Filter};
use super::scheme::Agreements;
use super::sessions::planned_text;
use super::skills;
use crate::db::{DbConnection, DbError};
use crate::domain::{concerns, programme};
use crate::error::ApiError;
use crate::model::{Day, MentorshipId, OrgId, ProgrammeId};
use crate::state::AppState;

/// Everything the dashboard needs, in nine queries whatever the programme's size.
pub fn load_rows(conn: &mut DbConnection, org_id: OrgId, today: Day) -> Result<Rows, DbError> {
    let filter = Filter::org(org_id);
    Ok(Rows {
        pairings: queries::pairings(conn, filter)?,
        programmes: queries::programmes(conn, org_id)?,
        sessions: queries::sessions(conn, filter)?,
        goal_counts: queries::goal_counts(conn, org_id)?,
        action_counts: queries::action_counts(conn, org_id, today)?,
        devices: queries::devices(conn, org_id, None)?,
        device_sync: queries::device_sync(conn, org_id, None)?,
        skill_counts: queries::skill_counts(conn, org_id)?,
    })
}

/// The dashboard fragment's HTML for `org_id` at `now`: the rows, then the
/// rendering. The routes split the two around the pooled connection; the
/// benchmark measures both.
pub fn render_dashboard_fragment(
    conn: &mut DbConnection,
    org_id: OrgId,
    now: OffsetDateTime,
) -> Result<Markup, ApiError> {
    let rows = load_rows(conn, org_id, Day::from(now.date()))?;
    let agreements = Agreements::load(conn, org_id)?;
    render_fragment(&rows, &agreements, now)
}

fn render_fragment(rows: &Rows, agreements: &Agreements, now: OffsetDateTime) -> Result<Markup, ApiError> {
    let dashboard = progress::dashboard(rows, now);
    let chart = charts::sessions_per_week(&dashboard.weeks)?;
    let skills = skills::section(&skills::practised(&rows.pairings, &rows.skill_counts));
    Ok(dashboard_fragment(&dashboard, agreements, &chart, skills, now))
}

async fn rows(
    state: &AppState,
    user: &ConsoleUser,
    now: OffsetDateTime,
    programme: Option<ProgrammeId>,
) -> Result<(Rows, Agreements), ConsoleError> {
    let (org_id, today) = (user.org_id, Day::from(now.date()));
    let (mut rows, agreements) = state
        .db
        .run(move |conn| Ok::<_, DbError>((load_rows(conn, org_id, today)?, Agreements::load(conn, org_id)?)))
        .await?;
    if let Some(id) = programme {
        programmes::only_programme(&mut rows, id);
    }
    Ok((rows, agreements))
}

pub async fn dashboard(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<ProgrammeFilter>) -> Page {
    let now = OffsetDateTime::now_utc();
    let selected = query.into_inner().selected();
    let (rows, agreements) = rows(&state, &user, now, selected).await?;
    let org_id = user.org_id;
    let safeguarding = state.db.run(move |conn| concerns::open_safeguarding(conn, org_id)).await?;
    Ok(html(
        render(move || {
            let fragment = render_fragment(&rows, &agreements, now)?;
            Ok(dashboard_page(&user, &rows, selected, &safeguarding, fragment))
        })
        .await?,
    ))
}

pub async fn fragment(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<ProgrammeFilter>) -> Page {
    let now = OffsetDateTime::now_utc();
    let (rows, agreements) = rows(&state, &user, now, query.into_inner().selected()).await?;
    Ok(html(render(move || render_fragment(&rows, &agreements, now)).await?))
}

pub async fn weekly_chart(state: web::Data<AppState>, user: ConsoleUser) -> Page {
    let today = OffsetDateTime::now_utc().date();
    let sessions =
        state.db.run(move |conn| Ok::<_, DbError>(queries::sessions(conn, Filter::org(user.org_id))?)).await?;
    let chart = render(move || {
        charts::sessions_per_week(&progress::sessions_per_week(&sessions, today, progress::WEEKS_CHARTED))
    })
    .await?;
    Ok(svg(chart))
}

/// The dashboard page around its live fragment, with open safeguarding
/// concerns flagged first (how many, never what they say).
fn dashboard_page(
    user: &ConsoleUser,
    rows: &Rows,
    selected: Option<ProgrammeId>,
    safeguarding: &[MentorshipId],
    fragment: Markup,
) -> Markup {
    let live = match selected {
        Some(id) => format!("/console/fragments/dashboard?programme_id={id}"),
        None => "/console/fragments/dashboard".to_owned(),
    };
    let main = html! {
        h1 { "Programme" }
        @if !safeguarding.is_empty() {
            p.flag.safeguarding role="alert" data-open-safeguarding=(safeguarding.len()) {
                strong {
                    (safeguarding.len())
                    @if safeguarding.len() == 1 { " open safeguarding concern" } @else { " open safeguarding concerns" }
                }
                @if concerns::read_concerns(&user.actor()).is_ok() {
                    ": " a href="/console/concerns" { "read and respond in the concerns inbox" } "."
                } @else {
                    ": the coordinators respond to them."
                }
            }
        }
        (programmes::filter_form(&rows.programmes, selected))
        p #live-status.live-status role="status" aria-live="polite" {
            "Updates as phones sync."
        }
        div #live data-live-fragment=(live) { (fragment) }
    };
    layout(user, Section::Programme, "Programme", main)
}

/// Headline numbers, the weekly chart and every pairing.
fn dashboard_fragment(
    dashboard: &Dashboard,
    agreements: &Agreements,
    weekly_chart: &str,
    skills: Markup,
    now: OffsetDateTime,
) -> Markup {
    let t = &dashboard.totals;
    html! {
        section aria-labelledby="summary-heading" {
            h2 #summary-heading.visually-hidden { "Summary" }
            ul.stats {
                li { strong { (t.active) } " active pairings" }
                li.attention[t.needing_attention > 0] { strong { (t.needing_attention) } " need attention" }
                li { strong { (t.sessions_last_4_weeks) } " sessions in the last 4 weeks" }
                li { strong { (hours(t.shadowing_minutes)) } " of shadowing logged" }
                li data-not-held=(t.not_held) { strong { (t.not_held) } " sessions cancelled or missed" }
            }
        }
        section aria-labelledby="chart-heading" {
            h2 #chart-heading { "Sessions per week" }
            figure.chart {
                div.chart-svg role="img" aria-label=(weekly_summary(dashboard)) { (PreEscaped(weekly_chart)) }
                figcaption {
                    "Logged sessions per week over the last " (dashboard.weeks.len()) " weeks, by kind. "
                    a href="/console/charts/sessions-per-week.svg" { "Open the chart on its own" }
                }
            }
        }
        section aria-labelledby="pairings-heading" {
            h2 #pairings-heading { "Pairings" }
            @if dashboard.pairings.is_empty() {
                p { "No pairings yet. " a href="/console/people" { "Pair a mentor and a mentee" } "." }
            } @else {
                p.hint { "Pairings needing attention come first." }
                table.pairings {
                    caption.visually-hidden { "Every pairing of the programme" }
                    thead {
                        tr {
                            th scope="col" { "Pairing" }
                            th scope="col" { "Needs attention" }
                            th scope="col" { "Status" }
                            th scope="col" { "Sessions" }
                            th scope="col" { "Last contact" }
                            th scope="col" { "Touchpoints" }
                            th scope="col" { "Goals" }
                            th scope="col" { "Actions" }
                            th scope="col" { "Sign-off" }
                            th scope="col" { "Agreement" }
                            th scope="col" { "Devices" }
                        }
                    }
                    tbody {
                        @for p in &dashboard.pairings {
                            (pairing_row(p, agreements, dashboard.today, now))
                        }
                    }
                }
            }
        }
        (skills)
    }
}

fn weekly_summary(dashboard: &Dashboard) -> String {
    let total: u32 = dashboard.weeks.iter().map(|w| w.total()).sum();
    let this_week = dashboard.weeks.last().map_or(0, |w| w.total());
    format!(
        "Bar chart of sessions logged per week: {total} over {} weeks, {this_week} this week.",
        dashboard.weeks.len()
    )
}

fn pairing_row(p: &PairingSummary, agreements: &Agreements, today: Date, now: OffsetDateTime) -> Markup {
    html! {
        tr data-pairing=(p.id) data-sessions-logged=(p.sessions.logged) .needs-attention[!p.attention.is_empty()] {
            th scope="row" data-label="Pairing" {
                a href={ "/console/pairings/" (p.id) } { (p.mentee_name) }
                span.sub { "mentor " (p.mentor_name) }
            }
            td data-label="Needs attention" {
                @if p.attention.is_empty() { "—" } @else {
                    ul.reasons { @for reason in &p.attention { li { (reason) } } }
                }
            }
            td data-label="Status" {
                span.badge.(format!("status-{}", p.status.as_str())) { (status_label(p.status)) }
                " " span.sub { (week_text(p, today)) }
            }
            td data-label="Sessions" {
                (p.sessions.logged) " logged"
                span.sub { (hours(p.sessions.shadowing_minutes)) " shadowing" }
                @if p.sessions.not_held > 0 { span.sub { (p.sessions.not_held) " cancelled or missed" } }
                @if p.sessions.planned > 0 { span.sub { (p.sessions.planned) " planned" } }
            }
            td data-label="Last contact" {
                @match p.sessions.last_contact {
                    Some(date) => { (date_cell(Some(date))) span.sub { (days_ago(today, date)) } }
                    None => { "none yet" }
                }
            }
            td data-label="Touchpoints" {
                @if p.touchpoints.is_empty() { "—" } @else {
                    ul.touchpoints {
                        @for t in &p.touchpoints {
                            li {
                                span.badge.(touchpoint_class(t.state)) { (t.state.label()) } " " (t.name)
                                @if let Some(planned) = programme::planned_for(t, &p.planned_on, today) {
                                    span.planned { ": " (planned_text(planned)) }
                                }
                            }
                        }
                    }
                }
            }
            td data-label="Goals" { (p.goals_achieved) " of " (p.goals_total) " achieved" }
            td data-label="Actions" {
                (p.actions.open) " open"
                @if p.actions.overdue > 0 { span.sub.warn { (p.actions.overdue) " overdue" } }
            }
            td data-label="Sign-off" {
                (p.sessions.signed) " of " (p.sessions.logged) " signed"
                @if p.sessions.amended_after_sign_off > 0 {
                    span.sub.warn { (p.sessions.amended_after_sign_off) " amended after sign-off" }
                }
            }
            td data-label="Agreement" { (agreements.status(p.id, Day::from(today)).cell()) }
            td data-label="Devices" {
                @if p.devices.is_empty() { "no devices" } @else {
                    ul.devices { @for d in &p.devices { li { (device_line(d, now)) } } }
                }
            }
        }
    }
}
