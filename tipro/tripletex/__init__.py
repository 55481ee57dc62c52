"""Tripletex API v2 client (HTTP only, no Flask): sessions, paging, rate limits, typed calls."""

from tipro.tripletex.client import (
    MemorySessionCache,
    RequestLogEntry,
    SessionCache,
    TripletexClient,
    oslo_today,
)
from tipro.tripletex.errors import (
    AuthenticationError,
    Conflict,
    NeedsReconnect,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    ServerError,
    TripletexError,
    ValidationFailed,
    ValidationMessage,
)
from tipro.tripletex.types import ListResult

__all__ = [
    "AuthenticationError",
    "Conflict",
    "ListResult",
    "MemorySessionCache",
    "NeedsReconnect",
    "NetworkError",
    "NotFound",
    "OutcomeUnknown",
    "PermissionDenied",
    "RateLimited",
    "RequestLogEntry",
    "ServerError",
    "SessionCache",
    "TripletexClient",
    "TripletexError",
    "ValidationFailed",
    "ValidationMessage",
    "oslo_today",
]
