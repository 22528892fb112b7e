"""Support institutions of a cluster's directory as coordinators give them (the CSV import, the
dashboard's form): each text field read and checked, then the institution saved (added, or
updated when the cluster has one of that name), audited."""
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

import phonenumbers
from sqlalchemy.orm import Session

from handlers.fields import FieldErrors, Problem
from handlers.matching import best, sure
from handlers.places import known
from locales.i18n import N_, SHIPPED, fold
from storage import audit
from storage import directory as stored
from storage.audit import Actor
from storage.directory import CATEGORIES, Institution
from storage.models import Cluster, Place, utcnow

FIELDS = ("name", "category", "services", "place", "phone", "website", "languages", "verified")
Outcome = Literal["added", "updated", "unchanged"]

MAX_NAME = MAX_PLACE = 200
MAX_SERVICE, MAX_SERVICES = 100, 20
MAX_WEBSITE = 300
FLAGS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False, "": False}

# Readable forms of the categories (folded), as coordinators write them in a spreadsheet.
CATEGORY_WORDS = {
    "training": ("training", "trainings", "trainer", "trainers", "training provider",
                 "training providers", "courses", "skills"),
    "finance": ("finance", "microfinance", "micro finance", "micro-finance", "mfi", "bank",
                "banks", "banking", "loan", "loans", "credit", "sacco", "saccos", "savings",
                "insurance"),
    "extension": ("extension", "extension officer", "extension officers", "extension service",
                  "extension services", "advisory", "advisory services"),
    "transport": ("transport", "transporter", "transporters", "transportation", "logistics",
                  "haulage", "trucking"),
    "cold_storage": ("cold_storage", "cold storage", "cold store", "cold stores", "cold room",
                     "cold rooms", "ice", "ice plant", "ice supplier", "cooling",
                     "refrigeration", "freezer", "freezers"),
    "inputs": ("inputs", "input", "input supplier", "input suppliers", "agro inputs",
               "agro-inputs", "agrovet", "agrovets", "agro dealer", "agro dealers", "seeds",
               "fertiliser", "fertilizer", "feed", "feeds", "fishing gear", "nets"),
    "standards": ("standards", "standards body", "standards bodies", "certification",
                  "certifier", "quality", "quality control", "inspection"),
    "research": ("research", "researchers", "university", "universities", "research institute",
                 "research institutes"),
}
CATEGORY_NAMES = {word: slug for slug, words in CATEGORY_WORDS.items() for word in words}

NAME_MISSING = N_("Give the institution's name.")
NAME_LONG = N_("The name is longer than 200 characters.")
NAME_TAKEN = N_("Another institution of this cluster has this name.")
CATEGORY_MISSING = N_("Give at least one category.")
CATEGORY_UNKNOWN = N_("Categories are training, finance, extension, transport, cold storage, "
                      "inputs, standards and research.")
SERVICES_LONG = N_("At most 20 services, each at most 100 characters.")
PLACE_LONG = N_("The place is longer than 200 characters.")
PHONE_BAD = N_("This is not a phone number of the cluster's country; write it with its "
               "country code (+...).")
CONTACT_MISSING = N_("Give a phone number or a website.")
WEBSITE_BAD = N_("The website must be an address starting with http:// or https://.")
LANGUAGES_UNKNOWN = N_("Languages are en, sw, fr and pt.")
VERIFIED_BAD = N_("Verified is yes or no.")


class InstitutionError(FieldErrors):
    """The institution cannot be saved: `problems` maps each bad field to a msgid saying why."""


@dataclass
class Fields:
    """An institution's values, read and checked."""

    name: str
    categories: list[str]
    services: list[str]
    place_name: str | None
    place_id: int | None
    phone: str | None
    website: str | None
    languages: list[str] = field(default_factory=list)
    verified: bool = False

    def changed(self, institution: Institution) -> list[str]:
        """The names of the values that differ from the institution's."""
        return [name for name, value in vars(self).items()
                if getattr(institution, name) != value]


def folded_name(name: str) -> str:
    """What tells two institutions' names apart: case, accents and spacing do not."""
    return " ".join(fold(name).split())


def split(text: str) -> list[str]:
    """`a; b;;a` -> [`a`, `b`]."""
    return list(dict.fromkeys(part.strip() for part in text.split(";") if part.strip()))


def read(session: Session, cluster: Cluster, given: dict[str, str]) -> Fields:
    """The institution's values from its text fields (FIELDS; a missing one is empty), every
    field checked; InstitutionError with the problem of each bad field."""
    text = {name: (given.get(name) or "").strip() for name in FIELDS}
    problems: dict[str, str] = {}
    readers = {"name": read_name, "category": read_categories, "services": read_services,
               "place": lambda t: read_place(session, cluster, t),
               "phone": lambda t: read_phone(t, cluster.country), "website": read_website,
               "languages": read_languages, "verified": read_verified}
    values = {}
    for name, reader in readers.items():
        try:
            values[name] = reader(text[name])
        except Problem as e:
            problems[name] = e.msgid
    if not (text["phone"] or text["website"]):
        problems["phone"] = CONTACT_MISSING
    if problems:
        raise InstitutionError(problems)
    place_name, place_id = values["place"]
    return Fields(name=values["name"], categories=values["category"],
                  services=values["services"], place_name=place_name, place_id=place_id,
                  phone=values["phone"], website=values["website"],
                  languages=values["languages"], verified=values["verified"])


def read_name(text: str) -> str:
    if not text:
        raise Problem(NAME_MISSING)
    if len(text) > MAX_NAME:
        raise Problem(NAME_LONG)
    return " ".join(text.split())


def read_categories(text: str) -> list[str]:
    """CATEGORIES slugs of `training; cold storage; banks` (typos forgiven), in CATEGORIES
    order."""
    found = set()
    for part in split(text):
        word = " ".join(fold(part).split())
        slug = CATEGORY_NAMES.get(word)
        if slug is None:
            match = sure(best(word, CATEGORY_NAMES))
            slug = match.key if match else None
        if slug is None:
            raise Problem(CATEGORY_UNKNOWN)
        found.add(slug)
    if not found:
        raise Problem(CATEGORY_MISSING)
    return [slug for slug in CATEGORIES if slug in found]


def read_services(text: str) -> list[str]:
    services = split(text)
    if len(services) > MAX_SERVICES or any(len(s) > MAX_SERVICE for s in services):
        raise Problem(SERVICES_LONG)
    return services


def read_place(session: Session, cluster: Cluster, text: str) -> tuple[str | None, int | None]:
    """(name, place id) of the cluster's known place `text` names (typos forgiven), else
    (text as written, None)."""
    if not text:
        return None, None
    if len(text) > MAX_PLACE:
        raise Problem(PLACE_LONG)
    match = sure(best(text, known(session, cluster)))
    if match is None:
        return text, None
    place = session.get(Place, match.key)
    return place.name, place.id


def read_phone(text: str, country: str) -> str | None:
    """The number in E.164, read in the cluster's country unless it gives its own code."""
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        raise Problem(PHONE_BAD) from None
    if not phonenumbers.is_valid_number(number):
        raise Problem(PHONE_BAD)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def read_website(text: str) -> str | None:
    """An http(s) address; `www.kcb.co.ke` is read as `https://www.kcb.co.ke`."""
    if not text:
        return None
    if "://" not in text and ":" not in text.split("/")[0]:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
    except ValueError:
        raise Problem(WEBSITE_BAD) from None
    host = parts.hostname or ""
    if (parts.scheme.lower() not in ("http", "https") or "." not in host or len(text) > MAX_WEBSITE
            or any(c.isspace() or c in "<>\"'" for c in text)):
        raise Problem(WEBSITE_BAD)
    return text


def read_languages(text: str) -> list[str]:
    codes = [code.lower() for code in split(text)]
    if any(code not in SHIPPED for code in codes):
        raise Problem(LANGUAGES_UNKNOWN)
    return codes


def read_verified(text: str) -> bool:
    if text.lower() not in FLAGS:
        raise Problem(VERIFIED_BAD)
    return FLAGS[text.lower()]


def save(session: Session, cluster: Cluster, actor: Actor, fields: dict[str, str],
         institution: Institution | None = None) -> Outcome:
    """Adds the institution the text fields give, or updates `institution` (or else the
    cluster's institution of that name) to them: every field is set, an empty one cleared.
    Saving it as verified is a check: `checked_at` becomes now. Audited (`institution.add`,
    `institution.edit`); InstitutionError when a field is bad, nothing written then."""
    values = read(session, cluster, fields)
    folded = folded_name(values.name)
    namesake = stored.institution_named(session, cluster.id, folded)
    if institution is None:
        institution = namesake
    elif namesake is not None and namesake.id != institution.id:
        raise InstitutionError({"name": NAME_TAKEN})
    if institution is None:
        return add(session, cluster, actor, values, folded)
    return edit(session, cluster, actor, institution, values, folded)


def add(session: Session, cluster: Cluster, actor: Actor, values: Fields, folded: str) -> Outcome:
    """Adds the institution; audited."""
    institution = Institution(cluster_id=cluster.id, folded_name=folded, **vars(values),
                              checked_at=utcnow() if values.verified else None)
    session.add(institution)
    session.flush()
    audit.record(session, action="institution.add", actor=actor, cluster_id=cluster.id,
                 institution_id=institution.id, name=institution.name)
    return "added"


def edit(session: Session, cluster: Cluster, actor: Actor, institution: Institution,
         values: Fields, folded: str) -> Outcome:
    """Sets the institution's values; audited when a value changed or it was checked."""
    changed = values.changed(institution)
    for name in changed:
        setattr(institution, name, getattr(values, name))
    institution.folded_name = folded
    if values.verified:
        institution.checked_at = utcnow()
    if changed or values.verified:
        audit.record(session, action="institution.edit", actor=actor, cluster_id=cluster.id,
                     institution_id=institution.id, name=institution.name, changed=changed,
                     checked=values.verified)
    session.flush()
    return "updated" if changed else "unchanged"
