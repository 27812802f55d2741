"""Bad config (issue 7, bad input): every key the schema knows given wrong values, malformed and
hostile TOML, and `config set` / `policy edit` / `policy add` given bad values. Every case ends
in one `error:` line and a `hint:` line, exit code 2, no traceback, and the config file is
byte-identical afterwards, whatever the command.

The commands run in-process (CliRunner through the same RootGroup error handling as the
console script); a few cases run the real `tui-backup` process to prove it is the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.helpers import Result, cli, run_bin
from tests.reliability.conftest import CaseRecorder, CaseRow
from tests.reliability.hostile import (
    HOSTILE_SNIPPETS,
    SchemaKey,
    base_config,
    mutations,
    sample_wrong,
    schema_keys,
    set_in,
    wrong_values,
)

AREA = "Bad input"
KEYS = schema_keys()
KEY_LABELS = [k.label for k in KEYS]

# Commands that load the config; each must refuse a bad one without touching it. `config set`
# and `policy edit` would rewrite the file if they did not validate the whole of it first.
LOADING_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("config", "validate"),
    ("status", "--json"),
    ("snapshot", "list"),
    ("snapshot", "create"),
    ("backup", "run", "usb"),
    ("policy", "list"),
    ("policy", "edit", "nightly", "--set", "state=paused"),
    ("config", "set", "snapshots.keep", "4"),
    ("trash", "list"),
    ("run-due",),
    ("volumes",),
)
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def assert_refused(result: Result) -> None:
    """Exit 2; the last stderr lines are one `error:` and one `hint:`; no traceback; nothing on
    stdout."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) >= 2, result.stderr
    assert lines[-2].startswith("error: ") and lines[-1].startswith("hint: "), result.stderr
    assert sum(line.startswith("error: ") for line in lines) == 1, result.stderr
    assert "this is a bug" not in result.stderr, result.stderr  # an unexpected exception is no clear error
    assert result.stdout == "", result.stdout


def run_refused(path: Path, *args: str) -> Result:
    """Run `args` on the config `path`: refused, and the file is left byte for byte."""
    before = path.read_bytes()
    result = cli("--config", str(path), *args)
    assert_refused(result)
    assert path.read_bytes() == before, f"{args} rewrote the config file"
    return result


@pytest.fixture
def base(app_dir: Path, drive: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The config file's path and a valid text for it (see hostile.base_config)."""
    text = base_config(app_dir, drive)
    path = tmp_path / "profile.toml"
    path.write_text(text)
    path.chmod(0o600)
    assert cli("--config", str(path), "config", "validate").exit_code == 0
    yield path, text


def _key_row(cases: CaseRecorder) -> CaseRow:
    return cases(AREA, f"config: a wrong value for each of the {len(KEYS)} schema keys",
                 "exit 2, one error line + hint, no traceback; the config file is byte-identical")


def _check_wrong_value(path: Path, text: str, sk: SchemaKey, value: Any, command: tuple[str, ...]) -> None:
    path.write_text(set_in(text, sk, value))
    run_refused(path, "config", "validate")
    if command != ("config", "validate"):
        run_refused(path, *command)


@pytest.mark.slow
def test_every_key_gets_each_kind_of_wrong_value(base: tuple[Path, str], cases: CaseRecorder) -> None:
    """A sweep: every schema key, a value of a wrong TOML type (rotating, so every type is
    tried), its bounds and the strings its kind refuses; the first value of each key also
    through one other command, in turn (hypothesis below adds random ones)."""
    path, text = base
    row = _key_row(cases)
    for i, sk in enumerate(KEYS):
        for j, value in enumerate(sample_wrong(sk, turn=i, per_type=1)):
            command = LOADING_COMMANDS[i % len(LOADING_COMMANDS)] if j == 0 else ("config", "validate")
            _check_wrong_value(path, text, sk, value, command)
            row.tried += 1


def test_required_keys_missing(base: tuple[Path, str], cases: CaseRecorder) -> None:
    path, text = base
    row = cases(AREA, "config: a required key missing", "exit 2, error names the key, file byte-identical")
    required = [sk for sk in KEYS if sk.key.required]
    assert required
    for sk in required:
        path.write_text(set_in(text, sk, None))
        result = run_refused(path, "config", "validate")
        assert sk.key.name in result.stderr, result.stderr
        row.tried += 1


@st.composite
def _key_and_value(draw: st.DrawFn) -> tuple[SchemaKey, Any]:
    sk = draw(st.sampled_from(KEYS))
    return sk, draw(wrong_values(sk))


def _wrong_values_property(base: tuple[Path, str], cases: CaseRecorder) -> Any:
    path, text = base
    row = _key_row(cases)

    @given(case=_key_and_value(), command=st.sampled_from(LOADING_COMMANDS))
    def check(case: tuple[SchemaKey, Any], command: tuple[str, ...]) -> None:
        sk, value = case
        _check_wrong_value(path, text, sk, value, command)
        row.tried += 1

    return check


@pytest.mark.slow
def test_random_wrong_values(base: tuple[Path, str], cases: CaseRecorder) -> None:
    settings(FAST, max_examples=60)(_wrong_values_property(base, cases))()


@pytest.mark.long
def test_random_wrong_values_long(base: tuple[Path, str], cases: CaseRecorder) -> None:
    settings(FAST, max_examples=3000)(_wrong_values_property(base, cases))()


# ---- malformed and hostile TOML ----

MALFORMED_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("config", "validate"),
    ("config", "show"),
    ("config", "get", "snapshots.keep"),
    ("config", "set", "snapshots.keep", "4"),
    ("policy", "edit", "nightly", "--set", "state=paused"),
    ("policy", "list"),
    ("snapshot", "list"),
)  # (not `status`: its exit code also reports the profile's health)


def _malformed_property(base: tuple[Path, str], cases: CaseRecorder) -> Any:
    path, text = base
    row = cases(AREA, "config: malformed / hostile TOML (mutated files, deep nesting, bad UTF-8, NUL, BOM)",
                "exit 0 if still valid, else exit 2 with one error line + hint; never a traceback; "
                "a refused command leaves the file byte-identical")

    @given(data=mutations(text.encode()), command=st.sampled_from(MALFORMED_COMMANDS))
    def check(data: bytes, command: tuple[str, ...]) -> None:
        path.write_bytes(data)
        result = cli("--config", str(path), *command)
        assert "Traceback" not in result.stderr, result.stderr
        if result.exit_code != 0:
            assert_refused(result)
            assert path.read_bytes() == data, f"{command} rewrote a config it refused"
        row.tried += 1

    return check


@pytest.mark.slow
def test_malformed_toml(base: tuple[Path, str], cases: CaseRecorder) -> None:
    settings(FAST, max_examples=100)(_malformed_property(base, cases))()


@pytest.mark.long
def test_malformed_toml_long(base: tuple[Path, str], cases: CaseRecorder) -> None:
    settings(FAST, max_examples=4000)(_malformed_property(base, cases))()


@pytest.mark.parametrize("snippet", HOSTILE_SNIPPETS, ids=range(len(HOSTILE_SNIPPETS)))
def test_each_hostile_snippet(base: tuple[Path, str], cases: CaseRecorder, snippet: bytes) -> None:
    """Each hostile snippet, before the valid text and after it: refused cleanly."""
    path, text = base
    row = cases(AREA, "config: each hostile TOML snippet (prepended, appended)",
                "exit 2, one error line + hint, no traceback; file byte-identical")
    for data in (snippet + b"\n" + text.encode(), text.encode() + b"\n" + snippet):
        path.write_bytes(data)
        for command in (("config", "validate"), ("config", "set", "snapshots.keep", "4")):
            run_refused(path, *command)
            row.tried += 1


# ---- bad values given to the commands that edit the config ----

def _bad_raw(sk: SchemaKey) -> list[str]:
    """Command-line texts that are wrong for a top-level key (`config set` coerces the text
    to the key's type first)."""
    k = sk.key
    if k.type == "int":
        out = ["x", "1.5", ""]
        if k.minimum is not None:
            out.append(str(k.minimum - 1))
        if k.maximum is not None:
            out.append(str(k.maximum + 1))
        return out
    if k.type == "bool":
        return ["maybe", "2", ""]
    if k.type == "choice":
        return ["nope", "", "QUICK!"]
    if k.type == "str_list" and k.choices:
        return ["failure,sometimes"]
    if k.type == "db_url":
        return ["", "mysql://h/db", "sqlite://relative"]
    if k.name == "name":
        return ["has space", "", "-x", "a/b"]
    return []


@pytest.mark.slow
def test_config_set_bad_values(base: tuple[Path, str], cases: CaseRecorder) -> None:
    path, _ = base
    row = cases(AREA, "`config set` with a bad value for each schema key (and unknown keys)",
                "exit 2, one error line + hint; the file is byte-identical")
    top = [sk for sk in KEYS if "." not in sk.table]
    tried_keys = 0
    for sk in top:
        raws = _bad_raw(sk)
        tried_keys += bool(raws)
        for raw in raws:
            run_refused(path, "config", "set", "--", sk.label, raw)  # "--": a value may start with "-"
            row.tried += 1
    assert tried_keys >= 15
    for key in ("nosection", "snapshots.nokey", "nosuch.keep", "snapshots.", ".keep", "snapshots.keep.x"):
        run_refused(path, "config", "set", key, "3")
        row.tried += 1


def _policy_edit_bad(sk: SchemaKey) -> list[str]:
    """`--set KEY=VALUE` items that are wrong for a [[policy]] key."""
    k = sk.key
    prefix = "" if sk.table == "policy" else sk.table.split(".", 1)[1] + "."
    if sk.table == "policy.hook":
        prefix = "hooks.after."
    values = {"int": ["x", "1.5"], "bool": ["3"], "choice": ["nope"], "interval": ["abc", "-5m"],
              "span": ["5x"], "str_list": ['["sometimes"]'] if k.choices else ["3"],
              "table": ["3"], "str": ["3"]}[k.type]
    if k.type == "int" and k.minimum is not None:
        values.append(str(k.minimum - 1))
    if k.type == "int" and k.maximum is not None:
        values.append(str(k.maximum + 1))
    if k.name in ("name", "time", "cron", "timezone") and sk.table == "policy":
        values += ['"has space"' if k.name == "name" else '"25:99"', '"* *"']
    return [f"{prefix}{k.name}={v}" for v in values]


@pytest.mark.slow
def test_policy_edit_bad_values(base: tuple[Path, str], cases: CaseRecorder) -> None:
    path, _ = base
    row = cases(AREA, "`policy edit --set` with a bad value for each [[policy]] key",
                "exit 2, one error line + hint; the file is byte-identical")
    for sk in (k for k in KEYS if k.table.startswith("policy")):
        for item in _policy_edit_bad(sk):
            run_refused(path, "policy", "edit", "nightly", "--set", item)
            row.tried += 1
    for args in (("nosuch", "--set", "state=paused"), ("nightly", "--set", "nokey=1"),
                 ("nightly", "--set", "noequals"), ("nightly", "--unset", "name"),
                 ("nightly", "--unset", "destination"), ("nightly",)):
        run_refused(path, "policy", "edit", *args)
        row.tried += 1


def test_policy_add_bad_values(base: tuple[Path, str], cases: CaseRecorder) -> None:
    path, _ = base
    row = cases(AREA, "`policy add` with bad flags", "exit 2, one error line + hint; the file is byte-identical")
    good = ["--name", "other", "--destination", "usb"]
    bad: list[list[str]] = [
        ["--name", "nightly", "--destination", "usb"],  # a duplicate
        ["--name", "has space", "--destination", "usb"],
        ["--name", "other", "--destination", "nowhere"],
        ["--name", "other"],
        [*good, "--frequency", "fortnightly"],
        [*good, "--frequency", "daily", "--time", "25:00"],
        [*good, "--frequency", "weekly", "--weekday", "someday"],
        [*good, "--frequency", "monthly", "--day", "32"],
        [*good, "--cron", "* * *"],
        [*good, "--every", "abc"],
        [*good, "--every", "10s"],
        [*good, "--timezone", "Mars/Olympus"],
        [*good, "--keep-daily", "0"],
        [*good, "--keep-within", "5x"],
        [*good, "--max-age", "-1d"],
        [*good, "--include", "everything"],
        [*good, "--timeout", "forever"],
        [*good, "--frequency", "daily", "--cron", "0 3 * * *"],
    ]
    for args in bad:
        run_refused(path, "policy", "add", *args)
        row.tried += 1


# ---- the same through the real console script ----

@pytest.mark.slow
def test_real_processes(base: tuple[Path, str], cases: CaseRecorder) -> None:
    """A few cases as real `tui-backup` processes: the console script reports them the same."""
    path, text = base
    row = cases(AREA, "config: bad files through the real `tui-backup` process",
                "exit 2, one error line + hint, no traceback; file byte-identical")
    days = next(sk for sk in KEYS if sk.label == "trash.retention_days")
    samples = [
        b"\xff\xfe not utf-8",
        b"[" * 5000,
        set_in(text, days, "ten").encode(),
        text.encode() + b"\n[profile]\n",
    ]
    for data in samples:
        path.write_bytes(data)
        for cmd in (("config", "validate"), ("config", "set", "snapshots.keep", "4")):
            result = run_bin("--config", str(path), *cmd)
            assert_refused(result)
            assert path.read_bytes() == data
            row.tried += 1
    path.write_text(text)
    edits: tuple[tuple[str, ...], ...] = (("config", "set", "snapshots.keep", "0"),
                                          ("policy", "edit", "nightly", "--set", "day=40"))
    for args in edits:
        result = run_bin("--config", str(path), *args)
        assert_refused(result)
        assert path.read_text() == text
        row.tried += 1
