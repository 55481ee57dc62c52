"""Flask extensions, created unbound and initialised in create_app()."""

import time
import weakref

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names keep migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()


_IDLE_SINCE = "tipro_idle_since"
_pinging: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it sat idle `idle_seconds` or more.

    `pool_pre_ping` pings on every checkout, a round trip per request. Connections die while
    idle (a database restart, a firewall's timeout), so only those are pinged; a dead one is
    replaced before the request sees it. SQLite (a file) is left alone.
    """
    if engine.dialect.name == "sqlite" or engine in _pinging:
        return
    _pinging.add(engine)
    dialect = engine.dialect

    def checkin(_dbapi_connection, record) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    def checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # new, or in steady use
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error:  # e.g. "terminating connection" after a restart
            alive = False
        if not alive:
            # The pool discards this connection and checks out another (a fresh one).
            raise exc.DisconnectionError("idle connection was closed")

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)
