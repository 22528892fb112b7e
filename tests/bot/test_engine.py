"""The engine: storing and de-duplicating messages, routing, opt-out, state in the database."""
import threading
from datetime import datetime, timedelta, timezone

import time_machine
from scenes import AMINA, JUMA, count, half_written, member, outbox, profile

from bot.engine import Engine, clean
from handlers import registration
from handlers.turn import Inbound
from locales.i18n import translate
from storage.db import session_factory, unit_of_work
from storage.models import Conversation, InboundMessage, Member, OutboundMessage


def register(chat, phone, *answers):
    """Registers by default as Juma, who then chooses not to be listed in the directory."""
    c = chat(phone)
    for text in ("JOIN",) + (answers or ("Juma", "1", "Kisumu", "tilapia", "1", "2")):
        c.send(text)
    return c


def test_same_provider_id_is_handled_once(engine, factory, kisumu):
    message = Inbound(channel="sms", address=JUMA, text="JOIN", provider_id="SM123")
    assert [engine.handle(message) for _ in range(3)] == [True, False, False]
    assert count(factory, InboundMessage) == 1
    assert len(outbox(factory)) == 1


def test_same_provider_id_on_another_channel_is_another_message(engine, factory, kisumu):
    engine.handle(Inbound(channel="sms", address=JUMA, text="JOIN", provider_id="42"))
    engine.handle(Inbound(channel="telegram", address="777", text="/start", provider_id="42"))
    assert count(factory, InboundMessage) == 2


def test_first_contact_creates_the_member_with_an_e164_number(engine, factory):
    engine.handle(Inbound(channel="sms", address="+254 722 000 002", text="habari"))
    assert member(factory, phone=JUMA) is not None


def test_stop_opts_out_and_is_confirmed_once(chat, factory, kisumu):
    juma = register(chat, JUMA)
    assert juma.send("STOP") == [translate("en", "You will get no more messages from us. Send START to come back.")]
    assert juma.send("STOP") == []
    assert juma.send("HELP") == [] and juma.send("JOIN") == []
    assert member(factory, phone=JUMA).opted_out


def test_every_carrier_stop_word_opts_out(chat, factory):
    for i, word in enumerate(["stop", "STOPALL", "Unsubscribe", "cancel", "END", "quit", "revoke", "optout"]):
        phone = f"+25472200010{i}"
        chat(phone).send(word)
        assert member(factory, phone=phone).opted_out, word


def test_stop_inside_a_sentence_is_not_an_opt_out(chat, factory):
    chat(JUMA).send("please do not stop the meetings")
    assert not member(factory, phone=JUMA).opted_out


def test_start_opts_back_in(chat, factory, kisumu):
    juma = register(chat, JUMA)
    juma.send("STOP")
    assert "Welcome back" in juma.send("START")[0]
    assert not member(factory, phone=JUMA).opted_out
    assert juma.send("HELP")


def test_stop_interrupts_an_open_question(chat, factory, kisumu):
    juma = chat(JUMA)
    juma.send("JOIN")
    juma.send("STOP")
    assert count(factory, Conversation) == 0


def test_delete_anonymises_after_confirmation(chat, factory, kisumu):
    juma = register(chat, JUMA)
    juma.send("DELETE")
    assert juma.send("1") == [translate("en", "Your data has been deleted. Goodbye.")]
    assert member(factory, phone=JUMA) is None
    with unit_of_work(factory) as session:
        gone = session.query(Member).one()
        assert gone.name is None and gone.phone is None and gone.opted_out and gone.deleted_at
        assert not gone.memberships and not gone.products
        assert {m.text for m in session.query(InboundMessage)} == {""}
    assert half_written(factory) == 0


def test_delete_can_be_declined(chat, factory, kisumu):
    juma = register(chat, JUMA)
    juma.send("FUTA")
    assert juma.send("2")
    assert profile(factory, JUMA)["registered"]


def test_help_fits_two_sms_in_every_language(chat, kisumu):
    from handlers.budget import SMS, fits_budget

    for word in ("HELP", "MSAADA", "AIDE", "AJUDA"):
        replies = chat(JUMA).send(word)
        assert len(replies) == 1 and fits_budget(SMS, replies[0], [])
    juma = register(chat, JUMA)
    for lang, offers in (("en", "OFFERS"), ("sw", "MATOLEO"), ("fr", "OFFRES"), ("pt", "OFERTAS")):
        juma.send(f"LANG {lang}")
        replies = juma.send("HELP")
        assert len(replies) == 1 and fits_budget(SMS, replies[0], [])
        assert f" {offers}:" in replies[0] or f" {offers} :" in replies[0]  # own listings


def test_menu_leaves_the_open_question(chat, factory, kisumu):
    juma = chat(JUMA)
    juma.send("JOIN")
    menu = juma.send("MENU")[0]
    assert "1)" in menu
    assert juma.send("1") == [translate("en", "What is your name?")]  # 1) Register


def test_lang_sets_the_reply_language(chat, factory, kisumu):
    juma = register(chat, JUMA)
    assert juma.send("LANG sw") == [translate("sw", "Language: {language}.", language="Kiswahili")]
    saved = member(factory, phone=JUMA)
    assert saved.language == "sw" and saved.language_chosen
    assert juma.send("MIMI")[0].startswith(translate("sw", "Your profile: {summary} Reply with a number to change a part.", summary="")[:8])


def test_lang_alone_asks_with_choices(chat, factory, kisumu):
    juma = register(chat, JUMA)
    assert "Kiswahili" in juma.send("LUGHA")[0]
    juma.send("4")
    assert member(factory, phone=JUMA).language == "pt"


def test_me_changes_one_part(chat, factory, kisumu):
    juma = register(chat, JUMA)
    juma.send("ME")
    juma.send("4")  # name, role, place, products: one cluster, so it is not offered
    assert juma.send("omena, sangara")[0] == translate("en", "Saved. Send {me} to see your profile.", me="ME")
    assert profile(factory, JUMA)["products"] == ["nile_perch", "omena"]


def test_me_before_registering_points_to_join(chat, kisumu):
    assert "JOIN" in chat(JUMA).send("ME")[0]


def test_unknown_text_gets_a_hint(chat, kisumu):
    assert "JOIN" in chat(JUMA).send("hello there")[0]


def test_conversation_expires_after_thirty_idle_minutes(chat, factory, kisumu):
    juma = chat(JUMA)
    juma.send("JOIN")
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(minutes=31), tick=False):
        reply = juma.send("Juma")[0]
    assert reply != translate("en", "What do you do?")
    assert count(factory, Conversation) == 0


def test_conversation_survives_twenty_nine_idle_minutes(chat, kisumu):
    juma = chat(JUMA)
    juma.send("JOIN")
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(minutes=29), tick=False):
        assert juma.send("Juma")[0].startswith("What do you do?")


def test_failing_handler_rolls_back_and_apologises(chat, factory, kisumu, monkeypatch):
    juma = chat(JUMA)
    for text in ("JOIN", "Juma", "1", "Kisumu", "tilapia"):
        juma.send(text)

    def broken(turn):
        registration.save(turn)
        raise RuntimeError("disk full")

    monkeypatch.setitem(registration.STEPS, "confirm", broken)
    assert juma.send("1") == [translate("en", "Sorry, something went wrong. Please try again.")]
    assert half_written(factory) == 0 and not profile(factory, JUMA)["registered"]
    with unit_of_work(factory) as session:
        assert session.query(InboundMessage).order_by(InboundMessage.id.desc()).first().status == "failed"


def test_messages_received_but_not_handled_are_found_once_their_lease_is_over(engine, factory,
                                                                             kisumu):
    inbound_id = engine.receive(Inbound(channel="sms", address=JUMA, text="JOIN",
                                        provider_id="SM1"))
    assert outbox(factory) == [] and engine.unhandled(lease=60) == []
    [(found, channel, address)] = engine.unhandled(lease=0)
    assert (found, channel, address) == (inbound_id, "sms", JUMA)
    engine.process(inbound_id, channel, address)
    assert [m.text for m in outbox(factory)] == [translate("en", "What is your name?")]
    assert engine.unhandled(lease=0) == []


def test_two_workers_on_one_member_keep_the_conversation_whole(database_url, settings, kisumu):
    """Eight workers handle eight messages of one member at once; each is handled exactly once,
    in some order, and the conversation ends in a state one of the steps left."""
    engines = [Engine(session_factory(database_url), settings) for _ in range(8)]
    ids = [engines[0].receive(Inbound(channel="sms", address=JUMA, text=text, provider_id=f"SM{i}"))
           for i, text in enumerate(["JOIN", "Juma", "1", "Kisumu", "tilapia", "1", "ME", "HELP"])]
    threads = [threading.Thread(target=e.process, args=(i, "sms", JUMA))
               for e, i in zip(engines, ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    factory = session_factory(database_url)
    with unit_of_work(factory) as session:
        statuses = [m.status for m in session.query(InboundMessage)]
        replies = session.query(OutboundMessage).count()
    assert statuses == ["handled"] * 8
    assert replies == 8  # one reply per message: none lost, none doubled


def test_clean_drops_control_characters_and_bounds_length():
    assert clean("  JOIN\x00\x07 now\r\n") == "JOIN now"
    assert len(clean("x" * 10_000)) == 1600


def test_keyword_is_accent_and_case_insensitive_with_telegram_commands(chat, kisumu):
    expected = [translate("pt", "What is your name?")]
    assert chat(AMINA).send("Inscrevêr") == expected
    assert chat(JUMA, style="telegram").send("/inscrever@ClusterBot") == expected
