//! Convergence: replicas acting as mentee and mentor phones make random permitted
//! edits and exchange changes in random orders, with duplication and loss, then a
//! final full exchange. All replicas must end identical with every edit present.
//!
//! 1,000 cases by default; set `PROPTEST_CASES` for more.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

mod common;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sync_core::automerge::{ActorId, Change};
use sync_core::{DocHeader, Document, DocumentId, GoalCategory, GoalStatus, Pair};

#[derive(Debug, Clone)]
enum Step {
    /// Insert a unique token into the shared notes at a token boundary.
    Insert { replica: usize, boundary: usize },
    /// Delete a token this replica inserted, if it still sees it.
    DeleteOwn { replica: usize, which: usize },
    /// Replace this author's own account.
    Account { replica: usize },
    /// Add an action.
    Action { replica: usize },
    /// Add a goal, or move a known one along.
    Goal { replica: usize, status: usize },
    /// Sign the session.
    SignOff { replica: usize },
    /// Put the sender's most recent `count` changes of both documents on the wire.
    Send { from: usize, to: usize, count: usize },
    /// Deliver an in-flight message, keeping a copy to deliver again (duplication).
    Deliver { which: usize, duplicate: bool },
    /// Lose an in-flight message.
    Drop { which: usize },
}

fn step(replicas: usize) -> impl Strategy<Value = Step> {
    let r = 0..replicas;
    prop_oneof![
        4 => (r.clone(), 0..50usize).prop_map(|(replica, boundary)| Step::Insert { replica, boundary }),
        1 => (r.clone(), 0..50usize).prop_map(|(replica, which)| Step::DeleteOwn { replica, which }),
        1 => r.clone().prop_map(|replica| Step::Account { replica }),
        1 => r.clone().prop_map(|replica| Step::Action { replica }),
        1 => (r.clone(), 0..5usize).prop_map(|(replica, status)| Step::Goal { replica, status }),
        1 => r.clone().prop_map(|replica| Step::SignOff { replica }),
        3 => (r.clone(), r.clone(), 1..6usize).prop_map(|(from, to, count)| Step::Send { from, to, count }),
        3 => (0..50usize, any::<bool>()).prop_map(|(which, duplicate)| Step::Deliver { which, duplicate }),
        1 => (0..50usize).prop_map(|which| Step::Drop { which }),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Step>)> {
    (2..=4usize).prop_flat_map(|n| (Just(n), proptest::collection::vec(step(n), 1..60)))
}

struct Phone {
    user: sync_core::UserId,
    session: Document,
    plan: Document,
}

#[derive(Default)]
struct Expected {
    live_tokens: BTreeSet<String>,
    deleted_tokens: BTreeSet<String>,
    accounts: BTreeMap<String, BTreeSet<String>>,
    actions: BTreeSet<String>,
    goals: BTreeSet<String>,
    signed: BTreeSet<&'static str>,
}

fn token_boundaries(notes: &str) -> Vec<usize> {
    let mut boundaries = vec![0];
    let mut units = 0;
    for ch in notes.chars() {
        units += ch.len_utf16();
        if ch == ']' {
            boundaries.push(units);
        }
    }
    boundaries
}

fn run(replica_count: usize, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let pair = Pair {
        mentorship_id: sync_core::MentorshipId::new_random(),
        mentor_id: sync_core::UserId::new_random(),
        mentee_id: sync_core::UserId::new_random(),
    };
    let session_header = DocHeader::session(DocumentId::new_random(), pair);
    let plan_header = DocHeader::goal_plan(pair);
    let mut phones: Vec<Phone> = (0..replica_count)
        .map(|i| Phone {
            // Phone 0 is the mentor's, phone 1 the mentee's; others are second devices.
            user: if i % 2 == 0 { pair.mentor_id } else { pair.mentee_id },
            session: Document::create(session_header, ActorId::random()).expect("genesis"),
            plan: Document::create(plan_header, ActorId::random()).expect("genesis"),
        })
        .collect();
    let mut wire: Vec<(usize, Vec<Change>, Vec<Change>)> = Vec::new();
    let mut expected = Expected::default();
    let mut own_tokens: Vec<Vec<String>> = vec![Vec::new(); replica_count];
    let mut counter = 0;

    for step in steps {
        counter += 1;
        match step {
            Step::Insert { replica, boundary } => {
                let phone = &mut phones[replica];
                let notes = phone.session.session_view().expect("view").notes;
                let boundaries = token_boundaries(&notes);
                let at = boundaries[boundary % boundaries.len()];
                let token = format!("[r{replica}é{counter}🙂]");
                phone.session.edit_notes(phone.user, at, 0, &token).expect("insert");
                expected.live_tokens.insert(token.clone());
                own_tokens[replica].push(token);
            }
            Step::DeleteOwn { replica, which } => {
                if own_tokens[replica].is_empty() {
                    continue;
                }
                let len = own_tokens[replica].len();
                let token = own_tokens[replica].remove(which % len);
                let phone = &mut phones[replica];
                let notes = phone.session.session_view().expect("view").notes;
                if let Some(byte_at) = notes.find(&token) {
                    let at = notes[..byte_at].encode_utf16().count();
                    phone.session.edit_notes(phone.user, at, token.encode_utf16().count(), "").expect("delete");
                    expected.live_tokens.remove(&token);
                    expected.deleted_tokens.insert(token);
                } else {
                    own_tokens[replica].push(token);
                }
            }
            Step::Account { replica } => {
                let phone = &mut phones[replica];
                let text = format!("account {counter} from phone {replica}");
                phone.session.set_my_account(phone.user, &text).expect("account");
                expected.accounts.entry(phone.user.to_string()).or_default().insert(text);
            }
            Step::Action { replica } => {
                let phone = &mut phones[replica];
                let text = format!("action {counter}");
                phone.session.add_action(phone.user, &text, pair.mentee_id, Some("2026-06-01")).expect("action");
                expected.actions.insert(text);
            }
            Step::Goal { replica, status } => {
                let phone = &mut phones[replica];
                let known = phone.plan.goals().expect("goals");
                if status == 0 || known.is_empty() {
                    let title = format!("goal {counter}");
                    phone.plan.add_goal(phone.user, &title, GoalCategory::Skill, None).expect("goal");
                    expected.goals.insert(title);
                } else {
                    let statuses =
                        [GoalStatus::Agreed, GoalStatus::InProgress, GoalStatus::Achieved, GoalStatus::Dropped];
                    let goal = &known[status % known.len()];
                    phone.plan.set_goal_status(phone.user, &goal.id, statuses[status % 4]).expect("status");
                }
            }
            Step::SignOff { replica } => {
                let phone = &mut phones[replica];
                phone.session.sign_off(phone.user).expect("sign off");
                expected.signed.insert(if phone.user == pair.mentor_id { "mentor" } else { "mentee" });
            }
            Step::Send { from, to, count } => {
                let tail = |doc: &mut Document| {
                    let all = doc.automerge().get_changes(&[]);
                    all[all.len().saturating_sub(count)..].to_vec()
                };
                let session = tail(&mut phones[from].session);
                let plan = tail(&mut phones[from].plan);
                wire.push((to, session, plan));
            }
            Step::Deliver { which, duplicate } => {
                if wire.is_empty() {
                    continue;
                }
                let index = which % wire.len();
                let (to, session, plan) = if duplicate { wire[index].clone() } else { wire.remove(index) };
                phones[to].session.automerge().apply_changes(session).expect("apply session");
                phones[to].plan.automerge().apply_changes(plan).expect("apply plan");
            }
            Step::Drop { which } => {
                if !wire.is_empty() {
                    wire.remove(which % wire.len());
                }
            }
        }
    }

    // Final full exchange.
    for i in 0..replica_count {
        for j in 0..replica_count {
            if i != j {
                let (a, b) = if i < j {
                    let (left, right) = phones.split_at_mut(j);
                    (&mut left[i], &mut right[0])
                } else {
                    let (left, right) = phones.split_at_mut(i);
                    (&mut right[0], &mut left[j])
                };
                a.session.automerge().merge(b.session.automerge()).expect("merge");
                a.plan.automerge().merge(b.plan.automerge()).expect("merge");
            }
        }
    }

    let first_view = phones[0].session.session_view().expect("view");
    let first_goals = phones[0].plan.goals().expect("goals");
    let first_heads = phones[0].session.heads();
    for phone in &mut phones[1..] {
        prop_assert_eq!(&phone.session.heads(), &first_heads);
        prop_assert_eq!(&phone.session.session_view().expect("view"), &first_view);
        prop_assert_eq!(&phone.plan.goals().expect("goals"), &first_goals);
    }
    for token in &expected.live_tokens {
        prop_assert_eq!(
            first_view.notes.matches(token.as_str()).count(),
            1,
            "token {} in {:?}",
            token,
            first_view.notes
        );
    }
    for token in &expected.deleted_tokens {
        prop_assert!(!first_view.notes.contains(token.as_str()), "deleted token {} came back", token);
    }
    let token_chars: usize = expected.live_tokens.iter().map(|t| t.chars().count()).sum();
    prop_assert_eq!(first_view.notes.chars().count(), token_chars, "stray characters in {:?}", first_view.notes);
    for (author, written) in &expected.accounts {
        let account = first_view.accounts.get(author);
        prop_assert!(account.is_some_and(|a| written.contains(a)), "account of {} is {:?}", author, account);
    }
    let actions: BTreeSet<String> = first_view.actions.iter().map(|a| a.text.clone()).collect();
    prop_assert_eq!(actions, expected.actions.clone());
    let goals: BTreeSet<String> = first_goals.iter().map(|g| g.title.clone()).collect();
    prop_assert_eq!(goals, expected.goals.clone());
    prop_assert_eq!(first_view.mentor_sign_off.is_some(), expected.signed.contains("mentor"));
    prop_assert_eq!(first_view.mentee_sign_off.is_some(), expected.signed.contains("mentee"));
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_with_every_edit_present((replica_count, steps) in scenario()) {
        run(replica_count, steps)?;
    }
}
