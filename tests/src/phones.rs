//! Phones for end-to-end tests: real sync-core clients, each with its own data
//! folder, signed in against a test server.

use std::path::PathBuf;

use sync_core::protocol::{self, DocOffer, SyncRequest, SyncResponse};
use sync_core::{Client, Document};
use tempfile::TempDir;

use crate::{PASSWORD, TestApp};

/// A signed-in phone.
pub struct Phone {
    pub client: Client,
    pub dir: TempDir,
}

impl Phone {
    /// A new phone signed in as `email` (with the fixture password).
    pub fn login(app: &TestApp, email: &str) -> Self {
        Self::login_at(&app.address, email)
    }

    /// A new phone signed in against the server at `address`.
    pub fn login_at(address: &str, email: &str) -> Self {
        let dir = tempfile::tempdir().expect("phone data folder");
        let client = Client::new(dir.path(), address).expect("client");
        client.login(email, PASSWORD, &format!("{email}'s phone")).expect("login");
        Self { client, dir }
    }

    /// The phone's current access token (read from its store), for raw requests.
    pub fn access_token(&self) -> String {
        let store = sync_core::Store::open(&self.store_path()).expect("phone store");
        store.setting("access_token").expect("setting").expect("signed in")
    }

    /// The phone's store file for the signed-in person.
    pub fn store_path(&self) -> PathBuf {
        let account = self.client.account().expect("signed in");
        self.dir.path().join(format!("{}.sqlite3", account.user_id))
    }
}

/// Offer every change of `doc`, as a device that never synced it would.
pub fn craft_offer(doc: &mut Document) -> DocOffer {
    let heads = doc.heads();
    let changes = doc.automerge().get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec().into()).collect();
    DocOffer { header: *doc.header(), heads: protocol::heads_to_wire(&heads), changes, sync_message: None }
}

/// Send a hand-built sync request and decode the reply; panics on a non-200.
pub async fn post_sync(app: &TestApp, token: &str, request: &SyncRequest) -> SyncResponse {
    let response = app
        .client
        .post(app.url("/v1/sync"))
        .bearer_auth(token)
        .header("content-type", protocol::CONTENT_TYPE)
        .body(protocol::encode(request).expect("encode a sync request"))
        .send()
        .await
        .expect("send");
    let status = response.status();
    let bytes = response.bytes().await.expect("body");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    protocol::decode_response(&bytes).expect("a sync reply")
}
