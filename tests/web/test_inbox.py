"""The inbox through HTTP: what members wrote that the bot did not understand waits for Grace,
who answers one person on their own channel; a viewer sees counts only; no one reads or answers
another cluster's members."""
import re

import pytest
from dashboard_people import ADMIN, GRACE, OMAR, RUTH
from scenes import AMINA, JUMA, TOMAS, add_member
from sqlalchemy import select

from handlers.turn import Inbound
from storage.db import unit_of_work
from storage.models import AuditEntry, InboundMessage, Member, OutboundMessage

PAGE = "/dashboard/kisumu-fish/messages"
PUZZLE = "Nataka kujua bei ya barafu Dunga"  # no keyword, no open question: the hint answers
STRANGER = "+254722000099"


@pytest.fixture
def members(factory, kisumu, lamu):
    """Amina (Kisumu Fish, SMS), Juma (Kisumu Fish, SMS and Telegram), Tomás (Lamu Crafts)."""
    with unit_of_work(factory) as session:
        add_member(session, AMINA, "fish_processor", kisumu, "sw", "Amina", place="Kisumu")
        add_member(session, JUMA, "fisher", kisumu, "en", "Juma", telegram_id=5001)
        add_member(session, TOMAS, "craftsperson", lamu, "en", "Tomás")


@pytest.fixture
def written(engine, members):
    """What each one wrote: Amina and Tomás something the bot did not understand, Juma HELP."""
    def send(channel, address, text):
        engine.handle(Inbound(channel=channel, address=address, text=text))
    send("sms", AMINA, PUZZLE)
    send("sms", JUMA, "HELP")
    send("sms", TOMAS, "Do you buy baskets?")
    send("sms", STRANGER, "hello who is this")


def inbound(factory, text) -> InboundMessage:
    with unit_of_work(factory) as session:
        found = session.scalar(select(InboundMessage).where(InboundMessage.text == text))
        session.expunge(found)
        return found


def answers(factory) -> list[OutboundMessage]:
    """What was queued besides the bot's own replies."""
    with unit_of_work(factory) as session:
        found = list(session.scalars(select(OutboundMessage)
                                     .where(OutboundMessage.kind != "reply")
                                     .order_by(OutboundMessage.id)))
        session.expunge_all()
        return found


def audit_rows(factory) -> list[AuditEntry]:
    with unit_of_work(factory) as session:
        found = list(session.scalars(select(AuditEntry)
                                     .where(AuditEntry.action == "inbox.answer")))
        session.expunge_all()
        return found


def answer_path(factory, text, page=PAGE) -> str:
    return f"{page}/{inbound(factory, text).id}/answer"


def test_the_engine_marks_only_what_it_answered_with_the_hint(factory, written):
    with unit_of_work(factory) as session:
        marked = set(session.scalars(select(InboundMessage.text)
                                     .where(InboundMessage.not_understood)))
    assert marked == {PUZZLE, "Do you buy baskets?", "hello who is this"}


def test_grace_sees_what_her_members_wrote_that_the_bot_did_not_understand(browser, written):
    page = browser(GRACE).get(PAGE)
    assert page.status_code == 200
    assert PUZZLE in page.text and "Amina" in page.text and AMINA in page.text
    assert "HELP" not in page.text  # understood
    assert "baskets" not in page.text and "Tomás" not in page.text  # another cluster
    assert "hello who is this" not in page.text  # no member of any cluster


def test_grace_answers_amina_on_her_own_channel_and_it_is_marked(browser, factory, written):
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(answer_path(factory, PUZZLE), {"text": "Barafu ni 5 bob kwa kilo."})
    assert response.status_code == 303
    [sent] = answers(factory)
    assert (sent.channel, sent.address, sent.text) == ("sms", AMINA, "Barafu ni 5 bob kwa kilo.")
    assert inbound(factory, PUZZLE).answered_at is not None
    [entry] = audit_rows(factory)
    assert entry.actor == "web:grace@example.org"
    assert entry.details["inbound_id"] == inbound(factory, PUZZLE).id
    page = grace.get(response.headers["location"])
    assert "Your answer is on its way." in page.text
    assert f'{PAGE}/{inbound(factory, PUZZLE).id}/answer' not in page.text  # no second answer


def test_an_answer_goes_where_the_member_wrote(browser, factory, engine, members):
    engine.handle(Inbound(channel="telegram", address="5001", text="where is the meeting"))
    grace = browser(GRACE)
    grace.get(PAGE)
    assert grace.post(answer_path(factory, "where is the meeting"),
                      {"text": "Dunga beach, 10:00"}).status_code == 303
    [sent] = answers(factory)
    assert (sent.channel, sent.address) == ("telegram", "5001")


def test_a_message_is_answered_once(browser, factory, written):
    grace = browser(GRACE)
    grace.get(PAGE)
    path = answer_path(factory, PUZZLE)
    assert grace.post(path, {"text": "Karibu"}).status_code == 303
    assert grace.post(path, {"text": "Karibu tena"}).status_code == 404
    assert len(answers(factory)) == 1 and len(audit_rows(factory)) == 1


def test_a_member_who_opted_out_is_not_answered(browser, factory, written):
    with unit_of_work(factory) as session:
        session.scalar(select(Member).where(Member.phone == AMINA)).opted_out = True
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(answer_path(factory, PUZZLE), {"text": "Karibu"})
    assert response.status_code == 409 and "Nothing was sent" in response.text
    assert answers(factory) == [] and inbound(factory, PUZZLE).answered_at is None


@pytest.mark.parametrize("text", ["", "   ", "x" * 481])
def test_an_empty_or_too_long_answer_is_refused(browser, factory, written, text):
    grace = browser(GRACE)
    grace.get(PAGE)
    assert grace.post(answer_path(factory, PUZZLE), {"text": text}).status_code == 400
    assert answers(factory) == [] and inbound(factory, PUZZLE).answered_at is None


def test_a_viewer_sees_counts_only_and_cannot_answer(browser, factory, written):
    ruth = browser(RUTH)
    page = ruth.get(PAGE)
    assert page.status_code == 200
    assert re.search(r'<div class="figure">1</div>', page.text)  # one waiting
    for personal in (PUZZLE, "Amina", AMINA, "/answer"):
        assert personal not in page.text
    assert ruth.post(answer_path(factory, PUZZLE), {"text": "Karibu"}).status_code == 403
    assert answers(factory) == [] and audit_rows(factory) == []


def test_an_admin_sees_and_answers(browser, factory, written):
    admin = browser(ADMIN)
    assert PUZZLE in admin.get(PAGE).text
    assert admin.post(answer_path(factory, PUZZLE), {"text": "Karibu"}).status_code == 303
    assert audit_rows(factory)[0].actor == "web:admin@example.org"


def test_signed_out_people_see_nothing_and_answer_nothing(browser, factory, written):
    stranger = browser()
    response = stranger.get(PAGE)
    assert response.status_code == 303 and PUZZLE not in response.text
    assert stranger.post(answer_path(factory, PUZZLE), {"text": "x"},
                         token=False).status_code == 403
    assert answers(factory) == []


def test_an_answer_without_the_form_token_is_refused(browser, factory, written):
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(answer_path(factory, PUZZLE), {"text": "Karibu"}, token=False)
    assert response.status_code == 403
    assert answers(factory) == [] and inbound(factory, PUZZLE).answered_at is None


def test_another_clusters_messages_are_neither_shown_nor_answered(browser, factory, written):
    grace, omar = browser(GRACE), browser(OMAR)
    grace.get(PAGE)
    # Grace guesses the id of Tomás's message (Lamu Crafts) under her own cluster
    assert grace.post(answer_path(factory, "Do you buy baskets?"),
                      {"text": "x"}).status_code == 404
    assert grace.get("/dashboard/lamu-crafts/messages").status_code == 404
    lamu = omar.get("/dashboard/lamu-crafts/messages")
    assert "baskets" in lamu.text and PUZZLE not in lamu.text
    assert omar.get(PAGE).status_code == 404
    assert omar.post(answer_path(factory, PUZZLE, "/dashboard/lamu-crafts/messages"),
                     {"text": "x"}).status_code == 404
    assert omar.post(answer_path(factory, PUZZLE), {"text": "x"}).status_code == 404
    assert answers(factory) == [] and audit_rows(factory) == []
