"""The fully commented config that `init` writes: every option, its default, one line of help."""

from __future__ import annotations

from typing import Any

import tomlkit

from tui_backup.config._schema import SECTIONS


def _toml_value(value: Any) -> str:
    return str(tomlkit.item(value).as_string())


def render_config(values: dict[str, dict[str, Any]]) -> str:
    """Render a config with `values` (section -> key -> value) filled in over the defaults."""
    out: list[str] = [
        "# tui-backup profile. Every option is listed with its default and what it does.",
        "# Edit freely: the tool keeps your comments and layout when it changes this file.",
        "",
    ]
    for sect in SECTIONS:
        out.append(f"# {sect.help}")
        out.append(f"[{sect.name}]")
        given = values.get(sect.name, {})
        for k in sect.keys:
            if k.type == "table":
                continue  # after the section's own keys: a [section.key] header ends them
            value = given.get(k.name, k.default)
            if value is None:
                value = ""
            default = "" if k.default is None else f" (default: {_toml_value(k.default)})"
            out.append(f"# {k.help}{default}")
            out.append(f"{k.name} = {_toml_value(value)}")
        for k in sect.keys:
            if k.type == "table":
                out.append(f"# {k.help}")
                out.append(f"[{sect.name}.{k.name}]")
                out += [f"{_toml_value(name)} = {_toml_value(v)}" for name, v in (given.get(k.name) or {}).items()]
        out.append("")
    out += [
        "# Where backups go (layer 4): one [[destination]] block each, type = \"local\", \"rsync\"",
        "# or \"restic\" (see the README's configuration reference for every type's keys). E.g.:",
        "# [[destination]]",
        "# name = \"usb\"",
        "# type = \"local\"",
        "# path = \"/media/usb/backups\"",
        "",
        "# Backup policies (layer 4): one [[policy]] block each — a destination, what to include,",
        "# a schedule and a retention (every key is in the README's configuration reference;",
        "# `tui-backup policy add` writes one for you). E.g.:",
        "# [[policy]]",
        "# name = \"nightly\"",
        "# destination = \"usb\"        # a [[destination]] name, or an inline [policy.destination] table",
        "# include = \"full\"           # full | database | files | config",
        "# frequency = \"daily\"        # hourly | daily | weekly | monthly | yearly; or cron = \"0 3 * * *\"; or every = \"6h\"",
        "# time = \"02:00\"",
        "# [policy.retention]",
        "# keep_daily = 30",
        "# keep_weekly = 12",
        "# keep_monthly = 12",
        "",
    ]
    return "\n".join(out)
