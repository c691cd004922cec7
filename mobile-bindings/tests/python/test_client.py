"""The generated Python module against a real server: the mobile contract."""

import pytest

from conftest import PASSWORD


def utf16_len(text):
    """Text positions are UTF-16 code units; Python counts code points."""
    return len(text.encode("utf-16-le")) // 2


def test_two_phones_offline_converge_after_sync(server, phone):
    mentor, mentee = phone("mentor"), phone("mentee")
    m = server.mentorship
    assert [x.id for x in mentor.mentorships()] == [m]
    assert len(mentor.mentorships()[0].programme_id) == 36, "every pairing belongs to a programme"

    # Both offline: the mentee joins by the id from the mentor's QR code.
    sid = mentor.create_session(m, "shadowing", "2026-03-14")
    mentee.join_session(sid, m, "shadowing", "2026-03-14")
    mentor.edit_notes(sid, 0, 0, "Hoist transfer, room 4. ")
    mentee.edit_notes(sid, 0, 0, "Zoë showed me the garden 🌷")
    notes = mentee.session(sid).notes
    mentee.edit_notes(sid, utf16_len(notes), 0, " Then tea ☕.")
    mentor.set_my_account(sid, "Steady with families.")
    mentee.set_my_account(sid, "Nervous, then fine 😊")
    action = mentor.add_action(sid, "Read the falls policy", server.people["mentee"], "2026-03-21")
    goal = mentee.add_goal(m, "Lead a handover", "confidence", "2026-05-01")
    mentor.set_feedback(sid, "Kind and calm", "Speak up at handover")
    assert mentor.pending() == 1 and mentee.pending() == 2

    for client in (mentor, mentee, mentor):
        report = client.sync()
        assert report.round_trips == 1 and report.rejected == []
    mentor.set_goal_status(m, goal, "agreed")
    mentor.sign_off(sid)
    mentee.sign_off(sid)
    for client in (mentor, mentee, mentor):
        client.sync()

    a, b = mentor.session(sid), mentee.session(sid)
    assert a == b
    assert "Hoist transfer, room 4. " in a.notes
    assert "Zoë showed me the garden 🌷 Then tea ☕." in a.notes
    assert a.accounts[server.people["mentee"]] == "Nervous, then fine 😊"
    assert a.mentor_signed and a.mentee_signed and not a.amended_after_sign_off
    assert [x.id for x in a.actions] == [action]
    assert [(g.title, g.status) for g in mentee.goals(m)] == [("Lead a handover", "agreed")]
    assert len(mentee.sessions(m)) == 1
    assert mentor.pending() == 0


def test_forbidden_write_raises_forbidden(server, phone, alongside):
    mentee = phone("mentee")
    sid = mentee.create_session(server.mentorship, "meeting", "2026-04-01")
    with pytest.raises(alongside.AlongsideError.Forbidden):
        mentee.set_feedback(sid, "I was brilliant", "nothing")
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.create_session(server.mentorship, "picnic", "2026-04-01")


def test_wrong_password_raises_unauthorized(server, alongside, tmp_path):
    client = alongside.Client(str(tmp_path / "phone"), server.url)
    with pytest.raises(alongside.AlongsideError.Unauthorized):
        client.login("mentee@bindings.example", "not the password", "phone")
    assert client.account() is None


def test_revoked_device_raises_revoked_and_wipes(server, phone, alongside, tmp_path):
    mentee = phone("mentee", name="revoked")
    sid = mentee.create_session(server.mentorship, "check_in", "2026-04-02")
    mentee.sync()
    store = tmp_path / "phone-revoked" / f"{mentee.account().user_id}.sqlite3"
    assert store.exists()
    server.post(f"/v1/devices/{mentee.account().device_id}/revoke", {}, token=server.coordinator_token())
    with pytest.raises(alongside.AlongsideError.Revoked):
        mentee.sync()
    assert not store.exists()
    assert mentee.account() is None
    with pytest.raises(alongside.AlongsideError.Unauthorized):
        mentee.session(sid)


def test_offline_edits_are_kept_and_synced_later(server, phone, alongside):
    mentor = phone("mentor")
    sid = mentor.create_session(server.mentorship, "shadowing", "2026-04-03")
    mentor.sync()
    server.stop()
    mentor.edit_notes(sid, 0, 0, "Written with no signal 📵")
    with pytest.raises(alongside.AlongsideError.Offline):
        mentor.sync()
    assert mentor.pending() == 1
    assert mentor.session(sid).notes == "Written with no signal 📵"
    server.start()
    assert mentor.sync().docs_sent == 1
    assert mentor.pending() == 0
    mentee = phone("mentee")
    mentee.sync()
    assert mentee.session(sid).notes == "Written with no signal 📵"


def test_reflections_are_private_and_sync_reports_progress(server, phone, alongside):
    import threading

    mentee = phone("mentee")
    entry = mentee.add_reflection("First night shift", "Tired but proud 💪", "Call bells", "Handover", "Eat first")
    assert [r.id for r in mentee.reflections()] == [entry]

    class Listener(alongside.SyncListener):
        def __init__(self):
            self.done = threading.Event()
            self.progress = []
            self.report = None
            self.error = None

        def on_progress(self, docs_sent, docs_received):
            self.progress.append((docs_sent, docs_received))

        def on_complete(self, report):
            self.report = report
            self.done.set()

        def on_failure(self, error):
            self.error = error
            self.done.set()

    listener = Listener()
    mentee.sync_in_background(listener)
    assert listener.done.wait(30)
    assert listener.error is None and listener.report.docs_sent == 1
    assert listener.progress == [(1, 0)]

    mentor = phone("mentor")
    mentor.sync()
    assert mentor.reflections() == []


def test_change_password_keeps_this_phone_and_needs_the_new_password_after(server, phone, alongside, tmp_path):
    mentee = phone("mentee", name="password")
    new = "kettle lantern orchard drizzle"
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.change_password("not the password", new)
    with pytest.raises(alongside.AlongsideError.Invalid) as weak:
        mentee.change_password(PASSWORD, "password1234")
    assert "too easy to guess" in str(weak.value)
    mentee.change_password(PASSWORD, new)
    mentee.sync()  # this phone stays signed in
    other = alongside.Client(str(tmp_path / "password-other"), server.url)
    with pytest.raises(alongside.AlongsideError.Unauthorized):
        other.login("mentee@bindings.example", PASSWORD, "other phone")
    other.login("mentee@bindings.example", new, "other phone")


def test_a_reset_code_sets_a_new_password_from_a_phone(server, phone, alongside, tmp_path):
    mentee = phone("mentee", name="reset")
    sid = mentee.create_session(server.mentorship, "meeting", "2026-12-03")
    mentee.edit_notes(sid, 0, 0, "Written before the reset")
    issued = server.post(f"/v1/people/{server.people['mentee']}/password-reset", {}, token=server.coordinator_token())
    new = "kettle lantern orchard drizzle"
    fresh = alongside.Client(str(tmp_path / "reset-fresh"), server.url)
    with pytest.raises(alongside.AlongsideError.Invalid):
        fresh.reset_password("mentee@bindings.example", "0000-0000-0000-0000", new)
    with pytest.raises(alongside.AlongsideError.Invalid) as weak:
        fresh.reset_password("mentee@bindings.example", issued["code"], "password1234")
    assert "too easy to guess" in str(weak.value)
    fresh.reset_password("mentee@bindings.example", issued["code"], new)
    assert fresh.account() is None

    # The mentee's phone was signed out too; signing in again sends what it kept.
    with pytest.raises(alongside.AlongsideError.Unauthorized):
        mentee.sync()
    mentee.login("mentee@bindings.example", new, "mentee's phone")
    assert mentee.pending() == 1
    mentee.sync()
    assert mentee.pending() == 0
