//! Survey responses: owner-only documents. The partner, a coordinator and
//! anyone else can write nothing into one, locally or on the server's check of
//! raw changes; the id is the same on every phone of the respondent; answers
//! are checked against the survey; the due-day rule.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

mod common;

use common::{exchange, pair, phone};
use sync_core::api::{QuestionKind, Survey, SurveyQuestion, SurveyRespondent, SurveyWhen};
use sync_core::automerge::{ActorId, ReadDoc};
use sync_core::rules::{ObjectIndex, Rule, check_changes};
use sync_core::{
    DocHeader, DocKind, Document, DocumentError, DocumentId, PairingDates, ShareText, SurveyAnswer, UserId,
    check_answers, survey_due_on,
};

fn survey() -> Survey {
    Survey {
        key: "day_30".into(),
        title: "Your first month".into(),
        respondent: SurveyRespondent::Mentee,
        when: SurveyWhen::AfterDays(30),
        questions: vec![
            SurveyQuestion { id: "confidence".into(), text: "How confident?".into(), kind: QuestionKind::Scale },
            SurveyQuestion { id: "comment".into(), text: "Anything else?".into(), kind: QuestionKind::Text },
        ],
    }
}

fn answer(score: u32, text: Option<&str>) -> Vec<SurveyAnswer> {
    let mut out = vec![SurveyAnswer { question_id: "confidence".into(), score: Some(score), text: None }];
    if let Some(text) = text {
        out.push(SurveyAnswer { question_id: "comment".into(), score: None, text: Some(text.into()) });
    }
    out
}

#[test]
fn two_phones_of_the_respondent_share_one_document_and_one_whole_answer_wins() {
    let pair = pair();
    let header = DocHeader::survey_response(pair.mentee_id, pair.mentorship_id, "day_30");
    assert_eq!(header.kind, DocKind::SurveyResponse);
    assert_eq!(header.id, DocumentId::survey_response_of(pair.mentee_id, pair.mentorship_id, "day_30"));
    assert_ne!(header.id, DocumentId::survey_response_of(pair.mentor_id, pair.mentorship_id, "day_30"));
    assert_ne!(header.id, DocumentId::survey_response_of(pair.mentee_id, pair.mentorship_id, "day_90"));
    assert!(header.is_consistent());
    let mut a = phone(header);
    let mut b = phone(header);
    a.answer_survey(pair.mentee_id, pair.mentorship_id, &survey(), &answer(2, Some("from a")), ShareText::Share)
        .unwrap();
    b.answer_survey(pair.mentee_id, pair.mentorship_id, &survey(), &answer(5, None), ShareText::Keep).unwrap();
    exchange(&mut a, &mut b);
    let (ra, rb) = (a.survey_response().unwrap().unwrap(), b.survey_response().unwrap().unwrap());
    assert_eq!(ra, rb);
    // Never a mix: the text and the sharing come with their own score.
    // Answers come in the stored map's key order ("comment" before "confidence").
    let confidence = ra.answers.iter().find(|a| a.question_id == "confidence").expect("the scale answer");
    let from_a = confidence.score == Some(2);
    assert!(from_a || confidence.score == Some(5));
    assert_eq!(ra.share_text, from_a);
    assert_eq!(ra.answers.len(), if from_a { 2 } else { 1 });
    assert!(matches!(
        a.answer_survey(pair.mentee_id, pair.mentorship_id, &survey(), &answer(3, None), ShareText::Keep),
        Err(DocumentError::Invalid(m)) if m.contains("already answered")
    ));
}

#[test]
fn partner_coordinator_and_outsiders_cannot_write_a_response() {
    let pair = pair();
    let header = DocHeader::survey_response(pair.mentee_id, pair.mentorship_id, "day_30");
    let coordinator = UserId::new_random();
    for other in [pair.mentor_id, coordinator] {
        let mut doc = phone(header);
        let err =
            doc.answer_survey(other, pair.mentorship_id, &survey(), &answer(1, None), ShareText::Keep).unwrap_err();
        assert!(matches!(err, DocumentError::Forbidden(v) if v.rule == Rule::OwnerOnly), "{other}");
    }

    // The server's check of raw changes: the owner's pass, the same bytes
    // claimed by the partner or a coordinator do not.
    let mut doc = phone(header);
    let index = ObjectIndex::build(doc.automerge()).unwrap();
    let base = doc.heads();
    doc.answer_survey(pair.mentee_id, pair.mentorship_id, &survey(), &answer(4, None), ShareText::Keep).unwrap();
    let changes = doc.automerge().get_changes(&base);
    assert_eq!(check_changes(&index, &header, pair.mentee_id, &changes), Ok(()));
    for other in [pair.mentor_id, coordinator] {
        let violation = check_changes(&index, &header, other, &changes).unwrap_err();
        assert_eq!(violation.rule, Rule::OwnerOnly);
    }

    // A partner's phone forging a response in the respondent's document.
    let mut forged = Document::create(header, ActorId::random()).unwrap();
    let base = forged.heads();
    let response =
        forged.automerge_ref().get(sync_core::automerge::ROOT, "response").ok().flatten().map(|(_, id)| id).unwrap();
    use sync_core::automerge::transaction::Transactable;
    forged.automerge().put(&response, "submitted", "forged").unwrap();
    forged.automerge().commit();
    let changes = forged.automerge().get_changes(&base);
    assert_eq!(check_changes(&index, &header, pair.mentor_id, &changes).unwrap_err().rule, Rule::OwnerOnly);
    // Nor may the owner change the fixed layout.
    let mut layout = Document::create(header, ActorId::random()).unwrap();
    let base = layout.heads();
    layout.automerge().put(sync_core::automerge::ROOT, "response", "gone").unwrap();
    layout.automerge().commit();
    let changes = layout.automerge().get_changes(&base);
    assert_eq!(check_changes(&index, &header, pair.mentee_id, &changes).unwrap_err().rule, Rule::FixedStructure);
}

#[test]
fn answers_are_checked_against_the_survey() {
    let s = survey();
    assert_eq!(check_answers(&s, &answer(3, Some("  "))).unwrap(), answer(3, None), "empty text dropped");
    for (bad, needle) in [
        (answer(0, None), "1 to 5"),
        (answer(6, None), "1 to 5"),
        (vec![], "needs a score"),
        (vec![SurveyAnswer { question_id: "pay".into(), score: Some(1), text: None }], "no question \"pay\""),
        (vec![SurveyAnswer { question_id: "confidence".into(), score: Some(1), text: Some("x".into()) }], "not text"),
        ([answer(1, None), answer(2, None)].concat(), "twice"),
    ] {
        let message = check_answers(&s, &bad).unwrap_err();
        assert!(message.contains(needle), "{message}");
    }
    let pair = pair();
    // A response must sit in the document derived from its own survey.
    let mut wrong = phone(DocHeader::survey_response(pair.mentee_id, pair.mentorship_id, "day_90"));
    assert!(matches!(
        wrong.answer_survey(pair.mentee_id, pair.mentorship_id, &s, &answer(3, None), ShareText::Keep),
        Err(DocumentError::Invalid(_))
    ));
    let journal = phone(DocHeader::journal(pair.mentee_id));
    assert!(matches!(journal.survey_response(), Err(DocumentError::WrongKind { .. })));
}

#[test]
fn due_day_follows_the_start_and_the_close() {
    let s = survey();
    let close = Survey { when: SurveyWhen::Close, ..survey() };
    let dates = |status, started_on, ended_on| PairingDates { status, started_on, ended_on };
    assert_eq!(survey_due_on(&s, dates("active", Some("2026-01-31"), None)).as_deref(), Some("2026-03-02"));
    assert_eq!(survey_due_on(&s, dates("proposed", Some("2026-01-31"), None)), None);
    assert_eq!(survey_due_on(&s, dates("active", None, None)), None);
    assert_eq!(survey_due_on(&s, dates("ended", Some("2026-01-01"), Some("2026-01-20"))), None, "ended before day 30");
    assert_eq!(survey_due_on(&close, dates("active", Some("2026-01-01"), None)), None);
    assert_eq!(survey_due_on(&close, dates("completed", Some("2026-01-01"), None)), None, "end day unknown");
    assert_eq!(
        survey_due_on(&close, dates("completed", Some("2026-01-01"), Some("2026-04-01"))).as_deref(),
        Some("2026-04-01")
    );
}
