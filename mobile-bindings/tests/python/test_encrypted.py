"""An encrypted data folder through the Python bindings: Client(data_dir, url, key)."""

import hashlib
import os

import pytest

from conftest import PASSWORD

NOTE = "Helped Mr Okafor with his hoist transfer, room 12"
EMAIL = "mentor@bindings.example"


def folder_bytes(folder):
    """Every file under the folder, recursively: path -> bytes."""
    return {
        path: path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def holding(folder, secrets):
    """The (file, secret) pairs where a file's bytes contain a secret."""
    found = []
    for path, data in folder_bytes(folder).items():
        for secret in secrets:
            if secret.encode() in data or secret.encode("utf-16-le") in data:
                found.append((path.name, secret))
    return found


def write_and_sync(alongside, server, folder, key):
    client = alongside.Client(str(folder), server.url, key)
    client.login(EMAIL, PASSWORD, "keyed phone")
    sid = client.create_session(server.mentorship, "shadowing", "2026-06-01")
    client.edit_notes(sid, 0, 0, NOTE)
    client.sync()
    return client, sid


def test_with_a_key_no_file_holds_the_note_or_the_email(server, alongside, tmp_path):
    plain_folder, keyed_folder = tmp_path / "plain", tmp_path / "keyed"
    plain, _ = write_and_sync(alongside, server, plain_folder, None)
    keyed, sid = write_and_sync(alongside, server, keyed_folder, os.urandom(32))
    # The scan finds them where nothing is encrypted, so it can fail.
    assert holding(plain_folder, [NOTE])
    assert holding(plain_folder, [EMAIL])
    # While the app runs (the log is live) and after it is closed.
    assert holding(keyed_folder, [NOTE, EMAIL, "Mentor"]) == []
    assert keyed.session(sid).notes == NOTE
    del keyed
    assert holding(keyed_folder, [NOTE, EMAIL, "Mentor"]) == []


def test_a_wrong_key_is_storage_and_changes_nothing(server, alongside, tmp_path):
    folder, key = tmp_path / "phone", os.urandom(32)
    client, sid = write_and_sync(alongside, server, folder, key)
    del client
    before = {p: hashlib.sha256(b).hexdigest() for p, b in folder_bytes(folder).items()}
    with pytest.raises(alongside.AlongsideError.Storage):
        alongside.Client(str(folder), server.url, os.urandom(32))
    with pytest.raises(alongside.AlongsideError.Storage):
        alongside.Client(str(folder), server.url)
    after = {p: hashlib.sha256(b).hexdigest() for p, b in folder_bytes(folder).items()}
    assert after == before
    again = alongside.Client(str(folder), server.url, key)
    assert again.session(sid).notes == NOTE


def test_a_key_must_be_32_bytes(server, alongside, tmp_path):
    for length in (0, 16, 31, 33):
        with pytest.raises(alongside.AlongsideError.Invalid):
            alongside.Client(str(tmp_path / f"phone-{length}"), server.url, bytes(length))


def test_a_plain_folder_is_encrypted_on_the_first_start_with_a_key(server, alongside, tmp_path):
    folder, key = tmp_path / "phone", os.urandom(32)
    plain = alongside.Client(str(folder), server.url)
    account = plain.login(EMAIL, PASSWORD, "upgraded phone")
    sid = plain.create_session(server.mentorship, "meeting", "2026-06-02")
    plain.edit_notes(sid, 0, 0, NOTE)
    assert plain.pending() == 1
    del plain
    assert holding(folder, [NOTE])

    upgraded = alongside.Client(str(folder), server.url, key)
    assert upgraded.account() == account
    assert upgraded.pending() == 1
    assert upgraded.session(sid).notes == NOTE
    assert holding(folder, [NOTE, EMAIL]) == []
    assert upgraded.sync().docs_sent == 1
    assert upgraded.pending() == 0
