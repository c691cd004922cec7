//! Surveys on the phone: which are due, computed offline from the cached
//! pairings and their programmes' surveys, and answering one into a private
//! survey-response document that syncs like every other (to the server only:
//! it is owner-only, so the partner's phone never receives it).
//!
//! The programmes' surveys are cached from `GET /v1/programmes` with the groups
//! (at sign-in and whenever the pairings are fetched); a pairing's end date with
//! the pairings. A survey at close is due once the phone has seen the pairing
//! completed or ended.

use serde::{Deserialize, Serialize};

use super::error::invalid;
use super::{Client, ClientError, Mentorship, SignedIn};
use crate::api::{Survey, SurveyQuestion};
use crate::document::today;
use crate::ids::{DocHeader, DocumentId, MentorshipId};
use crate::replica::ReplicaError;
use crate::survey_response::{PairingDates, ShareText, SurveyAnswer, survey_due_on};

const PROGRAMME_SURVEYS: &str = "programme_surveys";

/// The part of an item of `GET /v1/programmes` a phone keeps: its surveys.
/// Items that are not well-formed surveys are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ProgrammeSurveys {
    id: String,
    #[serde(default, deserialize_with = "well_formed_surveys")]
    surveys: Vec<Survey>,
}

fn well_formed_surveys<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Survey>, D::Error> {
    let items: Vec<serde_json::Value> = Deserialize::deserialize(deserializer)?;
    Ok(items.into_iter().filter_map(|item| serde_json::from_value(item).ok()).collect())
}

/// A survey the signed-in person is asked to answer about one of their pairings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueSurvey {
    /// The pairing it is about.
    pub mentorship_id: String,
    /// The survey's key in the pairing's programme.
    pub survey_key: String,
    /// Its title.
    pub title: String,
    /// The day it fell due (`YYYY-MM-DD`).
    pub due_on: String,
    /// What it asks.
    pub questions: Vec<SurveyQuestion>,
}

/// One survey of one pairing as it applies to the signed-in person.
struct Applicable {
    mentorship: Mentorship,
    survey: Survey,
    due_on: Option<String>,
}

impl Client {
    pub(super) fn fetch_programme_surveys(&self, serial: u64) -> Result<(), ClientError> {
        let list = self.authed(serial, |token| self.transport.programme_surveys(token))?;
        let json = serde_json::to_string(&list).map_err(|e| invalid(e.to_string()))?;
        self.with_sign_in(serial, |s| Ok(s.replica.store_mut().set_setting(PROGRAMME_SURVEYS, Some(&json))?))
    }

    fn cached_programme_surveys(signed_in: &SignedIn) -> Result<Vec<ProgrammeSurveys>, ClientError> {
        match signed_in.replica.store().setting(PROGRAMME_SURVEYS)? {
            Some(json) => serde_json::from_str(&json).map_err(|e| ClientError::Storage { message: e.to_string() }),
            None => Ok(Vec::new()),
        }
    }

    /// Every survey of the person's pairings that they answer, with its due day.
    fn applicable(signed_in: &SignedIn) -> Result<Vec<Applicable>, ClientError> {
        let me = signed_in.replica.user().to_string();
        let programmes = Self::cached_programme_surveys(signed_in)?;
        let mut out = Vec::new();
        for mentorship in Self::cached_mentorships(signed_in)? {
            let role = if mentorship.mentee_id == me {
                "mentee"
            } else if mentorship.mentor_id == me {
                "mentor"
            } else {
                continue;
            };
            let Some(programme) = programmes.iter().find(|p| p.id == mentorship.programme_id) else { continue };
            for survey in &programme.surveys {
                if !survey.respondent.includes(role) {
                    continue;
                }
                let due_on = survey_due_on(
                    survey,
                    PairingDates {
                        status: &mentorship.status,
                        started_on: mentorship.started_on.as_deref(),
                        ended_on: mentorship.ended_on.as_deref(),
                    },
                );
                out.push(Applicable { mentorship: mentorship.clone(), survey: survey.clone(), due_on });
            }
        }
        Ok(out)
    }

    fn response_id(signed_in: &SignedIn, mentorship_id: &str, survey_key: &str) -> Result<DocumentId, ClientError> {
        let mentorship: MentorshipId = mentorship_id.parse()?;
        Ok(DocumentId::survey_response_of(signed_in.replica.user(), mentorship, survey_key))
    }

    fn is_answered(signed_in: &mut SignedIn, id: DocumentId) -> Result<bool, ClientError> {
        match signed_in.replica.read(id, |doc| doc.survey_response()) {
            Err(ReplicaError::NotFound(_)) => Ok(false),
            other => Ok(other?.is_some()),
        }
    }

    /// The surveys due today or earlier that this person has not answered on
    /// this device (or on another that synced here), earliest first. Offline.
    pub fn due_surveys(&self) -> Result<Vec<DueSurvey>, ClientError> {
        self.with_signed_in(|signed_in| {
            let today = today();
            let mut due = Vec::new();
            for item in Self::applicable(signed_in)? {
                let Some(due_on) = item.due_on.filter(|d| *d <= today) else { continue };
                let id = Self::response_id(signed_in, &item.mentorship.id, &item.survey.key)?;
                if Self::is_answered(signed_in, id)? {
                    continue;
                }
                due.push(DueSurvey {
                    mentorship_id: item.mentorship.id,
                    survey_key: item.survey.key,
                    title: item.survey.title,
                    due_on,
                    questions: item.survey.questions,
                });
            }
            due.sort_by(|a, b| {
                (&a.due_on, &a.mentorship_id, &a.survey_key).cmp(&(&b.due_on, &b.mentorship_id, &b.survey_key))
            });
            Ok(due)
        })
    }

    /// Answer a due survey (offline too; sent at the next sync). Scores are 1 to
    /// 5 and every scale question needs one; question ids must be the survey's.
    /// With [`ShareText::Share`] the coordinator may read the free text, never
    /// with a name; otherwise only the scores reach the server's reports.
    pub fn answer_survey(
        &self,
        mentorship_id: &str,
        survey_key: &str,
        answers: &[SurveyAnswer],
        share: ShareText,
    ) -> Result<(), ClientError> {
        self.with_signed_in(|signed_in| {
            Self::pair_of(signed_in, mentorship_id)?;
            let all = Self::applicable(signed_in)?;
            let Some(item) = all.into_iter().find(|a| a.mentorship.id == mentorship_id && a.survey.key == survey_key)
            else {
                return Err(ClientError::NotFound {
                    message: format!("no survey {survey_key:?} for you in this pairing (sync while online first)"),
                });
            };
            match item.due_on {
                None => return Err(invalid(format!("survey {survey_key:?} is not due for this pairing"))),
                Some(due_on) if due_on > today() => {
                    return Err(invalid(format!("survey {survey_key:?} is not due until {due_on}")));
                }
                Some(_) => {}
            }
            let mentorship: MentorshipId = mentorship_id.parse()?;
            let header = DocHeader::survey_response(signed_in.replica.user(), mentorship, survey_key);
            // Checked before the document is created, so a refused answer leaves nothing behind.
            crate::survey_response::check_answers(&item.survey, answers).map_err(invalid)?;
            if Self::is_answered(signed_in, header.id)? {
                return Err(invalid(format!("survey {survey_key:?} is already answered")));
            }
            signed_in.replica.ensure(header)?;
            let survey = item.survey;
            Ok(signed_in
                .replica
                .edit(header.id, |doc, me| doc.answer_survey(me, mentorship, &survey, answers, share))?)
        })
    }
}
