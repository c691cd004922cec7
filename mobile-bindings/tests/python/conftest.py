"""Fixtures: the generated `alongside` module and a real `alongside serve` process
on a free port, seeded through the real command line."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BINDINGS = Path(os.environ.get("ALONGSIDE_BINDINGS_DIR", ROOT / "target" / "bindings")) / "python"
SERVER_BIN = Path(os.environ.get("ALONGSIDE_SERVER_BIN", ROOT / "target" / "debug" / "alongside"))
PASSWORD = "correct horse battery staple"
sys.path.insert(0, str(BINDINGS))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A seeded server: one organisation, a coordinator, and one mentor-mentee pair."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            os.environ,
            ALONGSIDE_DATABASE_URL=f"sqlite://{workdir / 'server.sqlite3'}",
            ALONGSIDE_DATA_DIR=str(workdir / "data"),
            ALONGSIDE_JWT_SECRET="ab" * 32,
        )
        self.process = None
        self.cli("migrate")
        org = self.cli("org", "create", "--name", "Binding Test Care")
        self.org = org
        self.people = {}
        for who, role in [("mentor", "mentor"), ("mentee", "mentee"), ("coordinator", "coordinator")]:
            email = f"{who}@bindings.example"
            self.people[who] = self.cli(
                "user", "add", "--org", org, "--email", email, "--name", who.title(),
                "--role", role, "--password", PASSWORD,
            )
        self.mentorship = self.cli(
            "pair", "--org", org, "--mentor", "mentor@bindings.example", "--mentee", "mentee@bindings.example"
        )
        self.start()

    def cli(self, *args):
        done = subprocess.run([str(SERVER_BIN), *args], env=self.env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    def start(self):
        self.process = subprocess.Popen(
            [str(SERVER_BIN), "serve", "--bind", f"127.0.0.1:{self.port}"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not become ready")

    def stop(self):
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None

    def post(self, path, body, token=None):
        request = urllib.request.Request(
            f"{self.url}{path}", data=json.dumps(body).encode(), method="POST",
            headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def request(self, method, path, body, token):
        request = urllib.request.Request(
            f"{self.url}{path}", data=json.dumps(body).encode(), method=method,
            headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def coordinator_token(self):
        reply = self.post("/v1/auth/login", {
            "email": "coordinator@bindings.example", "password": PASSWORD, "device_name": "console"})
        return reply["access_token"]


def cannot_run(reason):
    """Skips with the reason when run by hand; fails under scripts/test-bindings,
    which sets ALONGSIDE_BINDINGS_DIR after building everything the tests need."""
    if os.environ.get("ALONGSIDE_BINDINGS_DIR"):
        pytest.fail(reason)
    pytest.skip(f"{reason}; scripts/test-bindings builds it")


@pytest.fixture
def server(tmp_path):
    if not SERVER_BIN.exists():
        cannot_run(f"no server binary at {SERVER_BIN}")
    server = Server(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def alongside():
    try:
        import alongside as module
    except ImportError as error:
        cannot_run(f"the generated Python module is not in {BINDINGS} ({error})")
    return module


@pytest.fixture
def phone(tmp_path, server, alongside):
    """phone(who) -> a signed-in Client in its own data folder."""
    def make(who, name=None):
        folder = tmp_path / f"phone-{name or who}"
        client = alongside.Client(str(folder), server.url)
        client.login(f"{who}@bindings.example", PASSWORD, f"{who}'s phone")
        return client
    return make
