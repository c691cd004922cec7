//! Surveys: which are due (computed on the phone, offline) and answering one.

use super::{Answer, Client};

/// One question of a survey. `kind`: `scale` (a score 1 to 5, required) or
/// `text` (optional free text).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SurveyQuestion {
    pub id: String,
    pub text: String,
    pub kind: String,
}

/// A survey the signed-in person is asked to answer about one of their pairings.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DueSurvey {
    pub mentorship_id: String,
    pub survey_key: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    pub questions: Vec<SurveyQuestion>,
}

impl From<sync_core::DueSurvey> for DueSurvey {
    fn from(d: sync_core::DueSurvey) -> Self {
        Self {
            mentorship_id: d.mentorship_id,
            survey_key: d.survey_key,
            title: d.title,
            due_on: d.due_on,
            questions: d
                .questions
                .into_iter()
                .map(|q| SurveyQuestion {
                    id: q.id,
                    text: q.text,
                    kind: match q.kind {
                        sync_core::api::QuestionKind::Scale => "scale".into(),
                        sync_core::api::QuestionKind::Text => "text".into(),
                    },
                })
                .collect(),
        }
    }
}

/// One answer: `score` (1 to 5) for a scale question, `text` for a text question.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SurveyAnswer {
    pub question_id: String,
    pub score: Option<u32>,
    pub text: Option<String>,
}

impl From<SurveyAnswer> for sync_core::SurveyAnswer {
    fn from(a: SurveyAnswer) -> Self {
        Self { question_id: a.question_id, score: a.score, text: a.text }
    }
}

#[uniffi::export]
impl Client {
    /// The surveys due and not yet answered, earliest first (offline).
    pub fn due_surveys(&self) -> Answer<Vec<DueSurvey>> {
        Ok(self.inner.due_surveys()?.into_iter().map(DueSurvey::from).collect())
    }

    /// Answer a due survey (offline too; sent at the next sync). `share_text`:
    /// whether the coordinator may read the free text (never with a name).
    pub fn answer_survey(
        &self,
        mentorship_id: String,
        survey_key: String,
        answers: Vec<SurveyAnswer>,
        share_text: bool,
    ) -> Answer<()> {
        let answers: Vec<sync_core::SurveyAnswer> = answers.into_iter().map(Into::into).collect();
        let share = if share_text { sync_core::ShareText::Share } else { sync_core::ShareText::Keep };
        Ok(self.inner.answer_survey(&mentorship_id, &survey_key, &answers, share)?)
    }
}
