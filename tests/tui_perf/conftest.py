"""The TUI fixtures (demo profile, app) for the performance-related tests."""

from tests.tui.conftest import app, demo_config, demo_service  # noqa: F401  (fixtures)
