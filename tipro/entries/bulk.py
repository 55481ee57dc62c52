"""Saving many entries at once through the one writer (tipro.entries.services).

Two modes, both inside the caller's company scope and one transaction:

- `save_all`: all items or none (the import, an absence range). Errors are collected per item,
  and if any item fails nothing is stored.
- `save_each`: every item on its own (the coming offline sync). Each item is answered
  accepted or failed, with its client UUID; a failed item leaves no trace and the others stand.
  Items are upserted by UUID, so a replay never duplicates.

Each item runs in a savepoint, so later items see earlier ones (the day total counts them)
and a refused one leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tipro.entries import services
from tipro.entries.inputs import EntryInput
from tipro.extensions import db
from tipro.models import User


@dataclass
class SaveItem:
    """One entry to save: where it came from (a line or index), for whom, what, under which id."""

    line: int
    user: User
    data: EntryInput
    uuid: str


@dataclass
class BulkResult:
    """The answer of `save_all`: how many were stored or already there, or (line, message)s."""

    imported: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ItemAnswer:
    """The answer for one item of `save_each`: accepted, or failed with field → message."""

    uuid: str
    accepted: bool
    errors: dict[str, str] = field(default_factory=dict)


def _stage(actor: User, item: SaveItem, source: str) -> dict[str, str]:
    """Save one item in a savepoint; field → message when refused (rolled back), else {}."""
    return services.stage_in_savepoint(
        lambda: services.stage_entry(
            actor,
            item.data,
            entry_uuid=item.uuid,
            for_user=item.user if item.user.id != actor.id else None,
            source=source,
        )
    )


def _lock_users(actor: User, items: list[SaveItem]) -> None:
    """Take every affected user's write lock before reading anything, in one order.

    One order (by id) for everyone, so two bulk saves for the same users wait for each other
    instead of deadlocking; before the first savepoint, so SQLite's write lock is taken by
    the transaction itself.
    """
    for user_id in sorted({actor.id, *(item.user.id for item in items)}):
        services.lock_user(actor, user_id)


def _finish(store: bool) -> None:
    if store:
        db.session.commit()
    else:
        db.session.rollback()


def save_all(
    actor: User,
    items: list[SaveItem],
    *,
    source: str,
    skip_existing: bool = False,
    check_only: bool = False,
) -> BulkResult:
    """Save all items in one transaction, or none: errors are collected per item's line.

    `skip_existing` leaves items whose UUID is already stored as they are (an import run
    twice); `check_only` reports what would fail and stores nothing.
    """
    result = BulkResult()
    try:
        _lock_users(actor, items)
        for item in items:
            if skip_existing and services.find_entry(item.uuid) is not None:
                result.unchanged += 1
                continue
            errors = _stage(actor, item, source)
            if errors:
                result.errors.extend((item.line, m) for m in dict.fromkeys(errors.values()))
            else:
                result.imported += 1
        store = not (result.errors or check_only)
        if not store:
            result.imported = 0
        _finish(store)
    except BaseException:
        db.session.rollback()
        raise
    return result


def save_each(actor: User, items: list[SaveItem], *, source: str) -> list[ItemAnswer]:
    """Save every item that keeps the rules; answer accepted/failed per item, in order."""
    answers = []
    try:
        _lock_users(actor, items)
        for item in items:
            errors = _stage(actor, item, source)
            answers.append(ItemAnswer(item.uuid, accepted=not errors, errors=errors))
        _finish(True)
    except BaseException:
        db.session.rollback()
        raise
    return answers
