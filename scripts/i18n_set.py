"""Set English translations from a JSON file {"norsk msgid": "English", ...} and compile.

A plural message (ngettext) is keyed by its singular msgid, with ["one", "many"] as value.

python scripts/i18n_set.py translations.json
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import write_po

sys.path.insert(0, str(Path(__file__).resolve().parent))
import i18n  # noqa: E402

if __name__ == "__main__":
    translations = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    i18n.update()
    catalog = i18n.load()
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key and key in translations:
            value = translations[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
    with i18n.PO.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)
    i18n.compile_mo()
    left = i18n.missing()
    print(f"{len(left)} message(s) still without English:")
    for msgid in left:
        print("  ", msgid)
