//! The built-in skill catalogue: what a pair can tick as practised in a session.
//!
//! The 15 Care Certificate standards and the everyday skills of care work. A
//! session stores a catalogue skill by its title (so the console and older apps
//! show it without the catalogue); a skill not in the catalogue is stored as the
//! free text the person typed, trimmed.

use serde::{Deserialize, Serialize};

use crate::document::DocumentError;

/// The longest free-text skill, in bytes.
pub const MAX_SKILL_LEN: usize = 200;

/// The group of the Care Certificate standards.
pub const CARE_CERTIFICATE: &str = "Care Certificate";
/// The group of everyday care skills.
pub const EVERYDAY: &str = "Everyday care";

/// One skill of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    /// A stable id (`duty_of_care`).
    pub id: String,
    /// What the apps show and the session stores (`Duty of care`).
    pub title: String,
    /// [`CARE_CERTIFICATE`] or [`EVERYDAY`].
    pub group: String,
}

/// (id, title, group), in the order the apps list them: the Care Certificate
/// standards in their official order, then everyday skills.
const CATALOGUE: &[(&str, &str, &str)] = &[
    ("understand_your_role", "Understand your role", CARE_CERTIFICATE),
    ("personal_development", "Your personal development", CARE_CERTIFICATE),
    ("duty_of_care", "Duty of care", CARE_CERTIFICATE),
    ("equality_and_diversity", "Equality and diversity", CARE_CERTIFICATE),
    ("person_centred", "Work in a person-centred way", CARE_CERTIFICATE),
    ("communication", "Communication", CARE_CERTIFICATE),
    ("privacy_and_dignity", "Privacy and dignity", CARE_CERTIFICATE),
    ("fluids_and_nutrition", "Fluids and nutrition", CARE_CERTIFICATE),
    (
        "mental_health_dementia_learning_disabilities",
        "Awareness of mental health, dementia and learning disabilities",
        CARE_CERTIFICATE,
    ),
    ("safeguarding_adults", "Safeguarding adults", CARE_CERTIFICATE),
    ("safeguarding_children", "Safeguarding children", CARE_CERTIFICATE),
    ("basic_life_support", "Basic life support", CARE_CERTIFICATE),
    ("health_and_safety", "Health and safety", CARE_CERTIFICATE),
    ("handling_information", "Handling information", CARE_CERTIFICATE),
    ("infection_prevention", "Infection prevention and control", CARE_CERTIFICATE),
    ("moving_and_handling", "Moving and handling", EVERYDAY),
    ("hoist_transfers", "Hoist transfers", EVERYDAY),
    ("personal_care", "Personal care", EVERYDAY),
    ("medication_rounds", "Medication rounds", EVERYDAY),
    ("communicating_with_families", "Communicating with families", EVERYDAY),
    ("end_of_life_care", "End of life care", EVERYDAY),
    ("record_keeping", "Record keeping", EVERYDAY),
    ("pressure_care", "Pressure care", EVERYDAY),
    ("mealtime_support", "Mealtime support", EVERYDAY),
    ("continence_care", "Continence care", EVERYDAY),
    ("falls_prevention", "Falls prevention", EVERYDAY),
    ("handover", "Shift handover", EVERYDAY),
    ("observations", "Taking observations", EVERYDAY),
    ("distressed_behaviour", "Supporting distressed behaviour", EVERYDAY),
];

/// The whole catalogue, in listing order.
pub fn skill_catalogue() -> Vec<Skill> {
    CATALOGUE
        .iter()
        .map(|(id, title, group)| Skill {
            id: (*id).to_owned(),
            title: (*title).to_owned(),
            group: (*group).to_owned(),
        })
        .collect()
}

/// The catalogue skill with this id or title (case and surrounding space ignored).
pub fn find_skill(name: &str) -> Option<Skill> {
    let name = name.trim();
    CATALOGUE.iter().find(|(id, title, _)| id.eq_ignore_ascii_case(name) || title.eq_ignore_ascii_case(name)).map(
        |(id, title, group)| Skill { id: (*id).to_owned(), title: (*title).to_owned(), group: (*group).to_owned() },
    )
}

/// The name a session stores for `skill`: a catalogue id becomes its title; any
/// other text is trimmed (non-empty, at most [`MAX_SKILL_LEN`] bytes).
pub(crate) fn normalize(skill: &str) -> Result<String, DocumentError> {
    let skill = skill.trim();
    if let Some((_, title, _)) = CATALOGUE.iter().find(|(id, _, _)| *id == skill) {
        return Ok((*title).to_owned());
    }
    if skill.is_empty() || skill.len() > MAX_SKILL_LEN {
        return Err(DocumentError::Invalid(format!("a skill needs a name of at most {MAX_SKILL_LEN} bytes")));
    }
    Ok(skill.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_15_standards_and_unique_ids_and_titles() {
        let all = skill_catalogue();
        assert_eq!(all.iter().filter(|s| s.group == CARE_CERTIFICATE).count(), 15);
        assert!(all.iter().filter(|s| s.group == EVERYDAY).count() >= 8);
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.id, b.id);
                assert!(!a.title.eq_ignore_ascii_case(&b.title));
            }
        }
    }

    #[test]
    fn ids_become_titles_and_other_text_is_kept_trimmed() {
        assert_eq!(normalize("duty_of_care").ok().as_deref(), Some("Duty of care"));
        assert_eq!(normalize(" moving_and_handling ").ok().as_deref(), Some("Moving and handling"));
        assert_eq!(normalize("moving and handling").ok().as_deref(), Some("moving and handling"));
        assert_eq!(find_skill("MOVING and handling").map(|s| s.id).as_deref(), Some("moving_and_handling"));
        assert_eq!(normalize(" Using the new bed sensor ").ok().as_deref(), Some("Using the new bed sensor"));
        assert!(normalize("   ").is_err());
        assert!(normalize(&"x".repeat(MAX_SKILL_LEN + 1)).is_err());
    }
}
