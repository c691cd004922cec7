//! "Skills practised across the programme", a section of the dashboard: how many
//! logged sessions practised each skill, by cohort (the month a pairing
//! started), grouped as the phones' catalogue groups them.
//!
//! Rules (coordinators will ask):
//!
//! - A session counts once per skill ticked on it, and only when logged:
//!   planned, cancelled and missed sessions practised nothing.
//! - A name the catalogue knows (by id or title, any case) is shown under the
//!   catalogue's title and group ([`sync_core::find_skill`]); any other name is
//!   the pair's free text, shown as written under "Other", names differing only
//!   in case counted together.
//! - A pairing's cohort is the month it started; a pairing with no start date is
//!   in a cohort of its own, listed last.
//!
//! The input is rows of [`super::queries::skill_counts`], over the pairings the
//! dashboard shows: a dashboard narrowed to some pairings narrows this too.

use std::collections::{BTreeMap, HashMap};

use maud::{Markup, html};
use time::Date;

use super::queries::SkillCount;
use crate::db::mentorships::NamedMentorship;
use crate::model::MentorshipId;

/// The group of skills the catalogue does not know.
pub const OTHER: &str = "Other";

/// The month a cohort started (its first day), or none for pairings without a
/// start date.
pub type Cohort = Option<Date>;

/// One skill's sessions, per cohort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillLine {
    pub title: String,
    /// In the order of [`SkillsPractised::cohorts`].
    pub by_cohort: Vec<i64>,
    pub total: i64,
}

/// Skills of one catalogue group (or [`OTHER`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillGroup {
    pub name: String,
    pub skills: Vec<SkillLine>,
}

/// The whole view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkillsPractised {
    /// Oldest first; the cohort without a start date last.
    pub cohorts: Vec<Cohort>,
    /// Catalogue groups in catalogue order, then [`OTHER`].
    pub groups: Vec<SkillGroup>,
}

/// Where a skill name sorts: catalogue position, or after the catalogue by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Catalogue(usize),
    Other(String),
}

fn month_of(date: Date) -> Date {
    date.replace_day(1).unwrap_or(date)
}

/// Builds the view from skill counts and the pairings they belong to (counts of
/// pairings not in `pairings` are left out).
pub fn practised(pairings: &[NamedMentorship], counts: &[SkillCount]) -> SkillsPractised {
    let cohort_of: HashMap<MentorshipId, Cohort> =
        pairings.iter().map(|p| (p.mentorship.id, p.mentorship.started_on.map(|day| month_of(day.date())))).collect();
    let catalogue = sync_core::skill_catalogue();
    // (place) -> (group, title, cohort -> sessions)
    let mut lines: BTreeMap<Place, (String, String, HashMap<Cohort, i64>)> = BTreeMap::new();
    for count in counts {
        let Some(cohort) = cohort_of.get(&count.mentorship_id) else { continue };
        let (place, group, title) = match sync_core::find_skill(&count.skill) {
            Some(skill) => {
                let index = catalogue.iter().position(|s| s.id == skill.id).unwrap_or(usize::MAX);
                (Place::Catalogue(index), skill.group, skill.title)
            }
            None => {
                let name = count.skill.trim().to_owned();
                (Place::Other(name.to_lowercase()), OTHER.to_owned(), name)
            }
        };
        let line = lines.entry(place).or_insert_with(|| (group, title, HashMap::new()));
        *line.2.entry(*cohort).or_default() += count.sessions;
    }
    let mut cohorts: Vec<Cohort> = lines.values().flat_map(|(_, _, by)| by.keys().copied()).collect();
    // `None` sorts first as an Option; it belongs last.
    cohorts.sort_unstable_by_key(|c| (c.is_none(), *c));
    cohorts.dedup();
    let mut groups: Vec<SkillGroup> = Vec::new();
    for (_, (group, title, by)) in lines {
        let by_cohort: Vec<i64> = cohorts.iter().map(|c| by.get(c).copied().unwrap_or(0)).collect();
        let line = SkillLine { title, total: by_cohort.iter().sum(), by_cohort };
        match groups.iter_mut().find(|g| g.name == group) {
            Some(existing) => existing.skills.push(line),
            None => groups.push(SkillGroup { name: group, skills: vec![line] }),
        }
    }
    SkillsPractised { cohorts, groups }
}

fn cohort_label(cohort: Cohort) -> String {
    match cohort {
        Some(month) => month
            .format(time::macros::format_description!("[month repr:short] [year]"))
            .unwrap_or_else(|_| month.to_string()),
        None => "No start date".to_owned(),
    }
}

/// The dashboard section.
pub fn section(view: &SkillsPractised) -> Markup {
    html! {
        section aria-labelledby="skills-heading" {
            h2 #skills-heading { "Skills practised across the programme" }
            p.hint {
                "Logged sessions that practised each skill, by cohort (the month the pairing started). "
                "Pairs tick the skills on their phones."
            }
            @if view.groups.is_empty() { p { "No skills recorded yet." } } @else {
                table.skills {
                    thead { tr {
                        th scope="col" { "Skill" }
                        @for cohort in &view.cohorts { th scope="col" { "Started " (cohort_label(*cohort)) } }
                        th scope="col" { "All cohorts" }
                    } }
                    @for group in &view.groups {
                        tbody data-skill-group=(group.name) {
                            tr.group { th scope="rowgroup" colspan=(view.cohorts.len() + 2) { (group.name) } }
                            @for line in &group.skills {
                                tr data-skill=(line.title) {
                                    th scope="row" data-label="Skill" { (line.title) }
                                    @for (cohort, n) in view.cohorts.iter().zip(&line.by_cohort) {
                                        td data-label={ "Started " (cohort_label(*cohort)) } { (n) }
                                    }
                                    td data-label="All cohorts" data-sessions=(line.total) { (line.total) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;
    use uuid::Uuid;

    use super::*;
    use crate::model::{OrgId, PersonId, ProgrammeId};

    fn id(name: &str) -> Uuid {
        Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
    }

    fn pairing(name: &str, started: Option<&str>) -> NamedMentorship {
        NamedMentorship {
            mentorship: crate::db::mentorships::Mentorship {
                id: MentorshipId(id(name)),
                org_id: OrgId(id("o")),
                programme_id: ProgrammeId(id("p")),
                site_id: None,
                mentor_id: PersonId(id("mentor")),
                mentee_id: PersonId(id(name)),
                status: "active".parse().unwrap(),
                started_on: started.map(|s| s.parse().unwrap()),
                ended_on: None,
                end_reason: None,
                created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
                pause_reason: None,
            },
            mentor_name: "Mo".into(),
            mentee_name: name.into(),
        }
    }

    fn count(pairing: &str, skill: &str, sessions: i64) -> SkillCount {
        SkillCount { mentorship_id: MentorshipId(id(pairing)), skill: skill.into(), sessions }
    }

    #[test]
    fn skills_are_grouped_as_the_catalogue_groups_them_and_counted_by_cohort() {
        let pairings = [
            pairing("oct", Some("2026-10-05")),
            pairing("oct2", Some("2026-10-28")),
            pairing("nov", Some("2026-11-02")),
            pairing("none", None),
        ];
        let counts = [
            count("nov", "Moving and handling", 2),
            count("oct", "Moving and handling", 1),
            count("oct2", "moving and handling", 3),
            count("oct", "Duty of care", 1),
            count("nov", "Using the bed sensor", 1),
            count("none", "using the BED sensor", 2),
            count("elsewhere", "Duty of care", 9),
        ];
        let view = practised(&pairings, &counts);
        assert_eq!(view.cohorts, [Some(date!(2026 - 10 - 01)), Some(date!(2026 - 11 - 01)), None]);
        let names: Vec<&str> = view.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["Care Certificate", "Everyday care", OTHER]);
        let line = |group: usize, i: usize| &view.groups[group].skills[i];
        assert_eq!(
            (line(0, 0).title.as_str(), &line(0, 0).by_cohort[..], line(0, 0).total),
            ("Duty of care", &[1, 0, 0][..], 1)
        );
        assert_eq!(line(1, 0).title, "Moving and handling");
        assert_eq!(line(1, 0).by_cohort, [4, 2, 0], "catalogue names in any case count together");
        assert_eq!(line(2, 0).title, "Using the bed sensor");
        assert_eq!((line(2, 0).by_cohort.clone(), line(2, 0).total), (vec![0, 1, 2], 3));
        let html = section(&view).into_string();
        assert!(html.contains("Started Oct 2026") && html.contains("No start date"), "{html}");
        assert!(!html.contains("elsewhere"));
    }

    #[test]
    fn nothing_recorded_says_so() {
        let html = section(&practised(&[], &[])).into_string();
        assert!(html.contains("No skills recorded yet."));
    }
}
