"""The service layer: the facade every interface calls, and one module per layer."""

from tui_backup.service.profile import ProfilePaths, ProfileService, profile_paths

__all__ = ["ProfilePaths", "ProfileService", "profile_paths"]
