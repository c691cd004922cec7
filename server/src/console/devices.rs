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
    // Only back into the console: never an address a form could point elsewhere.
    let back = form.return_to.clone();
    let location = if back.starts_with("/console/") && !back.contains("//") && !back.contains('\\') {
        back
    } else {
        "/console".to_owned()
    };
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
