"""Issue 14 through the generated Python module (and the Kotlin program in
tests/kotlin/Scheme.kt) against a real server: a pair's agreement with the
organisation's confidentiality statement, signed on both phones and amended
after; a group session shared by three members."""

import os
import subprocess

import pytest

from conftest import BINDINGS, PASSWORD

STATEMENT = "Confidential unless someone is at risk of harm (safeguarding)."


def utf16_len(text):
    return len(text.encode("utf-16-le")) // 2


def sync_all(*clients):
    for client in clients:
        assert client.sync().rejected == []


def add_member(server, who):
    return server.cli(
        "user", "add", "--org", server.org, "--email", f"{who}@bindings.example", "--name", who.title(),
        "--role", "mentee", "--password", PASSWORD,
    )


def make_group(server, member_ids):
    token = server.coordinator_token()
    server.request("PUT", "/v1/organisation/confidentiality", {"statement": STATEMENT}, token)
    return server.post("/v1/groups", {
        "name": "Peer circle", "facilitator_id": server.people["mentor"], "member_ids": member_ids,
    }, token)["id"]


def test_agreement_signed_by_both_then_amended(server, phone, alongside):
    server.request("PUT", "/v1/organisation/confidentiality", {"statement": STATEMENT}, server.coordinator_token())
    mentor, mentee = phone("mentor"), phone("mentee")
    m = server.mentorship
    blank = mentee.agreement(m)
    assert blank.confidentiality_statement == STATEMENT
    assert not blank.mentor_signed and not blank.mentee_signed

    terms = alongside.AgreementInput(
        meeting_frequency="Fortnightly", preferred_modes=["face_to_face", "online"],
        boundaries="No texts after 8pm 🌙", hopes_mentee="", hopes_mentor="Confident handovers",
        review_on="2099-03-01",
    )
    mentor.set_agreement(m, terms)
    sync_all(mentor, mentee)
    terms.hopes_mentor = "Rewritten by the mentee"
    with pytest.raises(alongside.AlongsideError.Forbidden):
        mentee.set_agreement(m, terms)
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.set_agreement(m, alongside.AgreementInput(
            meeting_frequency="", preferred_modes=["carrier pigeon"], boundaries="", hopes_mentee="",
            hopes_mentor="Confident handovers", review_on=None))
    terms.hopes_mentor = "Confident handovers"
    terms.hopes_mentee = "Finish the Care Certificate"
    mentee.set_agreement(m, terms)
    sync_all(mentee, mentor)

    # Both sign offline on the same version.
    mentor.sign_agreement(m)
    mentee.sign_agreement(m)
    sync_all(mentor, mentee, mentor)
    a, b = mentor.agreement(m), mentee.agreement(m)
    assert a == b
    assert a.mentor_signed and a.mentee_signed and not a.amended_after_signing
    assert a.preferred_modes == ["face_to_face", "online"] and a.review_on == "2099-03-01"
    assert a.hopes_mentee == "Finish the Care Certificate"

    terms.meeting_frequency = "Weekly"
    mentor.set_agreement(m, terms)
    sync_all(mentor, mentee)
    amended = mentee.agreement(m)
    assert amended.amended_after_signing and amended.amended_parts == ["terms"]
    assert amended.meeting_frequency == "Weekly"


def test_group_session_shared_by_three_members(server, phone, alongside):
    third = add_member(server, "third")
    gid = make_group(server, [server.people["mentee"], third])
    mentor, mentee, member = phone("mentor"), phone("mentee"), phone("third")
    groups = member.groups()
    assert [g.id for g in groups] == [gid]
    assert groups[0].facilitator_id == server.people["mentor"]
    assert sorted(groups[0].member_ids) == sorted([server.people["mentee"], third])

    # The facilitator starts it; a member joins by its id, both offline.
    sid = mentor.create_group_session(gid, "2026-12-09")
    mentee.join_group_session(sid, gid, "2026-12-09")
    mentor.edit_group_notes(sid, 0, 0, "Café chat ☕")
    mentee.edit_group_notes(sid, 0, 0, "Zoë: ")
    mentor.set_attendance(sid, server.people["mentee"], True)
    mentor.set_attendance(sid, third, False)
    mentee.set_my_group_account(sid, "Good to hear I'm not the only one")
    sync_all(mentor, mentee, member, mentor)

    views = [c.group_session(sid) for c in (mentor, mentee, member)]
    assert views[0] == views[1] == views[2]
    view = views[0]
    assert view.group_id == gid and view.date == "2026-12-09"
    assert "Café chat ☕" in view.notes and "Zoë: " in view.notes
    assert view.attendance == {server.people["mentee"]: True, third: False}
    assert view.accounts == {server.people["mentee"]: "Good to hear I'm not the only one"}

    member.set_attendance(sid, third, True)
    member.edit_group_notes(sid, utf16_len(view.notes), 0, " 👋")
    member.set_my_group_account(sid, "Late but there")
    sync_all(member, mentor)
    again = mentor.group_session(sid)
    assert again.attendance[third] is True
    assert again.notes.endswith(" 👋")
    assert again.accounts[third] == "Late but there"
    assert [s.id for s in mentor.group_sessions(gid)] == [sid]

    # Moved to another day by a member; everyone sees the new day.
    member.reschedule_group_session(sid, "2026-12-10")
    sync_all(member, mentor, mentee)
    assert mentor.group_session(sid).date == mentee.group_session(sid).date == "2026-12-10"
    with pytest.raises(alongside.AlongsideError.Invalid):
        member.reschedule_group_session(sid, "10 December")
    with pytest.raises(alongside.AlongsideError.NotFound):
        member.reschedule_group_session("00000000-0000-4000-8000-000000000000", "2026-12-10")
    with pytest.raises(alongside.AlongsideError.NotFound):
        member.join_group_session(sid, "00000000-0000-4000-8000-000000000000", "2026-12-09")


def test_kotlin_scheme_program(server, tmp_path):
    jar = os.environ.get("ALONGSIDE_KOTLIN_JAR")
    if not jar:
        if os.environ.get("ALONGSIDE_REQUIRE_KOTLIN"):
            pytest.fail("ALONGSIDE_KOTLIN_JAR is not set: scripts/test-bindings compiles it")
        pytest.skip("the Kotlin program is compiled by scripts/test-bindings")
    third = add_member(server, "third")
    gid = make_group(server, [server.people["mentee"], third])
    done = subprocess.run(
        ["java", f"-Djna.library.path={BINDINGS}", "-cp", f"{jar}:/usr/share/java/jna.jar", "scheme.SchemeKt",
         server.url, server.mentorship, gid, third, str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "kotlin scheme: ok" in done.stdout
