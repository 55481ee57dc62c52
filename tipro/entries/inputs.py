"""What a client sends for one entry, and the errors a save can answer with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import gettext as _

from tipro.errors import UserError

# What a person fills in for one entry (the form's fields, named as on TimeEntry).
ENTRY_FIELDS = (
    "date",
    "project_id",
    "activity_id",
    "hours",
    "start_time",
    "end_time",
    "break_minutes",
    "comment",
)


@dataclass
class EntryInput:
    """What a client sends for one entry; strings are parsed and checked by the service."""

    date: date | str | None
    project_id: int | str | None = None
    activity_id: int | str | None = None
    hours: Decimal | str | None = None
    start_time: time | str | None = None
    end_time: time | str | None = None
    break_minutes: int | str | None = None
    comment: str | None = ""
    kind: str = "work"
    client_modified_at: datetime | None = None
    extras: dict = field(default_factory=dict)


class EntryValidationError(UserError):
    """One or more broken rules: `errors` maps field → Norwegian message."""

    def __init__(self, errors: dict[str, str], status: int = 422) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, first_field)
        self.errors = errors
        self.status = status


class EntryNotFound(UserError):
    """The entry does not exist for this user (another user's or company's counts as missing)."""

    def __init__(self) -> None:
        super().__init__(_("Fant ikke registreringen."))


def errors_of(error: UserError) -> dict[str, str]:
    """field → message for any UserError (one rule or many)."""
    return getattr(error, "errors", None) or {error.field or "form": error.message}


def refused(message: str) -> EntryValidationError:
    """A whole-form refusal because of the entry's or week's state (409 Conflict)."""
    return EntryValidationError({"form": message}, status=409)
