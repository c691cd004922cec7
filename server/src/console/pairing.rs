//! One pairing (`/console/pairings/{id}`): its overview, timeline chart,
//! touchpoints (with the planned session meant to meet each), sessions (kind,
//! date, time, mode, duration, status with the pair's reason, skills practised,
//! actions open and done, the summary shared with the coordinator), goals,
//! actions and devices, the live fragment that holds them, and the forms that
//! pause, resume or end it.

use std::collections::HashMap;

use actix_web::web;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use time::OffsetDateTime;

use super::charts;
use super::csrf::{CsrfForm, NoFields};
use super::error::ConsoleError;
use super::layout::{
    Page, Section, csrf_field, date_cell, date_str_cell, days_ago, hours, html, kind_label, layout, mode_label,
    path_id, render, see_other, span_text, status_label, svg, touchpoint_class, week_text, yes_no,
};
use super::login::ConsoleUser;
use super::progress::{self, DeviceSyncHealth, PairingSummary, Rows};
use super::queries::{self, ActionCount, ActionRow, Filter, GoalCount, GoalRow, SessionRow};
use super::scheme::AgreementStatus;
use super::sessions::{planned_text, status_cell};
use crate::db::DbConnection;
use crate::db::scheme_projections as scheme_db;
use crate::domain::mentorships::{self as mentorship_ops, Transition};
use crate::domain::{AuditObject, DomainError, permissions, programme};
use crate::error::ApiError;
use crate::model::{Day, DocumentId, EndOutcome, MentorshipId, MentorshipStatus, OrgId};
use crate::state::AppState;

/// What the pairing page shows.
#[derive(Debug, Clone)]
pub struct PairingDetail {
    pub summary: PairingSummary,
    pub sessions: Vec<SessionRow>,
    pub goals: Vec<GoalRow>,
    pub actions: Vec<ActionRow>,
    /// The summary each session shares with the coordinator, if any.
    pub shared: HashMap<DocumentId, String>,
    /// Skills practised, by session.
    pub skills: HashMap<DocumentId, Vec<String>>,
    /// (open, done) agreed actions, by session.
    pub session_actions: HashMap<DocumentId, (u32, u32)>,
    pub agreement: AgreementStatus,
}

/// One pairing's detail, or 404 when it is not in the organisation.
fn load_pairing(
    conn: &mut DbConnection,
    org_id: OrgId,
    id: MentorshipId,
    now: OffsetDateTime,
) -> Result<PairingDetail, DomainError> {
    let filter = Filter::pairing(org_id, id);
    let pairings = queries::pairings(conn, filter)?;
    let named = pairings.first().ok_or(DomainError::not_found("pairing"))?;
    let people = [named.mentorship.mentor_id, named.mentorship.mentee_id];
    let devices = queries::devices(conn, org_id, Some(&people))?;
    let device_ids: Vec<_> = devices.iter().map(|d| d.id).collect();
    let goals = queries::goals(conn, org_id, id)?;
    let actions = queries::actions(conn, org_id, id)?;
    let today = Day::from(now.date());
    let mut goal_counts: HashMap<&str, i64> = HashMap::new();
    for goal in &goals {
        *goal_counts.entry(goal.status.as_str()).or_default() += 1;
    }
    let mut action_count = ActionCount::default();
    for action in &actions {
        action_count.add(action.done, action.due_on.as_deref(), today, 1);
    }
    let rows = Rows {
        goal_counts: goal_counts
            .into_iter()
            .map(|(status, count)| GoalCount { mentorship_id: id, status: status.to_owned(), count })
            .collect(),
        action_counts: HashMap::from([(id, action_count)]),
        programmes: queries::programmes(conn, org_id)?,
        sessions: queries::sessions(conn, filter)?,
        device_sync: queries::device_sync(conn, org_id, Some(&device_ids))?,
        devices,
        pairings,
        skill_counts: Vec::new(),
    };
    let summary = progress::summarise(&rows, now).into_iter().next().ok_or(DomainError::not_found("pairing"))?;
    let mut skills: HashMap<DocumentId, Vec<String>> = HashMap::new();
    for (document_id, skill) in queries::session_skills(conn, org_id, id)? {
        skills.entry(document_id).or_default().push(skill);
    }
    let mut session_actions: HashMap<DocumentId, (u32, u32)> = HashMap::new();
    for action in &actions {
        let entry = session_actions.entry(action.document_id).or_default();
        if action.done {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }
    Ok(PairingDetail {
        summary,
        sessions: rows.sessions,
        goals,
        actions,
        shared: queries::shared_summaries(conn, org_id, id)?.into_iter().collect(),
        skills,
        session_actions,
        agreement: AgreementStatus::of(scheme_db::find_agreement(conn, org_id, id)?.as_ref(), today),
    })
}

/// Reads the pairing; the connection is back in the pool before anything is drawn.
async fn detail(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
    now: OffsetDateTime,
) -> Result<PairingDetail, ConsoleError> {
    let id = path_id("pairing", id)?;
    let org_id = user.org_id;
    Ok(state.db.run(move |conn| load_pairing(conn, org_id, id, now)).await?)
}

fn render_fragment(user: &ConsoleUser, detail: &PairingDetail, now: OffsetDateTime) -> Result<Markup, ApiError> {
    let chart = charts::timeline(&detail.summary, &detail.sessions, now.date())?;
    Ok(pairing_fragment(user, detail, &chart, now))
}

pub async fn page(state: web::Data<AppState>, user: ConsoleUser, id: web::Path<String>) -> Page {
    let now = OffsetDateTime::now_utc();
    let detail = detail(&state, &user, &id, now).await?;
    let viewed = AuditObject::new("mentorship", detail.summary.id);
    super::audit::record_view(&state, &user, "console.viewed_pairing", viewed).await?;
    let page = render(move || {
        let fragment = render_fragment(&user, &detail, now)?;
        Ok(pairing_page(&user, &detail, fragment))
    })
    .await?;
    Ok(html(page))
}

pub async fn fragment(state: web::Data<AppState>, user: ConsoleUser, id: web::Path<String>) -> Page {
    let now = OffsetDateTime::now_utc();
    let detail = detail(&state, &user, &id, now).await?;
    Ok(html(render(move || render_fragment(&user, &detail, now)).await?))
}

pub async fn timeline_chart(state: web::Data<AppState>, user: ConsoleUser, id: web::Path<String>) -> Page {
    let now = OffsetDateTime::now_utc();
    let detail = detail(&state, &user, &id, now).await?;
    Ok(svg(render(move || charts::timeline(&detail.summary, &detail.sessions, now.date())).await?))
}

/// Pauses, resumes or ends a pairing through the domain, which also decides
/// who may ([`permissions::change_pairings`]).
async fn transition(state: web::Data<AppState>, user: ConsoleUser, id: String, transition: Transition) -> Page {
    let id: MentorshipId = path_id("pairing", &id)?;
    let location = format!("/console/pairings/{id}");
    state.db.run(move |conn| mentorship_ops::transition(conn, user.org_id, &user.actor(), id, &transition)).await?;
    Ok(see_other(&location))
}

#[derive(Debug, Deserialize)]
pub struct PauseForm {
    #[serde(default)]
    reason: String,
}

pub async fn pause(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<PauseForm>) -> Page {
    let CsrfForm { user, form } = form;
    // The console asks for a reason (the API leaves it optional).
    let reason = mentorship_ops::reason(&form.reason)?;
    transition(state, user, id.into_inner(), Transition::Pause { reason: Some(reason) }).await
}

pub async fn resume(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<NoFields>) -> Page {
    transition(state, form.user, id.into_inner(), Transition::Resume).await
}

#[derive(Debug, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    outcome: String,
}

pub async fn end(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<EndForm>) -> Page {
    let CsrfForm { user, form } = form;
    let outcome = match form.outcome.as_str() {
        "" => EndOutcome::default(),
        other => other
            .parse::<EndOutcome>()
            .map_err(|_| ApiError::bad_request("invalid_outcome", format!("`{other}` is not a way a pairing ends")))?,
    };
    let reason = mentorship_ops::reason(&form.reason)?;
    transition(state, user, id.into_inner(), Transition::End { reason, outcome }).await
}

/// The pairing page: controls that must survive live refreshes, around the live
/// fragment.
fn pairing_page(user: &ConsoleUser, detail: &PairingDetail, fragment: Markup) -> Markup {
    let p = &detail.summary;
    let id = &p.id;
    let title = format!("{} and {}", p.mentee_name, p.mentor_name);
    let main = html! {
        p.crumbs { a href="/console" { "Programme" } " › " (title) }
        h1 { (p.mentee_name) span.sub { "mentored by " (p.mentor_name) } }
        p #live-status.live-status role="status" aria-live="polite" { "Updates as phones sync." }
        div #live data-live-fragment={ "/console/fragments/pairings/" (id) } data-live-mentorship=(id) { (fragment) }
        section aria-labelledby="manage-heading" {
            h2 #manage-heading { "Manage this pairing" }
            @if permissions::change_pairings(user.roles).is_err() {
                p { "Only coordinators pause, resume or end pairings." }
            } @else if p.status.is_open() {
                div.forms {
                    @if p.status == MentorshipStatus::Active {
                        form.stack method="post" action={ "/console/pairings/" (id) "/pause" } {
                            (csrf_field(&user.csrf_token))
                            p { "Pausing keeps the pair's documents and stops the pairing counting as active." }
                            label for="pause-reason" { "Reason (the pair will not see this)" }
                            textarea #pause-reason name="reason" rows="2" maxlength="1000" required {}
                            button type="submit" { "Pause pairing" }
                        }
                    }
                    @if p.status == MentorshipStatus::Paused {
                        form.stack method="post" action={ "/console/pairings/" (id) "/resume" } {
                            (csrf_field(&user.csrf_token))
                            button type="submit" { "Resume pairing" }
                        }
                    }
                    form.stack method="post" action={ "/console/pairings/" (id) "/end" } {
                        (csrf_field(&user.csrf_token))
                        fieldset {
                            legend { "How it ends" }
                            label.inline { input type="radio" name="outcome" value="completed" checked; " Completed: ran its course" }
                            label.inline { input type="radio" name="outcome" value="ended"; " Ended early" }
                        }
                        label for="end-reason" { "Reason (the pair will not see this)" }
                        textarea #end-reason name="reason" rows="3" maxlength="1000" required {}
                        button.danger type="submit" { "End pairing" }
                    }
                }
            } @else {
                p { "This pairing has " (status_label(p.status).to_lowercase()) "; nothing more to manage." }
            }
        }
    };
    layout(user, Section::Programme, &title, main)
}

/// Everything about one pairing that changes when the pair syncs.
fn pairing_fragment(user: &ConsoleUser, detail: &PairingDetail, timeline_chart: &str, now: OffsetDateTime) -> Markup {
    let p = &detail.summary;
    let today = now.date();
    html! {
        section aria-labelledby="overview-heading" {
            h2 #overview-heading { "Overview" }
            dl.facts {
                dt { "Status" } dd { span.badge.(format!("status-{}", p.status.as_str())) { (status_label(p.status)) } " " (week_text(p, today)) }
                dt { "Programme" } dd { (p.rules.name) }
                dt { "Started" } dd { (date_cell(p.started_on)) }
                dt { "Agreement" } dd { (detail.agreement.cell()) }
                @if let (MentorshipStatus::Paused, Some(reason)) = (p.status, &p.pause_reason) {
                    dt { "Paused because" } dd { (reason) }
                }
                @if let Some(ended) = p.ended_on {
                    dt { "Ended" } dd { (date_cell(Some(ended))) @if let Some(reason) = &p.end_reason { ": " (reason) } }
                }
                dt { "Sessions" } dd data-sessions-logged=(p.sessions.logged) {
                    (p.sessions.logged) " logged, " (hours(p.sessions.shadowing_minutes)) " shadowing"
                    @if p.sessions.not_held > 0 { ", " (p.sessions.not_held) " cancelled or missed" }
                    @if p.sessions.planned > 0 { ", " (p.sessions.planned) " planned" }
                }
                dt { "Last contact" } dd {
                    @match p.sessions.last_contact { Some(d) => { (date_cell(Some(d))) " (" (days_ago(today, d)) ")" } None => { "none yet" } }
                }
                dt { "Needs attention" } dd {
                    @if p.attention.is_empty() { "no" } @else { ul.reasons { @for r in &p.attention { li { (r) } } } }
                }
            }
        }
        section aria-labelledby="timeline-heading" {
            h2 #timeline-heading { "Timeline" }
            figure.chart {
                div.chart-svg role="img" aria-label="Timeline of sessions and touchpoints; the tables below list the same." {
                    (PreEscaped(timeline_chart))
                }
                figcaption {
                    "Sessions held, by kind (filled: signed by both; hollow: awaiting sign-off; cross: amended after sign-off; "
                    "small grey ring: planned), "
                    "and touchpoint windows (green met, amber due or met late, red overdue, grey upcoming). "
                    a href={ "/console/pairings/" (p.id) "/timeline.svg" } { "Open the chart on its own" }
                }
            }
        }
        section aria-labelledby="touchpoints-heading" {
            h2 #touchpoints-heading { "Touchpoints" }
            table {
                thead { tr {
                    th scope="col" { "Touchpoint" } th scope="col" { "Window" } th scope="col" { "State" }
                    th scope="col" { "Contact" } th scope="col" { "Planned" }
                } }
                tbody {
                    @for t in &p.touchpoints {
                        tr {
                            th scope="row" data-label="Touchpoint" { (t.name) }
                            td data-label="Window" { (date_cell(Some(t.window_start))) " to " (date_cell(Some(t.window_end))) }
                            td data-label="State" { span.badge.(touchpoint_class(t.state)) { (t.state.label()) } }
                            td data-label="Contact" { (date_cell(t.contact_on)) }
                            td data-label="Planned" {
                                @match programme::planned_for(t, &p.planned_on, today) {
                                    Some(planned) => { (t.name) ": " (planned_text(planned)) }
                                    None => { "—" }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="sessions-heading" {
            h2 #sessions-heading { "Sessions" }
            p.hint {
                "What the pair's phones recorded. Notes, their own accounts, feedback and action text stay with the pair; "
                "the summary is what they chose to share with you."
            }
            @if detail.sessions.is_empty() { p { "No sessions synced yet." } } @else {
                table.sessions {
                    thead { tr {
                        th scope="col" { "Date" } th scope="col" { "Kind" } th scope="col" { "Start" }
                        th scope="col" { "Duration" } th scope="col" { "Mode" } th scope="col" { "Status" }
                        th scope="col" { "Skills practised" } th scope="col" { "Actions" }
                        th scope="col" { "Shared summary" }
                        th scope="col" { "Mentor signed" } th scope="col" { "Mentee signed" } th scope="col" { "Amended after sign-off" }
                    } }
                    tbody {
                        @for s in detail.sessions.iter().rev() {
                            (session_row(detail, s))
                        }
                    }
                }
            }
        }
        section aria-labelledby="goals-heading" {
            h2 #goals-heading { "Goals" }
            p.hint { "Goal titles and notes belong to the pair; the console shows categories, statuses and dates." }
            @if detail.goals.is_empty() { p { "No goals synced yet." } } @else {
                table {
                    thead { tr { th scope="col" { "Category" } th scope="col" { "Status" } th scope="col" { "Target date" } } }
                    tbody {
                        @for g in &detail.goals {
                            tr {
                                th scope="row" data-label="Category" { (g.category) }
                                td data-label="Status" { (g.status.replace('_', " ")) }
                                td data-label="Target date" { (date_str_cell(g.target_date.as_deref())) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="actions-heading" {
            h2 #actions-heading { "Agreed actions" }
            p { (p.actions.open) " open (" (p.actions.overdue) " overdue), " (p.actions.done) " done." }
            @if !detail.actions.is_empty() {
                table {
                    thead { tr { th scope="col" { "Due" } th scope="col" { "State" } } }
                    tbody {
                        @for a in &detail.actions {
                            @let overdue = programme::action_is_overdue(a.done, a.due_on.as_deref(), Day::from(today));
                            tr {
                                th scope="row" data-label="Due" { (date_str_cell(a.due_on.as_deref())) }
                                td data-label="State" {
                                    @if a.done { "done" } @else if overdue { span.badge.overdue { "overdue" } } @else { "open" }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="devices-heading" {
            h2 #devices-heading { "Devices and sync" }
            @if p.devices.is_empty() { p { "Neither of them has signed in on a phone yet." } } @else {
                table {
                    thead { tr {
                        th scope="col" { "Device" } th scope="col" { "Person" } th scope="col" { "Sync" }
                        th scope="col" { "Last sync" } th scope="col" { "Oldest unsynced change" } th scope="col" { span.visually-hidden { "Actions" } }
                    } }
                    tbody {
                        @for d in &p.devices {
                            tr {
                                th scope="row" data-label="Device" { (d.name) }
                                td data-label="Person" { (d.person_name) " (" (d.role) ")" }
                                td data-label="Sync" { span.badge.(d.state.class()) { (d.state.label()) } }
                                td data-label="Last sync" {
                                    @match d.last_sync_at { Some(at) => { (span_text(now - at)) " ago" } None => { "never" } }
                                }
                                td data-label="Oldest unsynced change" {
                                    @match d.oldest_unsynced { Some(age) if age.is_positive() => { (span_text(age)) " old" } _ => { "none reported" } }
                                }
                                td {
                                    @if d.state != DeviceSyncHealth::Revoked {
                                        form method="post" action={ "/console/devices/" (d.id) "/revoke" } {
                                            (csrf_field(&user.csrf_token))
                                            input type="hidden" name="return_to" value={ "/console/pairings/" (p.id) };
                                            button.danger type="submit" aria-label={ "Revoke " (d.name) " of " (d.person_name) } { "Revoke" }
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

/// One session as the console may show it.
fn session_row(detail: &PairingDetail, s: &SessionRow) -> Markup {
    let (open, done) = detail.session_actions.get(&s.document_id).copied().unwrap_or_default();
    let skills = detail.skills.get(&s.document_id).map(Vec::as_slice).unwrap_or_default();
    html! {
        tr data-session=(s.document_id) data-status=(s.status) {
            th scope="row" data-label="Date" { (date_str_cell(s.session_date.as_deref())) }
            td data-label="Kind" { (kind_label(s.kind.as_deref())) }
            td data-label="Start" { (s.start_time.as_deref().unwrap_or("—")) }
            td data-label="Duration" {
                @match s.duration_minutes { Some(m) => { (m) " min" } None => { "—" } }
            }
            td data-label="Mode" { (mode_label(s.mode.as_deref())) }
            td data-label="Status" { (status_cell(&s.status, s.status_reason.as_deref())) }
            td data-label="Skills practised" {
                @if skills.is_empty() { "—" } @else {
                    ul.skills { @for skill in skills { li { (skill) } } }
                }
            }
            td data-label="Actions" data-actions-open=(open) data-actions-done=(done) {
                @if open + done == 0 { "—" } @else { (open) " open, " (done) " done" }
            }
            td data-label="Shared summary" {
                @match detail.shared.get(&s.document_id) { Some(summary) => { (summary) } None => { "—" } }
            }
            td data-label="Mentor signed" { (yes_no(s.mentor_signed)) }
            td data-label="Mentee signed" { (yes_no(s.mentee_signed)) }
            td data-label="Amended after sign-off" {
                @if s.amended_after_sign_off {
                    span.badge.overdue { "amended" }
                    @if !s.amended_parts.is_empty() { " " span.sub { "parts: " (s.amended_parts.replace(',', ", ")) } }
                } @else { "no" }
            }
        }
    }
}
