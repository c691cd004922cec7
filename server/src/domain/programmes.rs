//! Programmes as coordinators define them: a formal scheme (induction length,
//! contact rhythm, touchpoints, the training a mentor must hold, the surveys it
//! runs) or an informal one (no touchpoints, never overdue). Every pairing
//! belongs to one; a new organisation starts with "Induction"
//! ([`induction`]). Coordinators and admins write
//! ([`permissions::manage_programmes`]); everyone in the organisation reads.

use serde::{Deserialize, Serialize};
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
    /// Survey definitions (objects with a `key`), as given.
    #[schema(value_type = Vec<Object>)]
    pub surveys: Vec<serde_json::Value>,
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
            surveys: serde_json::from_str(&programme.surveys).unwrap_or_default(),
            is_default: default_id == Some(programme.id),
            created_at: programme.created_at,
        }
    }
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
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub surveys: Option<Vec<serde_json::Value>>,
}

/// The default programme of a new organisation: 12 weeks, welcome on day 1,
/// first contact within 7 days, check-ins at days 30, 60 and 90, no required
/// training until a coordinator sets some.
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
        surveys: "[]".to_owned(),
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

/// Surveys belong to the evaluation work; here they are only checked to be a
/// list of objects, each with a distinct non-empty string `key`.
fn validate_surveys(list: &[serde_json::Value]) -> Result<String, DomainError> {
    let bad = |message: &str| DomainError::invalid("invalid_programme", message.to_owned());
    if list.len() > MAX_ITEMS {
        return Err(bad("too many surveys"));
    }
    let mut keys = Vec::new();
    for survey in list {
        let key = survey
            .as_object()
            .and_then(|o| o.get("key"))
            .and_then(serde_json::Value::as_str)
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| bad("each survey must be an object with a non-empty string `key`"))?;
        if keys.contains(&key) {
            return Err(bad("survey keys must be distinct"));
        }
        keys.push(key);
    }
    let text = serde_json::to_string(list).map_err(|_| bad("unreadable surveys"))?;
    if text.len() > MAX_SURVEYS_BYTES {
        return Err(bad("the surveys are too large"));
    }
    Ok(text)
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
