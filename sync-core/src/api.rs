//! The JSON shapes the phone client and the server share, defined once.
//!
//! Plain serde structs, no I/O: the server answers with them (and, with the
//! `openapi` feature, describes them with `utoipa::ToSchema`); the client reads
//! them. Renaming or reordering a field here changes the HTTP contract in
//! DESIGN.md for both sides at once.
//!
//! Roles and pairing statuses are strings here: their enums and the rules around
//! them belong to the server, and phones treat them as text (the mobile contract).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The JSON body of every error response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_json`, `device_revoked`.
    pub error: String,
    /// A sentence for people.
    pub message: String,
}

/// `POST /v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// Shown in the device list, e.g. "Amara's phone".
    pub device_name: String,
    /// The device this phone was signed in as before, if it remembers one. It is
    /// kept (same id, same Automerge actor) when it is this person's and not
    /// revoked, so changes made before signing in again still sync; otherwise a
    /// new device is registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<Uuid>,
    /// The organisation to sign in to, when this email has accounts in several
    /// and the password fits more than one of them (the server then answers 409
    /// `organisation_required` naming them). Without it, the one account the
    /// password fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<Uuid>,
}

/// The 409 `organisation_required` answer to a login whose email and password
/// fit accounts in several organisations: sign in again with one of their ids
/// as `organisation_id`. Only a caller who proved the password sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationChoice {
    /// `organisation_required`.
    pub error: String,
    /// A sentence for people.
    pub message: String,
    /// The organisations whose account the password fits, by name.
    pub organisations: Vec<OrganisationOption>,
}

/// One organisation to choose from at sign-in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationOption {
    pub id: String,
    pub name: String,
}

/// `POST /v1/auth/refresh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `POST /v1/auth/password`: change your own password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    pub old_password: String,
    /// At least 12 characters and not easy to guess (400 `weak_password` says why).
    pub new_password: String,
}

/// `POST /v1/auth/password/reset`: set a new password with a one-time code a
/// coordinator issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetPasswordRequest {
    pub email: String,
    /// The code as given, e.g. `K7QM-2XPA-9WNC-4H0R` (case, spaces and dashes do not matter).
    pub code: String,
    /// At least 12 characters and not easy to guess (400 `weak_password` says why).
    pub new_password: String,
}

/// The signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedInUser {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub display_name: String,
    /// `mentee`, `mentor`, `coordinator`, `admin`.
    pub roles: Vec<String>,
}

/// The device the tokens are bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedInDevice {
    pub id: String,
    pub name: String,
    /// Automerge actor id this device must write with.
    pub actor_id: String,
}

/// The answer to a login or a refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// Short-lived bearer token (HS256 JWT).
    pub access_token: String,
    /// Opaque; exchange at `/v1/auth/refresh`. Each one works once.
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    pub user: SignedInUser,
    pub device: SignedInDevice,
}

/// A pairing as the JSON API shows it: an item of `GET /v1/mentorships`, and the
/// answer to creating, pausing, resuming or ending one. The mobile contract's
/// `Mentorship` record plus context. Its OpenAPI schema keeps the name it has
/// always had, `MentorshipView`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MentorshipView))]
pub struct MentorshipItem {
    pub id: String,
    pub programme_id: String,
    pub site_id: Option<String>,
    pub mentor_id: String,
    pub mentor_name: String,
    pub mentee_id: String,
    pub mentee_name: String,
    /// `proposed`, `active`, `paused`, `completed` or `ended`.
    pub status: String,
    /// `YYYY-MM-DD`.
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    /// Why it ended; empty for mentors and mentees.
    pub end_reason: Option<String>,
    /// Why it is paused; absent unless paused, and empty for mentors and mentees.
    pub pause_reason: Option<String>,
    pub created_at: String,
}

/// A group as the JSON API shows it: an item of `GET /v1/groups`, and the answer
/// to creating or changing one. The facilitator is a member too: they read and
/// write the group's sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupItem {
    pub id: String,
    pub name: String,
    pub programme_id: Option<String>,
    pub facilitator_id: String,
    /// The current members, the facilitator not repeated.
    pub member_ids: Vec<String>,
    pub created_at: String,
}

/// The organisation's confidentiality statement (`GET`/`PUT
/// /v1/organisation/confidentiality`): what stays between a pair and when
/// confidentiality must be broken (safeguarding). Shown read-only with every
/// agreement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Confidentiality {
    pub statement: String,
}

/// Who answers a survey of a programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SurveyRespondent {
    /// The mentee of each pairing.
    Mentee,
    /// The mentor of each pairing.
    Mentor,
    /// Both, each answering for themselves.
    Both,
}

impl SurveyRespondent {
    /// Whether the person with `role` in a pairing (`"mentor"` or `"mentee"`) answers.
    pub fn includes(self, role: &str) -> bool {
        matches!((self, role), (Self::Both, _) | (Self::Mentee, "mentee") | (Self::Mentor, "mentor"))
    }
}

/// When a survey falls due for a pairing: `{"after_days": 30}` (days after its
/// start) or `"close"` (the day it was completed or ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SurveyWhen {
    /// This many days after the pairing started.
    AfterDays(u32),
    /// When the pairing closes (completed or ended).
    Close,
}

/// What a survey question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// A score from 1 (not at all) to 5 (very much); required.
    Scale,
    /// Free text; optional, and shown to coordinators only if the respondent shares it.
    Text,
}

/// One question of a survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SurveyQuestion {
    /// Stable within the survey, e.g. `confidence`.
    pub id: String,
    /// As the app asks it.
    pub text: String,
    pub kind: QuestionKind,
}

/// A survey a programme runs (an item of a programme's `surveys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Survey {
    /// Stable within the programme, e.g. `day_30`.
    pub key: String,
    pub title: String,
    pub respondent: SurveyRespondent,
    pub when: SurveyWhen,
    pub questions: Vec<SurveyQuestion>,
}

/// The lowest and highest score of a scale question.
pub const SCALE: std::ops::RangeInclusive<u32> = 1..=5;

/// One reminder (`GET /v1/reminders`): something the signed-in person should
/// do, what it is about and when it is due. Titles are made from dates, names
/// and the programme's own words, never from text the pair wrote. The mobile
/// contract's `Reminder` record; `overdue` is as of the server's day, and the
/// phone works it out again from `due_on` whenever it reads its cached copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Reminder))]
pub struct ReminderItem {
    /// `touchpoint`, `action`, `session_sign_off`, `agreement`, `training` or `survey`
    /// (more kinds may be added: treat an unknown one as a plain reminder).
    pub kind: String,
    /// What it is about, e.g. "Action from the 3 Dec 2026 session with Mia Mentee, due 10 Dec 2026".
    pub title: String,
    /// `YYYY-MM-DD`: the last day it can be done on time.
    pub due_on: String,
    /// `due_on` is before today.
    pub overdue: bool,
    /// The pairing it is about, if any (training is about the person).
    pub mentorship_id: Option<String>,
    /// The document it is about, if any (the session, the agreement).
    pub document_id: Option<String>,
}
