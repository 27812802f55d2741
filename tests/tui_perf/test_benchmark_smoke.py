"""benchmarks/tui.py still runs end to end (a short round): the app in a real pty, a real
job streaming in another process, the Journal pane on a (small) journal, the figures printed. The figures are not asserted here:
they depend on the machine (the budget is checked by running the benchmark itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "tui.py"


@pytest.mark.slow
def test_benchmark_runs_one_short_round(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, str(BENCH), "--rounds", "1", "--seconds", "3", "--rate", "500", "--startup-rounds", "1",
         "--journal-entries", "2000", "--journal-rounds", "1", "--journal-pages", "2", "--json", str(out)],
        capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "round 1: startup" in run.stdout and "latency_p95_ms" in run.stdout
    figures = json.loads(out.read_text())["figures"]
    assert figures["bytes_per_s"] > 0 and figures["startup_s"] > 0 and figures["startup_cpu_s"] > 0
    assert figures["latency_p50_ms"] > 0 and len(json.loads(out.read_text())["startups"]) == 2
    # The Journal pane on its own profile: opened, two more pages read, the app's memory read.
    journal = json.loads(out.read_text())["journal"]
    assert len(journal) == 1 and len(journal[0]["pages_s"]) == 2
    assert figures["journal_open_s"] > 0 and 20 < figures["journal_rss_mb"] < 1000
