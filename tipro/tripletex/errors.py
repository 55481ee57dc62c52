"""Exceptions raised by the Tripletex client, each with a Norwegian explanation for the user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Tripletex internal error codes (ApiError.code) that callers branch on.
CODE_AUTHENTICATION = 3000
CODE_NOT_FOUND = 6000
CODE_OBJECT_EXISTS = 7000
CODE_REVISION = 8000
CODE_SECURITY = 9000
CODE_LOCKED = 10000
CODE_DUPLICATE = 14000


@dataclass(frozen=True)
class ValidationMessage:
    """One entry of ApiError.validationMessages."""

    field: str | None
    message: str | None
    path: str | None = None


def _is_salary_path(path: str | None) -> bool:
    return bool(path) and (
        path.startswith("/salary") or path.startswith("/timesheet/salaryTypeSpecification")
    )


class TripletexError(Exception):
    """A Tripletex call failed; carries the ApiError fields and a Norwegian user message."""

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        code: int | None = None,
        developer_message: str | None = None,
        request_id: str | None = None,
        validation_messages: list[ValidationMessage] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.developer_message = developer_message
        self.request_id = request_id
        self.validation_messages = list(validation_messages or [])
        self.method = method
        self.path = path
        # Values a chunked write created before this error, so the caller can record them.
        self.partial_results: list[dict[str, Any]] = []
        super().__init__(self._summary())

    def _summary(self) -> str:
        parts = [f"{self.method or ''} {self.path or ''}".strip() or "Tripletex"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        if self.message:
            parts.append(self.message)
        if self.validation_messages:
            parts.append(
                "; ".join(f"{v.field or '?'}: {v.message or ''}" for v in self.validation_messages)
            )
        if self.request_id:
            parts.append(f"requestId {self.request_id}")
        return " – ".join(parts)

    @property
    def user_message(self) -> str:
        """Plain Norwegian explanation to show an admin or user."""
        status = self.status
        if status is None:
            return "Kunne ikke snakke med Tripletex. Prøv igjen om litt."
        if status == 400:
            return (
                "Tripletex avviste forespørselen som ugyldig. Kontakt support hvis det gjentar seg."
            )
        if status == 401:
            return "Innloggingen mot Tripletex er utløpt eller ugyldig. Prøv igjen."
        if status == 403:
            return _forbidden_message(self.path)
        if status == 404:
            return "Fant ikke objektet i Tripletex. Det kan være slettet der."
        if status == 409:
            return _conflict_message(self.code)
        if status == 422:
            return _validation_message(self.validation_messages, self.message)
        if status == 429:
            return "Tripletex begrenser antall kall akkurat nå. Prøv igjen om litt."
        if status >= 500:
            return "Tripletex har en feil eller er utilgjengelig akkurat nå. Prøv igjen senere."
        return f"Tripletex svarte med en feil (HTTP {status})."


def _forbidden_message(path: str | None) -> str:
    if _is_salary_path(path):
        return (
            "Tripletex nektet tilgang til lønn. Enten har Tripletex-kontoen ikke lønnsmodulen "
            "(TiPro trenger Tripletex Komplett for å overføre lønnsgrunnlag), eller API-nøkkelen "
            "mangler rettigheter til lønn. Be en administrator i Tripletex sjekke abonnementet og "
            "tilgangene til brukeren som laget nøkkelen."
        )
    return (
        "Tripletex nektet tilgang. API-nøkkelen mangler rettigheter til denne funksjonen, eller "
        "modulen er ikke en del av Tripletex-abonnementet. Be en administrator i Tripletex sjekke "
        "tilgangene til brukeren som laget nøkkelen."
    )


def _conflict_message(code: int | None) -> str:
    if code in (CODE_OBJECT_EXISTS, CODE_DUPLICATE):
        return "Dette finnes allerede i Tripletex (for eksempel timer på samme dag og aktivitet)."
    if code == CODE_REVISION:
        return "Objektet er endret i Tripletex siden det ble hentet. Hent på nytt og prøv igjen."
    if code == CODE_LOCKED:
        return (
            "Objektet er låst i Tripletex (for eksempel godkjent eller fakturert) "
            "og kan ikke endres."
        )
    return "Tripletex meldte en konflikt med eksisterende data."


def _validation_message(messages: list[ValidationMessage], fallback: str | None) -> str:
    if not messages:
        detail = f": {fallback}" if fallback else "."
        return f"Tripletex godtok ikke dataene{detail}"
    lines = [f"{m.field}: {m.message}" if m.field else f"{m.message}" for m in messages]
    return "Tripletex godtok ikke dataene: " + "; ".join(lines)


class AuthenticationError(TripletexError):
    """401 that persisted after one new session and one retry."""


class NeedsReconnect(TripletexError):
    """Session creation failed: employee token revoked, expired or for another environment."""

    def __init__(self, *args: Any, wrong_environment: str | None = None, **kwargs: Any) -> None:
        # "test" when a test token was used against production, "production" for the reverse.
        self.wrong_environment = wrong_environment
        super().__init__(*args, **kwargs)

    @property
    def user_message(self) -> str:
        """Tell the admin to paste a new key, naming the environment mix-up when we can see it."""
        if self.wrong_environment == "test":
            return (
                "API-nøkkelen er en testnøkkel (begynner med «test-») og virker ikke mot "
                "Tripletex produksjon. En administrator må lage en ny nøkkel i Tripletex og lime "
                "den inn i TiPro."
            )
        if self.wrong_environment == "production":
            return (
                "API-nøkkelen er en produksjonsnøkkel og virker ikke mot Tripletex sitt "
                "testmiljø. En administrator må lime inn en nøkkel fra testmiljøet."
            )
        return (
            "Tilkoblingen til Tripletex virker ikke lenger: API-nøkkelen er slettet, utløpt eller "
            "ugyldig. En administrator må lage en ny nøkkel i Tripletex (Min profil → API-tilgang) "
            "og lime den inn i TiPro."
        )


class PermissionDenied(TripletexError):
    """403: missing entitlement or module."""


class NotFound(TripletexError):
    """404: the object does not exist (any more)."""


class Conflict(TripletexError):
    """409: duplicate, stale version or locked object."""

    @property
    def is_duplicate(self) -> bool:
        """True for 'object exists' (7000) and 'duplicate' (14000)."""
        return self.code in (CODE_OBJECT_EXISTS, CODE_DUPLICATE)

    @property
    def is_stale(self) -> bool:
        """True when the sent version was stale (8000)."""
        return self.code == CODE_REVISION

    @property
    def is_locked(self) -> bool:
        """True when the object is locked, e.g. approved hours (10000)."""
        return self.code == CODE_LOCKED


class ValidationFailed(TripletexError):
    """422 (and 400): Tripletex rejected the request data."""


class RateLimited(TripletexError):
    """429 that persisted after all retries."""


class ServerError(TripletexError):
    """5xx on a safe request (GET) after all retries."""


class NetworkError(ServerError):
    """Timeout or connection failure on a safe request after all retries."""


class OutcomeUnknown(TripletexError):
    """A write with an unknown result (5xx, timeout, lost connection): reconcile, never replay."""

    def __init__(self, *args: Any, payload: Any = None, **kwargs: Any) -> None:
        self.payload = payload
        super().__init__(*args, **kwargs)

    @property
    def user_message(self) -> str:
        """Explain that TiPro checks Tripletex before trying again."""
        return (
            "Vi vet ikke om Tripletex lagret endringen (tidsavbrudd eller feil hos Tripletex). "
            "TiPro sjekker hva som finnes i Tripletex før noe sendes på nytt."
        )


def error_class_for(status: int) -> type[TripletexError]:
    """Map an HTTP status to the exception class raised for it."""
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDenied
    if status == 404:
        return NotFound
    if status == 409:
        return Conflict
    if status in (400, 422):
        return ValidationFailed
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServerError
    return TripletexError
