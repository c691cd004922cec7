//! Programmes as coordinators define them: a formal scheme (induction length,
//! contact rhythm, touchpoints, the training a mentor must hold, the surveys it
//! runs) or an informal one (no touchpoints, never overdue). Every pairing
//! belongs to one; a new organisation starts with "Induction"
//! ([`induction`]). Coordinators and admins write
//! ([`permissions::manage_programmes`]); everyone in the organisation reads.

use serde::{Deserialize, Serialize};
use sync_core::api::{QuestionKind, Survey, SurveyQuestion, SurveyRespondent, SurveyWhen};
use utoipa::ToSchema;

use super::programme::touchpoints::{TouchpointSpec, induction_touchpoints, programme_touchpoints};
use super::{Actor, AuditObject, DomainError, permissions, record_audit, required_text};
use crate::db::programmes::{self, Programme, ProgrammeChanges};
use crate::db::{self, DbConnection};
use crate::model::{OrgId, ProgrammeId, Timestamp};

/// The name of the programme every new organisation starts with.
pub const INDUCTION: &str = "Induction";
/// Largest number of touchpoints, courses or surveys a programme lists.
const MAX_ITEMS: usize = 50;
/// Largest stored surveys list, in bytes of JSON.
const MAX_SURVEYS_BYTES: usize = 64 * 1024;
/// Most questions one survey asks.
const MAX_QUESTIONS: usize = 30;
/// Latest day after the start a survey may fall on (ten years).
const MAX_SURVEY_DAY: u32 = 3660;

/// Formal schemes have touchpoints and can be overdue; informal ones do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeKind {
    #[default]
    Formal,
    Informal,
}

impl ProgrammeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Formal => "formal",
            Self::Informal => "informal",
        }
    }

    fn of(programme: &Programme) -> Self {
        if programme.kind == "informal" { Self::Informal } else { Self::Formal }
    }
}

/// A programme as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProgrammeView {
    #[schema(value_type = Uuid)]
    pub id: ProgrammeId,
    pub name: String,
    pub kind: ProgrammeKind,
    pub length_weeks: i32,
    /// Expected contact at least every this many days.
    pub contact_every_days: i32,
    /// Most mentees a mentor takes on in this programme, unless their own
    /// profile says otherwise.
    pub max_mentees_per_mentor: i32,
    /// Empty for informal programmes.
    pub touchpoints: Vec<TouchpointSpec>,
    /// Courses a mentor must hold, unexpired, to be approved for it.
    pub required_training: Vec<String>,
    /// The surveys it runs: who answers, when, and what they are asked.
    pub surveys: Vec<Survey>,
    /// Whether pairings without a programme join this one.
    pub is_default: bool,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

impl ProgrammeView {
    fn new(programme: &Programme, default_id: Option<ProgrammeId>) -> Self {
        Self {
            id: programme.id,
            name: programme.name.clone(),
            kind: ProgrammeKind::of(programme),
            length_weeks: programme.induction_weeks,
            contact_every_days: programme.contact_every_days,
            max_mentees_per_mentor: programme.max_mentees_per_mentor,
            touchpoints: programme_touchpoints(programme),
            required_training: required_training(programme),
            surveys: programme_surveys(programme),
            is_default: default_id == Some(programme.id),
            created_at: programme.created_at,
        }
    }
}

/// The surveys a programme runs, as stored (an item stored before surveys had a
/// shape, and so not one, is left out).
pub fn programme_surveys(programme: &Programme) -> Vec<Survey> {
    let items: Vec<serde_json::Value> = serde_json::from_str(&programme.surveys).unwrap_or_default();
    items.into_iter().filter_map(|item| serde_json::from_value(item).ok()).collect()
}

/// The courses a programme requires, as stored.
pub fn required_training(programme: &Programme) -> Vec<String> {
    serde_json::from_str(&programme.required_training).unwrap_or_default()
}

/// What a new programme, or a change to one, says. Absent fields keep their
/// value (or take the default, for a new one).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: Option<ProgrammeKind>,
    #[serde(default)]
    pub length_weeks: Option<i32>,
    #[serde(default)]
    pub contact_every_days: Option<i32>,
    #[serde(default)]
    pub max_mentees_per_mentor: Option<i32>,
    #[serde(default)]
    pub touchpoints: Option<Vec<TouchpointSpec>>,
    #[serde(default)]
    pub required_training: Option<Vec<String>>,
    /// Replaces the whole list. Each: `{key, title, respondent: mentee | mentor |
    /// both, when: {"after_days": N} | "close", questions: [{id, text, kind: scale
    /// | text}]}`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Survey>>)]
    pub surveys: Option<Vec<serde_json::Value>>,
}

/// The surveys of the default programme: the mentee at day 30 and day 90, both
/// at close, asked about confidence in the role, the support received, whether
/// the mentor was available when needed, their intention to stay in the job for
/// the next 12 months and whether the match suited them (1 to 5), with an
/// optional comment. The migration `2026-12-01-000017_surveys` gives the same
/// list to existing organisations' Induction programmes.
pub fn induction_surveys() -> Vec<Survey> {
    let questions = |availability: &str, suited: &str| {
        let scale =
            |id: &str, text: &str| SurveyQuestion { id: id.into(), text: text.into(), kind: QuestionKind::Scale };
        vec![
            scale("confidence", "How confident do you feel in your role?"),
            scale("support", "How well supported do you feel by the mentoring?"),
            scale("availability", availability),
            scale("stay", "How likely are you to stay in this job for the next 12 months?"),
            scale("match", suited),
            SurveyQuestion {
                id: "comment".into(),
                text: "Anything else you would like to tell us? (optional)".into(),
                kind: QuestionKind::Text,
            },
        ]
    };
    let mentee = questions(
        "Has your mentor been available when you needed them?",
        "How well does the match with your mentor suit you?",
    );
    let survey = |key: &str, title: &str, respondent, when, questions: &[SurveyQuestion]| Survey {
        key: key.into(),
        title: title.into(),
        respondent,
        when,
        questions: questions.to_vec(),
    };
    vec![
        survey("day_30", "Your first month", SurveyRespondent::Mentee, SurveyWhen::AfterDays(30), &mentee),
        survey("day_90", "Your first three months", SurveyRespondent::Mentee, SurveyWhen::AfterDays(90), &mentee),
        survey(
            "close",
            "Looking back on the mentoring",
            SurveyRespondent::Both,
            SurveyWhen::Close,
            &questions(
                "Were you and your mentoring partner available to each other when needed?",
                "How well did the match suit you?",
            ),
        ),
    ]
}

/// The default programme of a new organisation: 12 weeks, welcome on day 1,
/// first contact within 7 days, check-ins at days 30, 60 and 90, no required
/// training until a coordinator sets some, and the [`induction_surveys`].
pub fn induction(org_id: OrgId) -> Programme {
    Programme {
        id: ProgrammeId::new_random(),
        org_id,
        name: INDUCTION.to_owned(),
        induction_weeks: 12,
        contact_every_days: 7,
        first_contact_days: 7,
        checkin_days: "30,60,90".to_owned(),
        max_mentees_per_mentor: 3,
        created_at: Timestamp::now(),
        kind: ProgrammeKind::Formal.as_str().to_owned(),
        touchpoints: serde_json::to_string(&induction_touchpoints()).ok(),
        required_training: "[]".to_owned(),
        surveys: serde_json::to_string(&induction_surveys()).unwrap_or_else(|_| "[]".to_owned()),
    }
}

fn in_range(field: &str, value: i32, min: i32, max: i32) -> Result<i32, DomainError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(DomainError::invalid("invalid_programme", format!("`{field}` must be between {min} and {max}")))
    }
}

fn validate_touchpoints(list: &[TouchpointSpec]) -> Result<String, DomainError> {
    if list.len() > MAX_ITEMS {
        return Err(DomainError::invalid("invalid_programme", format!("at most {MAX_ITEMS} touchpoints")));
    }
    let mut clean = Vec::with_capacity(list.len());
    for spec in list {
        let name = required_text("touchpoints[].name", &spec.name, 100)?;
        if !(0..=3660).contains(&spec.day) || !(0..=365).contains(&spec.window_days) {
            return Err(DomainError::invalid(
                "invalid_programme",
                "a touchpoint's `day` must be 0 to 3660 and `window_days` 0 to 365",
            ));
        }
        clean.push(TouchpointSpec { name, day: spec.day, window_days: spec.window_days });
    }
    serde_json::to_string(&clean).map_err(|_| DomainError::invalid("invalid_programme", "unreadable touchpoints"))
}

fn validate_courses(list: &[String]) -> Result<String, DomainError> {
    if list.len() > MAX_ITEMS {
        return Err(DomainError::invalid("invalid_programme", format!("at most {MAX_ITEMS} required courses")));
    }
    let mut clean: Vec<String> = Vec::with_capacity(list.len());
    for course in list {
        let course = required_text("required_training[]", course, 200)?;
        if !clean.contains(&course) {
            clean.push(course);
        }
    }
    serde_json::to_string(&clean).map_err(|_| DomainError::invalid("invalid_programme", "unreadable courses"))
}

/// Checks the surveys a coordinator sent, each against the shape of
/// [`Survey`], and says which item and field is wrong. Keys are distinct in the
/// programme and question ids in a survey; keys and ids are short words
/// (letters, digits, `_`, `-`) because phones derive document ids from them.
fn validate_surveys(list: &[serde_json::Value]) -> Result<String, DomainError> {
    let bad = |message: String| DomainError::invalid("invalid_programme", message);
    if list.len() > MAX_ITEMS {
        return Err(bad(format!("at most {MAX_ITEMS} surveys")));
    }
    let mut clean: Vec<Survey> = Vec::with_capacity(list.len());
    for (n, item) in list.iter().enumerate() {
        let survey: Survey = serde_json::from_value(item.clone()).map_err(|e| {
            bad(format!(
                "surveys[{n}]: {e}; a survey is {{key, title, respondent: mentee | mentor | both, \
                 when: {{\"after_days\": N}} | \"close\", questions: [{{id, text, kind: scale | text}}]}}"
            ))
        })?;
        let key = word(&format!("surveys[{n}].key"), &survey.key)?;
        if clean.iter().any(|s| s.key == key) {
            return Err(bad(format!("surveys[{n}].key: {key:?} is used twice; survey keys must be distinct")));
        }
        let title = required_text(&format!("surveys[{n}].title"), &survey.title, 200)?;
        if let SurveyWhen::AfterDays(days) = survey.when
            && !(1..=MAX_SURVEY_DAY).contains(&days)
        {
            return Err(bad(format!("surveys[{n}].when.after_days must be 1 to {MAX_SURVEY_DAY}")));
        }
        if survey.questions.is_empty() || survey.questions.len() > MAX_QUESTIONS {
            return Err(bad(format!("surveys[{n}].questions: between 1 and {MAX_QUESTIONS} questions")));
        }
        let mut questions: Vec<SurveyQuestion> = Vec::with_capacity(survey.questions.len());
        for (q, question) in survey.questions.iter().enumerate() {
            let id = word(&format!("surveys[{n}].questions[{q}].id"), &question.id)?;
            if questions.iter().any(|other| other.id == id) {
                return Err(bad(format!("surveys[{n}].questions[{q}].id: {id:?} is used twice in the survey")));
            }
            let text = required_text(&format!("surveys[{n}].questions[{q}].text"), &question.text, 500)?;
            questions.push(SurveyQuestion { id, text, kind: question.kind });
        }
        clean.push(Survey { key, title, respondent: survey.respondent, when: survey.when, questions });
    }
    let text = serde_json::to_string(&clean).map_err(|_| bad("unreadable surveys".into()))?;
    if text.len() > MAX_SURVEYS_BYTES {
        return Err(bad("the surveys are too large".into()));
    }
    Ok(text)
}

/// A survey key or question id: 1 to 64 letters, digits, `_` or `-`.
fn word(field: &str, value: &str) -> Result<String, DomainError> {
    let value = value.trim();
    let ok =
        (1..=64).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(DomainError::invalid(
            "invalid_programme",
            format!("`{field}` must be 1 to 64 letters, digits, `_` or `-`, not {value:?}"),
        ))
    }
}

/// Checks `input` into the changes it makes.
fn changes(input: &ProgrammeInput) -> Result<ProgrammeChanges, DomainError> {
    let kind = input.kind;
    Ok(ProgrammeChanges {
        name: input.name.as_deref().map(|n| required_text("name", n, 200)).transpose()?,
        kind: kind.map(|k| k.as_str().to_owned()),
        induction_weeks: input.length_weeks.map(|v| in_range("length_weeks", v, 1, 520)).transpose()?,
        contact_every_days: input.contact_every_days.map(|v| in_range("contact_every_days", v, 1, 365)).transpose()?,
        max_mentees_per_mentor: input
            .max_mentees_per_mentor
            .map(|v| in_range("max_mentees_per_mentor", v, 1, 100))
            .transpose()?,
        touchpoints: match (&input.touchpoints, kind) {
            // An informal programme has none, whatever was sent.
            (_, Some(ProgrammeKind::Informal)) => Some(Some("[]".to_owned())),
            (Some(list), _) => Some(Some(validate_touchpoints(list)?)),
            (None, _) => None,
        },
        required_training: input.required_training.as_deref().map(validate_courses).transpose()?,
        surveys: input.surveys.as_deref().map(validate_surveys).transpose()?,
    })
}

fn conflict_name() -> DomainError {
    DomainError::conflict("programme_exists", "the organisation already has a programme of this name")
}

/// Every programme of the organisation (anyone in it).
pub fn list(conn: &mut DbConnection, org_id: OrgId) -> Result<Vec<ProgrammeView>, DomainError> {
    let all = programmes::find_by_org(conn, org_id)?;
    let default_id = all.first().map(|p| p.id);
    Ok(all.iter().map(|p| ProgrammeView::new(p, default_id)).collect())
}

/// One programme of the organisation.
pub fn find(conn: &mut DbConnection, org_id: OrgId, id: ProgrammeId) -> Result<ProgrammeView, DomainError> {
    let programme = programmes::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("programme"))?;
    let default_id = programmes::find_first_by_org(conn, org_id)?.map(|p| p.id);
    Ok(ProgrammeView::new(&programme, default_id))
}

/// A programme named by its id or, failing that, its exact name (the command
/// line's `--programme`).
pub fn find_by_name_or_id(conn: &mut DbConnection, org_id: OrgId, text: &str) -> Result<ProgrammeView, DomainError> {
    if let Ok(id) = text.trim().parse::<ProgrammeId>()
        && let Ok(view) = find(conn, org_id, id)
    {
        return Ok(view);
    }
    let programme =
        programmes::find_by_name(conn, org_id, text.trim())?.ok_or_else(|| DomainError::not_found("programme"))?;
    find(conn, org_id, programme.id)
}

/// Adds a programme; `name` is required and unique in the organisation.
pub fn create(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    input: &ProgrammeInput,
) -> Result<ProgrammeView, DomainError> {
    permissions::manage_programmes(actor.roles)?;
    let name = required_text("name", input.name.as_deref().unwrap_or_default(), 200)?;
    let set = changes(input)?;
    let kind = input.kind.unwrap_or_default();
    let mut programme = induction(org_id);
    programme.name = name;
    programme.kind = kind.as_str().to_owned();
    programme.induction_weeks = set.induction_weeks.unwrap_or(programme.induction_weeks);
    programme.contact_every_days = set.contact_every_days.unwrap_or(programme.contact_every_days);
    programme.max_mentees_per_mentor = set.max_mentees_per_mentor.unwrap_or(programme.max_mentees_per_mentor);
    programme.touchpoints = match kind {
        ProgrammeKind::Informal => Some("[]".to_owned()),
        ProgrammeKind::Formal => set.touchpoints.flatten().or(programme.touchpoints),
    };
    programme.required_training = set.required_training.unwrap_or(programme.required_training);
    programme.surveys = set.surveys.unwrap_or(programme.surveys);
    db::write_transaction(conn, |conn| {
        if programmes::find_by_name(conn, org_id, &programme.name)?.is_some() {
            return Err(conflict_name());
        }
        // The oldest programme is the default and lists come oldest first, with
        // times kept to the second: a programme made in the same second as the
        // last one is dated one second after it, so the order never rests on ids.
        if let Some(last) = programmes::find_by_org(conn, org_id)?.last()
            && last.created_at >= programme.created_at
        {
            programme.created_at = last.created_at + std::time::Duration::from_secs(1);
        }
        programmes::insert(conn, &programme)?;
        record_audit(
            conn,
            org_id,
            actor,
            "programme.created",
            AuditObject::new("programme", programme.id),
            serde_json::json!({ "name": programme.name, "kind": programme.kind }),
        )?;
        find(conn, org_id, programme.id)
    })
}

/// Changes a programme. Turning it informal drops its touchpoints.
pub fn update(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    id: ProgrammeId,
    input: &ProgrammeInput,
) -> Result<ProgrammeView, DomainError> {
    permissions::manage_programmes(actor.roles)?;
    let set = changes(input)?;
    db::write_transaction(conn, |conn| {
        let current = programmes::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("programme"))?;
        if let Some(name) = &set.name
            && *name != current.name
            && programmes::find_by_name(conn, org_id, name)?.is_some()
        {
            return Err(conflict_name());
        }
        let fields: Vec<&str> = [
            ("name", set.name.is_some()),
            ("kind", set.kind.is_some()),
            ("length_weeks", set.induction_weeks.is_some()),
            ("contact_every_days", set.contact_every_days.is_some()),
            ("max_mentees_per_mentor", set.max_mentees_per_mentor.is_some()),
            ("touchpoints", set.touchpoints.is_some()),
            ("required_training", set.required_training.is_some()),
            ("surveys", set.surveys.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect();
        if fields.is_empty() {
            return find(conn, org_id, id);
        }
        programmes::update(conn, org_id, id, &set)?;
        record_audit(
            conn,
            org_id,
            actor,
            "programme.updated",
            AuditObject::new("programme", id),
            serde_json::json!({ "fields": fields }),
        )?;
        find(conn, org_id, id)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn migration_gives_existing_induction_programmes_the_same_surveys() {
        let expected = serde_json::to_string(&induction_surveys()).unwrap();
        for up in [
            include_str!("../../../migrations/sqlite/2026-12-01-000017_surveys/up.sql"),
            include_str!("../../../migrations/postgres/2026-12-01-000017_surveys/up.sql"),
        ] {
            assert!(up.contains(&format!("SET surveys = '{expected}'")), "the migration's surveys differ");
        }
    }

    #[test]
    fn surveys_are_checked_with_clear_messages() {
        let good = serde_json::to_value(induction_surveys()).unwrap();
        let list: Vec<serde_json::Value> = serde_json::from_value(good).unwrap();
        assert!(validate_surveys(&list).is_ok());
        let message = |value: serde_json::Value| match validate_surveys(&[value]) {
            Err(error) => error.to_string(),
            Ok(_) => String::new(),
        };
        let base = serde_json::json!({"key": "k", "title": "T", "respondent": "mentee", "when": "close",
            "questions": [{"id": "q", "text": "Q?", "kind": "scale"}]});
        let mut wrong = base.clone();
        wrong["respondent"] = "manager".into();
        assert!(message(wrong).contains("surveys[0]"));
        let mut wrong = base.clone();
        wrong["when"] = serde_json::json!({"after_days": 0});
        assert!(message(wrong).contains("after_days"));
        let mut wrong = base.clone();
        wrong["questions"][0]["kind"] = "stars".into();
        assert!(message(wrong).contains("surveys[0]"));
        let mut wrong = base;
        wrong["key"] = "a key".into();
        assert!(message(wrong).contains("surveys[0].key"));
    }
}
