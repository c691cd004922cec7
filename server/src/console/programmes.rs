//! Programmes (`/console/programmes`): the organisation's schemes, a form to
//! add one and a page to change one; and the dashboard's programme filter.
//!
//! Touchpoints are edited as lines of `name, day, window days` and required
//! courses one per line; surveys are set through the API only
//! (`PATCH /v1/programmes/{id}`) and shown read-only on a programme's page.

use actix_web::{HttpResponse, ResponseError, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::layout::{Page, Section, csrf_field, html, layout, path_id, render, see_other};
use super::login::ConsoleUser;
use super::progress::Rows;
use crate::db::programmes::Programme;
use crate::domain::programme::touchpoints::TouchpointSpec;
use crate::domain::programmes::{self as ops, ProgrammeInput, ProgrammeKind, ProgrammeView};
use crate::domain::{DomainError, permissions};
use crate::error::{ApiError, sentence};
use crate::model::ProgrammeId;
use crate::state::AppState;

/// `?programme_id=` on the dashboard and its fragment; empty or unreadable
/// means every programme.
#[derive(Debug, Default, Deserialize)]
pub struct ProgrammeFilter {
    #[serde(default)]
    programme_id: Option<String>,
}

impl ProgrammeFilter {
    pub fn selected(&self) -> Option<ProgrammeId> {
        self.programme_id.as_deref().and_then(|t| t.trim().parse().ok())
    }
}

/// Keeps the pairings of one programme and their sessions.
pub fn only_programme(rows: &mut Rows, id: ProgrammeId) {
    rows.pairings.retain(|p| p.mentorship.programme_id == id);
    let kept: std::collections::HashSet<_> = rows.pairings.iter().map(|p| p.mentorship.id).collect();
    rows.sessions.retain(|s| kept.contains(&s.mentorship_id));
}

/// The dashboard's programme picker (a plain GET form).
pub fn filter_form(programmes: &[Programme], selected: Option<ProgrammeId>) -> Markup {
    html! {
        @if programmes.len() > 1 {
            form.inline.filter method="get" action="/console" {
                label for="programme_id" { "Programme " }
                select #programme_id name="programme_id" {
                    option value="" { "All programmes" }
                    @for p in programmes {
                        option value=(p.id) selected[Some(p.id) == selected] { (p.name) }
                    }
                }
                " "
                button type="submit" { "Show" }
            }
        }
    }
}

/// What the programme form holds.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProgrammeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    length_weeks: String,
    #[serde(default)]
    contact_every_days: String,
    #[serde(default)]
    max_mentees_per_mentor: String,
    /// One touchpoint a line: `name, day, window days`.
    #[serde(default)]
    touchpoints: String,
    /// One course a line.
    #[serde(default)]
    required_training: String,
}

impl ProgrammeForm {
    fn from_view(view: &ProgrammeView) -> Self {
        Self {
            name: view.name.clone(),
            kind: view.kind.as_str().to_owned(),
            length_weeks: view.length_weeks.to_string(),
            contact_every_days: view.contact_every_days.to_string(),
            max_mentees_per_mentor: view.max_mentees_per_mentor.to_string(),
            touchpoints: view
                .touchpoints
                .iter()
                .map(|t| format!("{}, {}, {}", t.name, t.day, t.window_days))
                .collect::<Vec<_>>()
                .join("\n"),
            required_training: view.required_training.join("\n"),
        }
    }

    fn input(&self) -> Result<ProgrammeInput, DomainError> {
        let number = |field: &'static str, text: &str| -> Result<Option<i32>, DomainError> {
            match text.trim() {
                "" => Ok(None),
                t => t.parse().map(Some).map_err(|_| {
                    DomainError::invalid("invalid_programme", format!("`{field}` must be a whole number"))
                }),
            }
        };
        let kind = match self.kind.as_str() {
            "informal" => ProgrammeKind::Informal,
            _ => ProgrammeKind::Formal,
        };
        let mut touchpoints = Vec::new();
        for line in self.touchpoints.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let parts: Vec<&str> = line.rsplitn(3, ',').map(str::trim).collect();
            let bad = || {
                DomainError::invalid(
                    "invalid_programme",
                    format!("touchpoint `{line}` must read `name, day, window days`"),
                )
            };
            let [window, day, name] = parts.as_slice() else { return Err(bad()) };
            touchpoints.push(TouchpointSpec {
                name: (*name).to_owned(),
                day: day.parse().map_err(|_| bad())?,
                window_days: window.parse().map_err(|_| bad())?,
            });
        }
        Ok(ProgrammeInput {
            name: Some(self.name.clone()),
            kind: Some(kind),
            length_weeks: number("length_weeks", &self.length_weeks)?,
            contact_every_days: number("contact_every_days", &self.contact_every_days)?,
            max_mentees_per_mentor: number("max_mentees_per_mentor", &self.max_mentees_per_mentor)?,
            // None keeps what is there (Induction's, for a new programme).
            touchpoints: (!touchpoints.is_empty()).then_some(touchpoints),
            required_training: Some(
                self.required_training.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
            ),
            surveys: None,
        })
    }
}

pub async fn page(state: web::Data<AppState>, user: ConsoleUser) -> Page {
    show_list(&state, user, None, &ProgrammeForm { length_weeks: "12".into(), ..ProgrammeForm::default() }, None).await
}

async fn show_list(
    state: &web::Data<AppState>,
    user: ConsoleUser,
    error: Option<ApiError>,
    form: &ProgrammeForm,
    done: Option<String>,
) -> Page {
    permissions::use_console(user.roles)?;
    let org_id = user.org_id;
    let list = state.db.run(move |conn| ops::list(conn, org_id)).await?;
    let status = error.as_ref().map(ResponseError::status_code);
    let notice = error.map(|e| sentence(&e.to_string()));
    let form = form.clone();
    let page = render(move || Ok(list_page(&user, &list, notice.as_deref(), done.as_deref(), &form))).await?;
    Ok(match status {
        Some(status) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(page.into_string()),
        None => html(page),
    })
}

pub async fn create(state: web::Data<AppState>, form: CsrfForm<ProgrammeForm>) -> Page {
    let CsrfForm { user, form } = form;
    let input = match permissions::manage_programmes(user.roles).and_then(|()| form.input()) {
        Ok(input) => input,
        Err(error) => return show_list(&state, user, Some(error.into()), &form, None).await,
    };
    let (org_id, actor) = (user.org_id, user.actor());
    match state.db.run(move |conn| ops::create(conn, org_id, &actor, &input)).await {
        Ok(view) => Ok(see_other(&format!("/console/programmes/{}", view.id))),
        Err(error) => show_list(&state, user, Some(error.into()), &form, None).await,
    }
}

pub async fn edit_page(state: web::Data<AppState>, user: ConsoleUser, id: web::Path<String>) -> Page {
    let id: ProgrammeId = path_id("programme", &id)?;
    show_edit(&state, user, id, None, None).await
}

async fn show_edit(
    state: &web::Data<AppState>,
    user: ConsoleUser,
    id: ProgrammeId,
    error: Option<(ApiError, ProgrammeForm)>,
    done: Option<&'static str>,
) -> Page {
    permissions::use_console(user.roles)?;
    let org_id = user.org_id;
    let view = state.db.run(move |conn| ops::find(conn, org_id, id)).await?;
    let status = error.as_ref().map(|(e, _)| e.status_code());
    let (notice, form) = match error {
        Some((e, form)) => (Some(sentence(&e.to_string())), form),
        None => (None, ProgrammeForm::from_view(&view)),
    };
    let page = render(move || Ok(edit_page_markup(&user, &view, &form, notice.as_deref(), done))).await?;
    Ok(match status {
        Some(status) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(page.into_string()),
        None => html(page),
    })
}

pub async fn update(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<ProgrammeForm>) -> Page {
    let CsrfForm { user, form } = form;
    let id: ProgrammeId = path_id("programme", &id)?;
    let input = match permissions::manage_programmes(user.roles).and_then(|()| form.input()) {
        Ok(input) => input,
        Err(error) => return show_edit(&state, user, id, Some((error.into(), form)), None).await,
    };
    let (org_id, actor) = (user.org_id, user.actor());
    match state.db.run(move |conn| ops::update(conn, org_id, &actor, id, &input)).await {
        Ok(_) => show_edit(&state, user, id, None, Some("Saved.")).await,
        Err(error) => show_edit(&state, user, id, Some((error.into(), form)), None).await,
    }
}

fn notices(error: Option<&str>, done: Option<&str>) -> Markup {
    html! {
        @if let Some(text) = error { div.notice.error role="alert" { p { (text) } } }
        @if let Some(text) = done { div.notice.done role="status" { p { (text) } } }
    }
}

fn programme_fields(form: &ProgrammeForm) -> Markup {
    html! {
        label for="name" { "Name" }
        input #name name="name" value=(form.name) required maxlength="200";
        fieldset {
            legend { "Kind" }
            label.inline { input type="radio" name="kind" value="formal" checked[form.kind != "informal"]; " Formal (touchpoints, can be overdue)" }
            label.inline { input type="radio" name="kind" value="informal" checked[form.kind == "informal"]; " Informal (no touchpoints, never overdue)" }
        }
        label for="length_weeks" { "Length in weeks" }
        input #length_weeks type="number" min="1" max="520" name="length_weeks" value=(form.length_weeks);
        label for="contact_every_days" { "Expected contact every (days)" }
        input #contact_every_days type="number" min="1" max="365" name="contact_every_days" value=(form.contact_every_days);
        label for="max_mentees_per_mentor" { "Most mentees per mentor" }
        input #max_mentees_per_mentor type="number" min="1" max="100" name="max_mentees_per_mentor" value=(form.max_mentees_per_mentor);
        label for="touchpoints" { "Touchpoints, one a line: name, day, window in days either side (left empty on a new programme: Induction's)" }
        textarea #touchpoints name="touchpoints" rows="6" { (form.touchpoints) }
        label for="required_training" { "Training a mentor must hold, one course a line" }
        textarea #required_training name="required_training" rows="4" { (form.required_training) }
    }
}

fn list_page(
    user: &ConsoleUser,
    list: &[ProgrammeView],
    error: Option<&str>,
    done: Option<&str>,
    form: &ProgrammeForm,
) -> Markup {
    let writes = permissions::manage_programmes(user.roles).is_ok();
    let main = html! {
        h1 { "Programmes" }
        (notices(error, done))
        section aria-labelledby="programmes-heading" {
            h2 #programmes-heading { "The organisation's programmes" }
            table.programmes {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Kind" } th scope="col" { "Length" }
                    th scope="col" { "Contact" } th scope="col" { "Touchpoints" } th scope="col" { "Required training" }
                } }
                tbody {
                    @for p in list {
                        tr data-programme=(p.id) {
                            th scope="row" data-label="Name" {
                                a href={ "/console/programmes/" (p.id) } { (p.name) }
                                @if p.is_default { span.sub { "default for new pairings" } }
                            }
                            td data-label="Kind" { (p.kind.as_str()) }
                            td data-label="Length" { (p.length_weeks) " weeks" }
                            td data-label="Contact" { "every " (p.contact_every_days) " days" }
                            td data-label="Touchpoints" {
                                @if p.touchpoints.is_empty() { "none" } @else {
                                    ul.touchpoints { @for t in &p.touchpoints { li { (t.name) " (day " (t.day) ")" } } }
                                }
                            }
                            td data-label="Required training" {
                                @if p.required_training.is_empty() { "none" } @else { (p.required_training.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
        @if writes {
            section aria-labelledby="new-programme-heading" {
                h2 #new-programme-heading { "Add a programme" }
                form.stack method="post" action="/console/programmes" {
                    (csrf_field(&user.csrf_token))
                    (programme_fields(form))
                    button type="submit" { "Add programme" }
                }
            }
        }
    };
    layout(user, Section::Programmes, "Programmes", main)
}

/// The programme's surveys, read-only (they are set through the API).
fn surveys_markup(view: &ProgrammeView) -> Markup {
    use sync_core::api::{QuestionKind, SurveyRespondent, SurveyWhen};
    html! {
        section aria-labelledby="surveys-heading" data-surveys=(view.surveys.len()) {
            h2 #surveys-heading { "Surveys" }
            @if view.surveys.is_empty() {
                p { "None. Set them through the API (PATCH /v1/programmes/" (view.id) ")." }
            }
            @for survey in &view.surveys {
                h3 data-survey=(survey.key) { (survey.title) }
                p.hint {
                    "Asks " (match survey.respondent { SurveyRespondent::Mentee => "the mentee", SurveyRespondent::Mentor => "the mentor", SurveyRespondent::Both => "both" })
                    ", " (match survey.when { SurveyWhen::AfterDays(days) => format!("{days} days after the start"), SurveyWhen::Close => "when the pairing closes".to_owned() }) ". "
                    a href="/console/surveys" { "Results" }
                }
                ol {
                    @for q in &survey.questions {
                        li { (q.text) " " span.hint { (match q.kind { QuestionKind::Scale => "(1 to 5)", QuestionKind::Text => "(free text)" }) } }
                    }
                }
            }
        }
    }
}

fn edit_page_markup(
    user: &ConsoleUser,
    view: &ProgrammeView,
    form: &ProgrammeForm,
    error: Option<&str>,
    done: Option<&str>,
) -> Markup {
    let writes = permissions::manage_programmes(user.roles).is_ok();
    let main = html! {
        p.crumbs { a href="/console/programmes" { "Programmes" } }
        h1 { (view.name) span.sub { (view.kind.as_str()) " programme" } }
        (notices(error, done))
        p { a href={ "/console?programme_id=" (view.id) } { "Its pairings on the dashboard" } }
        (surveys_markup(view))
        @if writes {
            section aria-labelledby="edit-heading" {
                h2 #edit-heading { "Change the programme" }
                form.stack method="post" action={ "/console/programmes/" (view.id) } {
                    (csrf_field(&user.csrf_token))
                    (programme_fields(form))
                    button type="submit" { "Save" }
                }
            }
        }
    };
    layout(user, Section::Programmes, &view.name, main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touchpoint_lines_read_as_name_day_window_and_names_may_hold_commas() {
        let form = ProgrammeForm {
            name: "Nights".into(),
            touchpoints: "Welcome, tea and a tour, 1, 1\n\n Day 30 check-in ,30,7".into(),
            required_training: "Safeguarding\n\nMentor skills\n".into(),
            ..ProgrammeForm::default()
        };
        let input = form.input().unwrap();
        let list = input.touchpoints.unwrap();
        assert_eq!(list[0], TouchpointSpec::new("Welcome, tea and a tour", 1, 1));
        assert_eq!(list[1], TouchpointSpec::new("Day 30 check-in", 30, 7));
        assert_eq!(input.required_training.unwrap(), ["Safeguarding", "Mentor skills"]);
        let bad = ProgrammeForm { touchpoints: "Welcome day one".into(), ..ProgrammeForm::default() };
        assert!(bad.input().is_err());
    }
}
