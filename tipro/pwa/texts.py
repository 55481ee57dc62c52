"""The texts the offline app's scripts show (outbox.js and the modules it loads).

One dict, so a new text is one line here; the page hands them over translated, as JSON.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

OUTBOX_TEXTS = {
    "counter": _l("{n} venter på synk"),
    "pending": _l("Venter på synk"),
    "rejected": _l("Avvist"),
    "queued": _l("Lagret på enheten – sendes når du er på nett igjen."),
    "sent": _l("Timene som ventet, er sendt."),
    "login": _l("Logg inn igjen for å sende timene som venter."),
    "delete": _l("Slett"),
    "drop": _l("Slette registreringen fra enheten? Den er ikke sendt."),
    "retry": _l("Send på nytt"),
    "logout": _l(
        "Du har {n} registreringer som ikke er sendt. Logger du ut, slettes de fra denne "
        "enheten. Logge ut likevel?"
    ),
    "no_project": _l("Uten prosjekt"),
    "choose_activity": _l("Velg aktivitet"),
    "save": _l("Lagre"),
    "hours_label": _l("Timer"),
    "several": _l("Flere registreringer denne dagen – endre dem hver for seg."),
    "login_link": _l("Logg inn"),
    "for_others": _l(
        "Å registrere for andre krever nett. Det du fylte inn, står igjen – lagre når du er "
        "på nett."
    ),
    "fix": _l("Rett"),
    "fixed": _l("Endret – sendes på nytt."),
    "cancel": _l("Avbryt"),
    "date_label": _l("Dato"),
    "project_label": _l("Prosjekt"),
    "activity_label": _l("Aktivitet"),
    "comment_label": _l("Kommentar"),
    "cr_button": _l("Send som endringsønske"),
    "cr_message": _l("Melding til godkjenneren (valgfritt)"),
    "cr_send": _l("Send endringsønske"),
    "cr_sent": _l("Endringsønsket er sendt til godkjenneren."),
    "cr_offline": _l("Endringsønsker kan bare sendes med nett. Prøv igjen når du er på nett."),
    "cr_heading": _l("Endringsønsker"),
    "cr_pending": _l("Venter på godkjenner"),
    "cr_accepted_state": _l("Godtatt"),
    "cr_accepted": _l("Timene er lagt inn. Send inn perioden på nytt:"),
    "cr_declined": _l("Avslått"),
    "cr_ok": _l("OK"),
    "clock_start": _l("Start klokke"),
    "clock_stop": _l("Stopp"),
    "clock_discard": _l("Forkast"),
    "clock_discard_confirm": _l("Forkaste klokka? Tiden den har målt, blir ikke registrert."),
    "clock_since": _l("Klokka går siden {time}"),
    "clock_started": _l("Klokka går. Timene lagres på enheten når du stopper den."),
    "clock_stopped": _l(
        "Klokka er stoppet: {hours} lagret på enheten for {day} – sendes når du er på nett."
    ),
    "clock_running": _l("Klokka går allerede."),
    "clock_too_long": _l("Klokka har gått i over 24 timer. Forkast den og før timene manuelt."),
    "clock_offline": _l("Dette krever nett. Prøv igjen når du er på nett."),
    "absence_queued": _l("Fravær lagret på enheten for {n} dager – sendes når du er på nett."),
    "absence_type": _l("Velg en fraværstype."),
    "absence_dates": _l("Skriv gyldige datoer; til-dato kan ikke være før fra-dato."),
    "absence_too_long": _l("Høyst {n} dager om gangen."),
    "absence_no_days": _l(
        "Perioden har ingen arbeidsdager (bare helg, helligdager eller stengte dager)."
    ),
    "absence_window": _l("Uten nett kan fravær føres fra {from} til {to}."),
    "absence_no_data": _l(
        "Fravær kan ikke føres uten nett før appen har hentet dataene dine på nett."
    ),
    "cr_not_saved": _l("Før timene selv og send inn perioden på nytt:"),
}


def outbox_texts() -> dict[str, str]:
    """The texts in the request's language."""
    return {key: str(text) for key, text in OUTBOX_TEXTS.items()}
