//! Issue 14, the mentoring agreement: the organisation's confidentiality
//! statement, an agreement written and signed on two phones that were offline
//! when they signed, shown as signed on the console, and an edit after signing
//! shown as amended; the write rules on hopes. Real server, real clients.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use alongside_tests::console::Console;
use alongside_tests::phones::Phone;
use alongside_tests::{assert_error, backend_test, json_body, spawn_app};
use reqwest::Method;
use serde_json::json;
use sync_core::{AgreementInput, ClientError, DocumentId, Mode};

const STATEMENT: &str =
    "What you say stays between you, unless someone is at risk of harm: then we must tell the safeguarding lead.";

/// The `data-agreement` code the console shows on a page for the pairing.
fn agreement_code(html: &str) -> Option<String> {
    let at = html.find("data-agreement=\"")? + "data-agreement=\"".len();
    Some(html[at..].split('"').next()?.to_owned())
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn agreement_signed_on_two_offline_phones_shows_signed_then_amended(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("willow").await;
        let m = org.mentorship_id.clone();

        // Only coordinators set the statement; everyone in the organisation reads it.
        let body = json!({ "statement": STATEMENT });
        let refused = app.request(Method::PUT, "/v1/organisation/confidentiality", Some(org.mentor.token()), Some(&body)).await;
        assert_error(refused, 403, "forbidden").await;
        let set = app.request(Method::PUT, "/v1/organisation/confidentiality", Some(org.coordinator.token()), Some(&body)).await;
        assert_eq!(set.status(), 200, "{backend}");
        let read = json_body(app.get("/v1/organisation/confidentiality", Some(org.mentee.token())).await).await;
        assert_eq!(read["statement"], STATEMENT);

        let console = Console::sign_in(&app, &org.coordinator.email).await;
        let (status, page) = console.page(&format!("/console/pairings/{m}")).await;
        assert_eq!(status, 200);
        assert_eq!(agreement_code(&page).as_deref(), Some("not_started"), "{backend}");

        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = Phone::login(&app, &org.mentee.email);
        let empty = mentee.client.agreement(&m).unwrap();
        assert_eq!(empty.confidentiality_statement, STATEMENT, "{backend}: cached at sign-in, read offline");
        assert!(!empty.mentor_signed && !empty.mentee_signed);

        // The mentor drafts the terms and their hopes; the mentee adds theirs.
        let mut terms = AgreementInput {
            meeting_frequency: "Every week on the early shift".into(),
            preferred_modes: vec![Mode::FaceToFace, Mode::Phone],
            boundaries: "Texts 8am to 8pm. Zoë's rota comes first 🌷".into(),
            hopes_mentee: String::new(),
            hopes_mentor: "Leads a handover by week ten".into(),
            review_on: Some("2099-01-31".into()),
        };
        mentor.client.set_agreement(&m, &terms).unwrap();
        mentor.client.sync().unwrap();
        mentee.client.sync().unwrap();
        let drafted = mentee.client.agreement(&m).unwrap();
        assert_eq!(drafted.boundaries, terms.boundaries, "{backend}");
        assert_eq!(drafted.preferred_modes, ["face_to_face", "phone"]);

        // Each writes only their own hopes.
        let mut theirs = terms.clone();
        theirs.hopes_mentor = "Changed by the mentee".into();
        let refused = mentee.client.set_agreement(&m, &theirs);
        assert!(matches!(refused, Err(ClientError::Forbidden { .. })), "{backend}: {refused:?}");
        terms.hopes_mentee = "Moving and handling sign-off".into();
        mentee.client.set_agreement(&m, &terms).unwrap();
        mentee.client.sync().unwrap();
        mentor.client.sync().unwrap();
        let (_, page) = console.page(&format!("/console/pairings/{m}")).await;
        assert_eq!(agreement_code(&page).as_deref(), Some("draft"), "{backend}");

        // Both sign while offline, on the same version; then both sync.
        mentor.client.sign_agreement(&m).unwrap();
        mentee.client.sign_agreement(&m).unwrap();
        for phone in [&mentor, &mentee, &mentor] {
            assert!(phone.client.sync().unwrap().rejected.is_empty(), "{backend}");
        }
        for phone in [&mentor, &mentee] {
            let signed = phone.client.agreement(&m).unwrap();
            assert!(signed.mentor_signed && signed.mentee_signed, "{backend}: {signed:?}");
            assert!(!signed.amended_after_signing, "{backend}: {signed:?}");
            assert_eq!(signed.hopes_mentee, "Moving and handling sign-off");
        }
        let (_, page) = console.page(&format!("/console/pairings/{m}")).await;
        assert_eq!(agreement_code(&page).as_deref(), Some("signed"), "{backend}");
        assert!(!page.contains("Leads a handover"), "{backend}: the console never shows the agreement's content");
        let (_, dashboard) = console.page("/console").await;
        assert_eq!(agreement_code(&dashboard).as_deref(), Some("signed"), "{backend}");

        // The coordinator cannot read the document; the pair can.
        let id = DocumentId::agreement_of(m.parse().unwrap());
        let path = format!("/v1/documents/{id}");
        assert_eq!(app.get(&path, Some(org.coordinator.token())).await.status(), 404, "{backend}");
        let doc = json_body(app.get(&path, Some(org.mentee.token())).await).await;
        assert_eq!(doc["view"]["terms"]["meeting_frequency"], "Every week on the early shift", "{doc}");

        // An edit after signing is accepted and shows as amended everywhere.
        terms.boundaries = "Texts 9am to 6pm".into();
        mentee.client.set_agreement(&m, &terms).unwrap();
        mentee.client.sync().unwrap();
        mentor.client.sync().unwrap();
        let amended = mentor.client.agreement(&m).unwrap();
        assert!(amended.amended_after_signing, "{backend}: {amended:?}");
        assert_eq!(amended.amended_parts, ["terms"]);
        assert_eq!(amended.boundaries, "Texts 9am to 6pm");
        let (_, page) = console.page(&format!("/console/pairings/{m}")).await;
        assert_eq!(agreement_code(&page).as_deref(), Some("amended"), "{backend}");

        // Someone outside the pair holds no agreement of it.
        let outsider = Phone::login(&app, &org.other_mentee.email);
        let none = outsider.client.agreement(&m);
        assert!(matches!(none, Err(ClientError::NotFound { .. })), "{backend}: {none:?}");
    }
}
