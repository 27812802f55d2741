"""Before any profile is open: a small app that asks which one (several exist) or shows
the first-run screen (none yet), and ends with the chosen profile's config file.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from tui_backup.config import list_profiles
from tui_backup.tui.screens.first_run import FirstRunScreen
from tui_backup.tui.screens.profiles import ProfilePicker
from tui_backup.tui.themes import APP_VARIABLES, DEFAULT_THEME, load_themes


class LauncherApp(App[Path | None]):
    """Ends with the profile to open, or None when the user quits."""

    TITLE = "tui-backup"

    def __init__(self, *, theme_dirs: list[Path] | None = None) -> None:
        super().__init__()
        self._theme_dirs = theme_dirs

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(APP_VARIABLES)

    def on_mount(self) -> None:
        # The app's themes (bad theme files are the full app's to report).
        themes, _problems = load_themes(self._theme_dirs)
        for theme in themes.values():
            self.register_theme(theme)
        if DEFAULT_THEME in self.available_themes:
            self.theme = DEFAULT_THEME
        if list_profiles():
            self.push_screen(ProfilePicker(), self.exit)
        else:
            self.push_screen(FirstRunScreen(), self.exit)
