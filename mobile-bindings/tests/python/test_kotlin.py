"""Runs the Kotlin program (tests/kotlin/Main.kt, compiled against the generated
Kotlin bindings by scripts/test-bindings) against a real server."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import BINDINGS

JAR = os.environ.get("ALONGSIDE_KOTLIN_JAR")
JNA = "/usr/share/java/jna.jar"


def test_kotlin_program_logs_in_edits_syncs_and_reads_back(server, tmp_path):
    if not JAR:
        if os.environ.get("ALONGSIDE_REQUIRE_KOTLIN"):
            pytest.fail("ALONGSIDE_KOTLIN_JAR is not set: scripts/test-bindings compiles it")
        pytest.skip("the Kotlin program is compiled by scripts/test-bindings")
    issued = server.post(f"/v1/people/{server.people['mentee']}/password-reset", {}, token=server.coordinator_token())
    done = subprocess.run(
        ["java", f"-Djna.library.path={BINDINGS}", "-cp", f"{JAR}:{JNA}", "MainKt",
         server.url, server.mentorship, str(tmp_path), issued["code"]],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "kotlin bindings: ok" in done.stdout
