//! Matching: which mentors suit a mentee in a programme, ranked by a score
//! with the reasons behind it and the warnings a coordinator should weigh.
//!
//! Points (see [`score`]): same site 3, overlapping shifts 2, capacity left 2,
//! a shared language 1, approved for the programme 3. Warnings take points
//! off: at capacity -3, not approved (the missing courses named), an earlier
//! pairing of the two that ended -2. The mentee's line manager is warned
//! about and always ranked after every other mentor, whatever the score: a
//! peer mentor is not the line manager. The mentee themself, people outside
//! the organisation, deactivated accounts, non-mentors and mentors already in
//! an open pairing with the mentee are never suggested.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::mentorships::Warning;
use super::programmes::required_training;
use super::training::{self, MentorProfile, MissingCourse, missing_training};
use super::{Actor, DomainError, permissions};
use crate::db::mentorships::{self, Scope};
use crate::db::people::{self, Person};
use crate::db::programmes;
use crate::db::{DbConnection, training::TrainingRecord};
use crate::domain::mentorships::default_programme;
use crate::model::{Day, MentorshipStatus, OrgId, PersonId, ProgrammeId};

/// Why a mentor suits: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    /// `same_site`, `overlapping_shifts`, `capacity_left`, `shared_language`, `approved`.
    pub code: String,
    pub message: String,
}

/// One ranked mentor.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Suggestion {
    #[schema(value_type = Uuid)]
    pub mentor_id: PersonId,
    pub mentor_name: String,
    pub score: i32,
    pub reasons: Vec<Reason>,
    /// `mentor_is_line_manager`, `mentor_at_capacity`, `mentor_not_approved`,
    /// `earlier_pairing_ended`.
    pub warnings: Vec<Warning>,
    pub approved: bool,
    pub missing_training: Vec<MissingCourse>,
    /// Active pairings as mentor now.
    pub active_mentees: i64,
    /// Most mentees at once (their profile, else the programme's).
    pub capacity: i64,
}

/// What is known of one candidate, for [`score`].
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub same_site: bool,
    pub overlapping_shifts: bool,
    pub shared_languages: Vec<String>,
    pub active_mentees: i64,
    pub capacity: i64,
    pub missing: Vec<MissingCourse>,
    pub is_line_manager: bool,
    pub earlier_pairing_ended: bool,
}

fn reason(code: &str, message: String) -> Reason {
    Reason { code: code.to_owned(), message }
}

fn warning(code: &str, message: String) -> Warning {
    Warning { code: code.to_owned(), message }
}

/// The score, reasons and warnings for one candidate.
pub fn score(facts: &Facts) -> (i32, Vec<Reason>, Vec<Warning>) {
    let mut points = 0;
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    if facts.same_site {
        points += 3;
        reasons.push(reason("same_site", "works at the mentee's site".to_owned()));
    }
    if facts.overlapping_shifts {
        points += 2;
        reasons.push(reason("overlapping_shifts", "works the same shifts as the mentee".to_owned()));
    }
    if facts.active_mentees < facts.capacity {
        points += 2;
        let left = facts.capacity - facts.active_mentees;
        reasons
            .push(reason("capacity_left", format!("room for {left} more mentee{}", if left == 1 { "" } else { "s" })));
    } else {
        points -= 3;
        warnings.push(warning(
            "mentor_at_capacity",
            format!("already mentors {} (capacity {})", facts.active_mentees, facts.capacity),
        ));
    }
    if !facts.shared_languages.is_empty() {
        points += 1;
        reasons.push(reason("shared_language", format!("speaks {}", facts.shared_languages.join(", "))));
    }
    if facts.missing.is_empty() {
        points += 3;
        reasons.push(reason("approved", "holds every course the programme requires".to_owned()));
    } else {
        let missing: Vec<String> = facts.missing.iter().map(MissingCourse::describe).collect();
        warnings.push(warning("mentor_not_approved", format!("not approved: missing {}", missing.join(", "))));
    }
    if facts.is_line_manager {
        warnings.push(warning(
            "mentor_is_line_manager",
            "is the mentee's line manager; a peer mentor is usually not".to_owned(),
        ));
    }
    if facts.earlier_pairing_ended {
        points -= 2;
        warnings.push(warning("earlier_pairing_ended", "an earlier pairing of these two ended".to_owned()));
    }
    (points, reasons, warnings)
}

fn shared_languages(a: &MentorProfile, b: &MentorProfile) -> Vec<String> {
    a.languages.iter().filter(|l| b.languages.iter().any(|m| m.eq_ignore_ascii_case(l))).cloned().collect()
}

/// Ranked mentors for `mentee_id` in a programme (the organisation's default
/// when none is given). Coordinators only, like pairing itself.
pub fn suggestions(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    mentee_id: PersonId,
    programme_id: Option<ProgrammeId>,
) -> Result<Vec<Suggestion>, DomainError> {
    permissions::change_pairings(actor.roles)?;
    let mentee = people::find_by_id(conn, org_id, mentee_id)?.ok_or_else(|| DomainError::not_found("mentee"))?;
    let programme = match programme_id {
        Some(id) => programmes::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("programme"))?,
        None => default_programme(conn, org_id)?,
    };
    let required = required_training(&programme);
    let profiles = training::profiles(conn, org_id)?;
    let records = training::records_by_person(conn, org_id)?;
    let pairings = mentorships::find_by_org_with_names(conn, org_id, Scope::All)?;
    let mut load: HashMap<PersonId, i64> = HashMap::new();
    for p in &pairings {
        if p.mentorship.status == MentorshipStatus::Active {
            *load.entry(p.mentorship.mentor_id).or_default() += 1;
        }
    }
    let with_mentee = |mentor: PersonId, open: bool| {
        pairings.iter().any(|p| {
            p.mentorship.mentor_id == mentor
                && p.mentorship.mentee_id == mentee.id
                && if open { p.mentorship.status.is_open() } else { p.mentorship.status == MentorshipStatus::Ended }
        })
    };
    let empty = MentorProfile::default();
    let mentee_profile = profiles.get(&mentee.id).unwrap_or(&empty);
    let today = Day::today();
    let no_records: Vec<TrainingRecord> = Vec::new();

    let candidates: Vec<Person> = people::find_by_org(conn, org_id)?
        .into_iter()
        .filter(|p| p.is_mentor && p.is_active() && p.id != mentee.id && p.org_id == org_id)
        .filter(|p| !with_mentee(p.id, true))
        .collect();
    let mut out: Vec<(bool, Suggestion)> = candidates
        .into_iter()
        .map(|mentor| {
            let profile = profiles.get(&mentor.id).unwrap_or(&empty);
            let facts = Facts {
                same_site: mentor.site_id.is_some() && mentor.site_id == mentee.site_id,
                overlapping_shifts: match (profile.shift_pattern, mentee_profile.shift_pattern) {
                    (Some(a), Some(b)) => a.overlaps(b),
                    _ => false,
                },
                shared_languages: shared_languages(profile, mentee_profile),
                active_mentees: load.get(&mentor.id).copied().unwrap_or(0),
                capacity: profile.capacity.map_or(i64::from(programme.max_mentees_per_mentor), i64::from),
                missing: missing_training(&required, records.get(&mentor.id).unwrap_or(&no_records), today),
                is_line_manager: mentee.line_manager_id == Some(mentor.id),
                earlier_pairing_ended: with_mentee(mentor.id, false),
            };
            let (score, reasons, warnings) = score(&facts);
            let suggestion = Suggestion {
                mentor_id: mentor.id,
                mentor_name: mentor.display_name,
                score,
                reasons,
                warnings,
                approved: facts.missing.is_empty(),
                missing_training: facts.missing,
                active_mentees: facts.active_mentees,
                capacity: facts.capacity,
            };
            (facts.is_line_manager, suggestion)
        })
        .collect();
    out.sort_by(|(a_lm, a), (b_lm, b)| {
        a_lm.cmp(b_lm).then(b.score.cmp(&a.score)).then(a.mentor_name.cmp(&b.mentor_name))
    });
    Ok(out.into_iter().map(|(_, s)| s).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_same_site_same_shift_approved_mentor_with_room_scores_highest() {
        let best = Facts {
            same_site: true,
            overlapping_shifts: true,
            shared_languages: vec!["Polish".into()],
            active_mentees: 0,
            capacity: 2,
            ..Facts::default()
        };
        let (top, reasons, warnings) = score(&best);
        assert_eq!(top, 11);
        let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["same_site", "overlapping_shifts", "capacity_left", "shared_language", "approved"]);
        assert!(warnings.is_empty());

        let full = Facts { active_mentees: 2, capacity: 2, earlier_pairing_ended: true, ..best.clone() };
        let (lower, _, warnings) = score(&full);
        assert!(lower < top);
        let codes: Vec<&str> = warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(codes, ["mentor_at_capacity", "earlier_pairing_ended"]);
    }
}
