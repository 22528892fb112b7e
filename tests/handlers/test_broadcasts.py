"""Broadcasts: Grace reaches her cluster, by role, place, language and product, now or later."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member, lamu_crafts, outbox
from sqlalchemy import select

from handlers import broadcasts as broadcast_handlers
from locales.i18n import translate
from storage import broadcasts, clusters, members
from storage.db import unit_of_work
from storage.models import AuditEntry, Membership

OTHER = "+254722000009"



@pytest.fixture
def network(factory, kisumu):
    """Grace coordinates Kisumu Fish: Juma (fisher, sw), Amina (processor, fr), Tomás (craft, en,
    Telegram), and one member who opted out. Lamu Crafts is another cluster."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        lamu = lamu_crafts(session)
        add_member(session, GRACE, "trader", kisumu, "en", name="Grace", coordinator=True)
        add_member(session, JUMA, "fisher", kisumu, "sw", name="Juma", place="Kisumu", product="tilapia")
        amina = add_member(session, AMINA, "fish_processor", kisumu, "fr", name="Amina", place="Dunga")
        amina.memberships.append(Membership(cluster_id=lamu.id, role="trader"))
        add_member(session, TOMAS, "craftsperson", kisumu, "en", name="Tomás", telegram_id=4242)
        add_member(session, OTHER, "fisher", kisumu, "sw", opted_out=True)
    return factory


def broadcast_rows(factory):
    return {(m.address, m.text) for m in outbox(factory) if m.kind == "broadcast"}


def confirm(chat, command):
    grace = chat(GRACE)
    question = grace.send(command)[0]
    return question, grace.send("1")[0]


def test_broadcast_reaches_each_member_once_on_their_cheapest_channel(chat, network):
    question, done = confirm(chat, "BROADCAST Meeting on Friday at 10 at Dunga Beach")
    assert question.startswith(translate("en", "This goes to {count} members: {telegram} on "
                                               "Telegram, {sms} by SMS ({segments} SMS each, {total} in all). Send it?",
                                         count=4, telegram=1, sms=3, segments=1, total=3))
    assert done == translate("en", "Sending to {count} members. You will get a summary when it is done.", count=4)
    text = "Meeting on Friday at 10 at Dunga Beach"
    assert broadcast_rows(network) == {(JUMA, text), (AMINA, text), ("4242", text), (GRACE, text)}


def test_broadcast_in_several_languages_gives_each_member_theirs(chat, network):
    confirm(chat, "BROADCAST Meeting Friday || sw: Mkutano Ijumaa || fr: Réunion vendredi")
    assert broadcast_rows(network) == {(JUMA, "Mkutano Ijumaa"), (AMINA, "Réunion vendredi"),
                                       ("4242", "Meeting Friday"), (GRACE, "Meeting Friday")}


def test_broadcast_to_a_role_reaches_only_that_role(chat, network):
    confirm(chat, "BROADCAST fishers Check your boats before the storm")
    assert broadcast_rows(network) == {(JUMA, "Check your boats before the storm")}


@pytest.mark.parametrize("command, expected", [
    ("BROADCAST place:Dunga Boats leave at 6", {AMINA}),
    ("BROADCAST lang:sw Boti zinaondoka saa kumi na mbili", {JUMA}),
    ("BROADCAST product:sato Tilapia price is up", {JUMA}),
])
def test_broadcast_filters_by_place_language_and_product(chat, network, command, expected):
    confirm(chat, command)
    assert {address for address, _ in broadcast_rows(network)} == expected


@pytest.mark.parametrize(("lang", "to_one", "sending", "to_four"), [
    ("en", "This goes to 1 member: 0 on Telegram, 1 by SMS", "Sending to 1 member.",
     "This goes to 4 members: 1 on Telegram, 3 by SMS"),
    ("sw", "Litamfikia mwanachama 1: 0 kwa Telegram, 1 kwa SMS", "Inatumwa kwa mwanachama 1.",
     "Litawafikia wanachama 4: 1 kwa Telegram, 3 kwa SMS"),
    ("fr", "Pour 1 membre : 0 sur Telegram, 1 par SMS", "Envoi à 1 membre.",
     "Pour 4 membres : 1 sur Telegram, 3 par SMS"),
    ("pt", "Vai para 1 membro: 0 no Telegram, 1 por SMS", "A enviar para 1 membro.",
     "Vai para 4 membros: 1 no Telegram, 3 por SMS"),
])
def test_reach_is_told_in_the_singular_or_plural_of_the_coordinators_language(
        chat, network, lang, to_one, sending, to_four):
    with unit_of_work(network) as session:
        members.find(session, phone=GRACE).language = lang
    grace = chat(GRACE, style="telegram")
    assert grace.send("BROADCAST fishers Check your boats")[0].startswith(to_one)  # Juma
    assert grace.send("1")[0].startswith(sending)
    assert grace.send("BROADCAST Market day moved to Saturday")[0].startswith(to_four)


@pytest.mark.parametrize("word", ["BROADCAST", "TANGAZA", "DIFFUSER", "DIFUNDIR", "/broadcast"])
def test_broadcast_keyword_works_in_every_language(chat, network, word):
    confirm(chat, f"{word} Market day moved to Saturday")
    assert len(broadcast_rows(network)) == 4


def test_half_a_broadcast_asks_for_the_text(chat, network):
    grace = chat(GRACE)
    assert grace.send("TANGAZA") == [translate("en", "What should the broadcast say?")]
    assert grace.send("Boats out at dawn")[0].startswith("This goes to 4 members")


def test_non_coordinator_is_refused_and_nothing_is_queued(chat, network):
    reply = chat(JUMA).send("BROADCAST free fish for all")
    assert reply == [translate("sw", "Sorry, only a coordinator of that cluster can do this.")]
    assert broadcast_rows(network) == set()


def test_coordinator_of_another_cluster_is_refused(chat, network):
    assert chat(GRACE).send("BROADCAST lamu-crafts Basket fair on Sunday") == [
        translate("en", "Sorry, only a coordinator of that cluster can do this.")]
    assert broadcast_rows(network) == set()


def test_named_cluster_reaches_only_it_and_is_audited(chat, network):
    confirm(chat, "BROADCAST kisumu-fish Cold room repaired")
    with unit_of_work(network) as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "broadcast.send")).all()
        assert entry.actor == GRACE and entry.details["members"] == 4


def test_cancelled_broadcast_sends_nothing(chat, network):
    grace = chat(GRACE)
    grace.send("BROADCAST Storm warning")
    assert grace.send("2") == [translate("en", "Broadcast cancelled. Nothing was sent.")]
    assert broadcast_rows(network) == set()


def test_bad_filter_gets_a_hint(chat, network):
    assert chat(GRACE).send("BROADCAST lang:de Hallo") == [
        translate("en", "Unknown language {language}: use en, sw, fr or pt.", language="de")]


def schedule(factory, minutes_from_now, grace_seconds=3600):
    with unit_of_work(factory) as session:
        grace = members.find(session, phone=GRACE)
        cluster = clusters.by_slug(session, "kisumu-fish")
        return broadcasts.create(session, coordinator_id=grace.id, cluster_ids=[cluster.id],
                                 filters={}, texts={"": "Training tomorrow"},
                                 send_at=datetime.now(timezone.utc) + timedelta(minutes=minutes_from_now),
                                 grace_seconds=grace_seconds).id


def run_jobs(factory):
    with unit_of_work(factory) as session:
        broadcast_handlers.send_due(session, datetime.now(timezone.utc))
    with unit_of_work(factory) as session:
        broadcast_handlers.report_done(session, datetime.now(timezone.utc))


def test_scheduled_broadcast_goes_when_due(network):
    schedule(network, 30)
    run_jobs(network)
    assert broadcast_rows(network) == set()
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(minutes=31), tick=False):
        run_jobs(network)
        run_jobs(network)  # twice: still once per member
    assert len(broadcast_rows(network)) == 4 and len(outbox(network)) == 4


def test_broadcast_late_within_grace_after_downtime_still_goes(network):
    schedule(network, 30, grace_seconds=3600)
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(minutes=80), tick=False):
        run_jobs(network)
    assert len(broadcast_rows(network)) == 4


def test_broadcast_later_than_grace_is_reported_not_sent(network):
    broadcast_id = schedule(network, 30, grace_seconds=3600)
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(hours=3), tick=False):
        run_jobs(network)
    assert broadcast_rows(network) == set()
    [notice] = [m for m in outbox(network) if m.address == GRACE]
    assert notice.text.startswith(f"Broadcast {broadcast_id} was due at")


def test_coordinator_gets_a_summary_when_sending_is_done(chat, network):
    confirm(chat, "BROADCAST Prices are up")
    with unit_of_work(network) as session:
        for message in session.scalars(select(broadcasts.OutboundMessage)):
            message.status = "delivered" if message.address != AMINA else "failed"
        broadcast_id = session.scalar(select(broadcasts.Broadcast.id))
    run_jobs(network)
    summary = [m.text for m in outbox(network) if m.kind == "notice"]
    assert summary == [translate("en", "Broadcast {id} is done: {sent} sent, {delivered} "
                                       "delivered, {failed} failed.", id=broadcast_id, sent=3,
                                 delivered=3, failed=1)]
    run_jobs(network)
    assert len([m for m in outbox(network) if m.kind == "notice"]) == 1


PEDRO = "+254722000011"  # a trader who reads Portuguese


def add_reader_of(factory, language):
    with unit_of_work(factory) as session:
        add_member(session, PEDRO, "trader", clusters.by_slug(session, "kisumu-fish"), language,
                   name="Pedro")


def test_member_with_no_text_of_theirs_gets_english_not_the_clusters_first_language(chat,
                                                                                    network):
    """Kisumu Fish speaks Swahili first; Pedro reads Portuguese: English is likelier to reach him."""
    add_reader_of(network, "pt")
    confirm(chat, "BROADCAST Meeting Friday || sw: Mkutano Ijumaa || fr: Réunion vendredi")
    assert (PEDRO, "Meeting Friday") in broadcast_rows(network)
    assert (JUMA, "Mkutano Ijumaa") in broadcast_rows(network)


@pytest.mark.parametrize("texts, fallback, pedro_reads", [
    ({"": "Mkutano Ijumaa", "sw": "Mkutano Ijumaa", "en": "Meeting Friday"}, None, "Meeting Friday"),
    ({"": "Mkutano Ijumaa", "sw": "Mkutano Ijumaa", "fr": "Réunion vendredi"}, None, "Mkutano Ijumaa"),
    ({"": "Mkutano Ijumaa", "en": "Meeting Friday", "fr": "Réunion vendredi"}, "fr", "Réunion vendredi"),
])
def test_member_with_no_text_of_theirs_gets_the_fallback(network, texts, fallback, pedro_reads):
    """English when the broadcast has it, else the first text written, unless the coordinator
    chose the fallback language."""
    add_reader_of(network, "pt")
    with unit_of_work(network) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        sent = broadcasts.create(session, coordinator_id=None, cluster_ids=[cluster.id],
                                 filters={}, texts=texts, fallback=fallback)
        broadcasts.queue(session, sent)
    assert (PEDRO, pedro_reads) in broadcast_rows(network)
    assert (AMINA, texts.get("fr", pedro_reads)) in broadcast_rows(network)
