"""DELETE and tenders: the groups a member declared are forgotten, their pledges to tenders still
taking them withdrawn, those to closed tenders kept on the emptied member row, and which tenders
they were told of forgotten."""
from datetime import datetime, timedelta, timezone

from scenes import AMINA, JUMA, add_member
from sqlalchemy import select

from locales.i18n import keyword_word, translate
from storage import products
from storage.db import unit_of_work
from storage.models import Member
from storage.tenders import Pledge, Tender, TenderAlert, TenderItem


def tender(session, cluster, code, closed: bool) -> TenderItem:
    now = datetime.now(timezone.utc)
    item = TenderItem(position=1, description="Dried omena", quantity=1000, unit="kg",
                      product_id=products.by_slug(session, "omena").id)
    session.add(Tender(cluster_id=cluster.id, code=code, buyer="County", title="School meals",
                       deadline=now + timedelta(days=9), items=[item],
                       closed_at=now if closed else None))
    session.flush()
    return item


def test_delete_forgets_declared_groups_open_pledges_and_alerts(chat, factory, kisumu):
    with unit_of_work(factory) as session:
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina")
        juma = add_member(session, JUMA, "fisher", kisumu, "sw", "Juma")
        amina.reserved_groups = ["women"]
        still_open, closed = tender(session, kisumu, "K4P7", False), tender(session, kisumu,
                                                                          "M3Q8", True)
        for member in (amina, juma):
            for item in (still_open, closed):
                session.add(Pledge(item_id=item.id, member_id=member.id, quantity=100))
            session.add(TenderAlert(tender_id=still_open.tender_id, member_id=member.id))
        amina_id, juma_id = amina.id, juma.id
    person = chat(AMINA)
    person.send(keyword_word("delete", "en"))
    assert person.send("1") == [translate("en", "Your data has been deleted. Goodbye.")]
    with unit_of_work(factory) as session:
        assert session.get(Member, amina_id).reserved_groups is None
        pledges = {(p.member_id, p.item.tender.code) for p in session.scalars(select(Pledge))}
        assert pledges == {(amina_id, "M3Q8"), (juma_id, "K4P7"), (juma_id, "M3Q8")}
        alerted = set(session.scalars(select(TenderAlert.member_id)))
        assert alerted == {juma_id}
