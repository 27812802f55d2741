"""tui-backup: five layers of protection for one application's data."""

__version__ = "0.1.0"
