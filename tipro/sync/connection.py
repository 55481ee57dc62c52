"""Connect a company to Tripletex, disconnect it, and build its client from the stored token.

The database side of the connection: the encrypted employee token on the company, the
TripletexConnection row (the session token cache, webhook secret and subscriptions). The
client itself (tipro.tripletex) knows nothing of this; it gets a session cache object.
The connection row is looked up by its company (a unique key), so callers outside a company
scope (demo, benchmarks) get the right row as well.

`settings` is a mapping with TRIPLETEX_API_URL, TRIPLETEX_CONSUMER_TOKEN, ENCRYPTION_KEY,
PUBLIC_URL and optionally TRIPLETEX_CLIENT_OPTIONS (extra TripletexClient keyword arguments).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tipro import clock
from tipro.crypto import DecryptionFailed, decrypt, encrypt
from tipro.models import Company, Employee, utcnow
from tipro.models.people import (
    TRIPLETEX_CONNECTED,
    TRIPLETEX_NOT_CONNECTED,
)
from tipro.models.sync import TripletexConnection
from tipro.sync.engine import WEBHOOK_SUBJECTS
from tipro.tripletex.client import MemorySessionCache, RequestLogEntry, TripletexClient
from tipro.tripletex.errors import (
    NeedsReconnect,
    OutcomeUnknown,
    PermissionDenied,
    TripletexError,
)
from tipro.tripletex.redact import redact

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/tripletex/{key}"
WEBHOOK_HEADER = "X-Tipro-Webhook-Secret"
WEBHOOK_EVENTS = tuple(
    f"{subject}.{verb}" for subject in WEBHOOK_SUBJECTS for verb in ("create", "update", "delete")
)
# Employee tokens are long base64-like strings; anything with spaces or odd characters was
# pasted wrong (a whole sentence, a line of the Tripletex page, a truncated copy).
TOKEN_RE = re.compile(r"^[A-Za-z0-9._~+/=:-]{8,512}$")

# The access TiPro needs: key, path, query. Each is one cheap read of a single row.
ACCESS_CHECKS = (
    ("employees", "/employee", {}),
    ("projects", "/project", {}),
    ("salary", "/salary/type", {}),
    ("orders", "/order", None),  # needs a date range, filled in at call time
)


class ConnectError(Exception):
    """Connecting failed; `code` selects the message the caller shows (nothing was stored)."""

    def __init__(
        self,
        code: str,
        detail: str | None = None,
        *,
        request_id: str | None = None,
        environment: str | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code  # empty|malformed|wrong_environment|rejected|unreachable|not_configured
        self.detail = detail  # |other_company
        self.request_id = request_id
        self.environment = environment  # "test" or "production": what the token belongs to


@dataclass
class ConnectResult:
    """What the settings page shows after Lagre."""

    tripletex_company_id: int
    tripletex_company_name: str
    user_name: str
    user_email: str | None
    missing_access: list[str] = field(default_factory=list)
    webhooks: str = "none"  # active|unavailable|none
    webhook_error: str | None = None


def api_environment(base_url: str) -> str:
    """'production' for tripletex.no, else 'test' (api-test, the sandbox)."""
    host = (urlsplit(base_url).hostname or "").lower()
    return "production" if host in ("tripletex.no", "www.tripletex.no") else "test"


def clean_token(raw: str | None, base_url: str) -> str:
    """Strip a pasted token and reject what cannot be a token before calling Tripletex."""
    token = (raw or "").strip().strip("\"'")
    if not token:
        raise ConnectError("empty")
    if not TOKEN_RE.match(token):
        raise ConnectError("malformed")
    # Tripletex test tokens start with "test-"; they never work against production.
    if token.startswith("test-") and api_environment(base_url) == "production":
        raise ConnectError("wrong_environment", environment="test")
    return token


def _client_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    return dict(settings.get("TRIPLETEX_CLIENT_OPTIONS") or {})


def _connection_row(session: Session, company_id: int) -> TripletexConnection:
    row = session.scalar(
        select(TripletexConnection).where(TripletexConnection.company_id == company_id)
    )
    if row is None:
        row = TripletexConnection(company_id=company_id, webhook_status="none")
        session.add(row)
    return row


class CompanySessionCache:
    """The client's session cache, written through (encrypted) to the company's connection row.

    Read once when the client is built, so no query runs while a request is in flight.
    """

    def __init__(self, session: Session, company_id: int, keys: str) -> None:
        self.session = session
        self.company_id = company_id
        self.keys = keys
        row = _connection_row(session, company_id)
        self._value: tuple[str, date] | None = None
        if row.session_token_encrypted and row.session_expires:
            try:
                self._value = (decrypt(row.session_token_encrypted, keys), row.session_expires)
            except DecryptionFailed:
                self._value = None
        session.commit()

    def get(self) -> tuple[str, date] | None:
        """The cached session token and its expiry."""
        return self._value

    def set(self, token: str, expiration_date: date) -> None:
        """Remember a new token (or forget a dead one) here and in the database."""
        self._value = (token, expiration_date) if token else None
        self.session.execute(
            update(TripletexConnection)
            .where(TripletexConnection.company_id == self.company_id)
            .values(
                session_token_encrypted=encrypt(token, self.keys) if token else None,
                session_expires=expiration_date if token else None,
            )
            .execution_options(synchronize_session=False)
        )
        self.session.commit()


def build_client(
    session: Session,
    company: Company,
    settings: Mapping[str, Any],
    *,
    on_request: Callable[[RequestLogEntry], None] | None = None,
) -> TripletexClient:
    """A client for a connected company, reusing its cached session token."""
    if not company.tripletex_employee_token_encrypted:
        raise NeedsReconnect("TiPro er ikke koblet til Tripletex", status=None)
    keys = settings["ENCRYPTION_KEY"]
    try:
        employee_token = decrypt(company.tripletex_employee_token_encrypted, keys)
    except DecryptionFailed:
        raise NeedsReconnect("The stored token cannot be decrypted", status=None) from None
    company_id = company.id
    cache = CompanySessionCache(session, company_id, keys)
    return TripletexClient(
        settings["TRIPLETEX_API_URL"],
        settings.get("TRIPLETEX_CONSUMER_TOKEN") or "",
        employee_token,
        session_cache=cache,
        on_request=on_request,
        **_client_options(settings),
    )


def check_access(client: TripletexClient, today: date) -> list[str]:
    """Keys of the areas the token may not read (403), in ACCESS_CHECKS order."""
    missing = []
    for key, path, params in ACCESS_CHECKS:
        query = (
            dict(params)
            if params is not None
            else {
                "orderDateFrom": today,
                "orderDateTo": today + timedelta(days=1),
            }
        )
        query.update({"count": 1, "fields": "id"})
        try:
            client.get(path, query)
        except PermissionDenied:
            missing.append(key)
    return missing


def webhook_url(public_url: str, key: str) -> str:
    """Where Tripletex delivers this company's events."""
    return public_url.rstrip("/") + WEBHOOK_PATH.format(key=key)


def webhooks_possible(public_url: str) -> bool:
    """Tripletex delivers only to https; loopback http is allowed for the sandbox."""
    parts = urlsplit(public_url)
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and (parts.hostname or "") in ("127.0.0.1", "localhost", "::1")


def hash_secret(secret: str) -> str:
    """SHA-256 of a webhook secret (the secret itself is never stored)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def verify_webhook_secret(row: TripletexConnection, presented: str | None) -> bool:
    """Constant-time check of a delivery's auth header."""
    if not presented or not row.webhook_secret_hash:
        return False
    return hmac.compare_digest(hash_secret(presented), row.webhook_secret_hash)


def connect(
    session: Session,
    company: Company,
    raw_token: str | None,
    settings: Mapping[str, Any],
    *,
    today: date | None = None,
) -> ConnectResult:
    """Check a pasted employee token against Tripletex and store it (encrypted) if it works."""
    base_url = settings["TRIPLETEX_API_URL"]
    token = clean_token(raw_token, base_url)
    consumer = settings.get("TRIPLETEX_CONSUMER_TOKEN") or ""
    if not consumer:
        raise ConnectError("not_configured")
    company_id = company.id
    previous_tx_company = company.tripletex_company_id
    has_data = session.scalar(select(Employee.id).where(Employee.company_id == company_id).limit(1))
    session.commit()  # nothing open while we talk to Tripletex

    cache = MemorySessionCache()
    client = TripletexClient(
        base_url, consumer, token, session_cache=cache, **_client_options(settings)
    )
    try:
        client.create_session()
        who = client.who_am_i() or {}
        tx_company = who.get("company") or {}
        tx_company_id = who.get("companyId") or tx_company.get("id")
        if previous_tx_company and has_data and tx_company_id != previous_tx_company:
            raise ConnectError("other_company", tx_company.get("name"))
        missing = check_access(client, today or clock.today())
    except NeedsReconnect as error:
        if error.wrong_environment:
            raise ConnectError(
                "wrong_environment",
                error.message,
                request_id=error.request_id,
                environment=error.wrong_environment,
            ) from error
        raise ConnectError("rejected", error.message, request_id=error.request_id) from error
    except TripletexError as error:
        raise ConnectError(
            "unreachable", error.user_message, request_id=error.request_id
        ) from error
    finally:
        client.close()

    employee = who.get("employee") or {}
    keys = settings["ENCRYPTION_KEY"]
    company = session.get(Company, company_id)
    company.tripletex_employee_token_encrypted = encrypt(token, keys)
    company.tripletex_token_last4 = token[-4:]
    company.tripletex_company_id = tx_company_id
    company.tripletex_company_name = (tx_company.get("name") or "")[:200] or None
    company.tripletex_connected_at = utcnow()
    company.tripletex_status = TRIPLETEX_CONNECTED
    row = _connection_row(session, company_id)
    session_value = cache.get()
    row.session_token_encrypted = encrypt(session_value[0], keys) if session_value else None
    row.session_expires = session_value[1] if session_value else None
    row.tripletex_employee_id = who.get("employeeId") or employee.get("id")
    row.user_name = f"{employee.get('firstName') or ''} {employee.get('lastName') or ''}".strip()[
        :200
    ]
    row.user_email = employee.get("email")
    row.missing_access = missing
    row.last_error = None
    row.last_error_request_id = None
    row.webhook_key = row.webhook_key or secrets.token_urlsafe(24)
    session.commit()

    status, problem = subscribe_webhooks(session, company, settings)
    return ConnectResult(
        tripletex_company_id=tx_company_id,
        tripletex_company_name=company.tripletex_company_name or "",
        user_name=row.user_name or "",
        user_email=row.user_email,
        missing_access=missing,
        webhooks=status,
        webhook_error=problem,
    )


def _read_back_subscriptions(client: TripletexClient, target: str) -> tuple[list[int], list[str]]:
    """(ids of our subscriptions in Tripletex, events still without one), by our callback URL.

    A create whose answer was lost may have been stored: reading back is the only way to know
    (never replay a write blindly), and it keeps every subscription tracked for disconnect.
    """
    ours = [s for s in client.list_event_subscriptions() if s.get("targetUrl") == target]
    events = {s.get("event") for s in ours}
    return [s["id"] for s in ours], [e for e in WEBHOOK_EVENTS if e not in events]


def subscribe_webhooks(
    session: Session, company: Company, settings: Mapping[str, Any]
) -> tuple[str, str | None]:
    """(Re)subscribe to employee/customer/project/product events with a fresh secret."""
    public_url = settings.get("PUBLIC_URL") or ""
    company_id = company.id
    row = _connection_row(session, company_id)
    if not webhooks_possible(public_url):
        row.webhook_status = "unavailable"
        row.webhook_error = "public_url_not_https"
        session.commit()
        return row.webhook_status, row.webhook_error
    target = webhook_url(public_url, row.webhook_key)
    secret = secrets.token_urlsafe(32)
    client = build_client(session, company, settings)
    created: list[int] = []
    try:
        for sub in client.list_event_subscriptions():
            # Left over from an earlier connect with this token: replaced with the new secret.
            if sub.get("targetUrl") == target:
                client.delete_event_subscription(sub["id"])
        for event in WEBHOOK_EVENTS:
            try:
                client.create_event_subscription(
                    event, target, auth_header_name=WEBHOOK_HEADER, auth_header_value=secret
                )
            except OutcomeUnknown:
                pass  # stored or not: the read-back below tells
        created, missing = _read_back_subscriptions(client, target)
        for event in missing:  # not stored after all: one more try each
            client.create_event_subscription(
                event, target, auth_header_name=WEBHOOK_HEADER, auth_header_value=secret
            )
        if missing:
            created, _ = _read_back_subscriptions(client, target)
    except TripletexError as error:
        log.warning(
            "webhook subscription failed for company %s: %s", company_id, redact(str(error))
        )
        try:
            created, _ = _read_back_subscriptions(client, target)
        except TripletexError:
            pass  # keep what we knew
        row = _connection_row(session, company_id)
        row.webhook_status = "unavailable"
        row.webhook_error = error.user_message
        # Whatever was created still delivers with the new secret; keep it usable.
        row.webhook_secret_hash = hash_secret(secret) if created else row.webhook_secret_hash
        row.webhook_subscription_ids = created
        session.commit()
        return row.webhook_status, row.webhook_error
    finally:
        client.close()
    row = _connection_row(session, company_id)
    row.webhook_secret_hash = hash_secret(secret)
    row.webhook_subscription_ids = created
    row.webhook_status = "active"
    row.webhook_error = None
    session.commit()
    return row.webhook_status, None


def disconnect(session: Session, company: Company, settings: Mapping[str, Any]) -> None:
    """Forget the token; unsubscribe and log out first when Tripletex still accepts us."""
    company_id = company.id
    row = _connection_row(session, company_id)
    sub_ids = list(row.webhook_subscription_ids or [])
    session.commit()
    if company.tripletex_employee_token_encrypted:
        try:
            client = build_client(session, company, settings)
            try:
                for sub_id in sub_ids:
                    client.delete_event_subscription(sub_id)
                client.delete_session()
            finally:
                client.close()
        except TripletexError as error:
            # A revoked token cannot clean up; Tripletex drops its subscriptions with it.
            log.info(
                "disconnect clean-up for company %s skipped: %s", company_id, redact(str(error))
            )
    company = session.get(Company, company_id)
    company.tripletex_employee_token_encrypted = None
    company.tripletex_token_last4 = None
    company.tripletex_status = TRIPLETEX_NOT_CONNECTED
    row = _connection_row(session, company_id)
    row.session_token_encrypted = None
    row.session_expires = None
    row.webhook_secret_hash = None
    row.webhook_subscription_ids = None
    row.webhook_status = "none"
    row.webhook_error = None
    session.commit()


def connection_row(session: Session, company_id: int) -> TripletexConnection | None:
    """The company's connection details, if it ever connected."""
    return session.scalar(
        select(TripletexConnection).where(TripletexConnection.company_id == company_id)
    )
