"""Load and validate a profile's TOML config into `Config`."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Table

from tui_backup.config._schema import OPEN_ARRAYS, SECTIONS, VALIDATED_ARRAYS, Key, section
from tui_backup.config.locations import PROFILE_NAME_RE
from tui_backup.config.models import (
    Config,
    DatabaseSource,
    DestinationConfig,
    JobsSection,
    MonitoringSection,
    ProfileSection,
    SnapshotsSection,
    SourceSection,
    TrashSection,
    TuiSection,
    VolumesSection,
)
from tui_backup.errors import ConfigError
from tui_backup.policies.model import NotifyEvent, NotifySpec, Policy

# The warning for a config other users can read that holds a secret (status shows it too).
EXPOSED_CONFIG = "holds a password or token and other users can read it"
# user:password@ in any URL (a restic rest:/s3: repository, a notification URL).
_URL_CREDENTIALS = re.compile(r"[A-Za-z][\w+.-]*://[^/@\s:]*:[^/@\s]+@")

DATABASE_URL_ENV = "DATABASE_URL"


def read_document(path: Path) -> tomlkit.TOMLDocument:
    """Parse a config file, turning TOML syntax errors into a ConfigError with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found", hint="create it with `tui-backup init`") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), f"not UTF-8 text ({exc.reason})", hint="save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read: {exc.strerror}", hint="check the file's permissions") from None
    return parse_text(text, str(path))


def parse_text(text: str, file: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        problem = str(exc).split(" at line ")[0]
        if "\\x00" in problem:  # tomlkit's way of saying the file ended early
            problem = "unexpected end of file (an unclosed bracket or quote?)"
        raise ConfigError(
            file, f"TOML syntax error: {problem}", line=exc.line, hint="fix the line shown (see https://toml.io)"
        ) from None
    except Exception as exc:  # tomlkit raises a few non-ParseError errors on hostile input
        raise ConfigError(file, f"TOML syntax error: {exc}", hint="fix the file's syntax (see https://toml.io)") from None


def line_of(text: str, section_name: str, key: str | None = None) -> int | None:
    """Best-effort 1-based line of `[section] key` (or of the section header) in `text`."""
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + re.escape(section_name) + r"\s*\]\s*(#.*)?$")
    any_header = re.compile(r"^\s*\[")
    start = None
    for i, line in enumerate(lines):
        if header.match(line):
            start = i
            break
    if start is None:
        return None
    if key is None:
        return start + 1
    key_re = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
    for j in range(start + 1, len(lines)):
        if any_header.match(lines[j]):
            break
        if key_re.match(lines[j]):
            return j + 1
    return start + 1


class _Validator:
    def __init__(self, path: Path, text: str, check_paths: bool) -> None:
        self.path = path
        self.file = str(path)
        self.text = text
        self.base = path.parent
        self.check_paths = check_paths
        self.warnings: list[str] = []

    def error(self, problem: str, sect: str, key: str | None = None, hint: str = "") -> ConfigError:
        return ConfigError(
            self.file,
            problem,
            key=f"{sect}.{key}" if key else f"[{sect}]",
            line=line_of(self.text, sect, key),
            hint=hint,
        )

    def validate(self, doc: tomlkit.TOMLDocument) -> Config:
        data = doc.unwrap()
        known = {s.name for s in SECTIONS} | set(OPEN_ARRAYS) | set(VALIDATED_ARRAYS)
        for name, value in data.items():
            if name not in known:
                raise ConfigError(
                    self.file,
                    f"unknown section or key {name!r}",
                    key=name,
                    line=_top_level_line(self.text, name),
                    hint=f"known sections: {', '.join(sorted(known))}",
                )
            if name in OPEN_ARRAYS or name in VALIDATED_ARRAYS:
                if not isinstance(doc.get(name), AoT) and not (
                    isinstance(value, list) and all(isinstance(v, dict) for v in value)
                ):
                    raise ConfigError(
                        self.file,
                        f"{name!r} must be an array of tables ([[{name}]])",
                        key=name,
                        line=_top_level_line(self.text, name),
                        hint=f"write each one as a [[{name}]] block",
                    )
            elif not isinstance(value, dict) or not isinstance(doc.get(name), (Table, dict)):
                raise ConfigError(
                    self.file,
                    f"{name!r} must be a table ([{name}])",
                    key=name,
                    line=_top_level_line(self.text, name),
                    hint=f"write it as a [{name}] section",
                )
        values: dict[str, dict[str, Any]] = {}
        for sect in SECTIONS:
            raw = data.get(sect.name, {})
            values[sect.name] = self.section_values(sect.name, raw)
        return self.build(values, data)

    def section_values(self, sect_name: str, raw: dict[str, Any]) -> dict[str, Any]:
        sect = section(sect_name)
        assert sect is not None
        for key in raw:
            if sect.key(key) is None:
                raise self.error(
                    f"unknown key {key!r}",
                    sect_name,
                    key,
                    hint=f"keys of [{sect_name}]: {', '.join(k.name for k in sect.keys)}",
                )
        out: dict[str, Any] = {}
        for k in sect.keys:
            if k.name not in raw:
                if k.required:
                    raise self.error(
                        f"missing required key {k.name!r}",
                        sect_name,
                        None,
                        hint=f"add: {k.name} = ...   # {k.help}",
                    )
                out[k.name] = k.default
                continue
            out[k.name] = self.check_value(sect_name, k, raw[k.name])
        return out

    def check_value(self, sect: str, k: Key, value: Any) -> Any:
        def wrong(expected: str) -> ConfigError:
            return self.error(
                f"must be {expected}, not {describe_value(value)}", sect, k.name, hint=f"{k.name}: {k.help}"
            )

        if k.type in ("str", "path", "db_url", "choice"):
            if not isinstance(value, str):
                raise wrong("a string")
            if "\x00" in value:
                raise self.error("contains a NUL character", sect, k.name, hint=k.help)
            if k.type == "choice" and value not in k.choices:
                raise self.error(
                    f"must be one of {', '.join(repr(c) for c in k.choices)}, not {value!r}",
                    sect,
                    k.name,
                    hint=k.help,
                )
            return value
        if k.type == "bool":
            if not isinstance(value, bool):
                raise wrong("true or false")
            return value
        if k.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise wrong("an integer")
            if k.minimum is not None and value < k.minimum:
                raise self.error(f"must be at least {k.minimum}, not {value}", sect, k.name, hint=k.help)
            if k.maximum is not None and value > k.maximum:
                raise self.error(f"must be at most {k.maximum}, not {value}", sect, k.name, hint=k.help)
            return value
        if k.type == "path_list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise wrong("a list of strings")
            if any("\x00" in v or not v for v in value):
                raise self.error("contains an empty path or a NUL character", sect, k.name, hint=k.help)
            return value
        if k.type == "str_list":
            if not isinstance(value, list) or not all(isinstance(v, str) and v and "\x00" not in v for v in value):
                raise wrong("a list of non-empty strings")
            bad = [v for v in value if k.choices and v not in k.choices]
            if bad:
                raise self.error(f"unknown value {bad[0]!r}", sect, k.name, hint=f"use any of: {', '.join(k.choices)}")
            return value
        if k.type == "table":
            # Only the shape here: the table's own entries are checked by their user (e.g. the
            # app checks [tui.keymap] and reports every problem without refusing to start).
            if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
                raise wrong("a table")
            return dict(value)
        raise AssertionError(k.type)

    def resolve(self, raw: str) -> Path:
        p = Path(os.path.expanduser(raw))
        if not p.is_absolute():
            p = self.base / p
        return Path(os.path.normpath(p))

    def build(self, v: dict[str, dict[str, Any]], data: dict[str, Any]) -> Config:
        name = v["profile"]["name"]
        if not PROFILE_NAME_RE.match(name):
            raise self.error(
                f"invalid profile name {name!r}",
                "profile",
                "name",
                hint="use letters, digits, '-' and '_' (at most 64 characters)",
            )
        state_dir = self.resolve(v["profile"]["state_dir"]) if v["profile"]["state_dir"] else None
        database = self.database(v["source"]["database"])
        password_file = self.resolve(v["source"]["password_file"]) if v["source"]["password_file"] else None
        files = tuple(self.resolve(p) for p in v["source"]["files"])
        config_files = tuple(self.resolve(p) for p in v["source"]["config_files"])
        if self.check_paths:
            if database.kind == "sqlite" and database.path is not None and not database.path.is_file():
                raise self.error(
                    f"database file {database.path} does not exist",
                    "source",
                    "database",
                    hint="check the path, or start the application once so it creates its database",
                )
            for p in files:
                if not p.is_dir():
                    raise self.error(f"files directory {p} does not exist", "source", "files", hint="fix or remove that entry")
            for p in config_files:
                if not p.is_file():
                    raise self.error(f"config file {p} does not exist", "source", "config_files", hint="fix or remove that entry")
            if password_file is not None and not password_file.is_file():
                raise self.error(f"password file {password_file} does not exist", "source", "password_file")
        if database.kind == "postgresql" and urlsplit(database.url).password:
            self.warnings.append(
                f"{self.file}: [source] database URL contains a password; move it to password_file"
            )
        s = v["snapshots"]
        destinations = self.destinations(data.get("destination", []), name)
        policies, inline = self.policies(data.get("policy", []), destinations, name)
        n = v["notify"]
        self.warn_if_exposed(bool(urlsplit(database.url).password) if database.kind == "postgresql" else False,
                             bool(n["urls"] or n["ping_url"]) or any(p.notify.urls or p.notify.ping_url for p in policies))
        metrics = v["monitoring"]["metrics_file"]
        return Config(
            file=self.path,
            profile=ProfileSection(name=name, description=v["profile"]["description"], state_dir=state_dir),
            source=SourceSection(database=database, password_file=password_file, files=files, config_files=config_files),
            snapshots=SnapshotsSection(
                dir=self.resolve(s["dir"]) if s["dir"] else None,
                keep=s["keep"],
                compression_level=s["compression_level"],
                verify=s["verify"],
                timeout_seconds=s["timeout_seconds"],
                prune_after_create=s["prune_after_create"],
                row_changes=s["row_changes"],
            ),
            volumes=VolumesSection(min_free_mb=v["volumes"]["min_free_mb"]),
            trash=TrashSection(
                retention_days=v["trash"]["retention_days"],
                max_size_mb=v["trash"]["max_size_mb"],
                min_days=v["trash"]["min_days"],
            ),
            jobs=JobsSection(max_concurrent=v["jobs"]["max_concurrent"]),
            tui=TuiSection(theme=v["tui"]["theme"], keymap=dict(v["tui"]["keymap"])),
            policies=policies,
            destinations=destinations + inline,
            notify=NotifySpec(
                urls=tuple(n["urls"]),
                on=cast(tuple[NotifyEvent, ...], tuple(n["on"])),
                ping_url=n["ping_url"] or None,
            ),
            monitoring=MonitoringSection(metrics_file=self.resolve(metrics) if metrics else None),
            warnings=tuple(self.warnings),
        )

    def warn_if_exposed(self, db_password: bool, notify_urls: bool) -> None:
        """A config file other users can read must not hold a password or token (DESIGN.md):
        one warning, with the fix. Passwords: the database URL's, any `user:password@` URL
        (restic REST/S3 repositories), and notification URLs, whose paths carry tokens."""
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
        except OSError:
            return  # not saved yet (a preview) or gone: nothing to say
        if not mode & 0o044:
            return
        if db_password or notify_urls or _URL_CREDENTIALS.search(self.text):
            exposure = f"{EXPOSED_CONFIG} (mode {mode:04o}): `chmod 600 {self.file}`"
            for i, warning in enumerate(self.warnings):  # one line per problem: join the URL's
                if "URL contains a password" in warning:
                    self.warnings[i] = f"{warning}; the file {exposure}"
                    return
            self.warnings.append(f"{self.file} {exposure}")

    def policies(
        self, tables: list[dict[str, Any]], destinations: tuple[DestinationConfig, ...], profile: str
    ) -> tuple[tuple[Policy, ...], tuple[DestinationConfig, ...]]:
        """Each [[policy]] (see tui_backup.policies._parse); inline [policy.destination]
        tables come back as destinations named after their policy."""
        if isinstance(tables, list) and not tables:  # none: the parser is not even imported
            return (), ()
        from tui_backup.policies._parse import parse_policies

        return parse_policies(tables, self.file, self.text, destinations, base=self.base, profile=profile)

    def destinations(self, tables: list[dict[str, Any]], profile: str) -> tuple[DestinationConfig, ...]:
        """Check each [[destination]]: a unique valid name, a known type, and (through the
        type's module) its own keys."""
        if isinstance(tables, list) and not tables:  # none: the registry is not even imported
            return ()
        from tui_backup.destinations import check_destination_config

        lines = _array_lines(self.text, "destination")
        out: list[DestinationConfig] = []
        seen: set[str] = set()
        for i, table in enumerate(tables):
            line = lines[i] if i < len(lines) else None

            def wrong(problem: str, key: str, hint: str, _i: int = i, _line: int | None = line) -> ConfigError:
                return ConfigError(self.file, problem, key=f"destination[{_i + 1}].{key}", line=_line, hint=hint)

            name = table.get("name")
            if not isinstance(name, str) or not PROFILE_NAME_RE.match(name):
                raise wrong(
                    f"invalid or missing destination name {name!r}" if name is not None else "missing required key 'name'",
                    "name",
                    "give each destination a name of letters, digits, '-' and '_' (at most 64 characters)",
                )
            if name in seen:
                raise wrong(f"duplicate destination name {name!r}", "name", "each destination needs its own name")
            seen.add(name)
            dest = DestinationConfig(
                name=name,
                type=str(table.get("type", "")),
                table={k: v for k, v in table.items() if k not in ("name", "type")},
                file=self.file,
                base=self.base,
                where=f"destination.{name}",
                line=line,
                profile=profile,
            )
            if not isinstance(table.get("type"), str):
                raise wrong("missing required key 'type'", "type", 'set type = "local", "rsync" or "restic"')
            check_destination_config(dest)
            out.append(dest)
        return tuple(out)

    def database(self, url: str) -> DatabaseSource:
        if not url:
            url = os.environ.get(DATABASE_URL_ENV, "")
            if not url:
                raise self.error(
                    "database is empty and $DATABASE_URL is not set",
                    "source",
                    "database",
                    hint="set database = \"sqlite:///abs/path/app.db\" or a postgresql:// URL",
                )
        try:
            return parse_database_url(url, self.base)
        except ValueError as exc:
            raise self.error(str(exc), "source", "database", hint=_DB_HINT) from None


_DB_HINT = 'use sqlite:///absolute/path/app.db or postgresql://user@host:5432/dbname'


def parse_database_url(url: str, base: Path | None = None) -> DatabaseSource:
    """Parse a database URL; raise ValueError with a one-line reason."""
    if url.startswith("sqlite:"):
        rest = url[len("sqlite:") :]
        if rest.startswith("//"):
            rest = rest[2:]
            if not rest.startswith("/"):
                raise ValueError(f"bad SQLite URL {url!r}: expected sqlite:///absolute/path")
        rest = rest.split("?", 1)[0]
        if not rest or rest.endswith("/") or rest in (":memory:", "/:memory:"):
            raise ValueError(f"bad SQLite URL {url!r}: no database file named")
        p = Path(os.path.expanduser(rest))
        if not p.is_absolute():
            p = (base or Path.cwd()) / p
        return DatabaseSource(kind="sqlite", url=url, path=Path(os.path.normpath(p)))
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        try:
            _ = parts.port
        except ValueError:
            raise ValueError(f"bad PostgreSQL URL {_redact(url)!r}: invalid port") from None
        dbname = parts.path.lstrip("/")
        if not dbname:
            raise ValueError(f"bad PostgreSQL URL {_redact(url)!r}: no database name")
        return DatabaseSource(kind="postgresql", url=url)
    scheme = url.split(":", 1)[0] if ":" in url else ""
    if scheme:
        raise ValueError(f"unsupported database URL scheme {scheme!r}")
    raise ValueError(f"not a database URL: {url!r}")


def _redact(url: str) -> str:
    from tui_backup.config.models import redact_url

    return redact_url(url)


def _top_level_line(text: str, name: str) -> int | None:
    pat = re.compile(r"^\s*(\[\[?\s*" + re.escape(name) + r"\s*\]\]?|[\"']?" + re.escape(name) + r"[\"']?\s*=)")
    for i, line in enumerate(text.splitlines()):
        if pat.match(line):
            return i + 1
    return None


def _array_lines(text: str, name: str) -> list[int]:
    """The 1-based lines of every `[[name]]` header, in order."""
    pat = re.compile(r"^\s*\[\[\s*" + re.escape(name) + r"\s*\]\]")
    return [i + 1 for i, line in enumerate(text.splitlines()) if pat.match(line)]


def describe_value(value: Any) -> str:
    """A value's TOML type for error messages ("a string", "a table"), shared with the
    [[policy]] parser (tui_backup.policies._parse)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def validate_document(doc: tomlkit.TOMLDocument, path: Path, text: str, *, check_paths: bool = True) -> Config:
    return _Validator(path, text, check_paths).validate(doc)


def load_config(path: Path, *, check_paths: bool = True) -> Config:
    """Read and validate one profile's config.

    `check_paths=False` lets commands that report on sources (status, volumes) load a
    config whose paths have gone missing and show them as missing instead of failing.
    """
    path = Path(path)
    doc = read_document(path)
    return validate_document(doc, path.resolve(), doc.as_string(), check_paths=check_paths)
