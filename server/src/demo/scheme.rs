//! The demo's scheme: Induction requires two courses, an informal
//! "Buddying" programme sits beside it, the mentors have their training on
//! record (one course expiring soon, so the training matrix has something to
//! mark) and matching profiles. Added after the pairings, which were approved
//! when they were made.

use time::Duration;

use super::DemoError;
use crate::db::{DbConnection, people, programmes};
use crate::domain::programmes::{self as programme_ops, INDUCTION, ProgrammeInput, ProgrammeKind};
use crate::domain::training::{self, ProfileUpdate, ShiftPattern, TrainingInput};
use crate::domain::{Actor, DomainError};
use crate::model::{Day, OrgId};

const SAFEGUARDING: &str = "Safeguarding adults";
const MENTOR_SKILLS: &str = "Peer mentor training";

/// (mentor email, shift, capacity, languages, days until safeguarding expires)
const MENTORS: &[(&str, ShiftPattern, i32, &[&str], i64)] = &[
    ("amara.mensah@riverside-care.example", ShiftPattern::Early, 3, &["English", "Twi"], 300),
    ("daniel.kowalski@riverside-care.example", ShiftPattern::Late, 2, &["English", "Polish"], 20),
    ("siobhan.reilly@riverside-care.example", ShiftPattern::Days, 2, &["English", "Irish"], 200),
];

pub fn seed(conn: &mut DbConnection, org_id: OrgId) -> Result<(), DemoError> {
    let actor = Actor::system();
    let today = Day::today().date();
    let induction = programmes::find_by_name(conn, org_id, INDUCTION)?.ok_or(DomainError::not_found("programme"))?;
    let required = ProgrammeInput {
        required_training: Some(vec![SAFEGUARDING.to_owned(), MENTOR_SKILLS.to_owned()]),
        ..ProgrammeInput::default()
    };
    programme_ops::update(conn, org_id, &actor, induction.id, &required)?;
    let buddying = ProgrammeInput {
        name: Some("Buddying".to_owned()),
        kind: Some(ProgrammeKind::Informal),
        length_weeks: Some(26),
        contact_every_days: Some(14),
        ..ProgrammeInput::default()
    };
    programme_ops::create(conn, org_id, &actor, &buddying)?;
    for (email, shift, capacity, languages, expires_in) in MENTORS {
        let mentor = people::find_by_email(conn, org_id, email)?.ok_or(DomainError::not_found("mentor"))?;
        let day = |offset: i64| Some(Day::from(today + Duration::days(offset)).to_string());
        let courses = [
            (SAFEGUARDING, day(expires_in - 365), day(*expires_in), "e-learning certificate"),
            (MENTOR_SKILLS, day(-200), None, "two-day course, signed off by Grace Okafor"),
        ];
        for (course, completed_on, expires_on, evidence) in courses {
            let input = TrainingInput {
                course: course.to_owned(),
                completed_on: completed_on.unwrap_or_default(),
                expires_on,
                evidence: evidence.to_owned(),
            };
            training::record(conn, org_id, &actor, mentor.id, &input)?;
        }
        let profile = ProfileUpdate {
            capacity: Some(Some(*capacity)),
            languages: Some(languages.iter().map(|l| (*l).to_owned()).collect()),
            shift_pattern: Some(Some(*shift)),
            specialisms: None,
        };
        training::update_profile(conn, org_id, &actor, mentor.id, &profile)?;
    }
    Ok(())
}
