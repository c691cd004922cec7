//! The string enums keep their wire names: what documents store, the JSON and
//! CBOR carry, and the apps pass as strings are the same for every enum.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::fmt::{Debug, Display};
use std::str::FromStr;

use serde::Serialize;
use sync_core::{DocKind, GoalCategory, GoalStatus, Mode, SessionKind, SessionStatus};

fn same_everywhere<T>(names: &[(T, &str)], as_str: fn(T) -> &'static str)
where
    T: Copy + PartialEq + Debug + Display + FromStr + Serialize,
    <T as FromStr>::Err: Debug,
{
    for (value, name) in names {
        assert_eq!(as_str(*value), *name);
        assert_eq!(value.to_string(), *name);
        assert_eq!(serde_json::to_value(value).unwrap(), serde_json::json!(name));
        assert_eq!(name.parse::<T>().unwrap(), *value);
    }
}

#[test]
fn every_string_enum_uses_its_snake_case_name_everywhere() {
    use SessionKind::*;
    same_everywhere(&[(Shadowing, "shadowing"), (Meeting, "meeting"), (CheckIn, "check_in")], SessionKind::as_str);
    same_everywhere(
        &[(Mode::FaceToFace, "face_to_face"), (Mode::Phone, "phone"), (Mode::Online, "online")],
        Mode::as_str,
    );
    same_everywhere(
        &[
            (SessionStatus::Planned, "planned"),
            (SessionStatus::Logged, "logged"),
            (SessionStatus::Cancelled, "cancelled"),
            (SessionStatus::Missed, "missed"),
        ],
        SessionStatus::as_str,
    );
    same_everywhere(
        &[
            (GoalCategory::Skill, "skill"),
            (GoalCategory::Confidence, "confidence"),
            (GoalCategory::Wellbeing, "wellbeing"),
            (GoalCategory::Career, "career"),
        ],
        GoalCategory::as_str,
    );
    same_everywhere(
        &[
            (GoalStatus::Proposed, "proposed"),
            (GoalStatus::Agreed, "agreed"),
            (GoalStatus::InProgress, "in_progress"),
            (GoalStatus::Achieved, "achieved"),
            (GoalStatus::Dropped, "dropped"),
        ],
        GoalStatus::as_str,
    );
    same_everywhere(
        &[
            (DocKind::Session, "session"),
            (DocKind::GoalPlan, "goal_plan"),
            (DocKind::Journal, "journal"),
            (DocKind::SurveyResponse, "survey_response"),
        ],
        DocKind::as_str,
    );
}

#[test]
fn an_unknown_name_says_which_names_are_valid() {
    let err = "hike".parse::<SessionKind>().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid input: "hike" is not a valid SessionKind; expected one of: shadowing, meeting, check_in"#
    );
    let err = "Skill".parse::<GoalCategory>().unwrap_err();
    assert!(err.to_string().contains("expected one of: skill, confidence, wellbeing, career"), "{err}");
    let err = "diary".parse::<DocKind>().unwrap_err();
    assert_eq!((err.what, err.value.as_str()), ("DocKind", "diary"));
}
