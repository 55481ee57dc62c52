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
}


def outbox_texts() -> dict[str, str]:
    """The texts in the request's language."""
    return {key: str(text) for key, text in OUTBOX_TEXTS.items()}
