"""Helpers shared by the scenes: the cast, members put straight into the database, and reads
of the database as the assertions need them."""
from sqlalchemy import func, select

from handlers.budget import SMS, render
from locales.i18n import SHIPPED
from storage import clusters, products
from storage.db import unit_of_work
from storage.members import find
from storage.models import Member, MemberProduct, Membership, OutboundMessage, Place

# The cast: the same people in every scene.
AMINA = "+254722000001"  # fish processor
JUMA = "+254722000002"  # fisher
GRACE = "+254722000003"  # coordinator
TOMAS = "+254722000004"  # craftsperson


def add_member(session, phone, role, cluster, language, name="Member", *, place=None,
               product=None, opted_out=False, telegram_id=None, coordinator=False) -> Member:
    """A registered member of the cluster, straight into the database (place from the gazetteer
    when it is there, a product interest when given, a coordinator of the cluster too when
    `coordinator`)."""
    known = session.scalar(select(Place).where(Place.name == place)) if place else None
    member = Member(phone=phone, name=name, language=language, language_chosen=True,
                    registered=True, place_name=place, place_id=known.id if known else None,
                    opted_out=opted_out, telegram_id=telegram_id)
    member.memberships.append(Membership(cluster_id=cluster.id, role=role))
    if coordinator:
        member.memberships.append(Membership(cluster_id=cluster.id, role="coordinator"))
    if product:
        member.products.append(MemberProduct(product_id=products.by_slug(session, product).id,
                                             raw_name=product))
    session.add(member)
    session.flush()
    return member


def member(factory, phone=None, telegram_id=None) -> Member | None:
    with unit_of_work(factory) as session:
        found = find(session, phone=phone, telegram_id=telegram_id)
        if found:
            session.expunge(found)
        return found


def profile(factory, phone) -> dict:
    """The member's saved profile in plain values."""
    with unit_of_work(factory) as session:
        m = find(session, phone=phone)
        return {
            "name": m.name,
            "registered": m.registered,
            "language": m.language,
            "place": m.place_name,
            "roles": sorted(ms.role for ms in m.memberships),
            "products": sorted(p.product.slug if p.product else p.raw_name for p in m.products),
        }


def count(factory, model) -> int:
    with unit_of_work(factory) as session:
        return session.scalar(select(func.count()).select_from(model))


def half_written(factory) -> int:
    """Rows a registration writes only when confirmed."""
    return count(factory, Membership) + count(factory, MemberProduct)


def outbox(factory) -> list[OutboundMessage]:
    with unit_of_work(factory) as session:
        rows = list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
        session.expunge_all()
        return rows


def as_sms(text: str) -> str:
    """The text as a member reads it by SMS (plain letters when accents would cost a segment)."""
    return render(SMS, text, [])[0]


def lamu_crafts(session):
    """Another cluster network: a craft network on the coast, in English."""
    return clusters.add(session, slug="lamu-crafts", name="Lamu Crafts", currency="KES",
                        country="KE", languages=["en"], timezone="Africa/Nairobi")


def clusters_by_language(session) -> dict:
    """A cluster per shipped language (`fish-sw` speaks Swahili), for scenes played in each."""
    return {lang: clusters.add(session, slug=f"fish-{lang}", name=f"Fish {lang}", currency="KES",
                               country="KE", languages=[lang], timezone="Africa/Nairobi")
            for lang in SHIPPED}


def next_language(lang: str) -> str:
    """Another shipped language: whose coordinator is refused in `lang`'s cluster."""
    return SHIPPED[(SHIPPED.index(lang) + 1) % len(SHIPPED)]
