"""Brings the catalogs in line with the code and adds translations from a JSON file.

    python -m locales.merge [TRANSLATIONS.json]

The JSON maps English msgids to their translations: {"Hello {name}.": {"sw": "...", "fr": "...",
"pt": "..."}}. A plural message (`Plural("{count} member", "{count} members")` in the code) is
keyed by its singular and has a list of forms per language, in the order of the catalog's
Plural-Forms (fr and pt: 0 and 1, 1,000,000 and the like ("de"), the rest; sw: 1, the rest):
{"{count} member": {"sw": ["mwanachama {count}", "wanachama {count}"], ...}}. The template is
extracted again, English msgstr = msgid, entries no longer in the code are dropped, and messages
still untranslated are listed. Safe to run from several shells at once (it holds a lock while it
rewrites the files).
"""
import configparser
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
KEYWORDS = {"_": None, "N_": None, "Plural": (1, 2)}


def method_map() -> list[tuple[str, str]]:
    """[(pattern, method)] from babel.cfg, as `pybabel extract -F babel.cfg` reads it, e.g.
    ("bot/**.py", "python"), ("bot/web/templates/**.html", "jinja2")."""
    config = configparser.RawConfigParser()
    config.read(ROOT / "babel.cfg", encoding="utf-8")
    return [tuple(reversed([part.strip() for part in section.split(":", 1)]))
            for section in config.sections()]


def code_messages() -> list[str | tuple[str, str]]:
    """Every message marked with _(), N_() or Plural() in the code: a msgid, or (singular,
    plural) for a plural one; sorted by msgid."""
    found = {message for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map(), keywords=KEYWORDS) if message and key(message)}
    return sorted(found, key=key)


def key(message: str | tuple[str, ...]) -> str:
    """The msgid a message is found by in a catalog: a plural one's singular."""
    return message[0] if isinstance(message, tuple) else message


def merge(translations: dict[str, dict[str, str | list[str]]]) -> dict[str, list[str]]:
    """Rewrites the template and the four catalogs; returns the untranslated msgids per language."""
    messages = code_messages()
    template = Catalog(project="clusterbot")
    for message in messages:
        template.add(message)
    write(LOCALES / "clusterbot.pot", template, omit_header=True)
    wanted = {key(m): m for m in messages}
    catalogs, missing = {}, {}
    for lang in LANGUAGES:  # every catalog is checked before any is written
        with (LOCALES / lang / "LC_MESSAGES" / "clusterbot.po").open("rb") as f:
            catalogs[lang] = catalog = read_po(f, locale=lang)
        for entry in list(catalog):
            if entry.id and wanted.get(key(entry.id)) != entry.id:  # gone, or now (not) plural
                del catalog[entry.id]
        for msgid, message in wanted.items():
            given = translations.get(msgid, {}).get(lang)
            plural = isinstance(message, tuple)
            if msgid not in catalog:
                catalog.add(message, ("",) * catalog.num_plurals if plural else "")
            if lang == "en":
                catalog[msgid].string = message
            elif given:
                catalog[msgid].string = checked(catalog, msgid, plural, given)
        missing[lang] = [msgid for msgid in wanted if not all(string_forms(catalog[msgid]))]
    for lang, catalog in catalogs.items():
        write(LOCALES / lang / "LC_MESSAGES" / "clusterbot.po", catalog)
    return missing


def checked(catalog: Catalog, msgid: str, plural: bool,
            given: str | list[str]) -> str | tuple[str, ...]:
    """A translation as the catalog keeps it; stops at one of the wrong shape."""
    if not plural and isinstance(given, str):
        return given
    if plural and isinstance(given, list) and len(given) == catalog.num_plurals:
        return tuple(given)
    shape = (f"a list of {catalog.num_plurals} forms ({catalog.plural_forms})" if plural
             else "one text")
    raise SystemExit(f"{catalog.locale}: {msgid!r} needs {shape}, not {given!r}")


def string_forms(entry) -> tuple[str, ...]:
    return entry.string if isinstance(entry.string, tuple) else (entry.string,)


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
