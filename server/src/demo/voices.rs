//! What the demo's people say about the scheme itself: the mentees past their
//! first month answer the Induction programme's day 30 survey (four of them, so
//! the console shows the "fewer than 5 responses" rule at work), the longest
//! pairing's mentee answers the day 90 one too, and one mentee raises a concern
//! that the coordinator has acknowledged with a reply. Written on the phones'
//! own actors and stored through the sync engine, as a phone would.

use sync_core::{ConcernKind, DocHeader, Document, ShareText, SurveyAnswer};
use time::Date;

use super::history::{Phones, sync};
use super::{DemoError, PAIRINGS, broken, person};
use crate::db::{DbConnection, mentorships};
use crate::domain::concerns::{self, Answer};
use crate::domain::programmes::induction_surveys;
use crate::domain::{Actor, DomainError};
use crate::model::{DocumentId, OrgId};
use crate::sync::cache::DocCache;

const COORDINATOR: &str = "grace.okafor@riverside-care.example";
const CONCERNED: &str = "kwame.boateng@riverside-care.example";
const CONCERNED_ABOUT: &str = "siobhan.reilly@riverside-care.example";

/// One demo answer to an Induction survey.
struct Answered {
    mentee: &'static str,
    survey: &'static str,
    /// Confidence, support, availability, stay, match.
    scores: [u32; 5],
    /// Empty: no comment.
    comment: &'static str,
    share: ShareText,
}

/// The mentees past day 30 answer it (in `PAIRINGS` order); the longest
/// pairing's mentee also answers day 90.
const ANSWERS: &[Answered] = &[
    Answered {
        mentee: "liam.hughes@riverside-care.example",
        survey: "day_30",
        scores: [3, 5, 4, 4, 5],
        comment: "Daniel explains the why, not just the how.",
        share: ShareText::Share,
    },
    Answered {
        mentee: "zofia.nowak@riverside-care.example",
        survey: "day_30",
        scores: [4, 4, 4, 5, 4],
        comment: "",
        share: ShareText::Keep,
    },
    Answered {
        mentee: "kwame.boateng@riverside-care.example",
        survey: "day_30",
        scores: [2, 3, 2, 3, 2],
        comment: "Hard to find time on nights.",
        share: ShareText::Keep,
    },
    Answered {
        mentee: "ellie.parker@riverside-care.example",
        survey: "day_30",
        scores: [4, 5, 5, 4, 5],
        comment: "More of this for everyone.",
        share: ShareText::Share,
    },
    Answered {
        mentee: "ellie.parker@riverside-care.example",
        survey: "day_90",
        scores: [5, 5, 4, 5, 5],
        comment: "",
        share: ShareText::Keep,
    },
];

const SCALE_QUESTIONS: [&str; 5] = ["confidence", "support", "availability", "stay", "match"];

pub(super) fn write(
    conn: &mut DbConnection,
    cache: &DocCache,
    phones: &mut Phones,
    org_id: OrgId,
    today: Date,
) -> Result<(), DemoError> {
    for answered in ANSWERS {
        answer(conn, cache, phones, org_id, answered)?;
    }
    raise_concern(conn, cache, phones, org_id, today)
}

fn answer(
    conn: &mut DbConnection,
    cache: &DocCache,
    phones: &mut Phones,
    org_id: OrgId,
    answered: &Answered,
) -> Result<(), DemoError> {
    let mentor_email = PAIRINGS
        .iter()
        .find(|(_, mentee, _)| *mentee == answered.mentee)
        .map(|(mentor, _, _)| *mentor)
        .ok_or_else(|| broken(format!("{} has no demo pairing", answered.mentee)))?;
    let mentee = person(conn, org_id, answered.mentee)?;
    let mentor = person(conn, org_id, mentor_email)?;
    let pairing = mentorships::find_open_between(conn, org_id, mentor.id, mentee.id)?
        .ok_or(DomainError::not_found("mentorship"))?;
    let survey = induction_surveys()
        .into_iter()
        .find(|s| s.key == answered.survey)
        .ok_or_else(|| broken(format!("Induction has no survey {}", answered.survey)))?;
    let mut answers: Vec<SurveyAnswer> = SCALE_QUESTIONS
        .iter()
        .zip(answered.scores)
        .map(|(id, score)| SurveyAnswer { question_id: (*id).to_owned(), score: Some(score), text: None })
        .collect();
    if !answered.comment.is_empty() {
        answers.push(SurveyAnswer {
            question_id: "comment".into(),
            score: None,
            text: Some(answered.comment.to_owned()),
        });
    }
    let phone = phones.of(conn, &mentee)?;
    let header = DocHeader::survey_response(mentee.id, pairing.id, answered.survey);
    let mut doc = Document::create(header, phone.caller.actor.clone()).map_err(broken)?;
    let genesis = doc.heads();
    doc.answer_survey(phone.user, pairing.id, &survey, &answers, answered.share).map_err(broken)?;
    sync(conn, cache, &phone, &mut doc, &genesis)
}

fn raise_concern(
    conn: &mut DbConnection,
    cache: &DocCache,
    phones: &mut Phones,
    org_id: OrgId,
    today: Date,
) -> Result<(), DemoError> {
    let mentee = person(conn, org_id, CONCERNED)?;
    let mentor = person(conn, org_id, CONCERNED_ABOUT)?;
    let pairing = mentorships::find_open_between(conn, org_id, mentor.id, mentee.id)?
        .ok_or(DomainError::not_found("mentorship"))?;
    let phone = phones.of(conn, &mentee)?;
    let header = DocHeader::new_concern(pairing.id, mentee.id);
    let id: DocumentId = header.id;
    let mut doc = Document::create(header, phone.caller.actor.clone()).map_err(broken)?;
    let genesis = doc.heads();
    doc.raise_concern(
        phone.user,
        ConcernKind::PairingNotWorking,
        "Our shifts hardly overlap since I moved to nights, so we keep missing each other. \
         Could I be paired with someone on nights?",
    )
    .map_err(broken)?;
    sync(conn, cache, &phone, &mut doc, &genesis)?;

    let coordinator = person(conn, org_id, COORDINATOR)?;
    let reply = format!(
        "Thank you for telling me. I will talk to Siobhan and the night team this week (by {}) \
         and suggest a night-shift mentor.",
        crate::domain::reminders::format_day(today + time::Duration::days(7))
    );
    concerns::answer(conn, cache, org_id, &Actor::person(&coordinator, None), id, Answer::Acknowledge, &reply)
        .map_err(|e| broken(format!("acknowledging the demo concern: {e}")))?;
    Ok(())
}
