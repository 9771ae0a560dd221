"""The workspace: settings, routes and live flows, read from a folder kept in git."""

from .live import Reloaded, Workspace, read_flow_file
from .settings import SettingsError, environment_name, load_settings, settings_schema

__all__ = ["Reloaded", "SettingsError", "Workspace", "environment_name", "load_settings",
           "read_flow_file", "settings_schema"]
