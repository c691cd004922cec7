//! Typed ids. Each is a uuid stored as TEXT, so passing a site id where a person
//! id belongs does not compile. Persons, mentorships and documents use
//! sync-core's ids (they cross the wire and the FFI too); `PersonId` is the
//! server's name for sync-core's `UserId`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::text::text_column;

pub use sync_core::{DocumentId, GroupId, MentorshipId, UserId as PersonId};

macro_rules! server_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = sync_core::InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|_| sync_core::InvalidId { what: stringify!($name), value: s.chars().take(64).collect() })
            }
        }

        text_column!($name);
    };
}

server_id!(
    /// An organisation (a care provider; the tenant boundary).
    OrgId
);
server_id!(
    /// A signed-in phone or browser.
    DeviceId
);
server_id!(
    /// A care home, community team or ward.
    SiteId
);
server_id!(
    /// A mentoring programme.
    ProgrammeId
);
