"""Members as CSV: import (each row on its own, bad rows reported by line) and export."""
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy.orm import Session

from bot.phones import TELEGRAM_ID, to_e164
from bot.spreadsheet import FileError, Header, ImportReport, Outcome, RowError
from bot.spreadsheet import load_rows as load_rows_of
from bot.spreadsheet import write
from handlers import places
from handlers.products import read_list
from handlers.registration import ROLES
from locales.i18n import SHIPPED
from storage import audit, clusters, members
from storage import products as catalog
from storage.audit import Actor
from storage.models import Cluster, Member, Place

HEADER = ["phone", "telegram_id", "name", "roles", "clusters", "language", "location", "products",
          "opted_out"]  # the columns every members file has
OPTIONAL = ["listed"]  # a file may end with these; export writes them
COLUMNS = [*HEADER, *OPTIONAL]
FILE_HEADER = Header(tuple(HEADER), optional=tuple(OPTIONAL))
CSV_ROLES = (*ROLES, "coordinator")  # in export order
FLAGS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class RosterError(FileError):
    """The file cannot be read as a members CSV at all."""


@dataclass
class Row:
    """One CSV row, read and checked; None and empty lists mean "leave as it is"."""

    phone: str | None
    telegram_id: int | None
    name: str | None
    roles: list[str]
    clusters: list[Cluster]
    language: str | None
    location: str | None
    products: str | None
    opted_out: bool | None
    listed: bool | None  # said yes or no to the cluster directory; None: leave as it is


@dataclass
class FileIds:
    """The line of each phone and Telegram id already given in the file."""

    phones: dict[str, int] = field(default_factory=dict)
    telegram_ids: dict[int, int] = field(default_factory=dict)

    def claim(self, line: int, row: Row) -> None:
        """Notes the row's phone and Telegram id; RowError when an earlier row gave one."""
        if row.phone in self.phones:
            raise RowError(f"the phone {row.phone} is already on line {self.phones[row.phone]}")
        if row.telegram_id in self.telegram_ids:
            raise RowError(f"the telegram_id {row.telegram_id} is already on line "
                           f"{self.telegram_ids[row.telegram_id]}")
        if row.phone:
            self.phones[row.phone] = line
        if row.telegram_id is not None:
            self.telegram_ids[row.telegram_id] = line


def columns_of(header: list[str] | None) -> list[str] | None:
    """The columns of a members file with this header line (HEADER, perhaps with `listed`);
    None when it is no members header."""
    try:
        return FILE_HEADER.read(header)
    except FileError:
        return None


def import_members(session: Session, file: IO[str], actor: Actor, *, region: str,
                   file_name: str) -> ImportReport:
    """Loads the members of a CSV file, each good row in its own savepoint, and reports the bad
    ones by line number; audited. Phones are read in `region`. RosterError when the file is no
    members CSV at all."""
    report = load_rows(session, file, region)
    audit.record(session, action="members.import", actor=actor, file=file_name,
                 imported=report.added, updated=report.updated, skipped=report.skipped)
    return report


def load_rows(session: Session, file: IO[str], region: str) -> ImportReport:
    """Loads each good row in its own savepoint and reports the bad ones by line number."""
    seen = FileIds()

    def load(line: int, cells: dict[str, str]) -> Outcome:
        row = read_row(session, cells, region)
        seen.claim(line, row)
        return "added" if load_row(session, row) else "updated"

    try:
        return load_rows_of(session, file, FILE_HEADER, load,
                            conflict="the phone or telegram_id belongs to another member")
    except FileError as e:
        raise RosterError(str(e)) from None


def read_row(session: Session, cell: dict[str, str], region: str) -> Row:
    """Checks every cell of a row; raises RowError with the first problem found."""
    phone, telegram_id = read_phone(cell["phone"], region), read_telegram_id(cell["telegram_id"])
    if phone is None and telegram_id is None:
        raise RowError("needs a phone or a telegram_id")
    roles, in_clusters = read_roles(cell["roles"]), read_clusters(session, cell["clusters"])
    if bool(roles) != bool(in_clusters):
        raise RowError("roles and clusters go together: give both or neither")
    return Row(phone=phone, telegram_id=telegram_id,
               name=read_text(cell["name"], "name", 100), roles=roles, clusters=in_clusters,
               language=read_language(cell["language"]),
               location=read_text(cell["location"], "location", 200),
               products=cell["products"] or None,
               opted_out=read_flag(cell["opted_out"], "opted_out"),
               listed=read_flag(cell.get("listed", ""), "listed"))


def read_phone(text: str, region: str) -> str | None:
    if not text:
        return None
    phone = to_e164(text, region)
    if phone is None:
        raise RowError(f"not a valid phone number: {text}")
    return phone


def read_telegram_id(text: str) -> int | None:
    if not text:
        return None
    if not TELEGRAM_ID.fullmatch(text):
        raise RowError(f"telegram_id must be a number of up to 18 digits: {text}")
    return int(text)


def split(text: str) -> list[str]:
    """`a; b;;a` -> [`a`, `b`]."""
    return list(dict.fromkeys(part.strip() for part in text.split(";") if part.strip()))


def read_roles(text: str) -> list[str]:
    roles = [role.lower() for role in split(text)]
    unknown = [role for role in roles if role not in CSV_ROLES]
    if unknown:
        raise RowError(f"unknown role: {unknown[0]} (roles are {', '.join(CSV_ROLES)})")
    return roles


def read_clusters(session: Session, text: str) -> list[Cluster]:
    found = []
    for slug in split(text):
        cluster = clusters.by_slug(session, slug.lower())
        if cluster is None:
            raise RowError(f"unknown cluster: {slug}")
        found.append(cluster)
    return found


def read_language(text: str) -> str | None:
    if text and text.lower() not in SHIPPED:
        raise RowError(f"unknown language: {text} (languages are {', '.join(SHIPPED)})")
    return text.lower() or None


def read_text(text: str, what: str, limit: int) -> str | None:
    if len(text) > limit:
        raise RowError(f"{what} is longer than {limit} characters")
    return text or None


def read_flag(text: str, column: str) -> bool | None:
    """true/yes/1 or false/no/0 (any case); None when empty."""
    if not text:
        return None
    if text.lower() not in FLAGS:
        raise RowError(f"{column} must be true or false: {text}")
    return FLAGS[text.lower()]


def load_row(session: Session, row: Row) -> bool:
    """Creates or updates the row's member; True when it was created.

    Empty cells leave an existing member's data as it is; a listed cluster gets exactly the
    listed roles (a granted coordinator role is kept). An opt-out is never undone here: only
    the member's own START does that.
    """
    member, created = find_member(session, row)
    check_coordinator(member, row)
    if row.phone:
        member.phone = row.phone
    if row.telegram_id is not None:
        member.telegram_id = row.telegram_id
    if row.name:
        member.name, member.registered = row.name, True
    if row.language:
        member.language, member.language_chosen = row.language, True
    chosen = [role for role in row.roles if role != "coordinator"]
    for cluster in row.clusters:
        members.set_memberships(session, member, cluster.id, chosen)
    if row.location:
        member.place_name, member.place_id = find_place(
            session, row.location, row.clusters or clusters.clusters_of(member))
    if row.products:
        members.set_products(member, read_list(session, row.products))
    if row.opted_out:
        member.opted_out = True
    if row.listed is not None:
        member.listed = row.listed
    session.flush()
    return created


def check_coordinator(member: Member, row: Row) -> None:
    """RowError when the row names coordinator in a cluster the member does not coordinate.

    Only `clusterbot coordinator add` grants the role, with an audit entry; a row that repeats
    a role the member already has (an export imported again) grants nothing and is fine.
    """
    if "coordinator" not in row.roles:
        return
    held = {m.cluster_id for m in member.memberships if m.role == "coordinator"}
    missing = [cluster.slug for cluster in row.clusters if cluster.id not in held]
    if missing:
        raise RowError(f"the coordinator role ({', '.join(missing)}) is granted only by "
                       "clusterbot coordinator add, not by an import")


def find_member(session: Session, row: Row) -> tuple[Member, bool]:
    """The member with the row's phone or Telegram id, or a new one; and whether it is new."""
    by_phone = members.find(session, phone=row.phone) if row.phone else None
    by_telegram = (members.find(session, telegram_id=row.telegram_id)
                   if row.telegram_id is not None else None)
    if by_phone and by_telegram and by_phone.id != by_telegram.id:
        raise RowError("the phone and the telegram_id belong to two different members")
    member = by_phone or by_telegram
    if member:
        return member, False
    return members.get_or_create(session, phone=row.phone, telegram_id=row.telegram_id), True


def find_place(session: Session, typed: str, in_clusters: list[Cluster]) -> tuple[str, int | None]:
    """(place name, place id) of the one known place named exactly `typed`, by any of its names
    (`Ksm`, `Homabay`: an import does not guess at typos), else (typed, None)."""
    wanted = places.folded(typed)
    found = {known[wanted] for cluster in in_clusters
             if wanted in (known := places.known(session, cluster))}
    if len(found) == 1:
        place = session.get(Place, found.pop())
        return place.name, place.id
    return typed, None


def export_members(session: Session, file: IO[str]) -> int:
    """Writes every member (not deleted) as CSV; returns how many."""
    return write(file, COLUMNS, map(member_row, members.all_members(session)))


def member_row(member: Member) -> list[str]:
    """The member's CSV cells, in COLUMNS order (HEADER's first)."""
    roles = {m.role for m in member.memberships}
    slugs = sorted({m.cluster.slug for m in member.memberships})
    products = [catalog.display_name(p.product, "en") if p.product else p.raw_name
                for p in sorted(member.products, key=lambda p: p.id)]
    return [
        member.phone or "",
        str(member.telegram_id) if member.telegram_id is not None else "",
        member.name or "",
        ";".join(role for role in CSV_ROLES if role in roles),
        ";".join(slugs),
        member.language or "",
        member.place_name or "",
        ";".join(products),
        "true" if member.opted_out else "false",
        "" if member.listed is None else str(member.listed).lower(),
    ]

