"""Reminders through the generated Python module against a real server: a
pairing that started long ago has overdue touchpoints and an unsigned
agreement; the phone fetches them when it syncs and still reads them once the
server is gone."""

import datetime

from conftest import PASSWORD


def test_reminders_are_cached_at_sync_and_read_offline(server, phone):
    server.cli(
        "user", "add", "--org", server.org, "--email", "late@bindings.example", "--name", "Late Starter",
        "--role", "mentee", "--password", PASSWORD,
    )
    started = (datetime.date.today() - datetime.timedelta(days=40)).isoformat()
    late_pairing = server.cli(
        "pair", "--org", server.org, "--mentor", "mentor@bindings.example", "--mentee", "late@bindings.example",
        "--start", started,
    )
    mentee = phone("late")
    mentee.sync()
    reminders = mentee.reminders()
    kinds = {(r.kind, r.mentorship_id) for r in reminders}
    assert ("touchpoint", late_pairing) in kinds
    assert ("agreement", late_pairing) in kinds
    first_contact = next(r for r in reminders if r.title.startswith("First contact"))
    assert first_contact.overdue
    assert "Mentor" in first_contact.title, first_contact.title
    # The other pairing of the same mentor is not this mentee's.
    assert all(r.mentorship_id in (late_pairing, None) for r in reminders), reminders

    # The mentor sees both pairings' reminders.
    mentor = phone("mentor")
    mentor.sync()
    assert {r.mentorship_id for r in mentor.reminders()} >= {late_pairing, server.mentorship}

    server.stop()
    offline = mentee.reminders()
    assert offline == reminders
    assert mentee.pending() == 0
