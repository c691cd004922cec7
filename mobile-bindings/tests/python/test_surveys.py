"""Issue 15's surveys through the generated Python module (and the Kotlin program
in tests/kotlin/Surveys.kt) against a real server: the default Induction
programme's day 30 survey due on a starter's phone, bad answers refused,
answered and synced; a survey at close due to both once the pairing ends."""

import datetime
import os
import subprocess

import pytest

from conftest import BINDINGS, PASSWORD

SCALES = ["confidence", "support", "availability", "stay", "match"]


def starter(server, who="starter", days=40):
    """A mentee paired with the mentor, started `days` ago; returns the pairing id."""
    server.cli(
        "user", "add", "--org", server.org, "--email", f"{who}@bindings.example", "--name", who.title(),
        "--role", "mentee", "--password", PASSWORD,
    )
    start = (datetime.date.today() - datetime.timedelta(days=days)).isoformat()
    return server.cli(
        "pair", "--org", server.org, "--mentor", "mentor@bindings.example",
        "--mentee", f"{who}@bindings.example", "--start", start,
    )


def answers(alongside, score=4, comment=None):
    out = [alongside.SurveyAnswer(question_id=q, score=score, text=None) for q in SCALES]
    if comment is not None:
        out.append(alongside.SurveyAnswer(question_id="comment", score=None, text=comment))
    return out


def test_day_30_survey_answered_after_bad_answers_are_refused(server, phone, alongside):
    m = starter(server)
    mentee = phone("starter")
    due = mentee.due_surveys()
    assert [(d.mentorship_id, d.survey_key) for d in due] == [(m, "day_30")]
    assert due[0].due_on == (datetime.date.today() - datetime.timedelta(days=10)).isoformat()
    assert [q.kind for q in due[0].questions] == ["scale"] * 5 + ["text"]

    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.answer_survey(m, "day_30", answers(alongside, score=0), False)
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.answer_survey(m, "day_30", answers(alongside)[1:], False)
    unknown = answers(alongside) + [alongside.SurveyAnswer(question_id="pay", score=3, text=None)]
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.answer_survey(m, "day_30", unknown, False)
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.answer_survey(m, "day_90", answers(alongside), False)
    with pytest.raises(alongside.AlongsideError.NotFound):
        mentee.answer_survey(m, "no_such_survey", answers(alongside), False)
    assert mentee.pending() == 0

    mentee.answer_survey(m, "day_30", answers(alongside, comment="Settling in 🌱"), True)
    assert mentee.due_surveys() == []
    assert mentee.pending() == 1
    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.answer_survey(m, "day_30", answers(alongside), False)
    assert mentee.sync().rejected == []
    assert mentee.pending() == 0
    # The mentor is not asked the mentee's surveys.
    assert phone("mentor").due_surveys() == []


def test_close_survey_due_to_both_when_the_pairing_ends(server, phone, alongside):
    mentor, mentee = phone("mentor"), phone("mentee")
    assert mentee.due_surveys() == []
    server.post(f"/v1/mentorships/{server.mentorship}/end",
                {"reason": "Induction done", "outcome": "completed"}, server.coordinator_token())
    for client in (mentor, mentee):
        ended = [p for p in client.mentorships() if p.id == server.mentorship][0]
        assert ended.ended_on == datetime.date.today().isoformat()
        assert [d.survey_key for d in client.due_surveys()] == ["close"]
    mentor.answer_survey(server.mentorship, "close", answers(alongside, score=5), False)
    assert mentor.due_surveys() == []
    assert [d.survey_key for d in mentee.due_surveys()] == ["close"]
    for client in (mentor, mentee, mentor):
        assert client.sync().rejected == []


def test_kotlin_surveys_program(server, tmp_path):
    jar = os.environ.get("ALONGSIDE_KOTLIN_JAR")
    if not jar:
        if os.environ.get("ALONGSIDE_REQUIRE_KOTLIN"):
            pytest.fail("ALONGSIDE_KOTLIN_JAR is not set: scripts/test-bindings compiles it")
        pytest.skip("the Kotlin program is compiled by scripts/test-bindings")
    m = starter(server, "kstarter")
    done = subprocess.run(
        ["java", f"-Djna.library.path={BINDINGS}", "-cp", f"{jar}:/usr/share/java/jna.jar", "surveys.SurveysKt",
         server.url, m, str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "kotlin surveys: ok" in done.stdout
