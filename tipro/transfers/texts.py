"""Norwegian fix-it hints for failed transfer items (translated when read)."""

from __future__ import annotations

from flask_babel import gettext as _

# Our error codes on an item (TransferItem.error_code).
FOREIGN_ENTRY = "foreign_entry"
LOCKED = "locked"
STALE = "changed_in_tripletex"
REJECTED = "rejected"
FORBIDDEN = "forbidden"
PREFLIGHT = "preflight"
RECONNECT = "reconnect"
NO_VAT_TYPE = "no_vat_type"
PERIOD_LOCKED = "period_locked"
NO_PRICE = "price_missing"
NO_WAGE = "wage_missing"
WAGE_UNREAD = "wage_unread"


def hint_for(code: str, field: str | None = None) -> str:
    """What the admin should do about an item that failed with `code` (and Tripletex field)."""
    if code == FOREIGN_ENTRY:
        return _(
            "Noen har ført timer direkte i Tripletex på samme ansatt, dag, prosjekt og aktivitet. "
            "TiPro skriver ikke over dem uten å spørre: velg «Ta over» for å erstatte dem med "
            "TiPros timer, eller «La stå» for å beholde timene i Tripletex."
        )
    if code == LOCKED:
        return _(
            "Timene er låst i Tripletex (måneden er godkjent, fakturert eller lønnskjørt). "
            "Tripletex: Timeliste › Godkjenning — opphev godkjenningen for den ansatte, og velg "
            "«Prøv igjen»."
        )
    if code == STALE:
        return _(
            "Timene er endret i Tripletex etter forrige overføring. Se over dem i Tripletex, og "
            "velg «Ta over» for å skrive TiPros timer over, eller «La stå»."
        )
    if code == FORBIDDEN:
        return _(
            "API-nøkkelen mangler rettigheter i Tripletex. Tripletex: Ansatte › (brukeren som "
            "laget nøkkelen) › Tilganger — gi tilgangen, og velg «Prøv igjen»."
        )
    if code == RECONNECT:
        return _(
            "Tripletex godtar ikke lenger API-nøkkelen. Lim inn en ny nøkkel i TiPro: Admin › "
            "Innstillinger, og velg «Prøv igjen»."
        )
    if code == PERIOD_LOCKED:
        return _(
            "Lønnsperioden er låst i Tripletex, så lønnsbilag kan ikke føres eller slettes der. "
            "Tripletex: Regnskap › Periodeavslutning — åpne perioden (eller avtal med "
            "regnskapsfører hvilken periode korreksjonen skal føres i), og velg «Prøv igjen»."
        )
    if code == NO_PRICE:
        # The plan priced the line; a retry would send the same price: a new transfer re-plans.
        return _(
            "Ingen timepris gjelder for linjen. Tripletex: Prosjekter › Timepriser (eller "
            "Ansatte › Timekost og timepris) — legg inn en pris som gjelder datoen, og start en "
            "ny overføring for måneden."
        )
    if code == NO_WAGE:
        return _(
            "Tripletex: Lønn › Ansatte › Arbeidsforhold — registrer timelønn eller årslønn i "
            "arbeidsforholdet, og start en ny overføring for måneden."
        )
    if code == WAGE_UNREAD:
        return _(
            "Tripletex svarte ikke på lesingen av arbeidsforholdet, eller den ansatte manglet i "
            "svaret. Sjekk at den ansatte finnes i Tripletex: Lønn › Ansatte, og start en ny "
            "overføring for måneden (den leser lønnen på nytt)."
        )
    if code == NO_VAT_TYPE:
        return _(
            "Ordrelinjer må ha mva-type. Synkroniser mva-typene fra Tripletex (Admin › "
            "Synkronisering), eller gi produktet en mva-type i Tripletex, og start en ny "
            "overføring for måneden."
        )
    field = (field or "").split(".")[-1].lstrip("[0123456789]")
    if field == "employee":
        return _(
            "Tripletex godtar ikke den ansatte. Tripletex: Lønn › Ansatte — sjekk at den ansatte "
            "har et arbeidsforhold som gjelder datoen, og velg «Prøv igjen»."
        )
    if field in ("project", "date"):
        return _(
            "Tripletex godtar ikke prosjektet på denne datoen (avsluttet, ikke startet eller bare "
            "for deltakere). Tripletex: Prosjekter — rett prosjektet, og velg «Prøv igjen»."
        )
    if field == "activity":
        return _(
            "Aktiviteten kan ikke brukes på prosjektet i Tripletex. Tripletex: Prosjekter › "
            "Aktiviteter — legg den til, og velg «Prøv igjen»."
        )
    if field in ("employments", "division", "name") or "employments" in (field or ""):
        return _(
            "Lønnsbilaget krever et arbeidsforhold med virksomhet. Tripletex: Lønn › Ansatte › "
            "Arbeidsforhold — knytt arbeidsforholdet til en virksomhet, og velg «Prøv igjen»."
        )
    if field in ("salaryType", "count"):
        return _(
            "Tripletex godtar ikke lønnsarten. Tripletex: Lønn › Lønnsarter — sjekk at den er "
            "aktiv og merket «Vis i timeliste», og velg «Prøv igjen»."
        )
    return _(
        "Rett opplysningen som feilmeldingen fra Tripletex nevner (i TiPro eller i Tripletex), "
        "og velg «Prøv igjen»."
    )
