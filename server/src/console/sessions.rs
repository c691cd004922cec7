//! How the console words what phones wrote about a session: its status with the
//! reason a pair gave, and a plan against a touchpoint ("planned for 14 Dec").

use maud::{Markup, html};
use time::Date;
use time::macros::format_description;

/// "planned for 14 Dec".
pub fn planned_text(date: Date) -> String {
    let day =
        date.format(format_description!("[day padding:none] [month repr:short]")).unwrap_or_else(|_| date.to_string());
    format!("planned for {day}")
}

/// The words for a session status as stored (`planned`, `logged`, `cancelled`,
/// `missed`); anything else is shown as written.
pub fn status_word(status: &str) -> &str {
    match status {
        "planned" => "Planned",
        "logged" => "Logged",
        "cancelled" => "Cancelled",
        "missed" => "Missed",
        other => other,
    }
}

/// A session's status, with the reason for a cancelled or missed one.
pub fn status_cell(status: &str, reason: Option<&str>) -> Markup {
    html! {
        span.badge.(format!("session-{status}")) { (status_word(status)) }
        @if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
            span.sub data-status-reason { "Reason: " (reason) }
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn plans_and_statuses_read_as_coordinators_say_them() {
        assert_eq!(planned_text(date!(2026 - 12 - 14)), "planned for 14 Dec");
        let cell = status_cell("cancelled", Some("no cover on the unit")).into_string();
        assert!(cell.contains("Cancelled") && cell.contains("Reason: no cover on the unit"), "{cell}");
        assert!(!status_cell("logged", Some("  ")).into_string().contains("Reason"));
        assert_eq!(status_word("something_new"), "something_new");
    }
}
