"""`[[policy]]` tables -> Policy: the seed policies as the issue writes them, every kind of
mistake as a ConfigError naming file, line and dotted key, and the global sections."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tui_backup.config import ConfigDocument, load_config
from tui_backup.errors import ConfigError
from tui_backup.policies.durations import Interval, Span
from tui_backup.policies.model import Hook, RetentionSpec, ScheduleSpec

Append = Callable[[str], Path]


def test_seed_dam_inline_destination_every_frequency(append: Append, tmp_path: Path) -> None:
    """DAM: type, path, password, frequency daily/weekly/monthly/yearly, time defaulting to
    02:00, keep N, active."""
    pw = tmp_path / "dam.pw"
    pw.write_text("secret\n")
    pw.chmod(0o600)
    blocks = []
    for freq in ("daily", "weekly", "monthly", "yearly"):
        blocks.append(
            f'[[policy]]\nname = "dam-{freq}"\nfrequency = "{freq}"\nstate = "active"\n\n'
            f'[policy.destination]\ntype = "restic"\nrepository = "{tmp_path / ("repo-" + freq)}"\n'
            f'password_file = "{pw}"\n\n[policy.retention]\nkeep_last = 7\n'
        )
    blocks.append(
        f'[[policy]]\nname = "dam-local"\nfrequency = "daily"\ntime = "23:30"\n'
        f'destination = {{ type = "local", path = "{tmp_path / "dam-copies"}" }}\nretention = {{ keep_last = 3 }}\n'
    )
    config = load_config(append("\n".join(blocks)))
    by_name = {p.name: p for p in config.policies}
    for freq in ("daily", "weekly", "monthly", "yearly"):
        p = by_name[f"dam-{freq}"]
        assert p.schedule == ScheduleSpec(frequency=freq)  # type: ignore[arg-type]
        assert p.schedule.time == "02:00"
        assert p.retention == RetentionSpec(keep_last=7)
        assert p.active and p.destination == f"dam-{freq}"
    dests = {d.name: d for d in config.destinations}
    assert dests["dam-daily"].type == "restic" and dests["dam-daily"].where == "policy.dam-daily.destination"
    assert dests["dam-local"].type == "local" and by_name["dam-local"].schedule.time == "23:30"
    assert "usb" in dests  # the [[destination]]s come first


def test_seed_sound_box_blockshelf_bibliotheca(append: Append) -> None:
    config = load_config(append(
        '[[policy]]\nname = "soundbox"\ndestination = "usb"\nfrequency = "daily"\ntime = "03:00"\n\n'
        '[policy.retention]\nkeep_within = "14d"\nkeep_within_weekly = "74d"\n\n'
        '[[policy]]\nname = "blockshelf"\ndestination = "usb"\nfrequency = "daily"\n\n'
        '[policy.retention]\nkeep_daily = 30\nkeep_weekly = 12\nkeep_monthly = 12\n\n'
        '[[policy]]\nname = "bibliotheca"\ndestination = "usb"\ninclude = "database"\nevery = "6h"\n\n'
        '[policy.retention]\nmax_age = "90d"\nmax_count = 10\n'
    ))  # fmt: skip
    sound, shelf, bib = config.policies
    assert sound.schedule == ScheduleSpec(frequency="daily", time="03:00")
    assert sound.retention == RetentionSpec(keep_within=Span(days=14), keep_within_weekly=Span(days=74))
    assert shelf.retention == RetentionSpec(keep_daily=30, keep_weekly=12, keep_monthly=12)
    assert bib.retention == RetentionSpec(max_age=Span(days=90), max_count=10)
    assert bib.schedule.every == Interval(6 * 3600) and bib.include == "database"
    assert bib.drill_every == Interval(7 * 86400) and bib.timeout is None


def test_every_key(append: Append) -> None:
    config = load_config(append(
        '[[policy]]\nname = "full"\ndestination = "usb"\nstate = "paused"\ncron = "0 3 * * 1-5"\n'
        'timezone = "Europe/Paris"\ntimeout = "2h"\nverify_every = "30d"\nverify_read_data_subset = "10%"\n'
        'drill_every = "never"\nstale_after = "2d"\n\n'
        '[policy.hooks]\nbefore = "mountpoint -q /media/usb"\nafter = ["/bin/echo", "done"]\n'
        'on_failure = [{ run = ["/bin/true"], on_error = "ignore", timeout = "30s" }, { run = "exit 0" }]\n\n'
        '[policy.notify]\nurls = ["json://127.0.0.1:9/x"]\non = ["failure", "success"]\n'
        'ping_url = "https://hc.example/abc"\n\n'
        '[[policy]]\nname = "weekly"\ndestination = "usb"\nfrequency = "weekly"\nweekday = "Wed"\n'
        'drill_every = ""\n\n[[policy]]\nname = "hand"\ndestination = "usb"\n'
    ))  # fmt: skip
    p, weekly, hand = config.policies
    assert p.state == "paused" and not p.active
    assert p.schedule.cron == "0 3 * * 1-5" and p.schedule.timezone == "Europe/Paris"
    assert p.timeout == Interval(7200) and p.verify_every == Interval(30 * 86400)
    assert p.verify_read_data_subset == "10%" and p.drill_every is None and p.stale_after == Interval(2 * 86400)
    (before,) = p.hooks.before
    assert before.argv == ("sh", "-c", "mountpoint -q /media/usb") and before.shell  # the user wrote a string
    assert p.hooks.after == (Hook(("/bin/echo", "done")),)
    first, second = p.hooks.on_failure
    assert first == Hook(("/bin/true",), on_error="ignore", timeout_s=30.0)
    assert second.argv == ("sh", "-c", "exit 0") and second.shell and second.on_error == "fail"
    assert p.notify.urls == ("json://127.0.0.1:9/x",) and p.notify.on == ("failure", "success")
    assert p.notify.ping_url == "https://hc.example/abc"
    assert weekly.schedule.weekday == 2 and weekly.drill_every is None
    assert hand.schedule.manual and hand.line is not None and hand.file == str(config.file)


def test_global_notify_and_monitoring(usb_config: Path) -> None:
    doc = ConfigDocument(usb_config)
    doc.set("notify.urls", ["ntfys://topic"])
    doc.set("notify.on", ["failure"])
    doc.set("notify.ping_url", "https://hc/x")
    doc.set("monitoring.metrics_file", "metrics/tui.prom")
    doc.save()
    config = load_config(usb_config)
    assert config.notify.urls == ("ntfys://topic",) and config.notify.on == ("failure",)
    assert config.notify.ping_url == "https://hc/x"
    assert config.monitoring.metrics_file == config.file.parent / "metrics" / "tui.prom"


def test_defaults_of_the_global_sections(usb_config: Path) -> None:
    config = load_config(usb_config)  # `init` wrote [notify] and [monitoring] with their defaults
    assert config.notify.urls == () and config.notify.ping_url is None
    assert config.monitoring.metrics_file is None and config.policies == ()


BASE = '[[policy]]\nname = "nightly"\ndestination = "usb"\nfrequency = "daily"\n'

# (text after the [[policy]] header's first lines, key, line within the appended text, problem)
CASES = [
    ('color = "red"\n', "policy.nightly.color", 5, "unknown key 'color'"),
    ('include = "everything"\n', "policy.nightly.include", 5, "must be one of"),
    ('timeout = "soon"\n', "policy.nightly.timeout", 5, "is not an interval"),
    ('time = "25:00"\n', "policy.nightly.time", 5, "not a time of day"),
    ('weekday = "monday"\n', "policy.nightly.weekday", 5, "applies only to frequency"),
    ('cron = "0 3 * * *"\n', "policy.nightly.cron", 5, "both set"),
    ('timezone = "Mars/Olympus"\n', "policy.nightly.timezone", 5, "unknown time zone"),
    ('\n[policy.retention]\nkeep_daily = "30"\n', "policy.nightly.retention.keep_daily", 7, "must be an integer"),
    ('\n[policy.retention]\nkeep_daily = 0\n', "policy.nightly.retention.keep_daily", 7, "at least 1"),
    ('\n[policy.retention]\nkeep_within = "2 fortnights"\n', "policy.nightly.retention.keep_within", 7, "not a span"),
    ('\n[policy.retention]\nkeep_forever = true\n', "policy.nightly.retention.keep_forever", 7, "unknown key"),
    ('\n[policy.hooks]\nbefore = 42\n', "policy.nightly.hooks.before", 7, "must be a command"),
    ('\n[policy.hooks]\nbefore = { run = "x", on_error = "explode" }\n', "policy.nightly.hooks.before.on_error", 7,
     "must be one of"),
    ('\n[policy.notify]\non = ["sometimes"]\n', "policy.nightly.notify.on", 7, "unknown value 'sometimes'"),
    ('retention = { keep_last = -1 }\n', "policy.nightly.retention.keep_last", 5, "at least 1"),
]


@pytest.mark.parametrize(("extra", "key", "line", "problem"), CASES, ids=[c[1] + ":" + c[3] for c in CASES])
def test_errors_name_file_key_and_line(usb_config: Path, extra: str, key: str, line: int, problem: str) -> None:
    before = usb_config.read_text()
    usb_config.write_text(before + "\n" + BASE + extra)
    first = before.count("\n") + 2  # the [[policy]] line
    with pytest.raises(ConfigError) as info:
        load_config(usb_config)
    err = info.value
    assert err.file == str(usb_config.resolve())
    assert err.key == key, err.message
    assert err.line == first + line - 1, (err.message, first)
    assert problem in err.problem
    assert err.hint


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('[[policy]]\nname = "x"\n', "policy.x", "missing required key 'destination'"),
        ('[[policy]]\ndestination = "usb"\n', "policy.[1]", "missing required key 'name'"),
        ('[[policy]]\nname = "bad name"\ndestination = "usb"\n', "policy.[1].name", "invalid policy name"),
        ('[[policy]]\nname = "x"\ndestination = "nas"\n', "policy.x.destination", "unknown destination 'nas'"),
        ('[[policy]]\nname = "x"\ndestination = "usb"\n\n[[policy]]\nname = "x"\ndestination = "usb"\n',
         "policy.x.name", "duplicate policy name"),
        ('[[policy]]\nname = "usb"\ndestination = { type = "local", path = "/tmp/x" }\n', "policy.usb.destination",
         "like a [[destination]]"),
        ('[[policy]]\nname = "x"\n[policy.destination]\ntype = "local"\n', "policy.x.destination.path",
         "missing required key 'path'"),
        ('[[policy]]\nname = "x"\n[policy.destination]\ntype = "local"\npath = "/tmp/x"\nspeed = 3\n',
         "policy.x.destination.speed", "unknown key 'speed'"),
        ('[[policy]]\nname = "x"\ndestination = "usb"\ncron = "0 25 * * *"\n', "policy.x.cron", "invalid cron"),
        ('[[policy]]\nname = "x"\ndestination = "usb"\ncron = "0 3 * *"\n', "policy.x.cron", "5 fields"),
        ('[[policy]]\nname = "x"\ndestination = "usb"\nevery = "30s"\n', "policy.x.every", "shorter than a minute"),
        ('[[policy]]\nname = "x"\ndestination = "usb"\n[policy.hooks]\nafter = { on_error = "ignore" }\n',
         "policy.x.hooks.after.run", "missing the command"),
        ('[[policy]]\nname = "x"\ndestination = "usb"\n[policy.hooks]\nafter = [1, 2]\n',
         "policy.x.hooks.after", "must be a command"),
    ],
)
def test_more_errors(append: Append, text: str, key: str, problem: str) -> None:
    path = append(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == key, info.value.message
    assert problem in info.value.problem, info.value.message
    assert info.value.line is not None


def test_errors_of_the_global_sections(usb_config: Path, tmp_path: Path) -> None:
    text = usb_config.read_text()
    usb_config.write_text(text.replace('on = ["failure", "recovery", "stale"]', 'on = ["never"]'))
    with pytest.raises(ConfigError) as info:
        load_config(usb_config)
    assert info.value.key == "notify.on" and "unknown value 'never'" in info.value.problem
    assert info.value.line is not None
    other = tmp_path / "other.toml"
    other.write_text("policy = 3\n" + text)
    with pytest.raises(ConfigError, match="array of tables"):
        load_config(other)


def test_the_readme_example_is_valid(append: Append, tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Policies\n", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    example = example.replace('repository = "/media/usb/restic"', f'repository = "{tmp_path / "restic"}"')
    config = load_config(append(f'[[destination]]\nname = "nas"\ntype = "local"\npath = "{tmp_path}"\n\n{example}'))
    assert [p.name for p in config.policies] == ["nightly", "sound", "db"]
    assert config.policies[2].hooks.before[0].on_error == "skip"
