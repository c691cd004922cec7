"""Issue 15's concerns through the generated Python module against a real
server: raised offline on the mentee's phone, answered by the coordinator over
the HTTP API, the answer read back on the phone; the mentor never holds it."""

import json
import urllib.error
import urllib.request

import pytest

from conftest import PASSWORD

WORRY = "Bruising seen after the night shift; Zoë said not to mention it 😟"


def test_concern_raised_offline_is_answered_and_never_reaches_the_partner(server, phone, alongside, tmp_path):
    mentee, mentor = phone("mentee"), phone("mentor")
    m = server.mentorship

    with pytest.raises(alongside.AlongsideError.Invalid):
        mentee.raise_concern(m, "gossip", WORRY)

    # With the server down the concern is still written and readable.
    server.stop()
    concern_id = mentee.raise_concern(m, "safeguarding", WORRY)
    assert mentee.pending() == 1
    with pytest.raises(alongside.AlongsideError.Offline):
        mentee.sync()
    [held] = mentee.concerns()
    assert (held.id, held.kind, held.status, held.text, held.response) == (concern_id, "safeguarding", "open", WORRY, "")
    server.start()
    assert mentee.sync().rejected == []

    token = server.coordinator_token()
    request = urllib.request.Request(f"{server.url}/v1/concerns?status=open", headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        listed = json.loads(response.read())
    assert [(c["id"], c["text"]) for c in listed] == [(concern_id, WORRY)]

    answered = server.post(f"/v1/concerns/{concern_id}/close", {"response": "Passed to the safeguarding lead."}, token)
    assert answered["status"] == "closed"
    assert mentee.sync().rejected == []
    [held] = mentee.concerns()
    assert (held.status, held.response) == ("closed", "Passed to the safeguarding lead.")
    assert held.acknowledged_at and held.closed_at

    # The partner syncs and holds nothing of it; the API refuses them.
    assert mentor.sync().rejected == []
    assert mentor.concerns() == []
    mentor_token = server.post("/v1/auth/login", {
        "email": "mentor@bindings.example", "password": PASSWORD, "device_name": "laptop"})["access_token"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(
            f"{server.url}/v1/concerns", headers={"authorization": f"Bearer {mentor_token}"}), timeout=10)
    assert refused.value.code == 403
