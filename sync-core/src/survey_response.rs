//! Survey responses: one person's answers to one survey of one of their
//! pairings, private to them (never synced to the partner). The server projects
//! the scores, and the free text only when the respondent chose to share it.
//!
//! Layout: `response/submitted` is written once, whole, in one change:
//! `{mentorship_id, survey_key, submitted_at, share_text, answers}` with
//! `answers` mapping a question id to `{score}` (scale) or `{text}` (text).
//! Two phones of one person that answer offline write the same key of the same
//! document ([`DocumentId::survey_response_of`]); Automerge keeps one whole
//! response, never a mix of both.

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::api::{QuestionKind, SCALE, Survey};
use crate::document::{Document, DocumentError, check_len, now_rfc3339};
use crate::ids::{DocKind, DocumentId, MentorshipId, UserId};
use crate::rules::Path;

/// One answer: a score for a scale question, a text for a text question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyAnswer {
    /// The question answered.
    pub question_id: String,
    /// 1 to 5, for a scale question.
    pub score: Option<u32>,
    /// Free text, for a text question.
    pub text: Option<String>,
}

/// A submitted response as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyResponseView {
    /// The pairing the survey was about.
    pub mentorship_id: String,
    /// The survey's key in its programme.
    pub survey_key: String,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// Whether the respondent shares their free text with the coordinator.
    pub share_text: bool,
    /// The answers, in the order stored.
    pub answers: Vec<SurveyAnswer>,
}

/// Check `answers` against `survey`: every question id known and answered at
/// most once, every scale question scored 1 to 5, text only for text questions
/// (empty text is dropped). Returns the answers in the survey's question order.
pub fn check_answers(survey: &Survey, answers: &[SurveyAnswer]) -> Result<Vec<SurveyAnswer>, String> {
    for (n, answer) in answers.iter().enumerate() {
        if !survey.questions.iter().any(|q| q.id == answer.question_id) {
            return Err(format!("survey {:?} has no question {:?}", survey.key, answer.question_id));
        }
        if answers[..n].iter().any(|a| a.question_id == answer.question_id) {
            return Err(format!("question {:?} is answered twice", answer.question_id));
        }
    }
    let mut clean = Vec::new();
    for question in &survey.questions {
        let answer = answers.iter().find(|a| a.question_id == question.id);
        match (question.kind, answer) {
            (QuestionKind::Scale, None | Some(SurveyAnswer { score: None, .. })) => {
                return Err(format!("question {:?} needs a score from 1 to 5", question.id));
            }
            (QuestionKind::Scale, Some(SurveyAnswer { score: Some(score), text, .. })) => {
                if !SCALE.contains(score) {
                    return Err(format!("question {:?}: a score must be 1 to 5, not {score}", question.id));
                }
                if text.as_deref().is_some_and(|t| !t.trim().is_empty()) {
                    return Err(format!("question {:?} takes a score, not text", question.id));
                }
                clean.push(SurveyAnswer { question_id: question.id.clone(), score: Some(*score), text: None });
            }
            (QuestionKind::Text, Some(SurveyAnswer { score: Some(_), .. })) => {
                return Err(format!("question {:?} takes text, not a score", question.id));
            }
            (QuestionKind::Text, Some(SurveyAnswer { text: Some(text), .. })) if !text.trim().is_empty() => {
                clean.push(SurveyAnswer {
                    question_id: question.id.clone(),
                    score: None,
                    text: Some(text.trim().to_owned()),
                });
            }
            (QuestionKind::Text, _) => {}
        }
    }
    Ok(clean)
}

impl Document {
    /// Submit `author`'s answers to `survey` about `mentorship`, once. The
    /// document must be the one [`DocumentId::survey_response_of`] names.
    pub fn answer_survey(
        &mut self,
        author: UserId,
        mentorship: MentorshipId,
        survey: &Survey,
        answers: &[SurveyAnswer],
        share: ShareText,
    ) -> Result<(), DocumentError> {
        self.expect_kind(DocKind::SurveyResponse)?;
        self.authorize(author, &Path::keys(["response", "submitted"]))?;
        if self.header().id != DocumentId::survey_response_of(author, mentorship, &survey.key) {
            return Err(DocumentError::Invalid("this document is not the response to that survey".into()));
        }
        let answers = check_answers(survey, answers).map_err(DocumentError::Invalid)?;
        for answer in &answers {
            check_len(&answer.question_id, answer.text.as_deref().unwrap_or_default())?;
        }
        if self.survey_response()?.is_some() {
            return Err(DocumentError::Invalid(format!("survey {:?} is already answered", survey.key)));
        }
        let response = self.root_obj("response", ObjType::Map)?;
        let submitted_at = now_rfc3339();
        self.transact(|doc| {
            let submitted = doc.put_object(&response, "submitted", ObjType::Map)?;
            doc.put(&submitted, "mentorship_id", mentorship.to_string())?;
            doc.put(&submitted, "survey_key", survey.key.as_str())?;
            doc.put(&submitted, "submitted_at", submitted_at.as_str())?;
            doc.put(&submitted, "share_text", share == ShareText::Share)?;
            let map = doc.put_object(&submitted, "answers", ObjType::Map)?;
            for answer in &answers {
                let entry = doc.put_object(&map, answer.question_id.as_str(), ObjType::Map)?;
                if let Some(score) = answer.score {
                    doc.put(&entry, "score", u64::from(score))?;
                }
                if let Some(text) = &answer.text {
                    doc.put(&entry, "text", text.as_str())?;
                }
            }
            Ok(())
        })
    }

    /// The submitted response, if there is one.
    pub fn survey_response(&self) -> Result<Option<SurveyResponseView>, DocumentError> {
        self.expect_kind(DocKind::SurveyResponse)?;
        let response = self.root_obj("response", ObjType::Map)?;
        let path = "/response/submitted";
        let Some(submitted) = self.get_obj(&response, "submitted", ObjType::Map, path)? else { return Ok(None) };
        let text = |key: &str| self.get_string(&submitted, key, path).map(Option::unwrap_or_default);
        let mut answers = Vec::new();
        if let Some(map) = self.get_obj(&submitted, "answers", ObjType::Map, path)? {
            for question_id in self.keys(&map) {
                let at = format!("{path}/answers/{question_id}");
                let Some(entry) = self.get_obj(&map, &question_id, ObjType::Map, &at)? else { continue };
                let score = self.get_u64(&entry, "score", &at)?.map(|s| u32::try_from(s).unwrap_or(u32::MAX));
                let text = self.get_string(&entry, "text", &at)?;
                answers.push(SurveyAnswer { question_id, score, text });
            }
        }
        Ok(Some(SurveyResponseView {
            mentorship_id: text("mentorship_id")?,
            survey_key: text("survey_key")?,
            submitted_at: text("submitted_at")?,
            share_text: self.get_bool(&submitted, "share_text", path)?.unwrap_or(false),
            answers,
        }))
    }
}

/// Whether the respondent shares their free text with the coordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareText {
    /// The coordinator may read the text (never with the respondent's name).
    Share,
    /// Scores only reach the server's reports.
    Keep,
}

/// What decides when a survey falls due for a pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairingDates<'a> {
    /// `proposed`, `active`, `paused`, `completed` or `ended`.
    pub status: &'a str,
    /// `YYYY-MM-DD`.
    pub started_on: Option<&'a str>,
    /// `YYYY-MM-DD`, once completed or ended.
    pub ended_on: Option<&'a str>,
}

/// The day `survey` falls due for a pairing (`YYYY-MM-DD`), or `None` if it
/// never does: the pairing is only proposed or has no start date, a day-N survey
/// whose day comes after the pairing closed, a survey at close of a pairing that
/// has not closed (or whose end date is unknown). One rule for the phone and the
/// server.
pub fn survey_due_on(survey: &Survey, pairing: PairingDates<'_>) -> Option<String> {
    let date = |text: &str| time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok();
    let closed = matches!(pairing.status, "completed" | "ended");
    let start = date(pairing.started_on?)?;
    if pairing.status == "proposed" {
        return None;
    }
    let due = match survey.when {
        crate::api::SurveyWhen::AfterDays(days) => {
            let due = start.checked_add(time::Duration::days(i64::from(days)))?;
            let ended = pairing.ended_on.and_then(date);
            if ended.is_some_and(|end| due > end) || (closed && ended.is_none()) {
                return None;
            }
            due
        }
        crate::api::SurveyWhen::Close if closed => date(pairing.ended_on?)?,
        crate::api::SurveyWhen::Close => return None,
    };
    Some(format!("{:04}-{:02}-{:02}", due.year(), u8::from(due.month()), due.day()))
}
