"""Norwegian texts for the Tripletex connection and sync (shared by pages and the CLI)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tipro.sync.connection import ConnectError

ACCESS_LABELS = {
    "employees": _l("ansatte"),
    "projects": _l("prosjekter"),
    "salary": _l("lønn"),
    "orders": _l("ordre og fakturering"),
}

DATA_TYPE_LABELS = {
    "divisions": _l("Virksomheter"),
    "departments": _l("Avdelinger"),
    "employees": _l("Ansatte"),
    "customers": _l("Kunder"),
    "activities": _l("Aktiviteter"),
    "projects": _l("Prosjekter"),
    "salary_types": _l("Lønnsarter"),
    "vat_types": _l("Mva-koder"),
    "products": _l("Produkter"),
    "hourly_rates": _l("Timepriser"),
    "vacation": _l("Feriesaldo"),
}

RUN_STATUS = {
    "queued": _l("I kø"),
    "running": _l("Kjører"),
    "done": _l("Ferdig"),
    "failed": _l("Feilet"),
}

QUEUE_DOWN = _l("Køen svarer ikke — prøv igjen om litt.")

RUN_MODES = {
    "full": _l("Full"),
    "incremental": _l("Endringer"),
    "changes": _l("Varsler fra Tripletex"),
}


def connect_error_message(error: ConnectError) -> str:
    """One clear message per reason a pasted token was refused."""
    if error.code == "empty":
        return _("Lim inn API-nøkkelen fra Tripletex før du lagrer.")
    if error.code == "malformed":
        return _(
            "Dette ser ikke ut som en API-nøkkel fra Tripletex. Kopier hele nøkkelen på nytt, "
            "uten mellomrom eller annen tekst."
        )
    if error.code == "wrong_environment":
        if error.environment == "test":
            return _(
                "Nøkkelen er fra Tripletex sitt testmiljø og virker ikke mot Tripletex "
                "produksjon. Lag nøkkelen i den vanlige Tripletex-kontoen."
            )
        return _(
            "Nøkkelen er fra Tripletex produksjon og virker ikke mot testmiljøet TiPro er "
            "satt opp mot."
        )
    if error.code == "rejected":
        return _(
            "Tripletex godtok ikke nøkkelen. Den kan være feil kopiert, slettet eller utløpt, "
            "eller laget for en annen applikasjon enn TiPro. Lag en ny nøkkel og prøv igjen."
        )
    if error.code == "not_configured":
        return _(
            "TiPro mangler integrasjonens consumer token (TIPRO_TRIPLETEX_CONSUMER_TOKEN). "
            "Kontakt den som drifter TiPro."
        )
    if error.code == "other_company":
        return _(
            "Nøkkelen gjelder en annen Tripletex-bedrift (%(name)s) enn den TiPro allerede er "
            "koblet til. Koble fra først hvis du vil bytte bedrift.",
            name=error.detail or "?",
        )
    return _("Fikk ikke kontakt med Tripletex: %(detail)s", detail=error.detail or "")


def missing_access_text(keys: list[str] | None) -> str | None:
    """'Nøkkelen mangler tilgang til: lønn, …' or None when nothing is missing."""
    if not keys:
        return None
    names = ", ".join(str(ACCESS_LABELS.get(k, k)) for k in keys)
    return _(
        "Nøkkelen mangler tilgang til: %(names)s. Gi brukeren som laget nøkkelen disse "
        "rettighetene i Tripletex, og lag en ny nøkkel.",
        names=names,
    )


def webhook_text(status: str, error: str | None) -> str:
    """How changes reach TiPro."""
    if status == "active":
        return _(
            "Tripletex varsler TiPro straks om endringer i ansatte, kunder, prosjekter "
            "og produkter."
        )
    if error == "public_url_not_https":
        return _(
            "Varsler fra Tripletex krever at TiPro har en offentlig HTTPS-adresse "
            "(TIPRO_PUBLIC_URL). TiPro henter endringer jevnlig i stedet."
        )
    if status == "unavailable":
        return _(
            "Tripletex tok ikke imot varslingsabonnementet (%(error)s). TiPro henter "
            "endringer jevnlig i stedet.",
            error=error or "",
        )
    return _("Ingen varsler fra Tripletex.")
