"""Keep the English catalogue in step with the Norwegian source strings.

    python scripts/i18n.py update    # extract msgids, merge into en/messages.po
    python scripts/i18n.py compile   # write messages.mo
    python scripts/i18n.py missing   # list msgids without an English translation

Source strings are Norwegian Bokmål (the product's first language); English is the catalogue.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "tipro/translations/en/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [
    ("tipro/**.py", "python"),
    ("tipro/templates/**.html", "jinja2"),
    ("tipro/templates/**.txt", "jinja2"),  # plain-text mail bodies
]


def extract() -> Catalog:
    catalog = Catalog(locale="en", project="TiPro")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        METHODS,
        keywords=KEYWORDS,
        options_map={"tipro/templates/**.html": {}, "tipro/templates/**.txt": {}},
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def load() -> Catalog:
    if not PO.exists():
        return Catalog(locale="en", project="TiPro")
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def update() -> None:
    template = extract()
    catalog = load()
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)


def compiled_bytes() -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, load())
    return buffer.getvalue()


def compile_mo() -> None:
    MO.write_bytes(compiled_bytes())


def missing() -> list[str]:
    """Msgids used in the code with no (or a fuzzy) English translation."""
    catalog = load()
    result = []
    for message in extract():
        if not message.id:
            continue
        translated = catalog.get(message.id, message.context)
        strings = translated.string if translated else None
        if isinstance(strings, tuple):
            empty = not all(strings)
        else:
            empty = not strings
        if translated is None or empty or translated.fuzzy:
            result.append(message.id if isinstance(message.id, str) else message.id[0])
    return result


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "update"
    if command == "update":
        update()
    elif command == "compile":
        compile_mo()
    elif command == "missing":
        for msgid in missing():
            print(msgid)
    else:
        sys.exit(__doc__)
