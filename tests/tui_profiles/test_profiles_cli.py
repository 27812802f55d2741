"""`tui-backup profiles`: each profile's health as `status` computes it, and its last backup."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import cli
from tui_backup.config import profile_path


def test_profiles_show_health_and_last_backup(app_dir: Path, broken_profile: Path) -> None:
    db = f"sqlite://{app_dir / 'app.db'}"
    for name in ("beta", "alpha"):
        assert cli("init", "--name", name, "--db", db).exit_code == 0
    assert cli("--profile", "alpha", "snapshot", "create").exit_code == 0
    listed = {p["name"]: p for p in cli("profiles", "--json").json()}
    assert set(listed) == {"alpha", "beta", "broken"}
    alpha, beta, broken = listed["alpha"], listed["beta"], listed["broken"]
    assert alpha["config"] == str(profile_path("alpha"))
    # The same health as `status` gives for that profile.
    assert alpha["health"] == cli("--profile", "alpha", "status", "--json").json()["health"]
    assert alpha["last_backup_at"] is not None and 0 <= alpha["last_backup_age_s"] < 600
    assert beta["health"] == "warn" and beta["last_backup_at"] is None and "snapshot" in beta["summary"]
    assert broken["health"] == "error" and "nosuch" in broken["summary"]
    text = cli("profiles").stdout
    assert "never" in text and "cannot open" in text and "just now" in text
