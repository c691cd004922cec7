//! How the [`crate::model`] values bind on the multi-backend connection. The
//! derived `MultiBackend` is this module's parent's, so these impls live here;
//! each hands the value to whichever real backend runs the query. (Reading needs
//! nothing: the model types read TEXT on any backend.)

use diesel::serialize::{IsNull, Output, ToSql};
use diesel::sql_types::Text;

use super::MultiBackend;
use crate::model::{
    Day, DeviceId, DocumentId, MentorshipId, MentorshipStatus, OrgId, PersonId, ProgrammeId, SiteId, SiteKind,
    Timestamp,
};

macro_rules! bind_as_text {
    ($($name:ty),+ $(,)?) => {$(
        impl ToSql<Text, MultiBackend> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> diesel::serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }
    )+};
}

bind_as_text!(
    PersonId,
    MentorshipId,
    DocumentId,
    OrgId,
    DeviceId,
    SiteId,
    ProgrammeId,
    Timestamp,
    Day,
    MentorshipStatus,
    SiteKind,
);
