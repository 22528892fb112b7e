"""Members as CSV: import (bad rows reported by line, the good ones written in batches inside
the one transaction) and export."""
import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from bot.phones import TELEGRAM_ID, to_e164
from bot.spreadsheet import (FileError, Header, ImportReport, Outcome, RowError, cells_of,
                             numbered_rows, write)
from handlers import places
from handlers.products import catalog_names, read_list, read_one
from handlers.registration import ROLES
from locales.i18n import SHIPPED
from storage import audit, clusters, members
from storage import products as catalog
from storage.audit import Actor
from storage.models import Cluster, Member, MemberProduct, Membership, Place, utcnow

HEADER = ["phone", "telegram_id", "name", "roles", "clusters", "language", "location", "products",
          "opted_out"]  # the columns every members file has
OPTIONAL = ["listed"]  # a file may end with these; export writes them
COLUMNS = [*HEADER, *OPTIONAL]
FILE_HEADER = Header(tuple(HEADER), optional=tuple(OPTIONAL))
CSV_ROLES = (*ROLES, "coordinator")  # in export order
FLAGS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
# Rows written together: one look-up of the members they name, one insert per table. Larger
# batches gain little, and a batch the database refuses is written again row by row.
BATCH = 1000
KEPT = 20_000  # place and product cells whose reading an import keeps (a file repeats them)
CONFLICT = "the phone or telegram_id belongs to another member"
DOES_NOT_FIT = "a value does not fit the database"

Progress = Callable[[int], None]  # told how many lines of the file are read, after each batch


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


class Known:
    """What the rows of one import are read against, read once: the clusters by slug, the
    catalog's product names, and the places and product lists already read (a file of a
    hundred thousand members names the same few again and again)."""

    def __init__(self, session: Session):
        self.session = session
        self.clusters = {cluster.slug: cluster for cluster in clusters.all_clusters(session)}
        self.by_id = {cluster.id: cluster for cluster in self.clusters.values()}
        self.catalog = catalog_names(session)
        self.places: dict[tuple[str, tuple[int, ...]], tuple[str, int | None]] = {}
        self.product_lists: dict[str, list[tuple[int | None, str]]] = {}
        self.product_ids: dict[str, int | None] = {}

    def place(self, typed: str, in_clusters: list[Cluster]) -> tuple[str, int | None]:
        """find_place, kept per name and clusters."""
        key = (typed, tuple(cluster.id for cluster in in_clusters))
        found = self.places.get(key)
        if found is None:
            found = find_place(self.session, typed, in_clusters)
            if len(self.places) < KEPT:
                self.places[key] = found
        return found

    def products(self, text: str) -> list[tuple[int | None, str]]:
        """handlers.products.read_list with the names kept per import, kept per cell."""
        found = self.product_lists.get(text)
        if found is None:
            found = read_list(self.session, text, self.product)
            if len(self.product_lists) < KEPT:
                self.product_lists[text] = found
        return found

    def product(self, name: str) -> int | None:
        """handlers.products.read_one, kept per name."""
        if name not in self.product_ids:
            found = read_one(self.catalog, name)
            if len(self.product_ids) >= KEPT:
                return found
            self.product_ids[name] = found
        return self.product_ids[name]


def columns_of(header: list[str] | None) -> list[str] | None:
    """The columns of a members file with this header line (HEADER, perhaps with `listed`);
    None when it is no members header."""
    try:
        return FILE_HEADER.read(header)
    except FileError:
        return None


def import_members(session: Session, file: IO[str], actor: Actor, *, region: str,
                   file_name: str, progress: Progress | None = None) -> ImportReport:
    """Loads the members of a CSV file and reports the bad rows by line number; audited.
    Everything is written in the session's transaction: nothing stays if it rolls back.
    Phones are read in `region`. RosterError when the file is no members CSV at all."""
    report = load_rows(session, file, region, progress)
    audit.record(session, action="members.import", actor=actor, file=file_name,
                 imported=report.added, updated=report.updated, skipped=report.skipped)
    return report


def load_rows(session: Session, file: IO[str], region: str,
              progress: Progress | None = None) -> ImportReport:
    """Reads and checks every row, and writes the good ones BATCH at a time, each batch in a
    savepoint; reports the bad ones by line number, in line order."""
    reader = csv.reader(file)
    try:
        columns = FILE_HEADER.read(next(reader, None))
    except csv.Error as e:
        raise RosterError(f"the header cannot be read as CSV ({e})") from None
    except FileError as e:
        raise RosterError(str(e)) from None
    report, seen, known = ImportReport(), FileIds(), Known(session)
    batch: list[tuple[int, Row]] = []
    for line, cells in numbered_rows(reader, report):
        try:
            row = read_row(known, cells_of(columns, cells, among_others=False), region)
            seen.claim(line, row)
        except RowError as e:
            report.errors.append((line, str(e)))
            continue
        batch.append((line, row))
        if len(batch) == BATCH:
            write_batch(session, batch, known, report)
            batch = []
            if progress:
                progress(reader.line_num)
    write_batch(session, batch, known, report)
    report.errors.sort(key=lambda error: error[0])
    return report


def read_row(known: Known, cell: dict[str, str], region: str) -> Row:
    """Checks every cell of a row; raises RowError with the first problem found."""
    phone, telegram_id = read_phone(cell["phone"], region), read_telegram_id(cell["telegram_id"])
    if phone is None and telegram_id is None:
        raise RowError("needs a phone or a telegram_id")
    roles, in_clusters = read_roles(cell["roles"]), read_clusters(known, cell["clusters"])
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


def read_clusters(known: Known, text: str) -> list[Cluster]:
    found = []
    for slug in split(text):
        cluster = known.clusters.get(slug.lower())
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


def write_batch(session: Session, batch: list[tuple[int, Row]], known: Known,
                report: ImportReport) -> None:
    """Writes the rows of a batch in one savepoint and counts what each did. When the database
    refuses the batch (a phone that a member writing in meanwhile took, a value that does not
    fit), it writes each of its rows again in a savepoint of its own, to say which one."""
    if not batch:
        return
    try:
        with session.begin_nested():
            outcomes = write_rows(session, batch, known)
    except (IntegrityError, DataError) as e:
        if len(batch) > 1:
            for one in batch:
                write_batch(session, [one], known, report)
            return
        outcomes = [(batch[0][0], RowError(CONFLICT if isinstance(e, IntegrityError)
                                           else DOES_NOT_FIT))]
    for line, outcome in outcomes:
        if isinstance(outcome, RowError):
            report.errors.append((line, str(outcome)))
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)


def write_rows(session: Session, batch: list[tuple[int, Row]],
               known: Known) -> list[tuple[int, Outcome | RowError]]:
    """Creates or updates the member of each row, in file order; returns what each row did (a
    RowError when it names two members, or the coordinator role).

    The stored members the rows name are read in one query, with their roles in another; the
    rows' changes are worked out in memory, then written with one statement per table and kind
    of change: updates first (a phone an updated member gave up may be a new member's), then
    the new members, then the memberships and products of all."""
    phones = [row.phone for _, row in batch if row.phone]
    telegram_ids = [row.telegram_id for _, row in batch if row.telegram_id is not None]
    found = {id_: Entry(id_, dict(zip(WRITTEN, values))) for id_, *values in session.execute(
        select(Member.id, *(getattr(Member, column) for column in WRITTEN))
        .where(or_(Member.phone.in_(phones), Member.telegram_id.in_(telegram_ids))))}
    for id_, member_id, cluster_id, role in session.execute(
            select(Membership.id, Membership.member_id, Membership.cluster_id, Membership.role)
            .where(Membership.member_id.in_(found)).order_by(Membership.id)):
        found[member_id].roles[cluster_id, role] = id_
    by_phone = {entry.get("phone"): entry for entry in found.values() if entry.get("phone")}
    by_telegram = {entry.get("telegram_id"): entry for entry in found.values()
                   if entry.get("telegram_id") is not None}
    outcomes: list[tuple[int, Outcome | RowError]] = []
    new: list[Entry] = []
    for line, row in batch:
        phone_of = by_phone.get(row.phone) if row.phone else None
        telegram_of = by_telegram.get(row.telegram_id) if row.telegram_id is not None else None
        if phone_of and telegram_of and phone_of is not telegram_of:
            outcomes.append((line, RowError("the phone and the telegram_id belong to two "
                                            "different members")))
            continue
        entry = phone_of or telegram_of
        try:
            apply(entry or Entry(None, dict(NEW)), row, known, by_phone, by_telegram)
        except RowError as e:
            outcomes.append((line, e))
            continue
        if entry is None:
            new.append(by_phone.get(row.phone) or by_telegram[row.telegram_id])
        outcomes.append((line, "updated" if entry else "added"))
    write_entries(session, list(found.values()), new)
    return outcomes


# The columns of members an import writes, and what they are for a member it adds.
NEW = {"phone": None, "telegram_id": None, "name": None, "registered": False, "language": None,
       "language_chosen": False, "place_name": None, "place_id": None, "opted_out": False,
       "listed": None}
WRITTEN = tuple(NEW)


@dataclass
class Entry:
    """A member as a batch writes them: their columns as stored (NEW for a member the batch
    adds), what its rows change, their roles and the products they deal in."""

    id: int | None
    stored: dict
    changes: dict = field(default_factory=dict)
    roles: dict[tuple[int, str], int | None] = field(default_factory=dict)  # (cluster id, role)
    # -> the membership's id; None: one to add
    dropped: list[int] = field(default_factory=list)  # memberships to delete
    products: list[tuple[int | None, str]] | None = None  # None: leave theirs as they are

    def get(self, column: str):
        return self.changes.get(column, self.stored[column])

    def set(self, column: str, value) -> None:
        if value == self.stored[column]:
            self.changes.pop(column, None)
        else:
            self.changes[column] = value

    def set_roles(self, cluster_id: int, roles: list[str]) -> None:
        """Exactly `roles` in the cluster, besides a granted coordinator role; a role they
        already had stays the same membership (when they joined is kept)."""
        for key in [key for key in self.roles if key[0] == cluster_id
                    and key[1] != "coordinator" and key[1] not in roles]:
            membership_id = self.roles.pop(key)
            if membership_id is not None:
                self.dropped.append(membership_id)
        for role in roles:
            self.roles.setdefault((cluster_id, role), None)


def apply(entry: Entry, row: Row, known: Known, by_phone: dict[str, Entry],
          by_telegram: dict[int, Entry]) -> None:
    """Applies a row to the member it names, and to the batch's index of who holds which phone
    and Telegram id (a later row may name one this member gave up).

    Empty cells leave the member's data as it is; a listed cluster gets exactly the listed
    roles (a granted coordinator role is kept). An opt-out is never undone here: only the
    member's own START does that. RowError, before any change, for the coordinator role.
    """
    check_coordinator({cluster_id for cluster_id, role in entry.roles if role == "coordinator"},
                      row)
    for column, value, index in (("phone", row.phone, by_phone),
                                 ("telegram_id", row.telegram_id, by_telegram)):
        if value is not None and value != entry.get(column):
            if index.get(entry.get(column)) is entry:
                del index[entry.get(column)]
            entry.set(column, value)
            index[value] = entry
    if row.name:
        entry.set("name", row.name)
        entry.set("registered", True)
    if row.language:
        entry.set("language", row.language)
        entry.set("language_chosen", True)
    chosen = [role for role in row.roles if role != "coordinator"]
    for cluster in row.clusters:
        entry.set_roles(cluster.id, chosen)
    if row.location:
        in_clusters = row.clusters or [known.by_id[cluster_id] for cluster_id
                                       in dict.fromkeys(key[0] for key in entry.roles)]
        place_name, place_id = known.place(row.location, in_clusters)
        entry.set("place_name", place_name)
        entry.set("place_id", place_id)
    if row.products:
        entry.products = known.products(row.products)
    if row.opted_out:
        entry.set("opted_out", True)
    if row.listed is not None:
        entry.set("listed", row.listed)


def write_entries(session: Session, stored: list[Entry], new: list[Entry]) -> None:
    """Writes what a batch changed: the stored members' columns that changed (with grouped
    executemany statements), their memberships and products dropped, the new members, then
    everyone's new memberships and products."""
    changed = sorted(({"id": entry.id, **entry.changes, "updated_at": utcnow()}
                      for entry in stored if entry.changes), key=lambda values: tuple(values))
    if changed:
        session.execute(update(Member), changed)
    dropped = [membership_id for entry in stored for membership_id in entry.dropped]
    if dropped:
        session.execute(delete(Membership).where(Membership.id.in_(dropped))
                        .execution_options(synchronize_session=False))
    replaced = [entry.id for entry in stored if entry.products is not None]
    if replaced:
        session.execute(delete(MemberProduct).where(MemberProduct.member_id.in_(replaced))
                        .execution_options(synchronize_session=False))
    if new:
        insert_members(session, new)
    everyone = [*stored, *new]
    roles = [{"member_id": entry.id, "cluster_id": cluster_id, "role": role}
             for entry in everyone for (cluster_id, role), id_ in entry.roles.items()
             if id_ is None]
    products = [{"member_id": entry.id, "product_id": product_id, "raw_name": raw}
                for entry in everyone for product_id, raw in entry.products or ()]
    if roles:
        session.execute(insert(Membership), roles)
    if products:
        # render_nulls: one statement for many rows; without it the ORM leaves out the columns
        # that are None and groups the rows by the columns left (about one statement a row).
        session.execute(insert(MemberProduct).execution_options(render_nulls=True), products)


def insert_members(session: Session, new: list[Entry]) -> None:
    """Inserts the new members and notes their ids. Each is told by their phone or Telegram id
    (unique, and one of them given) in what the insert returns, which spares the insert the
    one-row statements that keeping the order takes on SQLite."""
    returned = session.execute(
        insert(Member).returning(Member.id, Member.phone, Member.telegram_id)
        .execution_options(render_nulls=True),
        [{**entry.stored, **entry.changes} for entry in new])
    ids = {(phone, telegram_id): member_id for member_id, phone, telegram_id in returned}
    for entry in new:
        entry.id = ids[entry.get("phone"), entry.get("telegram_id")]


def check_coordinator(coordinated: set[int], row: Row) -> None:
    """RowError when the row names coordinator in a cluster the member does not coordinate
    (`coordinated`: the ids of those they do).

    Only `clusterbot coordinator add` grants the role, with an audit entry; a row that repeats
    a role the member already has (an export imported again) grants nothing and is fine.
    """
    if "coordinator" not in row.roles:
        return
    missing = [cluster.slug for cluster in row.clusters if cluster.id not in coordinated]
    if missing:
        raise RowError(f"the coordinator role ({', '.join(missing)}) is granted only by "
                       "clusterbot coordinator add, not by an import")


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

