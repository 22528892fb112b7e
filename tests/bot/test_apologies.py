"""The apology after a handling that failed: in the member's language, though the failed
transaction took the message's member (and a newcomer) with it."""
import pytest
from scenes import AMINA, JUMA, add_member, outbox
from sqlalchemy import select

from handlers import routes
from storage import members
from storage.db import unit_of_work
from storage.models import InboundMessage

SORRY = {
    "en": "Sorry, something went wrong. Please try again.",
    "sw": "Samahani, kuna hitilafu. Tafadhali jaribu tena.",
    "fr": "Désolé, une erreur s'est produite. Veuillez réessayer.",
    "pt": "Desculpe, ocorreu um erro. Tente novamente.",
}


@pytest.fixture
def broken(monkeypatch):
    """ME and JOIN fail half-way, after the member is found or created: a bug."""
    def fail(turn):
        raise RuntimeError("disk full")

    monkeypatch.setitem(routes.KEYWORDS, "me", fail)
    monkeypatch.setitem(routes.KEYWORDS, "join", fail)


def failed_message(factory) -> InboundMessage:
    with unit_of_work(factory) as session:
        message = session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
        session.expunge(message)
        return message


@pytest.mark.parametrize("lang", SORRY)
def test_member_hears_the_apology_in_their_language(chat, factory, kisumu, broken, lang):
    with unit_of_work(factory) as session:
        juma_id = add_member(session, JUMA, "fisher", session.merge(kisumu), lang, "Juma").id
    assert chat(JUMA, style="telegram").send("ME") == [SORRY[lang]]
    message = failed_message(factory)
    assert (message.status, message.member_id) == ("failed", juma_id)
    assert outbox(factory)[-1].member_id == juma_id


@pytest.mark.parametrize(("lang", "word"), [
    ("en", "JOIN"), ("sw", "JIUNGE"), ("fr", "INSCRIRE"), ("pt", "INSCREVER")])
def test_newcomer_whose_first_message_failed_hears_the_apology_in_the_language_they_wrote(
        chat, factory, kisumu, broken, lang, word):
    assert chat(AMINA, style="telegram").send(word) == [SORRY[lang]]
    with unit_of_work(factory) as session:
        assert members.find(session, phone=AMINA) is None  # rolled back with the handling
    assert failed_message(factory).status == "failed"
