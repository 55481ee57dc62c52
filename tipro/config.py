"""Settings from TIPRO_* environment variables, with the embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

DEFAULT_TRIPLETEX_API_URL = "https://tripletex.no/v2"


def _instance_secret(instance_path: Path, name: str, make) -> str:
    """Read a generated secret from instance/, creating it once (mode 0600)."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _private_sqlite(path: Path) -> str:
    """The embedded database's URL; the file is created 0600 like the keys (it holds password
    hashes). SQLite gives its -wal and -shm files the database file's mode."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    return f"sqlite:///{path}"


def embedded_redis_socket(instance_path: Path) -> Path:
    """Where the launcher's embedded Redis listens."""
    return instance_path / "redis.sock"


# A pooled connection idle this long is pinged (`SELECT 1`) before it is handed out again
# (tipro.extensions.ping_idle_connections); one in steady use is not.
IDLE_PING_SECONDS = 10
# Connections older than this are replaced: a server-side or firewall timeout never meets one.
POOL_RECYCLE_SECONDS = 30 * 60


def engine_options(database_url: str) -> dict:
    """SQLAlchemy engine options for the database URL.

    No `pool_pre_ping`: it costs a round trip on every request. Connections idle for
    IDLE_PING_SECONDS or more are pinged instead, and none lives longer than
    POOL_RECYCLE_SECONDS; a connection that drops in use makes SQLAlchemy invalidate the
    whole pool, so only the requests on it at that moment fail (a friendly 500, "prøv igjen").
    """
    if database_url.startswith("sqlite"):
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    return {"pool_recycle": POOL_RECYCLE_SECONDS}


def load_config(instance_path: str | Path, environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config from the environment; secrets fall back to instance/ files."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path)

    database_url = env.get("TIPRO_DATABASE_URL") or _private_sqlite(instance / "tipro.sqlite")
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://") :]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    redis_url = env.get("TIPRO_REDIS_URL")
    if not redis_url:
        socket = embedded_redis_socket(instance)
        # The launcher owns the embedded server; other commands reuse it while it runs.
        redis_url = f"unix://{socket}" if socket.exists() else None

    secret_key = env.get("TIPRO_SECRET_KEY") or _instance_secret(
        instance, "secret_key", lambda: secrets.token_urlsafe(48)
    )
    encryption_key = env.get("TIPRO_ENCRYPTION_KEY") or _instance_secret(
        instance, "encryption_key", lambda: Fernet.generate_key().decode()
    )
    public_url = env.get("TIPRO_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")

    return {
        "SECRET_KEY": secret_key,
        "ENCRYPTION_KEY": encryption_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "REDIS_URL": redis_url,
        "QUEUE_PREFIX": env.get("TIPRO_QUEUE_PREFIX", "tipro"),
        "PUBLIC_URL": public_url,
        "TRIPLETEX_API_URL": env.get("TIPRO_TRIPLETEX_API_URL", DEFAULT_TRIPLETEX_API_URL),
        "TRIPLETEX_CONSUMER_TOKEN": env.get("TIPRO_TRIPLETEX_CONSUMER_TOKEN", ""),
        "TRIPLETEX_SPEC": env.get("TIPRO_TRIPLETEX_SPEC"),
        "TRUSTED_PROXIES": int(env.get("TIPRO_TRUSTED_PROXIES", "0") or 0),
        # Days a customer sign-off link works (tipro.approvals.signoff).
        "CUSTOMER_SIGNOFF_DAYS": int(env.get("TIPRO_CUSTOMER_SIGNOFF_DAYS", "14") or 14),
        # E-mail (tipro.mail): smtp://user:pass@host:port, smtp+tls:// (STARTTLS) or smtps://
        # (TLS from the start), and the sender address. Unset: TiPro sends no e-mail.
        "SMTP_URL": env.get("TIPRO_SMTP_URL", "").strip(),
        "MAIL_SENDER": env.get("TIPRO_MAIL_SENDER", "").strip(),
        # Cookies are Secure whenever TiPro is served over HTTPS.
        "SESSION_COOKIE_SECURE": public_url.startswith("https://"),
        "REMEMBER_COOKIE_SECURE": public_url.startswith("https://"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        # Forms are small; nothing uploads files over the web (imports go through the CLI).
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": public_url.startswith("https://"),
        "BABEL_DEFAULT_LOCALE": "nb",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "LOGIN_FAILURE_WINDOW_SECONDS": 15 * 60,
    }
