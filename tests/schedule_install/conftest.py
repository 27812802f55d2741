"""Every test edits a crontab file of its own unless it asks for the real crontab."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_backup.service import schedule_install as si


@pytest.fixture(autouse=True)
def crontab_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "crontab-file"
    monkeypatch.setenv(si.CRONTAB_FILE_ENV, str(path))
    return path
