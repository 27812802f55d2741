"""Theme files: TOML with Textual `Theme` fields plus a `[variables]` table.

Themes come from the repository's top-level `themes/` directory and from the user's config
dir (`~/.config/tui-backup/themes/`); a user theme with the same name wins. Every file is
validated up front — a bad one is skipped and reported (all of them in one notification by
the app), so a typo in a theme never stops the app from starting.

    name = "dark"            # optional: defaults to the file name without .toml
    primary = "#0178D4"      # required
    dark = true
    [variables]
    health-ok = "#4EBF71"    # the app's own colours; any Textual variable works too

Which theme the app starts with (`choose_theme`), first match wins:
1. `[tui] theme = "<name>"` in the profile's config (an explicit choice; it also overrides
   NO_COLOR, as https://no-color.org asks of user configuration);
2. `NO_COLOR` set (non-empty): `mono`;
3. the theme last chosen in the app (remembered in the state dir's tui.json);
4. a 16-colour terminal (`TEXTUAL_COLOR_SYSTEM=standard`, or `TERM=linux`): `ansi16`;
5. `dark`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

import tui_backup
from tui_backup.config import user_themes_dir

DEFAULT_THEME = "dark"
NO_COLOR_THEME = "mono"
ANSI_THEME = "ansi16"
# Every theme shipped in themes/ (tests check each is found, also in an installed wheel).
SHIPPED_THEMES = ("dark", "light", "high-contrast", "ansi16", "mono")

# The app's own colour variables ($health-ok ... in the CSS) and their fallbacks: literal
# colours, because a variable default cannot refer to another variable.
APP_VARIABLES: dict[str, str] = {
    "health-ok": "#4EBF71",
    "health-warn": "#ffa62b",
    "health-fail": "#e0475b",
    "job-running": "#3a96dd",
}

_ANSI_DEFAULTS = {"ansi-background": "ansi_black", "ansi-foreground": "ansi_white"}
_COLOR_FIELDS = ("primary", "secondary", "warning", "error", "success", "accent",
                 "foreground", "background", "surface", "panel", "boost")
_BOOL_FIELDS = ("dark", "ansi")
_FLOAT_FIELDS = ("luminosity_spread", "text_alpha")
_KNOWN_FIELDS = {"name", "variables", *_COLOR_FIELDS, *_BOOL_FIELDS, *_FLOAT_FIELDS}
# Non-colour values Textual variables accept (e.g. input-cursor-text-style = "reverse").
_STYLE_WORDS = {"none", "not", "bold", "b", "dim", "d", "italic", "i", "underline", "u",
                "reverse", "r", "strike", "s", "blink", "underline2", "overline"}


THEME_NAME_RE = re.compile(r"^[\w][\w .-]{0,63}$")


def builtin_themes_dir() -> Path:
    """The shipped themes: `tui_backup/builtin_themes/` (a link to the repository's `themes/`
    in a checkout; real files in an installed wheel, as package data)."""
    package = Path(tui_backup.__file__).resolve().parent
    packaged = package / "builtin_themes"
    return packaged if packaged.is_dir() else package.parent / "themes"


def theme_dirs() -> list[Path]:
    """Where themes are read from, lowest precedence first."""
    return [builtin_themes_dir(), user_themes_dir()]


@dataclass(frozen=True)
class ThemeProblem:
    """A theme file that could not be used, and why."""

    file: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.file.name}: {self.reason}"


class ThemeFileError(Exception):
    pass


def _check_color(where: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{where} must be a colour string, not {type(value).__name__}")
    text = value.strip()
    head, _, alpha = text.partition(" ")
    try:
        Color.parse(head)
    except ColorParseError as exc:
        raise ThemeFileError(f"{where}: {exc}") from None
    if alpha and not (alpha.endswith("%") and alpha[:-1].isdigit()):
        raise ThemeFileError(f"{where}: bad opacity {alpha!r} (write e.g. \"#ff0000 50%\")")
    return text


def _check_variable(name: str, value: object) -> str:
    if name in APP_VARIABLES:
        return _check_color(f"variables.{name}", value)
    if not isinstance(value, str):
        raise ThemeFileError(f"variables.{name} must be a string, not {type(value).__name__}")
    if all(word in _STYLE_WORDS for word in value.split()) and value.split():
        return value
    return _check_color(f"variables.{name}", value)


def parse_theme(data: dict[str, object], default_name: str) -> Theme:
    """Build a Theme from a parsed theme file, or raise ThemeFileError saying what is wrong."""
    unknown = sorted(set(data) - _KNOWN_FIELDS)
    if unknown:
        raise ThemeFileError(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(_KNOWN_FIELDS))})")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError("name must be a non-empty string")
    if not THEME_NAME_RE.match(name.strip()):
        # Names are shown in pickers that read markup ("[bold]", "[@click=...]"): plain words only.
        raise ThemeFileError(f"name {name!r} may hold only letters, digits, spaces and - _ .")
    if "primary" not in data:
        raise ThemeFileError("missing required field 'primary'")
    colors = {f: _check_color(f, data[f]) for f in _COLOR_FIELDS if f in data}
    flags: dict[str, bool] = {}
    for f in _BOOL_FIELDS:
        if f in data:
            value = data[f]
            if not isinstance(value, bool):
                raise ThemeFileError(f"{f} must be true or false")
            flags[f] = value
    numbers: dict[str, float] = {}
    for f in _FLOAT_FIELDS:
        if f in data:
            value = data[f]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ThemeFileError(f"{f} must be a number")
            numbers[f] = float(value)
    raw_vars = data.get("variables", {})
    if not isinstance(raw_vars, dict):
        raise ThemeFileError("variables must be a table ([variables])")
    variables = {str(k): _check_variable(str(k), v) for k, v in raw_vars.items()}
    if flags.get("ansi"):
        # Textual's CSS needs these with an ANSI theme (its own ansi-dark theme sets them).
        for key, value in _ANSI_DEFAULTS.items():
            variables.setdefault(key, value)
    theme = Theme(name=name.strip(), variables=variables, **colors, **flags, **numbers)  # type: ignore[arg-type]
    try:
        theme.to_color_system().generate()  # catches what only shows when colours are derived
    except Exception as exc:
        raise ThemeFileError(f"cannot build the theme: {exc}") from None
    return theme


def load_theme_file(path: Path) -> Theme:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"TOML syntax error: {exc}") from None
    except OSError as exc:
        raise ThemeFileError(f"cannot read: {exc.strerror}") from None
    return parse_theme(data, path.stem)


def load_themes(dirs: list[Path] | None = None) -> tuple[dict[str, Theme], list[ThemeProblem]]:
    """Every valid theme in `dirs` (later dirs override earlier ones), and every bad file."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for directory in theme_dirs() if dirs is None else dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ThemeFileError as exc:
                problems.append(ThemeProblem(path, str(exc)))
                continue
            themes[theme.name] = theme
    return themes, problems


# ---- which theme to start with ----


@dataclass(frozen=True)
class ThemeChoice:
    """The theme to start with, why (for the docs and tests), and a warning to show if any."""

    name: str
    reason: str  # "config" | "no-color" | "remembered" | "16 colours" | "default"
    warning: str = ""


def no_color_requested(environ: Mapping[str, str] | None = None) -> bool:
    """NO_COLOR set to a non-empty value (https://no-color.org)."""
    return bool((os.environ if environ is None else environ).get("NO_COLOR", ""))


def sixteen_colour_terminal(environ: Mapping[str, str] | None = None) -> bool:
    """A terminal known to show only the 16 ANSI colours.

    Only explicit signs count: Rich guesses "standard" for any TERM without `256color`,
    which would put most SSH sessions on the ANSI theme for no reason.
    """
    env = os.environ if environ is None else environ
    return env.get("TEXTUAL_COLOR_SYSTEM", "").lower() in ("standard", "windows") or env.get("TERM") == "linux"


def choose_theme(
    configured: str,
    available: Collection[str],
    *,
    remembered: str | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | str = "the config",
) -> ThemeChoice:
    """The theme to start with (the precedence is in this module's docstring)."""
    warning = ""
    configured = configured.strip()
    if configured:
        if configured in available:
            return ThemeChoice(configured, "config")
        warning = f"Theme {configured!r} not found ([tui] theme in {config_file})"
    if no_color_requested(environ) and NO_COLOR_THEME in available:
        choice = ThemeChoice(NO_COLOR_THEME, "no-color")
    elif remembered and remembered in available:
        choice = ThemeChoice(remembered, "remembered")
    elif sixteen_colour_terminal(environ) and ANSI_THEME in available:
        choice = ThemeChoice(ANSI_THEME, "16 colours")
    else:
        fallback = DEFAULT_THEME if DEFAULT_THEME in available else "textual-dark"
        choice = ThemeChoice(fallback, "default")
    if warning:
        return ThemeChoice(choice.name, choice.reason, f"{warning}; using {choice.name!r}.")
    return choice
