"""Telegram end to end: webhook updates in, the real python-telegram-bot out to the double."""
import json

import pytest
from doubles.telegram import callback_update, command_update, group_message_update, message_update
from live import PUBLIC_URL, SECRET, TelegramUser, buttons, labels, wait_for
from scenes import count, member, outbox

from locales.i18n import translate
from storage.models import InboundMessage

TOMAS = 4242


def chat(api, app_url):
    return TelegramUser(api, app_url, TOMAS)


def test_craftsperson_registers_with_buttons(telegram_api, app_url, factory):
    tomas = chat(telegram_api, app_url)
    assert tomas.send("/start")[0].text == translate("en", "What is your name?")
    [roles] = tomas.send("Tomás")
    assert labels([roles])[2] == "Craftsperson" and "1)" not in roles.text
    tomas.press("Craftsperson")
    tomas.send("Mombasa")
    [summary] = tomas.press("None")
    assert "English" in summary.text and labels([summary]) == ["Yes", "Change", "Do not save"]
    [welcome] = tomas.press("Yes")
    assert "Tomás" in welcome.text  # no SMS budget on Telegram: accents stay
    saved = member(factory, telegram_id=TOMAS)
    assert saved.registered and saved.name == "Tomás"
    wait_for(lambda: len(telegram_api.callback_answers) == 3)  # every button press is answered


def test_webhook_is_set_with_the_secret(telegram_api, app_url):
    assert telegram_api.webhook["url"] == PUBLIC_URL + "/webhooks/telegram"
    assert telegram_api.webhook["secret_token"] == SECRET


def test_wrong_or_missing_secret_is_refused_and_nothing_is_stored(telegram_api, app_url, factory):
    tomas = chat(telegram_api, app_url)
    assert tomas.post(command_update(1, TOMAS, "/start"), secret="wrong").status_code == 403
    assert tomas.post(command_update(2, TOMAS, "/start"), secret=None).status_code == 403
    assert count(factory, InboundMessage) == 0 and telegram_api.sent == []


def test_same_update_three_times_gets_one_reply(telegram_api, app_url, factory):
    tomas = chat(telegram_api, app_url)
    for _ in range(3):
        assert tomas.post(command_update(77, TOMAS, "/start")).status_code == 200
    tomas.send("/help")
    assert count(factory, InboundMessage) == 2
    assert [m.text for m in tomas.received()].count(translate("en", "What is your name?")) == 1


def test_rate_limited_send_waits_retry_after_then_delivers(telegram_api, app_url, factory):
    import time
    telegram_api.retry_after(1)
    tomas = chat(telegram_api, app_url)
    started = time.monotonic()
    [reply] = tomas.send("/start")
    assert time.monotonic() - started >= 1.0
    assert reply.text == translate("en", "What is your name?")
    wait_for(lambda: outbox(factory)[0].status == "sent")


def test_user_who_blocked_the_bot_is_marked_unreachable(telegram_api, app_url, factory):
    telegram_api.block(TOMAS)
    tomas = chat(telegram_api, app_url)
    tomas.post(command_update(5, TOMAS, "/start"))
    wait_for(lambda: (m := member(factory, telegram_id=TOMAS)) and m.telegram_blocked)
    assert outbox(factory)[0].status == "failed"


def test_stale_button_is_answered_with_the_current_question(telegram_api, app_url):
    tomas = chat(telegram_api, app_url)
    tomas.send("/start")
    tomas.send("Tomás")
    tomas.press("Craftsperson")
    [reply] = tomas.press("Fisher")  # the role question's button, pressed again
    assert reply.text.startswith(translate("en", "That button belongs to an earlier question."))


def test_group_answers_only_commands_and_mentions(telegram_api, app_url, factory):
    group = -100123
    tomas = chat(telegram_api, app_url)
    tomas.post(group_message_update(10, TOMAS, group, "anyone selling omena?"))
    tomas.post(group_message_update(11, TOMAS, group, "/help", mention=True))
    tomas.post(group_message_update(12, TOMAS, group, "help", mention=True))
    wait_for(lambda: len([m for m in telegram_api.sent if int(m.chat_id) == group]) == 2)
    assert count(factory, InboundMessage) == 2  # the chatter was not even stored


def test_long_choice_values_fit_in_callback_data(telegram_api, app_url):
    tomas = chat(telegram_api, app_url)
    tomas.send("/start")
    [roles] = tomas.send("Tomás")
    for row in roles.reply_markup["inline_keyboard"]:
        assert len(row[0]["callback_data"].encode()) <= 64


def test_photo_gets_a_text_only_reply(telegram_api, app_url):
    tomas = chat(telegram_api, app_url)
    update = message_update(900, TOMAS, "")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    tomas.post(update)
    [reply] = wait_for(lambda: tomas.received())
    assert reply.text == translate("en", "I can only read text messages. Please write your message.")


def test_malformed_update_is_refused(telegram_api, app_url):
    import httpx
    response = httpx.post(app_url + "/webhooks/telegram", content=json.dumps([1, 2]),
                          headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 400


def test_polling_takes_updates_without_a_webhook(channel_settings, telegram_api, factory, kisumu):
    """`clusterbot run --polling`: getUpdates instead of a webhook, same handling."""
    from doubles.server import serve

    from bot.app import create_app

    with serve(create_app(channel_settings, polling=True)):
        assert telegram_api.webhook is None or not telegram_api.webhook.get("url")
        telegram_api.queue_update(command_update(500, TOMAS, "/start"))
        [reply] = wait_for(lambda: [m for m in telegram_api.sent if int(m.chat_id) == TOMAS])
    assert reply.text == translate("en", "What is your name?")


def test_personal_answers_in_a_group_go_to_the_member_alone(telegram_api, twilio, app_url,
                                                            factory):
    """`/me` and `@bot YES code` in a group: the profile and the seller's number reach Tomás in
    private; the group only reads that he was answered there."""
    from live import sms_and_wait
    from scenes import JUMA, add_member
    from sqlalchemy import select

    from storage.db import unit_of_work
    from storage.market import MarketMatch
    from storage.models import Cluster

    group = -100123
    with unit_of_work(factory) as session:
        kisumu = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma", place="Kisumu")
        add_member(session, None, "trader", kisumu, "en", "Tomás", place="Kisumu",
                   telegram_id=TOMAS).listed = False  # asked before: /me shows the profile
    tomas = chat(telegram_api, app_url)
    sms_and_wait(twilio, app_url, JUMA, "UZA sato 100kg 120/kg Kisumu")
    tomas.send("BUY tilapia 80kg max 130/kg Kisumu", replies=2)
    with unit_of_work(factory) as session:
        code = session.scalar(select(MarketMatch.code))
    sms_and_wait(twilio, app_url, JUMA, f"NDIYO {code}")

    in_group = lambda: [m.text for m in telegram_api.sent if int(m.chat_id) == group]  # noqa: E731
    before = len(tomas.received())
    assert tomas.post(group_message_update(20, TOMAS, group, f"YES {code}", mention=True,
                                           username="tomas_k")).status_code == 200
    wait_for(lambda: in_group())
    assert tomas.post(group_message_update(21, TOMAS, group, "/me",
                                           mention=True)).status_code == 200
    private = wait_for(lambda: len(tomas.received()) >= before + 2 and tomas.texts(before))
    told = wait_for(lambda: len(in_group()) == 2 and in_group())

    assert private[0].startswith(f"Seller Juma: {JUMA}") and "Tomás" in private[1]
    assert told == [translate("en", "@{user}, I have answered you in a private chat. If nothing "
                                    "came, open a chat with me, press Start and send it again.",
                              user="tomas_k"),
                    translate("en", "I have answered you in a private chat. If nothing came, "
                                    "open a chat with me, press Start and send it again.")]


def test_member_who_could_not_be_reached_is_reachable_again_once_they_write(telegram_api, app_url,
                                                                            factory):
    """A private answer to someone who never opened a chat with the bot fails (403) and marks
    them unreachable on Telegram; their first private message opens the chat again."""
    from storage.db import unit_of_work
    from storage.members import find

    tomas = chat(telegram_api, app_url)
    tomas.send("/help")
    with unit_of_work(factory) as session:
        find(session, telegram_id=TOMAS).telegram_blocked = True
    tomas.send("/help")
    assert not member(factory, telegram_id=TOMAS).telegram_blocked


@pytest.mark.parametrize("pressed", ["#²", "|coordinator"])
def test_button_that_was_never_offered_gets_the_question_again(telegram_api, app_url, pressed):
    """Callback data is written by the client: `#²` (a long value's number: str.isdigit() sees
    one, int() none) or a value that was never a button (the granted role) is no answer."""
    tomas = chat(telegram_api, app_url)
    tomas.send("/start")
    [roles] = tomas.send("Tomás")
    question = buttons([roles])[0][1].split("|")[0]
    before = len(tomas.received())
    assert tomas.post(callback_update(1, TOMAS, f"{question}{pressed}")).status_code == 200
    [again] = wait_for(lambda: tomas.received()[before:])
    assert again.text.startswith(translate("en", "Please answer with a number from 1 to {count}.",
                                           count=8))


def test_update_over_a_megabyte_is_refused_and_nothing_is_stored(telegram_api, app_url, factory):
    """With its length given or sent in chunks: read no further than 1 MB, then 413."""
    import httpx
    body = json.dumps(message_update(1, TOMAS, "a" * 1_000_000)).encode()
    url, secret = app_url + "/webhooks/telegram", {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    sized = httpx.post(url, content=body, headers=secret)
    chunked = httpx.post(url, content=(body[i:i + 65536] for i in range(0, len(body), 65536)),
                         headers=secret)
    assert [sized.status_code, chunked.status_code] == [413, 413]
    assert count(factory, InboundMessage) == 0 and telegram_api.sent == []


def test_update_the_database_can_never_store_is_refused_for_good(telegram_api, app_url, factory):
    """Button data longer than its column (Telegram's are at most 64 bytes): PostgreSQL refuses
    it (DataError) and always will, so 400, not 503. SQLite stores it."""
    postgres = factory.kw["bind"].dialect.name == "postgresql"
    response = chat(telegram_api, app_url).post(callback_update(1, TOMAS, "q|" + "a" * 300))
    assert response.status_code == (400 if postgres else 200)
    assert count(factory, InboundMessage) == (0 if postgres else 1)
