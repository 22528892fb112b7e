"""Brings the catalogs in line with the code and adds translations from a JSON file.

    python -m locales.merge [TRANSLATIONS.json]

The JSON maps English msgids to their translations: {"Hello {name}.": {"sw": "...", "fr": "...",
"pt": "..."}}. The template is extracted again, English msgstr = msgid, entries no longer in the
code are dropped, and messages still untranslated are listed. Safe to run from several shells at
once (it holds a lock while it rewrites the files).
"""
import fcntl
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent
ROOT = LOCALES.parent
LANGUAGES = ("en", "sw", "fr", "pt")
METHOD_MAP = [("bot/**.py", "python"), ("handlers/**.py", "python"), ("storage/**.py", "python")]


def code_messages() -> list[str]:
    """Every msgid marked with _() or N_() in the code, sorted."""
    found = {message for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, METHOD_MAP, keywords={"_": None, "N_": None}) if message}
    return sorted(found)


def merge(translations: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Rewrites the template and the four catalogs; returns the untranslated msgids per language."""
    msgids = code_messages()
    template = Catalog(project="clusterbot")
    for msgid in msgids:
        template.add(msgid)
    write(LOCALES / "clusterbot.pot", template, omit_header=True)
    missing = {}
    for lang in LANGUAGES:
        path = LOCALES / lang / "LC_MESSAGES" / "clusterbot.po"
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        for message in list(catalog):
            if message.id and message.id not in msgids:
                del catalog[message.id]
        for msgid in msgids:
            given = translations.get(msgid, {}).get(lang)
            if msgid not in catalog:
                catalog.add(msgid, "")
            if lang == "en" or given:
                catalog[msgid].string = msgid if lang == "en" else given
        write(path, catalog)
        missing[lang] = [m for m in msgids if not catalog[m].string]
    return missing


def write(path: Path, catalog: Catalog, omit_header: bool = False) -> None:
    with path.open("wb") as f:
        write_po(f, catalog, sort_output=True, omit_header=omit_header, no_location=True)


def main() -> None:
    translations = json.loads(Path(sys.argv[1]).read_text("utf-8")) if len(sys.argv) > 1 else {}
    with (LOCALES / ".merge.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = merge(translations)
    for lang, msgids in missing.items():
        for msgid in msgids:
            print(f"{lang}: untranslated: {msgid}")


if __name__ == "__main__":
    main()
