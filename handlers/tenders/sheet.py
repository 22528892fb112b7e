"""The bid sheet of a tender: for each item, the pledging members (name, phone, place,
quantity, unit, price) in pledge order, those in the consortium and the reserves, the total
against the need, the price weighted by quantity, and whether the consortium qualifies for
the groups a tender is reserved for (from what members declared)."""
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from handlers.labels import product_label
from storage.tenders import (Pledge, Tender, TenderItem, counts, in_and_reserves, item_code,
                             pledgeable, shares)

IN, RESERVE, OVER_PRICE = "in", "reserve", "over_price"  # where a pledge stands


@dataclass
class Row:
    """One pledge on the sheet. `status`: in the consortium, a reserve, or over the item's
    highest price (not counted); `counted`: how much of the need it fills; `groups`: the
    reserved groups the member declared (None: never asked)."""

    name: str
    phone: str
    place: str
    quantity: float
    unit: str
    price: float | None
    counted: float
    status: str
    groups: list[str] | None
    share: float | None  # delivery share, once the tender is won
    member_id: int

    @property
    def reserve(self) -> bool:
        return self.status == RESERVE


@dataclass
class ItemSheet:
    """One pledgeable item: what is needed, what the consortium covers, its rows."""

    code: str
    product: str
    need: float
    unit: str
    max_price: float | None
    rows: list[Row] = field(default_factory=list)

    @property
    def covered(self) -> float:
        return sum(row.counted for row in self.rows)

    @property
    def pledged(self) -> float:
        return sum(row.quantity for row in self.rows)

    @property
    def short(self) -> float:
        return max(self.need - self.covered, 0.0)

    @property
    def weighted_price(self) -> float | None:
        """The consortium's price per unit, each price weighted by the quantity it counts for;
        None when no counted pledge gives a price."""
        priced = [row for row in self.rows if row.counted > 0 and row.price is not None]
        weight = sum(row.counted for row in priced)
        return sum(row.price * row.counted for row in priced) / weight if weight else None

    @property
    def over_price(self) -> list[Row]:
        """Pledges not counted: their price is above the item's highest price."""
        return [row for row in self.rows if row.status == OVER_PRICE]


@dataclass
class Sheet:
    """The bid sheet. `reserved`: the groups the tender is reserved for; `qualifying`,
    `not_qualifying`, `unknown`: consortium members (ids) who declared one of them, declared
    none of them, never said."""

    tender: Tender
    items: list[ItemSheet]
    unmapped: list[TenderItem]
    reserved: list[str]
    qualifying: set[int] = field(default_factory=set)
    not_qualifying: set[int] = field(default_factory=set)
    unknown: set[int] = field(default_factory=set)

    @property
    def covered(self) -> bool:
        return all(item.short == 0 for item in self.items) and bool(self.items)

    @property
    def eligible(self) -> bool | None:
        """For a reserved tender: True when every consortium member declared a reserved group,
        False when one declared none of them, None while some never said."""
        if not self.reserved:
            return True
        if self.not_qualifying:
            return False
        return None if self.unknown else True

    def rows(self):
        """(item sheet, row) for every pledge, item by item."""
        return [(item, row) for item in self.items for row in item.rows]


def build(session: Session, tender: Tender, lang: str | None = "en") -> Sheet:
    """The tender's bid sheet; product names in `lang`."""
    items = [item_sheet(session, item, lang) for item in pledgeable(tender)]
    sheet = Sheet(tender=tender, items=items, reserved=list(tender.reserved or []),
                  unmapped=[item for item in tender.items if item.product_id is None])
    for _, row in sheet.rows():
        if row.counted <= 0 or not sheet.reserved:
            continue
        if row.groups is None:
            sheet.unknown.add(row.member_id)
        elif set(row.groups) & set(sheet.reserved):
            sheet.qualifying.add(row.member_id)
        else:
            sheet.not_qualifying.add(row.member_id)
    return sheet


def item_sheet(session: Session, item: TenderItem, lang: str | None) -> ItemSheet:
    """The item's rows: the consortium's pledges in order, the reserves in order, then the
    pledges over the highest price."""
    sheet = ItemSheet(code=item_code(item), need=item.quantity, unit=item.unit,
                      product=product_label(session, item.product_id, lang, item.description),
                      max_price=item.max_price)
    sheet.rows = [row_of(pledge, share, IN) for pledge, share in shares(item)]
    sheet.rows += [row_of(pledge, 0.0, RESERVE) for pledge in in_and_reserves(item)[1]]
    sheet.rows += [row_of(pledge, 0.0, OVER_PRICE)
                   for pledge in sorted(item.pledges, key=lambda p: (p.pledged_at, p.id))
                   if pledge.quantity > 0 and not counts(pledge, item)]
    return sheet


def row_of(pledge: Pledge, counted: float, status: str) -> Row:
    member = pledge.member
    return Row(name=member.name or "", phone=member.phone or "",
               place=member.place.name if member.place else (member.place_name or ""),
               quantity=pledge.quantity, unit=pledge.item.unit, price=pledge.price,
               counted=counted, status=status, groups=member.reserved_groups,
               share=pledge.delivery_share, member_id=member.id)
