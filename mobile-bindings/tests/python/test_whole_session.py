"""Issue 11 through the generated Python module and a real server: every field
the console reports is written on a phone, offline, and seen by the other phone
after a sync; and a change the server refuses keeps the user's words."""

import json
import sqlite3

import pytest


def sync_all(*clients):
    for client in clients:
        report = client.sync()
        assert report.rejected == [], report


def test_every_new_writer_reaches_the_other_phone(server, phone, alongside):
    mentor, mentee = phone("mentor"), phone("mentee")
    m = server.mentorship
    mentor_id, mentee_id = server.people["mentor"], server.people["mentee"]
    mentor.mentorships()
    mentee.mentorships()

    # Both offline from here until the sync.
    sid = mentor.create_session(m, "shadowing", "2026-12-01")
    mentee.join_session(sid, m, "shadowing", "2026-12-01")
    mentor.set_session_details(sid, "07:30", 450, "face_to_face", "Ward 3")
    mentee.add_skill(sid, "hoist_transfers")
    mentee.add_skill(sid, "Using the new bed sensor")
    mentor.add_skill(sid, "duty_of_care")
    first = mentor.add_action(sid, "Read the falls policy", mentee_id, "2026-12-20")
    second = mentor.add_action(sid, "Watch a medication round", mentee_id, None)
    mentee.set_shared_summary(sid, "Practised hoist transfers with support.")

    planned = mentee.plan_session(m, "check_in", "2026-12-14", "12:15")
    cancelled = mentor.create_session(m, "meeting", "2026-12-03")
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentor.set_session_status(cancelled, "cancelled", None)
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentor.set_session_status(cancelled, "missed", "")
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentor.set_session_status(cancelled, "postponed", "why")
    mentor.set_session_status(cancelled, "cancelled", "no cover on the unit")
    missed = mentee.create_session(m, "check_in", "2026-12-04")
    mentee.set_session_status(missed, "missed", "called in to cover nights")

    goal = mentee.add_goal(m, "Lead a handover", "confidence", None)
    mentee.set_goal_description(m, goal, "The morning handover on Ward 3")
    progress = mentee.add_goal_progress(m, goal, "Led half of one with prompts")
    sync_all(mentor, mentee, mentor)

    seen = mentee.session(sid)
    assert (seen.start_time, seen.duration_minutes, seen.mode, seen.location) == ("07:30", 450, "face_to_face", "Ward 3")
    assert sorted(seen.skills) == ["Duty of care", "Hoist transfers", "Using the new bed sensor"]
    assert seen.status == "logged" and seen.status_reason is None
    assert mentor.session(sid).shared_summary == "Practised hoist transfers with support."
    p = mentor.session(planned)
    assert (p.status, p.kind, p.date, p.start_time) == ("planned", "check_in", "2026-12-14", "12:15")
    c = mentee.session(cancelled)
    assert (c.status, c.status_reason) == ("cancelled", "no cover on the unit")
    x = mentor.session(missed)
    assert (x.status, x.status_reason) == ("missed", "called in to cover nights")
    [g] = mentor.goals(m)
    assert g.description == "The morning handover on Ward 3"
    assert [(n.id, n.author_id, n.note) for n in g.progress] == [(progress, mentee_id, "Led half of one with prompts")]
    assert g.progress[0].at

    # Second round: edits and clears, by the other phone each time.
    mentee.set_session_details(sid, "08:00", None, "phone", None)
    mentor.remove_skill(sid, "duty_of_care")
    mentee.edit_action(sid, first, "Read the falls and hoist policies", mentor_id, None)
    mentee.set_action_done(sid, second, True)
    mentor.set_shared_summary(sid, "")
    mentor.set_session_status(planned, "logged", None)
    mentee.join_session(planned, m, "check_in", "2026-12-14")
    sync_all(mentee, mentor, mentee)

    seen = mentor.session(sid)
    assert (seen.start_time, seen.duration_minutes, seen.mode, seen.location) == ("08:00", None, "phone", None)
    assert "Duty of care" not in mentee.session(sid).skills
    actions = {a.id: a for a in seen.actions}
    assert (actions[first].text, actions[first].owner_id, actions[first].due) == (
        "Read the falls and hoist policies", mentor_id, None)
    assert actions[second].done
    assert mentee.session(sid).shared_summary is None
    assert mentee.session(planned).status == "logged"

    # Moved to another day by either phone: the date and start time change, nothing else.
    mentor.reschedule_session(planned, "2026-12-16", "09:45")
    sync_all(mentor, mentee)
    p = mentee.session(planned)
    assert (p.date, p.start_time, p.status, p.kind) == ("2026-12-16", "09:45", "logged", "check_in")
    mentee.reschedule_session(planned, "2026-12-17", None)
    sync_all(mentee, mentor)
    p = mentor.session(planned)
    assert (p.date, p.start_time, p.status) == ("2026-12-17", None, "logged")

    # Open actions: every not-done action of the pairing, earliest due first.
    third = mentee.add_action(cancelled, "Book the moving and handling course", mentee_id, "2026-12-10")
    sync_all(mentee, mentor)
    open_ = mentor.open_actions(m)
    assert [(o.action.id, o.session_id, o.session_date) for o in open_] == [
        (third, cancelled, "2026-12-03"),
        (first, sid, "2026-12-01"),
    ]
    assert all(not o.action.done for o in open_)

    catalogue = mentor.skill_catalogue()
    assert len([s for s in catalogue if s.group == "Care Certificate"]) == 15
    assert any(s.id == "infection_prevention" and s.title == "Infection prevention and control" for s in catalogue)


def test_outsiders_and_bad_input_are_refused_on_the_phone(server, phone, alongside):
    mentee = phone("mentee")
    m = server.mentorship
    sid = mentee.create_session(m, "meeting", "2026-12-02")
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.set_session_details(sid, "7.30", None, None, None)
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.set_session_details(sid, None, None, "carrier_pigeon", None)
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.reschedule_session(sid, "17/12/2026", None)
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.reschedule_session(sid, "2026-12-17", "25:00")
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.add_skill(sid, "   ")
    with pytest.raises(alongside.AlongsideError.NotFound):
        mentee.set_action_done(sid, "no-such-action", True)
    with pytest.raises(alongside.AlongsideError.Forbidden):
        mentee.set_feedback(sid, "I was brilliant", "nothing")


def test_a_refused_change_keeps_the_users_words_and_the_next_edits_sync(server, phone, alongside, tmp_path):
    mentor = phone("mentor", "refused")
    m = server.mentorship
    sid = mentor.create_session(m, "shadowing", "2026-12-05")
    mentor.sync()
    account = mentor.account()
    store = tmp_path / "phone-refused" / f"{account.user_id}.sqlite3"
    del mentor

    # Make the phone write as another device's actor, so the server refuses it
    # (`wrong_actor`) and sends its own version back.
    def set_actor(actor):
        with sqlite3.connect(store) as db:
            (value,) = db.execute("SELECT value FROM settings WHERE key = 'account'").fetchone()
            saved = json.loads(value)
            old, saved["actor_id"] = saved["actor_id"], actor
            db.execute("UPDATE settings SET value = ? WHERE key = 'account'", (json.dumps(saved),))
        return old

    real_actor = set_actor("00112233445566778899aabbccddeeff")
    mentor = alongside.Client(str(tmp_path / "phone-refused"), server.url)
    mentor.set_feedback(sid, "Calm with the hoist", "Ask before assuming")
    mentor.set_shared_summary(sid, "Hoist practice on Ward 3")
    report = mentor.sync()
    assert report.rejected, report
    kept = " ".join(r.kept_text for r in mentor.rejections())
    assert "Calm with the hoist" in kept and "Ask before assuming" in kept, kept
    assert "Hoist practice on Ward 3" in kept, kept
    for structure in ("schema", "meta", "sign_offs", "mentee_feedback"):
        assert structure not in kept, kept
    back = mentor.session(sid)
    assert back.feedback.strengths == "" and back.shared_summary is None, "back to the server's version"
    assert mentor.pending() == 0
    del mentor

    set_actor(real_actor)
    mentor = alongside.Client(str(tmp_path / "phone-refused"), server.url)
    mentor.set_feedback(sid, "Calm with the hoist", "Ask before assuming")
    report = mentor.sync()
    assert report.rejected == [], report
    mentee = phone("mentee")
    mentee.sync()
    assert mentee.session(sid).feedback.strengths == "Calm with the hoist"

