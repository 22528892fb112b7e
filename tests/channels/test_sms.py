"""SMS end to end: signed Twilio webhooks in, the real twilio SDK out to the double."""
from live import PUBLIC_URL, wait_for
from scenes import JUMA, add_member, as_sms, count, member, outbox
from sqlalchemy import select

from locales.i18n import keyword_word, translate
from storage.db import unit_of_work
from storage.models import InboundMessage


def say(twilio, app_url, text, sender=JUMA, sid=None):
    response = twilio.post_inbound(app_url, PUBLIC_URL, twilio.inbound_params(sender, text, sid))
    assert response.status_code == 200, response.text
    return response


def replies_to(twilio, phone):
    return [m.body for m in twilio.sent if m.to == phone]


def test_fisher_registers_over_sms(twilio, app_url, factory):
    answers = ["JIUNGE", "Juma", "1", "Kisumu", "sato, dagaa", "1"]
    for number, text in enumerate(answers, 1):
        say(twilio, app_url, text)
        wait_for(lambda: len(replies_to(twilio, JUMA)) == number)
    replies = replies_to(twilio, JUMA)
    assert replies[0] == translate("sw", "What is your name?")
    assert replies[1].endswith("1) Mvuvi 2) Mchakataji samaki 3) Fundi 4) Mkulima 5) Msambazaji "
                               "chakula 6) Mfanyabiashara 7) Msafirishaji 8) Taasisi")
    assert "Juma" in replies[-1]
    assert member(factory, phone=JUMA).registered
    assert twilio.sent[0].status_callback == PUBLIC_URL + "/webhooks/sms/status"


def test_webhook_answers_with_empty_twiml(twilio, app_url):
    response = say(twilio, app_url, "HELP")
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response" in response.text


def test_forged_signature_is_refused_and_nothing_is_stored(twilio, app_url, factory):
    import httpx
    params = twilio.inbound_params(JUMA, "JOIN")
    forged = httpx.post(app_url + "/webhooks/sms", data=params,
                        headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    unsigned = httpx.post(app_url + "/webhooks/sms", data=params)
    signed_for_other_url = twilio.post_inbound(app_url, "https://evil.example.org", params)
    assert [forged.status_code, unsigned.status_code, signed_for_other_url.status_code] == [403] * 3
    assert count(factory, InboundMessage) == 0
    assert outbox(factory) == [] and twilio.sent == []


def test_same_message_sid_three_times_gets_one_reply(twilio, app_url, factory):
    params = twilio.inbound_params(JUMA, "JOIN")
    for _ in range(3):
        assert twilio.post_inbound(app_url, PUBLIC_URL, params).status_code == 200
    wait_for(lambda: twilio.sent)
    say(twilio, app_url, "HELP")  # a later message: once its reply is out, the first is settled
    wait_for(lambda: len(twilio.sent) >= 2)
    assert count(factory, InboundMessage) == 2
    assert replies_to(twilio, JUMA).count(translate("en", "What is your name?")) == 1


def test_twilio_server_error_then_success_delivers_once(twilio, app_url, factory):
    twilio.fail_next(1, status=500)
    say(twilio, app_url, "JOIN")
    wait_for(lambda: twilio.sent, timeout=15)
    [row] = wait_for(lambda: [m for m in outbox(factory) if m.status == "sent"])
    assert row.status == "sent" and row.attempts == 2 and row.provider_id == twilio.sent[0].sid
    assert len(twilio.sent) == 1


def test_status_callbacks_out_of_order_only_move_forward(twilio, app_url, factory):
    say(twilio, app_url, "JOIN")
    [sms] = wait_for(lambda: twilio.sent)
    wait_for(lambda: outbox(factory)[0].status == "sent")
    for status in ("delivered", "sent", "queued", "sending"):
        assert twilio.post_status(app_url, PUBLIC_URL, sms.sid, status).status_code == 200
    assert outbox(factory)[0].status == "delivered"


def test_status_callback_with_forged_signature_is_refused(twilio, app_url):
    import httpx
    response = httpx.post(app_url + "/webhooks/sms/status",
                          data={"MessageSid": "SM1", "MessageStatus": "delivered"},
                          headers={"X-Twilio-Signature": "AAAA"})
    assert response.status_code == 403


def test_recipient_who_unsubscribed_at_the_carrier_is_opted_out(twilio, app_url, factory):
    twilio.reject(JUMA, code=21610)
    say(twilio, app_url, "JOIN")
    wait_for(lambda: (juma := member(factory, phone=JUMA)) and juma.opted_out)
    [row] = outbox(factory)
    assert row.status == "failed" and "21610" in row.error


def test_invalid_number_is_marked_unreachable(twilio, app_url, factory):
    twilio.reject(JUMA, code=21211)
    say(twilio, app_url, "JOIN")
    wait_for(lambda: (juma := member(factory, phone=JUMA)) and juma.sms_unreachable)


def test_undelivered_status_with_unsubscribed_code_opts_out(twilio, app_url, factory):
    say(twilio, app_url, "JOIN")
    [sms] = wait_for(lambda: twilio.sent)
    wait_for(lambda: outbox(factory)[0].status == "sent")
    twilio.post_status(app_url, PUBLIC_URL, sms.sid, "undelivered", error_code=21610)
    assert member(factory, phone=JUMA).opted_out
    assert outbox(factory)[0].status == "undelivered"


def test_picture_message_gets_a_text_only_reply(twilio, app_url):
    params = twilio.inbound_params(JUMA, "")
    params.update(NumMedia="1", MediaUrl0="https://api.twilio.com/media/1", MediaContentType0="image/jpeg")
    assert twilio.post_inbound(app_url, PUBLIC_URL, params).status_code == 200
    [sms] = wait_for(lambda: twilio.sent)
    assert sms.body == translate("en", "I can only read text messages. Please write your message.")


def test_healthz_answers_when_the_database_does(app_url):
    import httpx
    response = httpx.get(app_url + "/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_database_that_cannot_store_makes_twilio_retry(twilio, channel_settings, tmp_path):
    """503 while the inbound table is gone; the same message is accepted once it is back."""
    from doubles.server import serve
    from sqlalchemy import create_engine, text

    from bot.app import create_app
    from storage.db import upgrade

    url = f"sqlite:///{tmp_path / 'own.db'}"
    upgrade(url)
    params = twilio.inbound_params(JUMA, "JOIN")
    with serve(create_app(channel_settings.model_copy(update={"database_url": url}))) as app_url:
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text("ALTER TABLE inbound_messages RENAME TO inbound_away"))
        assert twilio.post_inbound(app_url, PUBLIC_URL, params).status_code == 503
        with admin.begin() as conn:
            conn.execute(text("ALTER TABLE inbound_away RENAME TO inbound_messages"))
        assert twilio.post_inbound(app_url, PUBLIC_URL, params).status_code == 200
        wait_for(lambda: twilio.sent)
        admin.dispose()


def test_messaging_service_sends_instead_of_a_number(twilio, channel_settings, factory, kisumu):
    from doubles.server import serve

    from bot.app import create_app

    service = "MG" + "1" * 32
    with serve(create_app(channel_settings.model_copy(update={"twilio_from": service}))) as url:
        say(twilio, url, "JOIN")
        [sms] = wait_for(lambda: twilio.sent)
    assert sms.messaging_service_sid == service and "From" not in sms.params


def test_sms_from_something_not_a_phone_is_kept_and_answered_by_no_one(twilio, app_url, factory):
    """Sender names, empty and emoji senders: stored for the record, never a member, no reply."""
    from storage.models import Member

    junk = ["abcdef", "SAFARICOM", "", "🐟🐟", "12"]
    for sender in junk:
        say(twilio, app_url, "JIUNGE", sender=sender)
    say(twilio, app_url, "JIUNGE")  # Juma, after them: once he is answered, they are settled
    wait_for(lambda: replies_to(twilio, JUMA))
    with unit_of_work(factory) as session:
        statuses = dict(session.execute(select(InboundMessage.address, InboundMessage.status)).all())
        phones = session.scalars(select(Member.phone)).all()
    assert [statuses[sender] for sender in junk] == ["ignored"] * len(junk)
    assert phones == [JUMA]
    assert {m.to for m in twilio.sent} == {JUMA}


def test_database_errors_log_the_message_id_not_the_number_or_text(twilio, app_url, factory,
                                                                   caplog):
    """Storing fails (503, Twilio retries), then handling fails: the log names the message, never
    the sender's number or what they wrote."""
    from sqlalchemy import text

    from storage.db import engine_for

    def rename(table, to):
        with engine_for(str(factory.kw["bind"].url)).begin() as conn:
            conn.execute(text(f"ALTER TABLE {table} RENAME TO {to}"))

    params = twilio.inbound_params(JUMA, "SELL tilapia 50kg my-secret-words")
    rename("inbound_messages", "inbound_away")
    try:
        refused = twilio.post_inbound(app_url, PUBLIC_URL, params)
    finally:
        rename("inbound_away", "inbound_messages")
    rename("conversations", "conversations_away")
    try:
        say(twilio, app_url, "NUNUA dagaa my-other-words")
        wait_for(lambda: "inbound message" in caplog.text)
    finally:
        rename("conversations_away", "conversations")
    assert refused.status_code == 503
    assert params["MessageSid"] in caplog.text and "inbound message" in caplog.text
    for private in (JUMA, JUMA[1:], "my-secret-words", "my-other-words"):
        assert private not in caplog.text


# Digits that are not ASCII: str.isdigit() takes `²`, int() refuses it.

def test_superscript_answer_to_a_question_gets_the_question_again(twilio, app_url):
    for number, text in enumerate(["JIUNGE", "Juma", "²"], 1):
        say(twilio, app_url, text)
        wait_for(lambda: len(replies_to(twilio, JUMA)) == number)
    again = replies_to(twilio, JUMA)[-1]
    assert again.startswith(translate("sw", "Please answer with a number from 1 to {count}.",
                                      count=8))
    assert again.endswith("7) Msafirishaji 8) Taasisi")


def test_superscript_listing_number_gets_the_usual_answer(twilio, app_url, factory, kisumu):
    with unit_of_work(factory) as session:
        add_member(session, JUMA, "fisher", kisumu, "en", "Juma")
    for number, text in enumerate(["CLOSE ¹", "RENEW ²"], 1):
        say(twilio, app_url, text)
        wait_for(lambda: len(replies_to(twilio, JUMA)) == number)
    assert replies_to(twilio, JUMA) == [as_sms(translate(
        "en", "You have no listing #{number}. Send {offers} to see yours.", number=number,
        offers=keyword_word("offers", "en"))) for number in ("¹", "²")]


def test_status_callback_with_a_superscript_error_code_is_taken(twilio, app_url, factory):
    say(twilio, app_url, "JOIN")
    [sms] = wait_for(lambda: twilio.sent)
    wait_for(lambda: outbox(factory)[0].status == "sent")
    response = twilio.post_status(app_url, PUBLIC_URL, sms.sid, "undelivered", error_code="²")
    assert response.status_code == 200
    assert outbox(factory)[0].status == "undelivered" and not member(factory, phone=JUMA).opted_out


def test_media_count_that_is_no_number_is_read_as_no_media(twilio, app_url):
    for num_media in ("abc", "9" * 5000):  # int() refuses more than 4,300 digits
        params = twilio.inbound_params(JUMA, "HELP")
        params["NumMedia"] = num_media
        assert twilio.post_inbound(app_url, PUBLIC_URL, params).status_code == 200
    replies = wait_for(lambda: len(replies_to(twilio, JUMA)) == 2 and replies_to(twilio, JUMA))
    media_only = translate("en", "I can only read text messages. Please write your message.")
    assert media_only not in replies


# 4xx for what will never succeed (Twilio would send it again and again after a 5xx).

def test_sid_or_sender_the_database_cannot_hold_is_refused_and_nothing_is_stored(
        twilio, app_url, factory):
    import httpx
    sender = "+" + "2" * 64  # 65 characters: the address column holds 64
    cases = [(sender, None), (JUMA, "SM" + "a" * 63), (JUMA, "SM1\x00"), (JUMA, "SM-1"), (JUMA, "")]
    for from_, sid in cases:
        params = twilio.inbound_params(from_, "JOIN")
        params["MessageSid"] = params["MessageSid"] if sid is None else sid
        assert twilio.post_inbound(app_url, PUBLIC_URL, params).status_code == 400, (from_, sid)
    del params["MessageSid"]
    assert twilio.post_inbound(app_url, PUBLIC_URL, params).status_code == 400
    unsigned = httpx.post(app_url + "/webhooks/sms", data=twilio.inbound_params(sender, "JOIN"))
    assert unsigned.status_code == 403  # who sent it is checked first
    assert count(factory, InboundMessage) == 0 and twilio.sent == []


def test_sender_of_64_characters_is_stored(twilio, app_url, factory):
    say(twilio, app_url, "JOIN", sender="A" * 64)
    wait_for(lambda: count(factory, InboundMessage) == 1)


def test_body_that_is_not_a_form_is_refused_and_nothing_is_stored(twilio, app_url, factory):
    """Twilio posts forms; anything else (multipart, JSON, none) is 415, never a 500."""
    import httpx
    params = twilio.inbound_params(JUMA, "JOIN")
    signature = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
    for path in ("/webhooks/sms", "/webhooks/sms/status"):
        url = app_url + path
        responses = [
            httpx.post(url, data=params, files={"MediaUrl0": ("a.jpg", b"\xff\xd8")},
                       headers=signature),
            httpx.post(url, data=params, files={"x": ("x", b"")}),
            httpx.post(url, json=params, headers=signature),
            httpx.post(url, content="JOIN", headers={**signature, "Content-Type": "text/plain"}),
            httpx.post(url, content=b"", headers=signature)]
        assert [r.status_code for r in responses] == [415] * 5, path
    assert count(factory, InboundMessage) == 0 and twilio.sent == []


def test_form_that_cannot_be_read_is_refused(twilio, app_url, factory):
    import httpx
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    not_text = httpx.post(app_url + "/webhooks/sms", content=b"Body=\xff\xfe", headers=form)
    too_large = httpx.post(app_url + "/webhooks/sms", content=b"Body=" + b"a" * 1_000_001,
                           headers=form)
    assert [not_text.status_code, too_large.status_code] == [400, 413]
    assert count(factory, InboundMessage) == 0


def test_value_the_database_can_never_store_is_refused_for_good(twilio, app_url, factory):
    """A NUL in the sender: PostgreSQL cannot store it (DataError), so no retry ever will: 400,
    not 503. SQLite stores it and nobody answers it."""
    postgres = factory.kw["bind"].dialect.name == "postgresql"
    params = twilio.inbound_params("+2547\x0022000002", "JOIN")
    response = twilio.post_inbound(app_url, PUBLIC_URL, params)
    assert response.status_code == (400 if postgres else 200)
    assert count(factory, InboundMessage) == (0 if postgres else 1)
