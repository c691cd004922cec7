//! Training and mentor profiles: the training matrix (`/console/training`,
//! people by courses, with courses expiring within 30 days and expired ones
//! marked) and a person's page (`/console/people/{id}`) with their profile
//! form (capacity, languages, shift pattern, specialisms), their training and
//! a form to record a course.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, ResponseError, web};
use maud::{Markup, html};
use serde::Deserialize;
use time::Duration;

use super::csrf::CsrfForm;
use super::layout::{Page, Section, csrf_field, html, layout, path_id, render, see_other};
use super::login::ConsoleUser;
use crate::db::DbConnection;
use crate::db::people::Person;
use crate::db::training::TrainingRecord;
use crate::domain::people as people_ops;
use crate::domain::programmes as programme_ops;
use crate::domain::training::{self as ops, MentorProfile, ProfileUpdate, ShiftPattern, TrainingInput};
use crate::domain::{DomainError, permissions};
use crate::error::{ApiError, sentence};
use crate::model::{Day, PersonId};
use crate::state::AppState;

/// A course expiring within this many days is marked.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Where one person's hold on one course stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourseState {
    Current { expires_on: Option<Day> },
    ExpiringSoon { expires_on: Day },
    Expired { expired_on: Day },
    NotHeld,
}

impl CourseState {
    pub fn class(self) -> &'static str {
        match self {
            Self::Current { .. } => "met",
            Self::ExpiringSoon { .. } => "due",
            Self::Expired { .. } => "overdue",
            Self::NotHeld => "upcoming",
        }
    }
}

/// The best record of `course` among `records`, judged on `today`.
pub fn course_state(course: &str, records: &[TrainingRecord], today: Day) -> CourseState {
    let held: Vec<&TrainingRecord> =
        records.iter().filter(|r| r.course.trim().eq_ignore_ascii_case(course.trim())).collect();
    if held.is_empty() {
        return CourseState::NotHeld;
    }
    let current: Vec<&&TrainingRecord> = held.iter().filter(|r| ops::is_current(r, today)).collect();
    if current.iter().any(|r| r.expires_on.is_none()) {
        return CourseState::Current { expires_on: None };
    }
    if let Some(latest) = current.iter().filter_map(|r| r.expires_on).max() {
        return if latest <= today + Duration::days(EXPIRY_WARNING_DAYS) {
            CourseState::ExpiringSoon { expires_on: latest }
        } else {
            CourseState::Current { expires_on: Some(latest) }
        };
    }
    match held.iter().filter_map(|r| r.expires_on).max() {
        Some(expired_on) => CourseState::Expired { expired_on },
        // Completed in the future only: not held yet.
        None => CourseState::NotHeld,
    }
}

struct Matrix {
    courses: Vec<String>,
    people: Vec<(Person, Vec<TrainingRecord>)>,
}

fn load_matrix(conn: &mut DbConnection, user: &ConsoleUser) -> Result<Matrix, DomainError> {
    let actor = user.actor();
    let people = people_ops::list(conn, user.org_id, &actor)?;
    let mut records = ops::records_by_person(conn, user.org_id)?;
    let mut courses: BTreeSet<String> = BTreeSet::new();
    for programme in programme_ops::list(conn, user.org_id)? {
        courses.extend(programme.required_training);
    }
    for list in records.values() {
        for r in list {
            if !courses.iter().any(|c| c.eq_ignore_ascii_case(r.course.trim())) {
                courses.insert(r.course.trim().to_owned());
            }
        }
    }
    let people = people
        .into_iter()
        .filter(|p| p.is_active())
        .filter_map(|p| match records.remove(&p.id) {
            Some(held) => Some((p, held)),
            None => p.is_mentor.then(|| (p, Vec::new())),
        })
        .collect();
    Ok(Matrix { courses: courses.into_iter().collect(), people })
}

pub async fn matrix(state: web::Data<AppState>, user: ConsoleUser) -> Page {
    permissions::manage_organisation(user.roles)?;
    let loader = user.clone();
    let matrix = state.db.run(move |conn| load_matrix(conn, &loader)).await?;
    let today = Day::today();
    Ok(html(render(move || Ok(matrix_page(&user, &matrix, today))).await?))
}

fn cell(state: CourseState) -> Markup {
    html! {
        @match state {
            CourseState::Current { expires_on: None } => { span.badge.met { "held" } }
            CourseState::Current { expires_on: Some(day) } => { span.badge.met { "held" } span.sub { "until " (day) } }
            CourseState::ExpiringSoon { expires_on } => { span.badge.due data-expiring="soon" { "expiring" } span.sub { "on " (expires_on) } }
            CourseState::Expired { expired_on } => { span.badge.overdue data-expired="yes" { "expired" } span.sub { "on " (expired_on) } }
            CourseState::NotHeld => { "—" }
        }
    }
}

fn matrix_page(user: &ConsoleUser, matrix: &Matrix, today: Day) -> Markup {
    let main = html! {
        h1 { "Training" }
        p.hint { "Mentors and anyone with training on record, by course. Expiring within "
            (EXPIRY_WARNING_DAYS) " days and expired courses are marked. Record training on a person's page." }
        section aria-labelledby="matrix-heading" {
            h2 #matrix-heading { "Training matrix" }
            @if matrix.courses.is_empty() {
                p { "No courses yet: set a programme's required training, or record a course on a person's page." }
            } @else {
                table.training {
                    thead { tr {
                        th scope="col" { "Person" }
                        @for c in &matrix.courses { th scope="col" { (c) } }
                    } }
                    tbody {
                        @for (person, records) in &matrix.people {
                            tr data-person=(person.id) {
                                th scope="row" data-label="Person" {
                                    a href={ "/console/people/" (person.id) } { (person.display_name) }
                                }
                                @for c in &matrix.courses {
                                    td data-label=(c) data-course=(c) { (cell(course_state(c, records, today))) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(user, Section::Training, "Training", main)
}

struct PersonData {
    person: Person,
    profile: MentorProfile,
    training: Vec<ops::TrainingView>,
    departure: Option<crate::db::departures::Departure>,
}

/// The profile form; lists are comma-separated.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    languages: String,
    #[serde(default)]
    shift_pattern: String,
    #[serde(default)]
    specialisms: String,
}

fn list_of(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

impl ProfileForm {
    fn update(&self) -> Result<ProfileUpdate, DomainError> {
        let capacity = match self.capacity.trim() {
            "" => None,
            t => Some(
                t.parse().map_err(|_| DomainError::invalid("invalid_profile", "capacity must be a whole number"))?,
            ),
        };
        let shift_pattern = match self.shift_pattern.trim() {
            "" => None,
            t => Some(
                ShiftPattern::parse(t)
                    .ok_or_else(|| DomainError::invalid("invalid_profile", "unknown shift pattern"))?,
            ),
        };
        Ok(ProfileUpdate {
            capacity: Some(capacity),
            languages: Some(list_of(&self.languages)),
            shift_pattern: Some(shift_pattern),
            specialisms: Some(list_of(&self.specialisms)),
        })
    }
}

/// The record-a-course form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TrainingForm {
    #[serde(default)]
    course: String,
    #[serde(default)]
    completed_on: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    evidence: String,
}

pub async fn person_page(state: web::Data<AppState>, user: ConsoleUser, id: web::Path<String>) -> Page {
    let id: PersonId = path_id("person", &id)?;
    show_person(&state, user, id, None, None).await
}

async fn show_person(
    state: &web::Data<AppState>,
    user: ConsoleUser,
    id: PersonId,
    error: Option<ApiError>,
    done: Option<&'static str>,
) -> Page {
    permissions::manage_organisation(user.roles)?;
    let loader = user.clone();
    let data = state
        .db
        .run(move |conn| {
            let actor = loader.actor();
            let person = people_ops::find(conn, loader.org_id, &actor, id)?;
            let profile = ops::profile(conn, loader.org_id, id)?;
            let training = ops::list(conn, loader.org_id, &actor, id)?;
            let departure = people_ops::departure(conn, loader.org_id, id)?;
            Ok::<_, DomainError>(PersonData { person, profile, training, departure })
        })
        .await?;
    let status = error.as_ref().map(ResponseError::status_code);
    let notice = error.map(|e| sentence(&e.to_string()));
    let page = render(move || Ok(person_markup(&user, &data, notice.as_deref(), done))).await?;
    Ok(match status {
        Some(status) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(page.into_string()),
        None => html(page),
    })
}

pub async fn save_profile(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<ProfileForm>) -> Page {
    let CsrfForm { user, form } = form;
    let id: PersonId = path_id("person", &id)?;
    let update = match permissions::manage_organisation(user.roles).and_then(|()| form.update()) {
        Ok(update) => update,
        Err(error) => return show_person(&state, user, id, Some(error.into()), None).await,
    };
    let (org_id, actor) = (user.org_id, user.actor());
    match state.db.run(move |conn| ops::update_profile(conn, org_id, &actor, id, &update)).await {
        Ok(_) => show_person(&state, user, id, None, Some("Profile saved.")).await,
        Err(error) => show_person(&state, user, id, Some(error.into()), None).await,
    }
}

pub async fn record_training(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<TrainingForm>) -> Page {
    let CsrfForm { user, form } = form;
    let id: PersonId = path_id("person", &id)?;
    let input = TrainingInput {
        course: form.course,
        completed_on: form.completed_on,
        expires_on: Some(form.expires_on).filter(|t| !t.trim().is_empty()),
        evidence: form.evidence,
    };
    let (org_id, actor) = (user.org_id, user.actor());
    match state.db.run(move |conn| ops::record(conn, org_id, &actor, id, &input)).await {
        Ok(_) => Ok(see_other(&format!("/console/people/{id}"))),
        Err(error) => show_person(&state, user, id, Some(error.into()), None).await,
    }
}

fn person_markup(user: &ConsoleUser, data: &PersonData, error: Option<&str>, done: Option<&str>) -> Markup {
    let p = &data.person;
    let profile = &data.profile;
    let main = html! {
        p.crumbs { a href="/console/people" { "People and pairings" } " · " a href="/console/training" { "Training" } }
        h1 { (p.display_name) span.sub { (p.email) } }
        @if let Some(text) = error { div.notice.error role="alert" { p { (text) } } }
        @if let Some(text) = done { div.notice.done role="status" { p { (text) } } }
        (super::people::employment_section(user, p, data.departure.as_ref()))
        section aria-labelledby="profile-heading" {
            h2 #profile-heading { "Mentor profile" }
            form.stack method="post" action={ "/console/people/" (p.id) "/profile" } {
                (csrf_field(&user.csrf_token))
                label for="capacity" { "Capacity: most mentees at once (empty: the programme's figure)" }
                input #capacity type="number" min="0" max="50" name="capacity" value=(profile.capacity.map(|c| c.to_string()).unwrap_or_default());
                label for="shift_pattern" { "Shift pattern" }
                select #shift_pattern name="shift_pattern" {
                    option value="" { "Not set" }
                    @for s in ShiftPattern::ALL {
                        option value=(s.as_str()) selected[profile.shift_pattern == Some(s)] { (s.as_str()) }
                    }
                }
                label for="languages" { "Languages (comma-separated)" }
                input #languages name="languages" value=(profile.languages.join(", "));
                label for="specialisms" { "Specialisms (comma-separated)" }
                input #specialisms name="specialisms" value=(profile.specialisms.join(", "));
                button type="submit" { "Save profile" }
            }
        }
        section aria-labelledby="training-heading" {
            h2 #training-heading { "Training" }
            @if data.training.is_empty() { p { "No training recorded." } } @else {
                table.training {
                    thead { tr {
                        th scope="col" { "Course" } th scope="col" { "Completed" } th scope="col" { "Expires" } th scope="col" { "Evidence" }
                    } }
                    tbody {
                        @for t in &data.training {
                            tr {
                                th scope="row" data-label="Course" { (t.course) }
                                td data-label="Completed" { (t.completed_on) }
                                td data-label="Expires" { (t.expires_on.map(|d| d.to_string()).unwrap_or_else(|| "never".into())) }
                                td data-label="Evidence" { (t.evidence) }
                            }
                        }
                    }
                }
            }
            h3 { "Record a course" }
            form.stack method="post" action={ "/console/people/" (p.id) "/training" } {
                (csrf_field(&user.csrf_token))
                label for="course" { "Course" }
                input #course name="course" required maxlength="200";
                label for="completed_on" { "Completed on" }
                input #completed_on type="date" name="completed_on" required;
                label for="expires_on" { "Expires on (optional)" }
                input #expires_on type="date" name="expires_on";
                label for="evidence" { "Evidence seen" }
                input #evidence name="evidence" maxlength="1000";
                button type="submit" { "Record course" }
            }
        }
    };
    layout(user, Section::Training, &p.display_name, main)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{OrgId, Timestamp};

    fn held(completed: &str, expires: Option<&str>) -> TrainingRecord {
        TrainingRecord {
            id: completed.into(),
            org_id: OrgId::new_random(),
            person_id: PersonId::new_random(),
            course: "Safeguarding".into(),
            completed_on: completed.parse().unwrap(),
            expires_on: expires.map(|e| e.parse().unwrap()),
            evidence: String::new(),
            recorded_by: None,
            created_at: Timestamp::now(),
        }
    }

    #[test]
    fn courses_expiring_within_thirty_days_and_expired_ones_are_marked() {
        let today: Day = "2026-06-01".parse().unwrap();
        let state = |records: &[TrainingRecord]| course_state("safeguarding", records, today);
        assert_eq!(state(&[]), CourseState::NotHeld);
        assert_eq!(state(&[held("2025-01-01", None)]), CourseState::Current { expires_on: None });
        assert!(matches!(state(&[held("2025-01-01", Some("2026-07-01"))]), CourseState::ExpiringSoon { .. }));
        assert!(matches!(state(&[held("2025-01-01", Some("2026-07-02"))]), CourseState::Current { .. }));
        assert!(matches!(state(&[held("2024-01-01", Some("2026-05-31"))]), CourseState::Expired { .. }));
        let renewed = [held("2024-01-01", Some("2026-05-31")), held("2026-05-20", Some("2027-05-20"))];
        assert!(matches!(state(&renewed), CourseState::Current { .. }));
    }
}
