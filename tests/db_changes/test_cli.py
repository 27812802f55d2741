"""`tui-backup snapshot diff [OLD] [NEW] [--json] [--keys N]`."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import assert_error, cli
from tests.db_changes.conftest import sql
from tui_backup.service import ProfileService


def test_diff_text_and_json(svc: ProfileService, profile_config: Path) -> None:
    c = str(profile_config)
    assert_error(cli("-c", c, "snapshot", "diff"), 2, "no snapshot has a row index")
    first = svc.create_snapshot("one")
    db = svc.config.source.database.path
    assert db is not None
    sql(db, "DELETE FROM assets WHERE id <= 5; UPDATE tags SET label = 'x' WHERE id = 2; CREATE TABLE extra (v);")
    second = svc.create_snapshot("two")

    r = cli("-c", c, "snapshot", "diff", "--json", "--keys", "2")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert (data["old"]["id"], data["new"]["id"], data["changed"]) == (first.id, second.id, True)
    tables = {t["table"]: t for t in data["tables"]}
    assert tables["assets"]["deleted"] == 5 and tables["assets"]["samples"] == {"deleted": [1, 2]}
    assert tables["tags"]["updated"] == 1 and data["tables_added"] == ["extra"]
    assert [s["name"] for s in data["schema"]] == ["extra"]

    r = cli("-c", c, "snapshot", "diff", first.id, "latest")
    assert r.exit_code == 0, r.stderr
    for fragment in ("assets", "deleted (id): 1, 2, 3, 4, 5", "tags updated (id): 2", "added table extra"):
        assert fragment in r.stdout, r.stdout

    r = cli("-c", c, "snapshot", "diff", second.id, second.id)
    assert r.exit_code == 0 and "no changes (4 tables compared)" in r.stdout
    assert_error(cli("-c", c, "snapshot", "diff", "nope"), 2, "no snapshot 'nope'")
    assert_error(cli("-c", c, "snapshot", "diff", "--keys", "-1"), 2, "--keys")
