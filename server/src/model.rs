//! The server's vocabulary, shared by every layer: typed ids, stored instants and
//! dates, roles and statuses. Nothing here queries or decides; it only says what a
//! value is and how it is written.
//!
//! Everything stored is TEXT on both backends (uuids, fixed-width
//! `YYYY-MM-DDTHH:MM:SSZ` instants, `YYYY-MM-DD` dates, snake_case statuses), so
//! one diesel code path serves SQLite and PostgreSQL and text order is time
//! order. Each type reads and writes itself as TEXT (`AsExpression`/`FromSqlRow`
//! plus `FromSql`/`ToSql`), and a stored value that does not parse is a
//! deserialization error, never a row silently skipped or a default. Their JSON
//! form is the same text (serde through `Display`/`FromStr`, or transparent).
//!
//! `db` adds the binding of these types on the multi-backend connection, which
//! it defines; this module knows only the two real backends.

mod ids;
mod text;
mod time;
mod vocab;

pub use self::ids::{DeviceId, DocumentId, GroupId, MentorshipId, OrgId, PersonId, ProgrammeId, SiteId};
pub use self::time::{Day, Timestamp};
pub use self::vocab::{EndOutcome, LeavingReason, MentorshipStatus, Role, Roles, SiteKind};
pub use sync_core::InvalidId;
