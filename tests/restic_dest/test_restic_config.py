"""[[destination]] tables of type restic: accepted forms and ConfigErrors naming key and line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.restic_dest.conftest import make_dest, password_file
from tui_backup.destinations.restic import decode_layout, encode_layout
from tui_backup.errors import ConfigError
from tui_backup.jobs.errors import ErrorKind, JobError


def test_password_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pw = password_file(tmp_path)
    d = make_dest(tmp_path, {"repository": "repo", "password_file": "secrets/restic.pw"})
    assert d.repository == str(tmp_path / "repo")
    assert d.env()["RESTIC_PASSWORD_FILE"] == str(pw) and "RESTIC_PASSWORD" not in d.env()
    assert d.password.file_warning() is None
    pw.chmod(0o644)
    assert "chmod 600" in (d.password.file_warning() or "")

    d = make_dest(tmp_path, {"repository": "/r", "password_command": "pass show restic"})
    assert d.env()["RESTIC_PASSWORD_COMMAND"] == "pass show restic"

    d = make_dest(tmp_path, {"repository": "/r", "password_env": "VAULT_PW"})
    monkeypatch.delenv("VAULT_PW", raising=False)
    with pytest.raises(JobError) as err:
        d.env()
    assert "VAULT_PW" in err.value.message
    monkeypatch.setenv("VAULT_PW", "pw")
    assert d.env()["RESTIC_PASSWORD"] == "pw"
    assert d.env()["RESTIC_REPOSITORY"] == "/r"
    assert not any(k.startswith("RESTIC_") and k not in ("RESTIC_PASSWORD", "RESTIC_REPOSITORY")
                   for k in d.env())

    d = make_dest(tmp_path, {"repository": "/r", "password_keyring": "tui-backup/offsite"})
    try:
        import keyring  # noqa: F401
    except ImportError:
        with pytest.raises(JobError) as err:
            d.env()
        assert err.value.kind is ErrorKind.TOOL_MISSING and "keyring" in err.value.message


@pytest.mark.parametrize(
    ("table", "key", "needle"),
    [
        ({"password_file": "x"}, "repository", "needs a repository"),
        ({"repository": "/r"}, "password_file", "exactly one"),
        ({"repository": "/r", "password_file": "x", "password_env": "Y"}, "password_env", "exactly one"),
        ({"repository": "/r", "password_env": "not a name"}, "password_env", "variable name"),
        ({"repository": "/r", "password_keyring": "nouser"}, "password_keyring", "service/user"),
        ({"repository": "/r", "password_env": "P", "auto_init": "yes"}, "auto_init", "true or false"),
        ({"repository": "/r", "password_env": "P", "env": {"AWS_SECRET_ACCESS_KEY": "s"}}, "env", "secret"),
        ({"repository": "/r", "password_env": "P", "env": {"RESTIC_PASSWORD": "s"}}, "env", "set by the tool"),
        ({"repository": "/r", "password_env": "P", "port": 22}, "port", "only to sftp"),
        ({"repository": "/r", "password_env": "P", "colour": 1}, "colour", "unknown key"),
        ({"repository": "sftp:h:/r", "password_env": "P", "port": 0}, "port", "port number"),
        ({"repository": "-r", "password_env": "P"}, "repository", "not a usable"),
    ],
)
def test_config_errors(tmp_path: Path, table: dict[str, Any], key: str, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        make_dest(tmp_path, table)
    assert err.value.key == f"destination[1].{key}"
    assert err.value.line == 7
    assert needle in err.value.message


def test_env_file_and_remote_forms(tmp_path: Path) -> None:
    ef = tmp_path / "b2.env"
    ef.write_text("# comment\nexport B2_ACCOUNT_KEY='k'\nB2_ACCOUNT_ID=i\n")
    ef.chmod(0o600)
    d = make_dest(tmp_path, {"repository": "rest:https://u:secret@h:8000/r", "password_env": "P", "env_file": str(ef)})
    assert d.extra_env == {"B2_ACCOUNT_KEY": "k", "B2_ACCOUNT_ID": "i"}
    assert "secret" not in d.describe() and d.volume() is None
    os.chmod(ef, 0o644)
    with pytest.raises(ConfigError, match="readable by other users"):
        make_dest(tmp_path, {"repository": "/r", "password_env": "P", "env_file": str(ef)})


def test_layout_tag_round_trip() -> None:
    layout = {"files/a,b": "/x/a,b", "metadata.json": "/tmp/t/metadata.json"}
    tag = encode_layout(layout)
    assert "," not in tag
    assert decode_layout(["tui-backup", tag]) == layout
    assert decode_layout(["tui-backup-layout=garbage!"]) is None
