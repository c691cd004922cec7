//! Instants and dates as stored: an instant is UTC with whole seconds, written
//! `YYYY-MM-DDTHH:MM:SSZ` (fixed width, so text order is time order); a date is
//! `YYYY-MM-DD`. JSON carries the same text.

use std::fmt;
use std::ops::{Add, Sub};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::text::text_column;

/// Text that is not an instant or a date in the stored form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not {expected}")]
pub struct InvalidTime {
    expected: &'static str,
    value: String,
}

/// An instant, UTC, to the second.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Now, to the second.
    pub fn now() -> Self {
        Self::from(OffsetDateTime::now_utc())
    }

    /// The instant as a `time` value (UTC).
    pub fn to_offset(self) -> OffsetDateTime {
        self.0
    }

    /// The UTC date of this instant.
    pub fn day(self) -> Day {
        Day(self.0.date())
    }
}

impl From<OffsetDateTime> for Timestamp {
    /// Converts to UTC and drops fractions of a second: the stored form has none,
    /// so a value reads back equal to what was written.
    fn from(at: OffsetDateTime) -> Self {
        let at = at.to_offset(UtcOffset::UTC);
        Self(at.replace_nanosecond(0).unwrap_or(at))
    }
}

impl Add<std::time::Duration> for Timestamp {
    type Output = Self;
    fn add(self, duration: std::time::Duration) -> Self {
        Self::from(self.0 + duration)
    }
}

impl Sub<std::time::Duration> for Timestamp {
    type Output = Self;
    fn sub(self, duration: std::time::Duration) -> Self {
        Self::from(self.0 - duration)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl FromStr for Timestamp {
    type Err = InvalidTime;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PrimitiveDateTime::parse(text, format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
            .map(|at| Self(at.assume_utc()))
            .map_err(|_| InvalidTime { expected: "an instant written YYYY-MM-DDTHH:MM:SSZ", value: clip(text) })
    }
}

/// A calendar date.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Day(Date);

impl Day {
    /// Today in UTC.
    pub fn today() -> Self {
        Self(OffsetDateTime::now_utc().date())
    }

    /// The date as a `time` value.
    pub fn date(self) -> Date {
        self.0
    }
}

impl From<Date> for Day {
    fn from(date: Date) -> Self {
        Self(date)
    }
}

impl Add<time::Duration> for Day {
    type Output = Self;
    fn add(self, duration: time::Duration) -> Self {
        Self(self.0 + duration)
    }
}

impl Sub<time::Duration> for Day {
    type Output = Self;
    fn sub(self, duration: time::Duration) -> Self {
        Self(self.0 - duration)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), u8::from(self.0.month()), self.0.day())
    }
}

impl fmt::Debug for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Day({self})")
    }
}

impl FromStr for Day {
    type Err = InvalidTime;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Date::parse(text, format_description!("[year]-[month]-[day]"))
            .map(Self)
            .map_err(|_| InvalidTime { expected: "a date written YYYY-MM-DD", value: clip(text) })
    }
}

fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}

macro_rules! serde_as_text {
    ($($name:ty),+) => {$(
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )+};
}

serde_as_text!(Timestamp, Day);
text_column!(Timestamp, Day);

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn instants_print_fixed_width_and_read_back_equal() {
        let at = Timestamp::from(datetime!(2025-03-04 05:06:07.891 +01:00));
        assert_eq!(at.to_string(), "2025-03-04T04:06:07Z");
        assert_eq!("2025-03-04T04:06:07Z".parse::<Timestamp>(), Ok(at));
        assert_eq!(serde_json::to_string(&at).ok().as_deref(), Some("\"2025-03-04T04:06:07Z\""));
        assert!("2025-03-04 04:06:07".parse::<Timestamp>().is_err());
        assert!("2025-03-04T04:06:07.5Z".parse::<Timestamp>().is_err());
    }

    #[test]
    fn dates_print_and_parse_as_year_month_day() {
        let day: Day = "2025-01-09".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(day.to_string(), "2025-01-09");
        assert!("2025-1-9".parse::<Day>().is_err());
        assert!("2025-02-30".parse::<Day>().is_err());
        assert_eq!(serde_json::from_str::<Day>("\"2025-01-09\"").ok(), Some(day));
    }

    #[test]
    fn text_order_is_time_order() {
        let early = Timestamp::from(datetime!(2025-01-09 23:59:59 UTC));
        let late = Timestamp::from(datetime!(2025-01-10 00:00:00 UTC));
        assert!(early < late);
        assert!(early.to_string() < late.to_string());
    }
}
