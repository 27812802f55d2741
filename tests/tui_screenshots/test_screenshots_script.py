"""scripts/screenshots.py runs and writes every picture the README shows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "screenshots.py"
EXPECTED = {
    "dashboard", "snapshots", "policies", "destinations", "jobs", "trash", "journal",
    "ansi16-80x24", "wizard-points", "wizard-dry-run",
}


def words(svg: str) -> str:
    """The SVG's visible text, roughly: tags dropped, Textual's non-breaking spaces undone."""
    return re.sub(r"<[^>]+>", "", svg).replace("&#160;", " ")


@pytest.mark.slow
def test_the_script_writes_every_screenshot(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = {p.stem for p in tmp_path.glob("*.svg")}
    assert written == EXPECTED
    svgs = {name: (tmp_path / f"{name}.svg").read_text(encoding="utf-8") for name in EXPECTED}
    assert all(svg.lstrip().startswith("<svg") for svg in svgs.values())
    # Each picture shows what it is named after (the demo's deterministic data).
    assert "profile: demo" in words(svgs["dashboard"])
    assert "before upgrade" in words(svgs["snapshots"])
    assert "nightly" in words(svgs["policies"])
    assert "Restore points" in words(svgs["destinations"])
    assert "removed from the library" in words(svgs["trash"]) or "press" in words(svgs["trash"])
    assert "Restore wizard" in words(svgs["wizard-points"])
    assert "step 4/5" in words(svgs["wizard-dry-run"])
    # Nothing of this machine or this run: the temporary home shows as ~.
    for name, svg in svgs.items():
        assert "tui-backup-screenshots-" not in svg, name
    # The README shows every one, by a relative link.
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"(screenshots/{name}.svg)" in readme, name
