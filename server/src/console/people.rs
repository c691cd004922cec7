//! People and pairings (`/console/people`): everyone in the organisation with
//! their roles and open pairings, and the forms that add a person, pair a mentor
//! with a mentee, and deactivate or reactivate someone.

use std::collections::HashMap;

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, ResponseError, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::layout::{Page, Section, csrf_field, html, layout, path_id, render, see_other};
use super::login::ConsoleUser;
use super::progress::plural;
use super::queries::{self, Filter};
use crate::db::DbConnection;
use crate::db::departures::Departure;
use crate::db::people::Person;
use crate::db::sites::Site;
use crate::domain::mentorships::{self as mentorship_ops, MentorshipView, NewMentorship, Warning};
use crate::domain::people::{self as people_ops, NewPerson, PersonUpdate};
use crate::domain::{Actor, AuditObject, DomainError, Role, Roles, parse_input_date, permissions};
use crate::error::{ApiError, sentence};
use crate::model::{LeavingReason, PersonId, SiteId};
use crate::state::AppState;

fn people_data(conn: &mut DbConnection, actor: &Actor, user: &ConsoleUser) -> Result<PeopleData, DomainError> {
    let people = people_ops::list(conn, user.org_id, actor)?;
    let sites = queries::sites(conn, user.org_id)?;
    let mut open_pairings: HashMap<PersonId, (usize, usize)> = HashMap::new();
    for named in queries::pairings(conn, Filter::org(user.org_id))? {
        let m = named.mentorship;
        if m.status.is_open() {
            open_pairings.entry(m.mentor_id).or_default().0 += 1;
            open_pairings.entry(m.mentee_id).or_default().1 += 1;
        }
    }
    Ok(PeopleData { people, sites, open_pairings })
}

async fn load_people(state: &AppState, user: &ConsoleUser) -> Result<PeopleData, DomainError> {
    let user = user.clone();
    state.db.run(move |conn| people_data(conn, &user.actor(), &user)).await
}

/// An id chosen in a form; one that is not a uuid names nobody.
fn form_id<T: std::str::FromStr>(what: &'static str, text: &str) -> Result<Option<T>, DomainError> {
    match text.trim() {
        "" => Ok(None),
        text => text.parse().map(Some).map_err(|_| DomainError::not_found(what)),
    }
}

#[derive(Debug, Deserialize)]
pub struct PeopleQuery {
    added: Option<String>,
}

pub async fn page(state: web::Data<AppState>, user: ConsoleUser, query: web::Query<PeopleQuery>) -> Page {
    let added = query.into_inner().added.and_then(|id| id.parse::<PersonId>().ok());
    let data = load_people(&state, &user).await?;
    let viewed = AuditObject::new("organisation", user.org_id);
    super::audit::record_view(&state, &user, "console.viewed_people", viewed).await?;
    let page = render(move || {
        let notice = added
            .and_then(|id| data.people.iter().find(|p| p.id == id).map(|p| p.display_name.clone()))
            .map(|name| Notice::Done(format!("Added {name}.")));
        Ok(people_page(&user, &data, notice.as_ref(), &PersonFormValues::default(), &PairFormValues::default()))
    })
    .await?;
    Ok(html(page))
}

/// The people page again, showing why a form was refused, with its status.
async fn refused(
    state: &web::Data<AppState>,
    user: ConsoleUser,
    error: ApiError,
    person_form: PersonFormValues,
    pair_form: PairFormValues,
) -> Page {
    if let ApiError::Internal(_) | ApiError::Unavailable { .. } = error {
        return Err(error.into());
    }
    let status = error.status_code();
    let notice = Notice::Failed(sentence(&error.to_string()));
    let data = load_people(state, &user).await?;
    let page = render(move || Ok(people_page(&user, &data, Some(&notice), &person_form, &pair_form))).await?;
    Ok(HttpResponse::build(status).content_type(ContentType::html()).body(page.into_string()))
}

#[derive(Debug, Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    mentee: Option<String>,
    mentor: Option<String>,
    coordinator: Option<String>,
    admin: Option<String>,
    #[serde(default)]
    line_manager_id: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    start_date: String,
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

pub async fn add_person(state: web::Data<AppState>, form: CsrfForm<PersonForm>) -> Page {
    let CsrfForm { user, form } = form;
    let values = PersonFormValues {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        mentee: form.mentee.is_some(),
        mentor: form.mentor.is_some(),
        coordinator: form.coordinator.is_some(),
        admin: form.admin.is_some(),
        line_manager_id: form.line_manager_id.clone(),
        site_id: form.site_id.clone(),
        start_date: form.start_date.clone(),
    };
    let mut roles = Vec::new();
    for (wanted, role) in [
        (values.mentee, Role::Mentee),
        (values.mentor, Role::Mentor),
        (values.coordinator, Role::Coordinator),
        (values.admin, Role::Admin),
    ] {
        if wanted {
            roles.push(role);
        }
    }
    let new = (|| -> Result<NewPerson, DomainError> {
        // The domain's rule, asked first so a refusal comes before any input error.
        permissions::add_person(user.roles, Roles::from_list(&roles))?;
        Ok(NewPerson {
            email: form.email,
            display_name: form.display_name,
            roles,
            password: form.password,
            line_manager_id: form_id::<PersonId>("line manager", &form.line_manager_id)?,
            site_id: form_id::<SiteId>("site", &form.site_id)?,
            start_date: optional(&form.start_date),
        })
    })();
    let new = match new {
        Ok(new) => new,
        Err(error) => return refused(&state, user, error.into(), values, PairFormValues::default()).await,
    };
    let (org_id, actor) = (user.org_id, user.actor());
    match state.db.run(move |conn| people_ops::create(conn, org_id, &actor, &new)).await {
        Ok(person) => Ok(see_other(&format!("/console/people?added={}", person.id))),
        Err(error) => refused(&state, user, error.into(), values, PairFormValues::default()).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct PairForm {
    #[serde(default)]
    mentor_id: String,
    #[serde(default)]
    mentee_id: String,
    #[serde(default)]
    started_on: String,
    #[serde(default)]
    programme_id: String,
    #[serde(default)]
    override_reason: String,
}

pub async fn create_pairing(state: web::Data<AppState>, form: CsrfForm<PairForm>) -> Page {
    let CsrfForm { user, form } = form;
    let values = PairFormValues {
        mentor_id: form.mentor_id.clone(),
        mentee_id: form.mentee_id.clone(),
        started_on: form.started_on.clone(),
    };
    let new = (|| -> Result<NewMentorship, DomainError> {
        // The domain's rule, asked first so a refusal comes before any input error.
        permissions::change_pairings(user.roles)?;
        let person = |what, text: &str| form_id::<PersonId>(what, text)?.ok_or(DomainError::not_found(what));
        Ok(NewMentorship {
            mentor_id: person("mentor", &form.mentor_id)?,
            mentee_id: person("mentee", &form.mentee_id)?,
            started_on: optional(&form.started_on).map(|text| parse_input_date("started_on", &text)).transpose()?,
            site_id: None,
            programme_id: form_id::<crate::model::ProgrammeId>("programme", &form.programme_id)?,
        })
    })();
    let override_reason = optional(&form.override_reason);
    let new = match new {
        Ok(new) => new,
        Err(error) => return refused(&state, user, error.into(), PersonFormValues::default(), values).await,
    };
    let (org_id, actor) = (user.org_id, user.actor());
    match state
        .db
        .run(move |conn| mentorship_ops::create_with_override(conn, org_id, &actor, &new, override_reason.as_deref()))
        .await
    {
        Ok((view, warnings)) => Ok(html(render(move || Ok(pairing_created_page(&user, &view, &warnings))).await?)),
        Err(error) => refused(&state, user, error.into(), PersonFormValues::default(), values).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct AccessForm {
    /// `deactivate` or `reactivate`.
    #[serde(default)]
    action: String,
    /// With `deactivate`: the day they left (empty: today).
    #[serde(default)]
    left_on: String,
    /// With `deactivate`: resigned, dismissed, end_of_contract, retired, other.
    #[serde(default)]
    leaving_reason: String,
    /// `person`: back to the person's page rather than the list.
    #[serde(default)]
    back: String,
}

/// Deactivates a leaver (revoking their devices, so their phones wipe),
/// recording the day they left and why when the form says, or reactivates
/// someone, with the same rules as `PATCH /v1/people/{id}`.
pub async fn set_access(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<AccessForm>) -> Page {
    let CsrfForm { user, form } = form;
    let id: PersonId = path_id("person", &id)?;
    let active = match form.action.as_str() {
        "deactivate" => Some(false),
        "reactivate" => Some(true),
        _ => None,
    };
    let back = if form.back == "person" { format!("/console/people/{id}") } else { "/console/people".to_owned() };
    state
        .db
        .run(move |conn| {
            // Someone else's id is not found, whatever the form says.
            let actor = user.actor();
            people_ops::find(conn, user.org_id, &actor, id)?;
            let active =
                active.ok_or_else(|| DomainError::invalid("invalid_action", "choose deactivate or reactivate"))?;
            let leaving_reason = match form.leaving_reason.trim() {
                "" => None,
                text => Some(text.parse::<LeavingReason>().map_err(|_| {
                    DomainError::invalid("invalid_leaving_reason", "choose a reason for leaving from the list")
                })?),
            };
            let update = PersonUpdate {
                active: Some(active),
                left_on: optional(&form.left_on),
                leaving_reason,
                ..PersonUpdate::default()
            };
            people_ops::update(conn, user.org_id, &actor, id, &update)
        })
        .await?;
    Ok(see_other(&back))
}

#[derive(Debug, Deserialize)]
pub struct StartDateForm {
    #[serde(default)]
    start_date: String,
}

/// Sets (or, left empty, clears) the day a person started in post.
pub async fn set_start_date(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<StartDateForm>) -> Page {
    let CsrfForm { user, form } = form;
    let id: PersonId = path_id("person", &id)?;
    state
        .db
        .run(move |conn| {
            let update = PersonUpdate { start_date: Some(optional(&form.start_date)), ..PersonUpdate::default() };
            people_ops::update(conn, user.org_id, &user.actor(), id, &update)
        })
        .await?;
    Ok(see_other(&format!("/console/people/{id}")))
}

/// The person page's "Employment" section: when they started in post, and
/// either the leaving form or the day they left and why.
pub fn employment_section(user: &ConsoleUser, person: &Person, departure: Option<&Departure>) -> Markup {
    let may_change = permissions::may_change_access(&user.actor(), person);
    html! {
        section aria-labelledby="employment-heading" {
            h2 #employment-heading { "Employment" }
            p {
                "Started in post: " strong { (people_ops::started_in_post(person)) }
                @if person.start_date.is_none() { " (the day the account was made; no start date recorded)" }
            }
            form.stack method="post" action={ "/console/people/" (person.id) "/start-date" } {
                (csrf_field(&user.csrf_token))
                label for="person_start_date" { "Start date in the organisation" }
                input #person_start_date type="date" name="start_date" value=(person.start_date.map(|d| d.to_string()).unwrap_or_default());
                button type="submit" { "Save start date" }
            }
            @if !person.is_active() {
                p data-departure="recorded" {
                    "Left on " strong { (departure.map(|d| d.left_on.to_string()).unwrap_or_else(|| "a day not recorded".into())) }
                    ": " (departure.and_then(|d| d.leaving_reason).map(LeavingReason::label).unwrap_or("no reason recorded"))
                }
                @if may_change {
                    form.inline method="post" action={ "/console/people/" (person.id) "/access" } {
                        (csrf_field(&user.csrf_token))
                        input type="hidden" name="action" value="reactivate";
                        input type="hidden" name="back" value="person";
                        button type="submit" { "Reactivate" }
                    }
                }
            } @else if may_change {
                h3 { "Record that they left" }
                p { "Deactivating revokes every device they hold (their phones wipe on the next sync)." }
                form.stack method="post" action={ "/console/people/" (person.id) "/access" } {
                    (csrf_field(&user.csrf_token))
                    input type="hidden" name="action" value="deactivate";
                    input type="hidden" name="back" value="person";
                    label for="left_on" { "Left on" }
                    input #left_on type="date" name="left_on" required;
                    label for="leaving_reason" { "Reason" }
                    select #leaving_reason name="leaving_reason" required {
                        option value="" { "Choose a reason" }
                        @for reason in LeavingReason::ALL {
                            option value=(reason.as_str()) { (reason.label()) }
                        }
                    }
                    button.danger type="submit" { "Deactivate" }
                }
            }
        }
    }
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
    pub open_pairings: HashMap<PersonId, (usize, usize)>,
}

fn people_page(
    user: &ConsoleUser,
    data: &PeopleData,
    notice: Option<&Notice>,
    person_form: &PersonFormValues,
    pair_form: &PairFormValues,
) -> Markup {
    let name_of = |id: PersonId| data.people.iter().find(|p| p.id == id).map(|p| p.display_name.clone());
    let site_of = |id: SiteId| data.sites.iter().find(|s| s.id == id).map(|s| s.name.clone());
    let active = |p: &&Person| p.is_active();
    let actor = user.actor();
    let grants_admin = permissions::add_person(user.roles, Roles::from_list(&[Role::Admin])).is_ok();
    let main = html! {
        h1 { "People and pairings" }
        @match notice {
            Some(Notice::Done(text)) => { div.notice.done role="status" { p { (text) } } }
            Some(Notice::Failed(text)) => { div.notice.error role="alert" { p { (text) } } }
            None => {}
        }
        section aria-labelledby="pair-heading" {
            h2 #pair-heading { "Pair a mentor and a mentee" }
            @if permissions::change_pairings(user.roles).is_ok() {
                p { a href="/console/pairings/new" { "Find a mentor with suggestions" } " (same site, shifts, capacity, languages, training)." }
                form.stack method="post" action="/console/pairings" {
                    (csrf_field(&user.csrf_token))
                    label for="mentor_id" { "Mentor" }
                    select #mentor_id name="mentor_id" required {
                        option value="" { "Choose a mentor" }
                        @for p in data.people.iter().filter(active).filter(|p| p.is_mentor) {
                            option value=(p.id) selected[p.id.to_string() == pair_form.mentor_id] {
                                (p.display_name) " (" (mentor_load(data, p.id)) ")"
                            }
                        }
                    }
                    label for="mentee_id" { "Mentee" }
                    select #mentee_id name="mentee_id" required {
                        option value="" { "Choose a mentee" }
                        @for p in data.people.iter().filter(active).filter(|p| p.is_mentee) {
                            option value=(p.id) selected[p.id.to_string() == pair_form.mentee_id] { (p.display_name) }
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
                                a href={ "/console/people/" (p.id) } { (p.display_name) }
                                @if !p.is_active() { span.sub { "deactivated" } }
                            }
                            td data-label="Email" { (p.email) }
                            td data-label="Roles" { (roles_text(p)) }
                            td data-label="Site" { (p.site_id.and_then(site_of).unwrap_or_else(|| "—".into())) }
                            td data-label="Line manager" { (p.line_manager_id.and_then(name_of).unwrap_or_else(|| "—".into())) }
                            td data-label="Open pairings" {
                                @if as_mentor > 0 { (as_mentor) " as mentor" }
                                @if as_mentor > 0 && as_mentee > 0 { ", " }
                                @if as_mentee > 0 { (as_mentee) " as mentee" }
                                @if as_mentor == 0 && as_mentee == 0 { "—" }
                            }
                            td data-label="Access" {
                                @if !permissions::may_change_access(&actor, p) {
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
                                    @if p.is_active() {
                                        form.inline method="post" action={ "/console/people/" (p.id) "/password-reset" } {
                                            (csrf_field(&user.csrf_token))
                                            button type="submit" aria-label={ "Issue a password reset code for " (p.display_name) } { "Reset password" }
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
                    @if grants_admin {
                        label.inline { input type="checkbox" name="admin" value="on" checked[person_form.admin]; " Administrator" }
                    }
                }
                label for="new_password" { "Initial password (at least 8 characters; share it with them in person)" }
                input #new_password type="password" name="password" autocomplete="new-password" required minlength="8";
                label for="line_manager_id" { "Line manager" }
                select #line_manager_id name="line_manager_id" {
                    option value="" { "None" }
                    @for p in data.people.iter().filter(active) {
                        option value=(p.id) selected[p.id.to_string() == person_form.line_manager_id] { (p.display_name) }
                    }
                }
                label for="site_id" { "Site" }
                select #site_id name="site_id" {
                    option value="" { "None" }
                    @for s in &data.sites {
                        option value=(s.id) selected[s.id.to_string() == person_form.site_id] { (s.name) }
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

fn mentor_load(data: &PeopleData, person_id: PersonId) -> String {
    let (as_mentor, _) = data.open_pairings.get(&person_id).copied().unwrap_or_default();
    plural(i64::try_from(as_mentor).unwrap_or(i64::MAX), "open pairing", "open pairings")
}

fn roles_text(person: &Person) -> String {
    person.roles().to_list().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

/// Shown after pairing two people, with whatever the domain warned about.
fn pairing_created_page(user: &ConsoleUser, view: &MentorshipView, warnings: &[Warning]) -> Markup {
    let main = html! {
        h1 { "Pairing created" }
        div.notice.done role="status" {
            p { (view.mentor_name) " will mentor " (view.mentee_name) "; the pairing is " (view.status.as_str()) "." }
        }
        @if !warnings.is_empty() {
            div.notice.warning role="alert" {
                h2 { "Please check" }
                ul { @for w in warnings { li data-warning=(w.code) { (sentence(&w.message)) } } }
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
