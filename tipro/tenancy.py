"""Company scoping, enforced centrally for every ORM query.

While a company scope is active (every logged-in request, and jobs that enter one),
each SELECT of a CompanyScoped model is filtered to that company. Routes never check
company ids themselves: another company's row simply does not exist for them (404).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from flask import abort
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from tipro.extensions import db
from tipro.models.base import CompanyScoped

_current_company: ContextVar[int | None] = ContextVar("tipro_company", default=None)

M = TypeVar("M")
S = TypeVar("S")


def current_company_id() -> int | None:
    """The company the current request or job is scoped to, if any."""
    return _current_company.get()


def enter_company(company_id: int | None):
    """Set the scope; returns a token for leave_company()."""
    return _current_company.set(company_id)


def leave_company(token) -> None:
    _current_company.reset(token)


@contextmanager
def company_scope(company_id: int) -> Iterator[None]:
    """Run a block (a job, a CLI command) as seen from one company."""
    token = enter_company(company_id)
    try:
        yield
    finally:
        leave_company(token)


# `select(...).execution_options(**ALL_COMPANIES)`: the one query that must see every company
# even inside a scope (an e-mail address is unique across the deployment, not per company).
ALL_COMPANIES = {"tipro_all_companies": True}


# `select(...).execution_options(**REUSED)`: a statement built once and executed again and again
# with bound parameters (see `reused_statement`). Its scoped copy is kept per company, so
# SQLAlchemy computes that copy's cache key once instead of on every execution.
REUSED = {"tipro_reused": True}


def reused_statement(build: Callable[..., S | None]) -> Callable[..., S | None]:
    """Decorator: `build(*shape)` runs once per process and shape; the statement it returns
    (with bound parameters for the values) is marked REUSED."""

    @functools.cache
    @functools.wraps(build)
    def built(*shape):
        statement = build(*shape)
        return None if statement is None else statement.execution_options(**REUSED)

    return built


_SCOPED_COPIES_MAX = 4096
_scoped_copies: dict[tuple[object, int], object] = {}


def _scoped(statement, company_id: int):
    return statement.options(
        with_loader_criteria(
            CompanyScoped, lambda cls: cls.company_id == company_id, include_aliases=True
        )
    )


def _add_company_criteria(state: ORMExecuteState) -> None:
    company_id = current_company_id()
    if company_id is None or state.execution_options.get("tipro_all_companies"):
        return
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    if not state.execution_options.get("tipro_reused"):
        state.statement = _scoped(state.statement, company_id)
        return
    key = (state.statement, company_id)
    scoped = _scoped_copies.get(key)
    if scoped is None:
        if len(_scoped_copies) >= _SCOPED_COPIES_MAX:
            _scoped_copies.clear()  # many companies in one process: start over
        scoped = _scoped_copies.setdefault(key, _scoped(state.statement, company_id))
    state.statement = scoped


def install() -> None:
    """Register the query filter once per process."""
    if not event.contains(Session, "do_orm_execute", _add_company_criteria):
        event.listen(Session, "do_orm_execute", _add_company_criteria)


def get(model: type[M], ident: int) -> M | None:
    """A row by primary key within the current company, else None.

    Session.get() may answer from the identity map without a query, so the
    company is checked on the object as well.
    """
    obj = db.session.get(model, ident)
    company_id = current_company_id()
    if obj is None or (
        company_id is not None and isinstance(obj, CompanyScoped) and obj.company_id != company_id
    ):
        return None
    return obj


def active_rows(model: type[M], *order_by, where: Iterable = ()) -> list[M]:
    """The current company's active rows of `model` (is_active), ordered; `where` narrows."""
    query = select(model).where(model.is_active.is_(True), *where).order_by(*order_by)
    return list(db.session.scalars(query))


def get_or_404(model: type[M], ident) -> M:
    """Load a row by primary key within the current company, else 404."""
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        abort(404)
    obj = get(model, ident)
    if obj is None:
        abort(404)
    return obj
