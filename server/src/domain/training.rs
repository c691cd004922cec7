//! Trained and approved mentors: training records per person, the approval
//! rule, and the mentor profile matching reads.
//!
//! - Coordinators and admins record training
//!   ([`permissions::manage_organisation`]); a person reads their own records
//!   ([`permissions::read_person`]).
//! - A mentor is approved for a programme on a day when they hold every course
//!   it requires with no expiry, or an expiry on or after that day
//!   ([`missing_training`]). Pairing an unapproved mentor is refused unless the
//!   coordinator gives a reason (see `mentorships::create_with_override`).
//! - A profile holds capacity (most mentees at once; absent: the programme's
//!   figure), languages, shift pattern and specialisms. It lives beside the
//!   person in `mentor_profiles`; anyone may have one (a mentee's shift and
//!   languages count for matching too).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Actor, AuditObject, DomainError, parse_input_date, permissions, record_audit, required_text};
use crate::db::training::{self, MentorProfileRow, TrainingRecord};
use crate::db::{self, DbConnection, people};
use crate::model::{Day, OrgId, PersonId, Timestamp};

/// One course a person holds, as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrainingView {
    pub id: String,
    #[schema(value_type = Uuid)]
    pub person_id: PersonId,
    pub course: String,
    #[schema(value_type = String)]
    pub completed_on: Day,
    #[schema(value_type = Option<String>)]
    pub expires_on: Option<Day>,
    pub evidence: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

impl From<&TrainingRecord> for TrainingView {
    fn from(r: &TrainingRecord) -> Self {
        Self {
            id: r.id.clone(),
            person_id: r.person_id,
            course: r.course.clone(),
            completed_on: r.completed_on,
            expires_on: r.expires_on,
            evidence: r.evidence.clone(),
            created_at: r.created_at,
        }
    }
}

/// A training record to add; dates `YYYY-MM-DD`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingInput {
    pub course: String,
    pub completed_on: String,
    #[serde(default)]
    pub expires_on: Option<String>,
    /// A note of the evidence seen (certificate number, trainer).
    #[serde(default)]
    pub evidence: String,
}

/// Why a required course does not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MissingCourse {
    pub course: String,
    /// The last expiry, if the course was held but has expired.
    #[schema(value_type = Option<String>)]
    pub expired_on: Option<Day>,
}

impl MissingCourse {
    /// "Safeguarding (expired 2026-01-31)", "Moving and handling (not held)".
    pub fn describe(&self) -> String {
        match self.expired_on {
            Some(day) => format!("{} (expired {day})", self.course),
            None => format!("{} (not held)", self.course),
        }
    }
}

/// Whether a record of `course` counts on `on`.
pub fn is_current(record: &TrainingRecord, on: Day) -> bool {
    record.completed_on <= on && record.expires_on.is_none_or(|expiry| expiry >= on)
}

/// The required courses `records` do not cover on `on`, in the order required.
/// Course names match ignoring case and surrounding space.
pub fn missing_training(required: &[String], records: &[TrainingRecord], on: Day) -> Vec<MissingCourse> {
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    required
        .iter()
        .filter_map(|course| {
            let held: Vec<&TrainingRecord> = records.iter().filter(|r| same(&r.course, course)).collect();
            if held.iter().any(|r| is_current(r, on)) {
                return None;
            }
            let expired_on = held.iter().filter_map(|r| r.expires_on).max();
            Some(MissingCourse { course: course.clone(), expired_on })
        })
        .collect()
}

/// Records a course for a person of the organisation.
pub fn record(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    person_id: PersonId,
    input: &TrainingInput,
) -> Result<TrainingView, DomainError> {
    permissions::manage_organisation(actor.roles)?;
    let course = required_text("course", &input.course, 200)?;
    let completed_on = parse_input_date("completed_on", &input.completed_on)?;
    let expires_on = input
        .expires_on
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse_input_date("expires_on", t))
        .transpose()?;
    if expires_on.is_some_and(|e| e < completed_on) {
        return Err(DomainError::invalid("invalid_date", "`expires_on` must not be before `completed_on`"));
    }
    let evidence = input.evidence.trim().to_owned();
    if evidence.chars().count() > 1000 {
        return Err(DomainError::invalid("field_too_long", "`evidence` must be at most 1000 characters"));
    }
    db::write_transaction(conn, |conn| {
        people::find_by_id(conn, org_id, person_id)?.ok_or_else(|| DomainError::not_found("person"))?;
        let row = TrainingRecord {
            id: db::new_id(),
            org_id,
            person_id,
            course,
            completed_on,
            expires_on,
            evidence,
            recorded_by: actor.person_id,
            created_at: Timestamp::now(),
        };
        training::insert(conn, &row)?;
        record_audit(
            conn,
            org_id,
            actor,
            "training.recorded",
            AuditObject::new("person", person_id),
            serde_json::json!({ "course": row.course, "completed_on": row.completed_on, "expires_on": row.expires_on }),
        )?;
        Ok(TrainingView::from(&row))
    })
}

/// A person's training, newest first (the person themself, or managers).
pub fn list(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    person_id: PersonId,
) -> Result<Vec<TrainingView>, DomainError> {
    permissions::read_person(actor, person_id)?;
    people::find_by_id(conn, org_id, person_id)?.ok_or_else(|| DomainError::not_found("person"))?;
    Ok(training::find_by_person(conn, org_id, person_id)?.iter().map(TrainingView::from).collect())
}

/// Every record of the organisation by person (console, matching).
pub fn records_by_person(
    conn: &mut DbConnection,
    org_id: OrgId,
) -> Result<HashMap<PersonId, Vec<TrainingRecord>>, DomainError> {
    let mut out: HashMap<PersonId, Vec<TrainingRecord>> = HashMap::new();
    for record in training::find_by_org(conn, org_id)? {
        out.entry(record.person_id).or_default().push(record);
    }
    Ok(out)
}

/// When someone usually works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShiftPattern {
    Early,
    Late,
    Night,
    /// Day shifts: early and late.
    Days,
    Mixed,
}

impl ShiftPattern {
    pub const ALL: [Self; 5] = [Self::Early, Self::Late, Self::Night, Self::Days, Self::Mixed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Early => "early",
            Self::Late => "late",
            Self::Night => "night",
            Self::Days => "days",
            Self::Mixed => "mixed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// Whether two people on these patterns work some shifts together:
    /// the same pattern, either on mixed shifts, or day shifts with early or late.
    pub fn overlaps(self, other: Self) -> bool {
        use ShiftPattern::*;
        self == other
            || self == Mixed
            || other == Mixed
            || matches!((self, other), (Days, Early | Late) | (Early | Late, Days))
    }
}

/// A person's profile for matching.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MentorProfile {
    /// Most mentees at once; absent: the programme's figure.
    pub capacity: Option<i32>,
    pub languages: Vec<String>,
    pub shift_pattern: Option<ShiftPattern>,
    pub specialisms: Vec<String>,
}

impl From<&MentorProfileRow> for MentorProfile {
    fn from(row: &MentorProfileRow) -> Self {
        Self {
            capacity: row.capacity,
            languages: serde_json::from_str(&row.languages).unwrap_or_default(),
            shift_pattern: row.shift_pattern.as_deref().and_then(ShiftPattern::parse),
            specialisms: serde_json::from_str(&row.specialisms).unwrap_or_default(),
        }
    }
}

/// A change to a profile: `None` leaves a field; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub capacity: Option<Option<i32>>,
    pub languages: Option<Vec<String>>,
    pub shift_pattern: Option<Option<ShiftPattern>>,
    pub specialisms: Option<Vec<String>>,
}

impl ProfileUpdate {
    pub fn is_empty(&self) -> bool {
        self.capacity.is_none()
            && self.languages.is_none()
            && self.shift_pattern.is_none()
            && self.specialisms.is_none()
    }
}

fn clean_list(field: &str, list: &[String]) -> Result<Vec<String>, DomainError> {
    if list.len() > 30 {
        return Err(DomainError::invalid("invalid_profile", format!("`{field}` lists at most 30 entries")));
    }
    let mut out: Vec<String> = Vec::new();
    for item in list {
        let item = required_text(field, item, 100)?;
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&item)) {
            out.push(item);
        }
    }
    Ok(out)
}

/// A person's profile (empty if none was set).
pub fn profile(conn: &mut DbConnection, org_id: OrgId, person_id: PersonId) -> Result<MentorProfile, DomainError> {
    Ok(training::find_profile(conn, org_id, person_id)?.as_ref().map(MentorProfile::from).unwrap_or_default())
}

/// Every profile of the organisation.
pub fn profiles(conn: &mut DbConnection, org_id: OrgId) -> Result<HashMap<PersonId, MentorProfile>, DomainError> {
    Ok(training::find_profiles_by_org(conn, org_id)?.iter().map(|r| (r.person_id, MentorProfile::from(r))).collect())
}

/// Checks a profile change before anything is written.
pub fn validate_profile(update: &ProfileUpdate) -> Result<(), DomainError> {
    if let Some(Some(capacity)) = update.capacity
        && !(0..=50).contains(&capacity)
    {
        return Err(DomainError::invalid("invalid_profile", "`capacity` must be between 0 and 50"));
    }
    if let Some(list) = &update.languages {
        clean_list("languages", list)?;
    }
    if let Some(list) = &update.specialisms {
        clean_list("specialisms", list)?;
    }
    Ok(())
}

/// Changes a person's profile (coordinators and admins).
pub fn update_profile(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    person_id: PersonId,
    update: &ProfileUpdate,
) -> Result<MentorProfile, DomainError> {
    permissions::manage_organisation(actor.roles)?;
    validate_profile(update)?;
    db::write_transaction(conn, |conn| {
        people::find_by_id(conn, org_id, person_id)?.ok_or_else(|| DomainError::not_found("person"))?;
        let mut current = profile(conn, org_id, person_id)?;
        if update.is_empty() {
            return Ok(current);
        }
        if let Some(capacity) = update.capacity {
            current.capacity = capacity;
        }
        if let Some(list) = &update.languages {
            current.languages = clean_list("languages", list)?;
        }
        if let Some(shift) = update.shift_pattern {
            current.shift_pattern = shift;
        }
        if let Some(list) = &update.specialisms {
            current.specialisms = clean_list("specialisms", list)?;
        }
        let row = MentorProfileRow {
            person_id,
            org_id,
            capacity: current.capacity,
            languages: serde_json::to_string(&current.languages).unwrap_or_else(|_| "[]".to_owned()),
            shift_pattern: current.shift_pattern.map(|s| s.as_str().to_owned()),
            specialisms: serde_json::to_string(&current.specialisms).unwrap_or_else(|_| "[]".to_owned()),
            updated_at: Timestamp::now(),
        };
        training::upsert_profile(conn, &row)?;
        record_audit(
            conn,
            org_id,
            actor,
            "person.profile_updated",
            AuditObject::new("person", person_id),
            serde_json::json!({
                "capacity": current.capacity,
                "shift_pattern": current.shift_pattern,
                "languages": current.languages.len(),
                "specialisms": current.specialisms.len(),
            }),
        )?;
        Ok(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(course: &str, completed: &str, expires: Option<&str>) -> TrainingRecord {
        TrainingRecord {
            id: course.into(),
            org_id: OrgId::new_random(),
            person_id: PersonId::new_random(),
            course: course.into(),
            completed_on: completed.parse().unwrap(),
            expires_on: expires.map(|e| e.parse().unwrap()),
            evidence: String::new(),
            recorded_by: None,
            created_at: Timestamp::now(),
        }
    }

    #[test]
    fn a_mentor_is_approved_with_every_required_course_unexpired_on_the_day() {
        let required = vec!["Safeguarding".to_owned(), "Mentor skills".to_owned()];
        let on: Day = "2026-06-01".parse().unwrap();
        let records = vec![held("safeguarding ", "2025-01-01", Some("2026-06-01"))];
        let missing = missing_training(&required, &records, on);
        assert_eq!(missing, vec![MissingCourse { course: "Mentor skills".into(), expired_on: None }]);

        let later: Day = "2026-06-02".parse().unwrap();
        let missing = missing_training(&required, &records, later);
        assert_eq!(missing[0].describe(), "Safeguarding (expired 2026-06-01)");

        let mut all = records.clone();
        all.push(held("Mentor skills", "2026-05-01", None));
        assert!(missing_training(&required, &all, on).is_empty());
        assert_eq!(missing_training(&required, &all, "2026-04-30".parse().unwrap()).len(), 1, "not yet completed");
    }

    #[test]
    fn shifts_overlap_on_the_same_pattern_mixed_or_day_shifts() {
        use ShiftPattern::*;
        assert!(Early.overlaps(Early) && Days.overlaps(Late) && Mixed.overlaps(Night));
        assert!(!Night.overlaps(Early) && !Early.overlaps(Late) && !Days.overlaps(Night));
    }
}
