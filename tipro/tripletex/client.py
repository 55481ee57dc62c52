"""HTTP client for the Tripletex API v2: sessions, paging, rate limits, retries and errors."""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import requests
import urllib3.exceptions

from tipro import clock
from tipro.clock import OSLO
from tipro.tripletex.api import TripletexApi
from tipro.tripletex.errors import (
    AuthenticationError,
    NeedsReconnect,
    NetworkError,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TripletexError,
    ValidationMessage,
    error_class_for,
)
from tipro.tripletex.redact import REDACTED, redact, redact_query
from tipro.tripletex.types import ListResult

SESSION_PATH = "/token/session/:create"
# Tripletex reads expirationDate as an Oslo date and the session dies when that date begins,
# so ask for a week and renew a day ahead: the token can never lapse at Oslo midnight mid-job.
SESSION_DAYS = 7
RENEW_DAYS_BEFORE = 1


def oslo_today() -> date:
    """Today's date in Europe/Oslo, the calendar Tripletex uses for session expiry."""
    return clock.today()


class SessionCache(Protocol):
    """Where the session token lives between jobs (the app stores it encrypted)."""

    def get(self) -> tuple[str, date] | None:
        """Return (token, expiration_date) or None."""
        ...

    def set(self, token: str, expiration_date: date) -> None:
        """Store a new token and its expiration date."""
        ...


class MemorySessionCache:
    """Default session cache: kept in this process only."""

    def __init__(self) -> None:
        self._value: tuple[str, date] | None = None

    def get(self) -> tuple[str, date] | None:
        """Return the cached (token, expiration_date)."""
        return self._value

    def set(self, token: str, expiration_date: date) -> None:
        """Replace the cached token."""
        self._value = (token, expiration_date)


@dataclass(frozen=True)
class RequestLogEntry:
    """One HTTP attempt, for the admin pages. Never holds tokens or request bodies."""

    method: str
    path: str
    query: dict[str, str]
    status: int | None
    duration_ms: float
    request_id: str | None
    attempt: int
    error_code: int | None = None
    error: str | None = None
    company_id: int = 0


@dataclass
class _RateState:
    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    waits: list[float] = field(default_factory=list)


def format_param(value: Any) -> str:
    """Render a query value the way Tripletex expects (lists comma-separated, bools lower-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(OSLO).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(format_param(v) for v in value)
    return str(value)


def encode_path(path: str) -> str:
    """Percent-encode a path: '>' becomes %3E, ':' stays literal as in Tripletex's examples."""
    return quote(path, safe="/:")


def _not_sent(exc: Exception) -> bool:
    """True when the connection was never established, so the request cannot have arrived."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def _int_header(resp: requests.Response, name: str) -> int | None:
    raw = resp.headers.get(name)
    if raw is None:
        return None
    try:
        return int(float(raw))
    except ValueError:
        return None


class TripletexClient(TripletexApi):
    """A Tripletex API client for one company (one consumer token + employee token pair)."""

    def __init__(
        self,
        base_url: str,
        consumer_token: str,
        employee_token: str,
        *,
        session_cache: SessionCache | None = None,
        on_request: Callable[[RequestLogEntry], None] | None = None,
        timeout: float | tuple[float, float] = (5, 30),
        max_retries: int = 4,
        min_interval: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] = oslo_today,
        company_id: int = 0,
        max_rate_wait: float = 120.0,
        backoff_base: float = 1.0,
        rate_backoff_base: float = 10.0,
        http: requests.Session | None = None,
    ) -> None:
        if timeout is None:
            # requests would wait forever; every Tripletex call must be bounded.
            raise ValueError("TripletexClient needs a timeout for every request")
        self.base_url = base_url.rstrip("/")
        self._consumer_token = consumer_token
        self._employee_token = employee_token
        self.session_cache: SessionCache = session_cache or MemorySessionCache()
        self.on_request = on_request
        self.timeout = timeout
        self.max_retries = max_retries
        self.min_interval = min_interval
        self._sleep = sleep
        self._clock = clock
        self._today = today
        self.company_id = company_id
        self.max_rate_wait = max_rate_wait
        self.backoff_base = backoff_base
        self.rate_backoff_base = rate_backoff_base
        self._http = http or requests.Session()
        self._rate = _RateState()
        self._last_start: float | None = None
        self.calls = 0  # HTTP requests sent by this client, retries and session creation included
        self.session_calls = 0  # of which creating sessions

    # ----- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close pooled connections (the session token stays valid and cached)."""
        self._http.close()

    def __enter__(self) -> TripletexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- sessions --------------------------------------------------------------------------

    def session_token(self) -> str:
        """Return a valid session token, creating one when missing or about to expire."""
        cached = self.session_cache.get()
        if cached is not None:
            token, expires = cached
            # Renew once Oslo-today reaches the day before expiry.
            if token and self._today() + timedelta(days=RENEW_DAYS_BEFORE) < expires:
                return token
        return self.create_session()

    def create_session(self) -> str:
        """Create a new session token and store it in the cache; NeedsReconnect if refused."""
        expires = self._today() + timedelta(days=SESSION_DAYS)
        params = {
            "consumerToken": self._consumer_token,
            "employeeToken": self._employee_token,
            "expirationDate": expires.isoformat(),
        }
        try:
            # Creating a spare session is harmless, so this PUT may be retried like a GET.
            resp = self._send("PUT", SESSION_PATH, params=params, auth=False, idempotent=True)
        except (ServerError, RateLimited, OutcomeUnknown):
            raise
        except TripletexError as exc:
            raise NeedsReconnect(
                exc.message,
                status=exc.status,
                code=exc.code,
                developer_message=exc.developer_message,
                request_id=exc.request_id,
                validation_messages=exc.validation_messages,
                method="PUT",
                path=SESSION_PATH,
                wrong_environment=self._wrong_environment(),
            ) from exc
        body = self._decode(resp, "PUT", SESSION_PATH) or {}
        token = (body.get("value") or {}).get("token")
        if not token:
            raise NeedsReconnect(
                "Tripletex returned no session token",
                status=resp.status_code,
                method="PUT",
                path=SESSION_PATH,
            )
        self.session_cache.set(token, expires)
        return token

    def delete_session(self) -> None:
        """Log out: DELETE the cached session token (nothing to do without one)."""
        cached = self.session_cache.get()
        if cached and cached[0]:
            self.delete(f"/token/session/{cached[0]}")
            self.session_cache.set("", date.min)

    def _wrong_environment(self) -> str | None:
        host = urlsplit(self.base_url).hostname or ""
        is_test_token = self._employee_token.startswith("test-")
        if host in ("tripletex.no", "www.tripletex.no") and is_test_token:
            return "test"
        if host.startswith("api-test.") and not is_test_token:
            return "production"
        return None

    def _invalidate_session(self, token: str) -> None:
        cached = self.session_cache.get()
        # Only drop the token that failed: another job may already have stored a fresh one.
        if cached is not None and cached[0] == token:
            self.session_cache.set("", date.min)

    def _auth_header(self, token: str) -> str:
        raw = f"{self.company_id}:{token}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    # ----- low-level HTTP --------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET and return the decoded JSON body (retried on 5xx and timeouts)."""
        resp = self._send("GET", path, params=params)
        return self._decode(resp, "GET", path)

    def post(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """POST once; OutcomeUnknown if Tripletex may or may not have stored it."""
        resp = self._send("POST", path, params=params, json=json)
        return self._decode(resp, "POST", path)

    def put(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """PUT once; OutcomeUnknown if Tripletex may or may not have stored it."""
        resp = self._send("PUT", path, params=params, json=json)
        return self._decode(resp, "PUT", path)

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> None:
        """DELETE once; OutcomeUnknown if we cannot know whether it happened."""
        self._send("DELETE", path, params=params)

    def get_list(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        fields: str | None = None,
        count: int = 1000,
        if_none_match: str | None = None,
    ) -> ListResult[Any]:
        """Fetch every page of `count` rows; 304 on the first page gives not_modified=True.

        Each call asks for count+1 rows and keeps count: the extra row says whether another
        page exists, so a list of n rows takes exactly max(1, ceil(n/count)) calls, without
        trusting fullResultSize and without the empty last page plain paging needs when n is
        a multiple of count. The look-ahead row is read again as the next page's first row.
        """
        values: list[Any] = []
        digest: str | None = None
        start_calls = self._list_calls()
        offset = 0
        previous_first: Any = None
        while True:
            query: dict[str, Any] = dict(params or {})
            query["from"] = offset
            query["count"] = count + 1
            if fields:
                query["fields"] = fields
            headers = None
            # The digest covers the full result, so only the first page asks for a 304.
            if if_none_match and offset == 0:
                headers = {"If-None-Match": if_none_match}
            resp = self._send("GET", path, params=query, headers=headers)
            if resp.status_code == 304:
                return ListResult([], if_none_match, True, self._list_calls() - start_calls)
            body = self._decode(resp, "GET", path) or {}
            page = body.get("values") or []
            if offset == 0:
                digest = body.get("versionDigest")
            elif page and page[0] == previous_first:
                # A server that ignores `from` would make us loop forever.
                raise TripletexError(
                    "Paging did not advance", status=resp.status_code, method="GET", path=path
                )
            values.extend(page[:count])
            if len(page) <= count:
                break
            previous_first = page[0]
            offset += count
        return ListResult(values, digest, False, self._list_calls() - start_calls)

    def _list_calls(self) -> int:
        # ListResult.calls counts the list's own requests (retries too), not session creation.
        return self.calls - self.session_calls

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send one logical request with pacing, re-auth, 429 waits and safe retries."""
        safe = method == "GET" if idempotent is None else idempotent
        query = {k: format_param(v) for k, v in (params or {}).items() if v is not None}
        url = self.base_url + encode_path(path)
        attempt = 0
        retries = 0
        rate_retries = 0
        reauthed = False
        while True:
            attempt += 1
            token = self.session_token() if auth else None
            req_headers = {"Accept": "application/json"}
            if headers:
                req_headers.update(headers)
            if token is not None:
                req_headers["Authorization"] = self._auth_header(token)
            self._pace()
            started = self._clock()
            self.calls += 1
            if path == SESSION_PATH:
                self.session_calls += 1
            try:
                resp = self._http.request(
                    method,
                    url,
                    params=query,
                    json=json,
                    headers=req_headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except (
                requests.exceptions.Timeout,
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                kind = "timeout" if isinstance(exc, requests.exceptions.Timeout) else "connection"
                self._log(method, path, query, None, started, None, attempt, error=kind)
                not_sent = _not_sent(exc)
                if (safe or not_sent) and retries < self.max_retries:
                    retries += 1
                    self._sleep(self._backoff(retries, self.backoff_base))
                    continue
                # The library's text names the full URL, which for a session call carries the
                # tokens; scrub it, and drop the cause so no traceback (RQ stores them) has it.
                detail = f"{kind}: {self._scrub(str(exc))}"
                if not safe and not not_sent:
                    raise OutcomeUnknown(detail, method=method, path=path, payload=json) from None
                raise NetworkError(detail, method=method, path=path) from None

            self._note_rate_headers(resp)
            request_id = resp.headers.get("x-tlx-request-id")
            status = resp.status_code
            error = self._error_from(resp, method, path) if status >= 400 else None
            self._log(
                method,
                path,
                query,
                status,
                started,
                request_id or (error.request_id if error else None),
                attempt,
                error_code=error.code if error else None,
            )
            if error is None:
                return resp
            if status == 401 and token is not None and not reauthed:
                # Expired or revoked session: one new session, one retry.
                reauthed = True
                self._invalidate_session(token)
                continue
            if status == 429:
                wait = self._rate_wait(resp, rate_retries + 1)
                if rate_retries < self.max_retries and wait <= self.max_rate_wait:
                    rate_retries += 1
                    self._sleep(wait)
                    # That wait already covered the period; don't pace for it a second time.
                    self._rate.remaining = None
                    continue
                raise error
            if status >= 500:
                if safe and retries < self.max_retries:
                    retries += 1
                    self._sleep(self._backoff(retries, self.backoff_base))
                    continue
                if not safe:
                    raise OutcomeUnknown(
                        error.message,
                        status=status,
                        code=error.code,
                        developer_message=error.developer_message,
                        request_id=error.request_id,
                        method=method,
                        path=path,
                        payload=json,
                    )
            raise error

    def _error_from(self, resp: requests.Response, method: str, path: str) -> TripletexError:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        messages = [
            ValidationMessage(m.get("field"), m.get("message"), m.get("path"))
            for m in body.get("validationMessages") or []
            if isinstance(m, dict)
        ]
        cls = error_class_for(resp.status_code)
        if cls is AuthenticationError or resp.status_code == 401:
            cls = AuthenticationError
        return cls(
            body.get("message") or resp.reason,
            status=resp.status_code,
            code=body.get("code"),
            developer_message=body.get("developerMessage"),
            request_id=body.get("requestId") or resp.headers.get("x-tlx-request-id"),
            validation_messages=messages,
            method=method,
            path=path,
        )

    def _decode(self, resp: requests.Response, method: str, path: str) -> Any:
        if resp.status_code in (204, 304) or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            raise TripletexError(
                "Tripletex returned invalid JSON",
                status=resp.status_code,
                request_id=resp.headers.get("x-tlx-request-id"),
                method=method,
                path=path,
            ) from exc

    def _scrub(self, text: str) -> str:
        """Replace every token this client knows with *** (for error texts)."""
        cached = self.session_cache.get()
        for secret in (self._consumer_token, self._employee_token, cached[0] if cached else None):
            if secret:
                text = text.replace(secret, REDACTED)
        return redact(text)

    def _log(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        status: int | None,
        started: float,
        request_id: str | None,
        attempt: int,
        *,
        error_code: int | None = None,
        error: str | None = None,
    ) -> None:
        if self.on_request is None:
            return
        entry = RequestLogEntry(
            method=method,
            path=redact(path),
            query=redact_query(query),
            status=status,
            duration_ms=round((self._clock() - started) * 1000, 1),
            request_id=request_id,
            attempt=attempt,
            error_code=error_code,
            error=error,
            company_id=self.company_id,
        )
        self.on_request(entry)

    # ----- rate limiting ---------------------------------------------------------------------

    def _note_rate_headers(self, resp: requests.Response) -> None:
        remaining = _int_header(resp, "X-Rate-Limit-Remaining")
        reset = _int_header(resp, "X-Rate-Limit-Reset")
        limit = _int_header(resp, "X-Rate-Limit-Limit")
        if limit is not None:
            self._rate.limit = limit
        if remaining is not None:
            self._rate.remaining = remaining
            self._rate.reset_at = self._clock() + reset if reset is not None else None

    def _reserve(self) -> int:
        # Keep headroom for people using the same token interactively.
        limit = self._rate.limit
        return max(1, limit // 10) if limit else 1

    def _pace(self) -> None:
        now = self._clock()
        wait = 0.0
        if self.min_interval and self._last_start is not None:
            wait = self._last_start + self.min_interval - now
        rate = self._rate
        if rate.remaining is not None and rate.remaining <= self._reserve():
            if rate.reset_at is not None:
                wait = max(wait, min(rate.reset_at - now, self.max_rate_wait))
            # Whether or not we waited, the next response tells us the new budget.
            rate.remaining = None
        if wait > 0:
            rate.waits.append(wait)
            self._sleep(wait)
        self._last_start = self._clock()

    def _rate_wait(self, resp: requests.Response, attempt: int) -> float:
        reset = _int_header(resp, "X-Rate-Limit-Reset")
        if reset is not None and reset >= 0:
            # A small margin so we land in the new period, not at its very edge.
            return reset + 0.5
        return self._backoff(attempt, self.rate_backoff_base, cap=self.max_rate_wait)

    @staticmethod
    def _backoff(attempt: int, base: float, cap: float = 60.0) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        delay = min(cap, base * 2 ** (attempt - 1))
        return delay / 2 + random.uniform(0, delay / 2)

    @property
    def rate_waits(self) -> Sequence[float]:
        """Seconds slept by pacing ahead of the limit (for tests and the benchmark)."""
        return tuple(self._rate.waits)
