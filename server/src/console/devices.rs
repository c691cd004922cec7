//! Revoking a device from the console (the button on a pairing's page): the
//! phone wipes its data at its next contact.

use actix_web::web;
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::layout::{Page, path_id, see_other};
use crate::domain::devices as device_ops;
use crate::model::DeviceId;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    return_to: String,
}

pub async fn revoke(state: web::Data<AppState>, id: web::Path<String>, form: CsrfForm<RevokeForm>) -> Page {
    let CsrfForm { user, form } = form;
    let id: DeviceId = path_id("device", &id)?;
    let location = return_location(&form.return_to);
    state
        .db
        .run(move |conn| {
            let actor = user.actor();
            let device = device_ops::find_visible(conn, user.org_id, &actor, id)?;
            device_ops::revoke(conn, &device, &actor)
        })
        .await?;
    Ok(see_other(&location))
}

/// Where to go back to: only a path inside the console, and only one that can be
/// written into a `Location` header (no control characters such as CR/LF, which
/// made the header invalid and the answer a 500); anything else goes to the
/// dashboard.
fn return_location(back: &str) -> String {
    let inside = back.starts_with("/console/") && !back.contains("//") && !back.contains('\\');
    let printable = back.chars().all(|c| c.is_ascii_graphic());
    if inside && printable { back.to_owned() } else { "/console".to_owned() }
}

#[cfg(test)]
mod tests {
    use super::return_location;

    #[test]
    fn only_printable_console_paths_are_returned_to() {
        assert_eq!(return_location("/console/pairings/abc"), "/console/pairings/abc");
        for bad in [
            "/console/x\r\nSet-Cookie: a=b",
            "/console/\u{7f}",
            "https://evil.example/",
            "/console//evil",
            "/console/ a",
        ] {
            assert_eq!(return_location(bad), "/console", "{bad:?}");
        }
    }
}
