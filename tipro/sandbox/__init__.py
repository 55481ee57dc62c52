"""A Tripletex API v2 emulator that validates its traffic against the official spec."""

from .app import create_sandbox_app
from .server import SandboxServer
from .state import SandboxState

__all__ = ["SandboxServer", "SandboxState", "create_sandbox_app"]
