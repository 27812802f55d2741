"""A drill from a real restic repository: this policy's snapshot is restored and proven;
a newer snapshot made by plain restic (foreign) is never drilled."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml, open_service
from tests.remote.conftest import password_file, restic_template  # noqa: F401  (fixture)
from tui_backup.catalog import policy_runs
from tui_backup.service.drill import scratch_parent


@pytest.mark.slow
def test_restic_drill(profile_config: Path, tmp_path: Path, restic_template: Path) -> None:  # noqa: F811
    repo = tmp_path / "repo"
    shutil.copytree(restic_template, repo)
    pw = password_file(tmp_path)
    add_destination(profile_config, "vault", "restic", repository=repo, password_file=pw)
    append_toml(profile_config, '\n[[policy]]\nname = "offsite"\ndestination = "vault"\nfrequency = "daily"\n')
    with open_service(profile_config) as svc:
        assert svc.run_backup("vault", "full", policy="offsite").ok
        own = svc.list_restore_points("vault")[0].id
        # A snapshot made by plain restic, newer than ours: foreign, skipped.
        other = tmp_path / "other"
        other.mkdir()
        (other / "x.txt").write_text("x\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTIC_")}
        subprocess.run(
            ["restic", "-r", str(repo), "--no-cache", "backup", "--time", "2099-01-01 00:00:00", "--", str(other)],
            env={**env, "RESTIC_PASSWORD_FILE": str(pw)}, check=True, capture_output=True, stdin=subprocess.DEVNULL,
        )
        assert len(svc.list_restore_points("vault")) == 2

        result = svc.drill_policy("offsite")
        assert result.ok, result
        assert result.point_id == own and result.checked_files == 5 and "integrity_check" in result.database
        run = policy_runs.last_run(svc.catalog, "offsite", policy_runs.DRILL)
        assert run is not None and run.ok and run.point_id == own
        assert os.listdir(scratch_parent(svc)) == []
