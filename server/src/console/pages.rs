//! The console's HTML, written with maud: every interpolated value is escaped
//! unless wrapped in `PreEscaped`, which only the server-drawn SVG charts are.
//!
//! Pages are semantic HTML (landmarks, headings, tables with header cells,
//! labelled form controls) and work without script; the one script only makes
//! the live parts refresh. At phone width the CSS turns table rows into cards
//! using each cell's `data-label`.

use actix_web::http::StatusCode;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use super::programme::{Dashboard, DeviceHealth, PairingSummary, SyncState, plural};
use super::queries::{ActionRow, GoalRow, SessionRow};
use super::session::ConsoleUser;
use crate::db::parse_date;
use crate::db::people::Person;
use crate::db::sites::Site;
use crate::domain::MentorshipStatus;
use crate::domain::mentorships::{MentorshipView, Warning};

/// Which part of the console a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Programme,
    People,
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="same-origin";
            title { (title) " · Alongside console" }
            link rel="stylesheet" href="/console/assets/console.css";
            script src="/console/assets/console.js" defer {}
        }
    }
}

/// The frame of every signed-in page.
pub fn layout(user: &ConsoleUser, section: Section, title: &str, main: Markup) -> Markup {
    let current = |s: Section| if s == section { Some("page") } else { None };
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    p.brand { a href="/console" { "Alongside" } span { " console" } }
                    nav aria-label="Console" {
                        ul {
                            li { a href="/console" aria-current=[current(Section::Programme)] { "Programme" } }
                            li { a href="/console/people" aria-current=[current(Section::People)] { "People and pairings" } }
                        }
                    }
                    form.sign-out method="post" action="/console/sign-out" {
                        (csrf_field(&user.csrf_token))
                        span.who { (user.display_name) }
                        button type="submit" { "Sign out" }
                    }
                }
                main #main tabindex="-1" { (main) }
            }
        }
    }
}

fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// The sign-in page; `message` explains a failed attempt.
pub fn sign_in_page(csrf: &str, email: &str, message: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            (head("Sign in"))
            body.narrow {
                main #main {
                    h1 { "Sign in to the Alongside console" }
                    p { "For programme coordinators and administrators. Mentors and mentees use the Alongside app." }
                    @if let Some(message) = message {
                        div.notice.error role="alert" { p { (message) } }
                    }
                    form.stack method="post" action="/console/sign-in" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="email" { "Email" }
                        input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
                        label for="password" { "Password" }
                        input #password type="password" name="password" autocomplete="current-password" required;
                        button type="submit" { "Sign in" }
                    }
                }
            }
        }
    }
}

/// A page explaining a failure.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            (head(title))
            body.narrow {
                main #main {
                    h1 { (title) }
                    p { (message) }
                    p { a href="/console" { "Back to the programme" } }
                }
            }
        }
    }
}

fn date_text(date: Date) -> String {
    date.format(format_description!("[day padding:none] [month repr:short] [year]"))
        .unwrap_or_else(|_| date.to_string())
}

fn date_cell(date: Option<Date>) -> Markup {
    match date {
        Some(date) => html! { time datetime=(crate::db::date_text(date)) { (date_text(date)) } },
        None => html! { "—" },
    }
}

fn date_str_cell(text: Option<&str>) -> Markup {
    match text.and_then(parse_date) {
        Some(date) => date_cell(Some(date)),
        None => html! { "not set" },
    }
}

/// "45 minutes", "3 hours", "2 days".
pub fn span_text(span: Duration) -> String {
    let minutes = span.whole_minutes().max(0);
    if minutes < 1 {
        "under a minute".to_owned()
    } else if minutes < 60 {
        plural(minutes, "minute", "minutes")
    } else if minutes < 48 * 60 {
        plural(minutes / 60, "hour", "hours")
    } else {
        plural(minutes / (24 * 60), "day", "days")
    }
}

fn days_ago(today: Date, date: Date) -> String {
    match (today - date).whole_days() {
        0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        n if n < 0 => "in the future".to_owned(),
        n => format!("{n} days ago"),
    }
}

fn hours(minutes: i64) -> String {
    let tenths = (minutes * 10 + 30) / 60;
    format!("{}.{} h", tenths / 10, tenths % 10)
}

fn status_label(status: MentorshipStatus) -> &'static str {
    match status {
        MentorshipStatus::Proposed => "Proposed",
        MentorshipStatus::Active => "Active",
        MentorshipStatus::Paused => "Paused",
        MentorshipStatus::Completed => "Completed",
        MentorshipStatus::Ended => "Ended",
    }
}

fn kind_label(kind: Option<&str>) -> &'static str {
    match kind {
        Some("shadowing") => "Shadowing shift",
        Some("meeting") => "1:1 meeting",
        Some("check_in") => "Check-in",
        _ => "Not set",
    }
}

fn mode_label(mode: Option<&str>) -> &'static str {
    match mode {
        Some("face_to_face") => "Face to face",
        Some("phone") => "Phone",
        Some("online") => "Online",
        _ => "—",
    }
}

fn week_text(p: &PairingSummary, today: Date) -> String {
    match (p.week, p.started_on) {
        (Some(week), _) if week > p.rules.induction_weeks => {
            format!("week {week}, past the {}-week induction", p.rules.induction_weeks)
        }
        (Some(week), _) => format!("week {week} of {}", p.rules.induction_weeks),
        (None, Some(start)) if start > today => format!("starts {}", date_text(start)),
        _ => String::new(),
    }
}

fn device_line(device: &DeviceHealth, now: OffsetDateTime) -> Markup {
    html! {
        span.badge.(device.state.class()) { (device.state.label()) }
        " " (device.name) " (" (device.role) ")"
        @if let Some(at) = device.last_sync_at {
            ", synced " (span_text(now - at)) " ago"
        }
        @if let Some(age) = device.oldest_unsynced.filter(|a| a.is_positive()) {
            ", oldest unsynced change " (span_text(age)) " old"
        }
    }
}

/// The dashboard page around its live fragment.
pub fn dashboard_page(user: &ConsoleUser, fragment: Markup) -> Markup {
    let main = html! {
        h1 { "Programme" }
        p #live-status.live-status role="status" aria-live="polite" {
            "Updates as phones sync."
        }
        div #live data-live-fragment="/console/fragments/dashboard" { (fragment) }
    };
    layout(user, Section::Programme, "Programme", main)
}

/// Headline numbers, the weekly chart and every pairing.
pub fn dashboard_fragment(dashboard: &Dashboard, weekly_chart: &str, now: OffsetDateTime) -> Markup {
    let t = &dashboard.totals;
    html! {
        section aria-labelledby="summary-heading" {
            h2 #summary-heading.visually-hidden { "Summary" }
            ul.stats {
                li { strong { (t.active) } " active pairings" }
                li.attention[t.needing_attention > 0] { strong { (t.needing_attention) } " need attention" }
                li { strong { (t.sessions_last_4_weeks) } " sessions in the last 4 weeks" }
                li { strong { (hours(t.shadowing_minutes)) } " of shadowing logged" }
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
                            th scope="col" { "Devices" }
                        }
                    }
                    tbody {
                        @for p in &dashboard.pairings {
                            (pairing_row(p, dashboard.today, now))
                        }
                    }
                }
            }
        }
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

fn pairing_row(p: &PairingSummary, today: Date, now: OffsetDateTime) -> Markup {
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
                            li { span.badge.(t.state.class()) { (t.state.label()) } " " (t.name) }
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
            td data-label="Devices" {
                @if p.devices.is_empty() { "no devices" } @else {
                    ul.devices { @for d in &p.devices { li { (device_line(d, now)) } } }
                }
            }
        }
    }
}

/// What the pairing page shows.
#[derive(Debug, Clone)]
pub struct PairingDetail {
    pub summary: PairingSummary,
    pub sessions: Vec<SessionRow>,
    pub goals: Vec<GoalRow>,
    pub actions: Vec<ActionRow>,
    pub shared: Vec<(Option<String>, String)>,
}

/// The pairing page: controls that must survive live refreshes, around the live
/// fragment.
pub fn pairing_page(user: &ConsoleUser, detail: &PairingDetail, fragment: Markup) -> Markup {
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
            @if !user.roles.coordinator {
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
pub fn pairing_fragment(
    user: &ConsoleUser,
    detail: &PairingDetail,
    timeline_chart: &str,
    now: OffsetDateTime,
) -> Markup {
    let p = &detail.summary;
    let today = now.date();
    html! {
        section aria-labelledby="overview-heading" {
            h2 #overview-heading { "Overview" }
            dl.facts {
                dt { "Status" } dd { span.badge.(format!("status-{}", p.status.as_str())) { (status_label(p.status)) } " " (week_text(p, today)) }
                dt { "Programme" } dd { (p.rules.name) }
                dt { "Started" } dd { (date_cell(p.started_on)) }
                @if let (MentorshipStatus::Paused, Some(reason)) = (p.status, &p.pause_reason) {
                    dt { "Paused because" } dd { (reason) }
                }
                @if let Some(ended) = p.ended_on {
                    dt { "Ended" } dd { (date_cell(Some(ended))) @if let Some(reason) = &p.end_reason { ": " (reason) } }
                }
                dt { "Sessions" } dd data-sessions-logged=(p.sessions.logged) {
                    (p.sessions.logged) " logged, " (hours(p.sessions.shadowing_minutes)) " shadowing"
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
                    "Sessions by kind (filled: signed by both; hollow: awaiting sign-off; cross: amended after sign-off) "
                    "and touchpoint windows (green met, amber due or met late, red overdue, grey upcoming). "
                    a href={ "/console/pairings/" (p.id) "/timeline.svg" } { "Open the chart on its own" }
                }
            }
        }
        section aria-labelledby="touchpoints-heading" {
            h2 #touchpoints-heading { "Touchpoints" }
            table {
                thead { tr { th scope="col" { "Touchpoint" } th scope="col" { "Window" } th scope="col" { "State" } th scope="col" { "Contact" } } }
                tbody {
                    @for t in &p.touchpoints {
                        tr {
                            th scope="row" data-label="Touchpoint" { (t.name) }
                            td data-label="Window" { (date_cell(Some(t.window_start))) " to " (date_cell(Some(t.window_end))) }
                            td data-label="State" { span.badge.(t.state.class()) { (t.state.label()) } }
                            td data-label="Contact" { (date_cell(t.contact_on)) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="sessions-heading" {
            h2 #sessions-heading { "Sessions" }
            @if detail.sessions.is_empty() { p { "No sessions synced yet." } } @else {
                table.sessions {
                    thead { tr {
                        th scope="col" { "Date" } th scope="col" { "Kind" } th scope="col" { "Start" }
                        th scope="col" { "Duration" } th scope="col" { "Mode" } th scope="col" { "Status" }
                        th scope="col" { "Mentor signed" } th scope="col" { "Mentee signed" } th scope="col" { "Amended after sign-off" }
                    } }
                    tbody {
                        @for s in detail.sessions.iter().rev() {
                            tr data-session=(s.document_id) {
                                th scope="row" data-label="Date" { (date_str_cell(s.session_date.as_deref())) }
                                td data-label="Kind" { (kind_label(s.kind.as_deref())) }
                                td data-label="Start" { (s.start_time.as_deref().unwrap_or("—")) }
                                td data-label="Duration" {
                                    @match s.duration_minutes { Some(m) => { (m) " min" } None => { "—" } }
                                }
                                td data-label="Mode" { (mode_label(s.mode.as_deref())) }
                                td data-label="Status" { (s.status) }
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
                            @let overdue = !a.done && a.due_on.as_deref().and_then(parse_date).is_some_and(|d| d < today);
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
        @if !detail.shared.is_empty() {
            section aria-labelledby="shared-heading" {
                h2 #shared-heading { "Shared with the coordinator" }
                p.hint { "The pair chose to share these summaries." }
                ul {
                    @for (date, summary) in &detail.shared {
                        li { (date_str_cell(date.as_deref())) ": " (summary) }
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
                                    @if d.state != SyncState::Revoked {
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

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "not yet" }
}

/// What the add-person form holds (kept when it is shown again with an error).
#[derive(Debug, Clone, Default)]
pub struct PersonFormValues {
    pub email: String,
    pub display_name: String,
    pub mentee: bool,
    pub mentor: bool,
    pub coordinator: bool,
    pub admin: bool,
    pub line_manager_id: String,
    pub site_id: String,
    pub start_date: String,
}

/// What the pairing form holds.
#[derive(Debug, Clone, Default)]
pub struct PairFormValues {
    pub mentor_id: String,
    pub mentee_id: String,
    pub started_on: String,
}

/// A message at the top of the people page.
#[derive(Debug, Clone)]
pub enum Notice {
    Done(String),
    Failed(String),
}

/// The people page's data.
#[derive(Debug, Clone)]
pub struct PeopleData {
    pub people: Vec<Person>,
    pub sites: Vec<Site>,
    /// person id -> (open pairings as mentor, open pairings as mentee)
    pub open_pairings: std::collections::HashMap<String, (usize, usize)>,
}

pub fn people_page(
    user: &ConsoleUser,
    data: &PeopleData,
    notice: Option<&Notice>,
    person_form: &PersonFormValues,
    pair_form: &PairFormValues,
) -> Markup {
    let name_of = |id: &str| data.people.iter().find(|p| p.id == id).map(|p| p.display_name.clone());
    let site_of = |id: &str| data.sites.iter().find(|s| s.id == id).map(|s| s.name.clone());
    let active = |p: &&Person| p.is_active();
    let main = html! {
        h1 { "People and pairings" }
        @match notice {
            Some(Notice::Done(text)) => { div.notice.done role="status" { p { (text) } } }
            Some(Notice::Failed(text)) => { div.notice.error role="alert" { p { (text) } } }
            None => {}
        }
        section aria-labelledby="pair-heading" {
            h2 #pair-heading { "Pair a mentor and a mentee" }
            @if user.roles.coordinator {
                form.stack method="post" action="/console/pairings" {
                    (csrf_field(&user.csrf_token))
                    label for="mentor_id" { "Mentor" }
                    select #mentor_id name="mentor_id" required {
                        option value="" { "Choose a mentor" }
                        @for p in data.people.iter().filter(active).filter(|p| p.is_mentor) {
                            option value=(p.id) selected[p.id == pair_form.mentor_id] {
                                (p.display_name) " (" (mentor_load(data, &p.id)) ")"
                            }
                        }
                    }
                    label for="mentee_id" { "Mentee" }
                    select #mentee_id name="mentee_id" required {
                        option value="" { "Choose a mentee" }
                        @for p in data.people.iter().filter(active).filter(|p| p.is_mentee) {
                            option value=(p.id) selected[p.id == pair_form.mentee_id] { (p.display_name) }
                        }
                    }
                    label for="started_on" { "Start date (optional, today if empty)" }
                    input #started_on type="date" name="started_on" value=(pair_form.started_on);
                    button type="submit" { "Pair them" }
                }
            } @else {
                p { "Only coordinators pair mentors and mentees." }
            }
        }
        section aria-labelledby="people-heading" {
            h2 #people-heading { "People" }
            table.people {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Roles" }
                    th scope="col" { "Site" } th scope="col" { "Line manager" } th scope="col" { "Open pairings" }
                    th scope="col" { "Access" }
                } }
                tbody {
                    @for p in &data.people {
                        @let (as_mentor, as_mentee) = data.open_pairings.get(&p.id).copied().unwrap_or_default();
                        tr {
                            th scope="row" data-label="Name" {
                                (p.display_name)
                                @if !p.is_active() { span.sub { "deactivated" } }
                            }
                            td data-label="Email" { (p.email) }
                            td data-label="Roles" { (roles_text(p)) }
                            td data-label="Site" { (p.site_id.as_deref().and_then(site_of).unwrap_or_else(|| "—".into())) }
                            td data-label="Line manager" { (p.line_manager_id.as_deref().and_then(name_of).unwrap_or_else(|| "—".into())) }
                            td data-label="Open pairings" {
                                @if as_mentor > 0 { (as_mentor) " as mentor" }
                                @if as_mentor > 0 && as_mentee > 0 { ", " }
                                @if as_mentee > 0 { (as_mentee) " as mentee" }
                                @if as_mentor == 0 && as_mentee == 0 { "—" }
                            }
                            td data-label="Access" {
                                @if p.id == user.person_id || (p.is_admin && !user.roles.admin) {
                                    "—"
                                } @else {
                                    form.inline method="post" action={ "/console/people/" (p.id) "/access" } {
                                        (csrf_field(&user.csrf_token))
                                        @if p.is_active() {
                                            input type="hidden" name="action" value="deactivate";
                                            button.danger type="submit" aria-label={ "Deactivate " (p.display_name) " and wipe their phones" } { "Deactivate" }
                                        } @else {
                                            input type="hidden" name="action" value="reactivate";
                                            button type="submit" aria-label={ "Reactivate " (p.display_name) } { "Reactivate" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="add-heading" {
            h2 #add-heading { "Add a person" }
            form.stack method="post" action="/console/people" {
                (csrf_field(&user.csrf_token))
                label for="display_name" { "Name" }
                input #display_name name="display_name" value=(person_form.display_name) autocomplete="off" required maxlength="200";
                label for="new_email" { "Email" }
                input #new_email type="email" name="email" value=(person_form.email) autocomplete="off" required;
                fieldset {
                    legend { "Roles" }
                    label.inline { input type="checkbox" name="mentee" value="on" checked[person_form.mentee]; " Mentee" }
                    label.inline { input type="checkbox" name="mentor" value="on" checked[person_form.mentor]; " Mentor" }
                    label.inline { input type="checkbox" name="coordinator" value="on" checked[person_form.coordinator]; " Coordinator" }
                    @if user.roles.admin {
                        label.inline { input type="checkbox" name="admin" value="on" checked[person_form.admin]; " Administrator" }
                    }
                }
                label for="new_password" { "Initial password (at least 8 characters; share it with them in person)" }
                input #new_password type="password" name="password" autocomplete="new-password" required minlength="8";
                label for="line_manager_id" { "Line manager" }
                select #line_manager_id name="line_manager_id" {
                    option value="" { "None" }
                    @for p in data.people.iter().filter(active) {
                        option value=(p.id) selected[p.id == person_form.line_manager_id] { (p.display_name) }
                    }
                }
                label for="site_id" { "Site" }
                select #site_id name="site_id" {
                    option value="" { "None" }
                    @for s in &data.sites {
                        option value=(s.id) selected[s.id == person_form.site_id] { (s.name) }
                    }
                }
                label for="start_date" { "Start date in the organisation (optional)" }
                input #start_date type="date" name="start_date" value=(person_form.start_date);
                button type="submit" { "Add person" }
            }
        }
    };
    layout(user, Section::People, "People and pairings", main)
}

fn mentor_load(data: &PeopleData, person_id: &str) -> String {
    let (as_mentor, _) = data.open_pairings.get(person_id).copied().unwrap_or_default();
    plural(i64::try_from(as_mentor).unwrap_or(i64::MAX), "open pairing", "open pairings")
}

fn roles_text(person: &Person) -> String {
    person.roles().to_list().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

/// Shown after pairing two people, with whatever the domain warned about.
pub fn pairing_created_page(user: &ConsoleUser, view: &MentorshipView, warnings: &[Warning]) -> Markup {
    let main = html! {
        h1 { "Pairing created" }
        div.notice.done role="status" {
            p { (view.mentor_name) " will mentor " (view.mentee_name) "; the pairing is " (view.status.as_str()) "." }
        }
        @if !warnings.is_empty() {
            div.notice.warning role="alert" {
                h2 { "Please check" }
                ul { @for w in warnings { li data-warning=(w.code) { (crate::console::error::sentence(&w.message)) } } }
                p { "The pairing stands; end it from its page if it should not." }
            }
        }
        p {
            a href={ "/console/pairings/" (view.id) } { "Open the pairing" } " · "
            a href="/console/people" { "Back to people and pairings" }
        }
    };
    layout(user, Section::People, "Pairing created", main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span_text(Duration::seconds(20)), "under a minute");
        assert_eq!(span_text(Duration::minutes(1)), "1 minute");
        assert_eq!(span_text(Duration::hours(5)), "5 hours");
        assert_eq!(span_text(Duration::days(3)), "3 days");
        assert_eq!(hours(90), "1.5 h");
        assert_eq!(hours(0), "0.0 h");
    }

    #[test]
    fn error_pages_escape_what_they_show() {
        let page = error_page(StatusCode::BAD_REQUEST, "<script>alert(1)</script>").into_string();
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>alert"));
    }
}
