"""What the end-to-end scenes share: the public URL and secret the app is set up with, sending
an SMS through the Twilio double, someone on Telegram, waiting."""
import itertools
import time

from doubles.telegram import callback_update, command_update, message_update

PUBLIC_URL = "https://bot.example.org"  # what Twilio signs and Telegram calls, behind a proxy
SECRET = "s3cret-webhook_token"
SMS_NUMBER = "+254700000000"


def wait_for(condition, timeout=10.0, interval=0.02):
    """Polls `condition` until it is truthy; returns it (fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not true after {timeout} s: {condition}")


def sms(twilio, app_url, sender, text):
    """The member sends an SMS: Twilio's signed webhook reaches the app."""
    response = twilio.post_inbound(app_url, PUBLIC_URL, twilio.inbound_params(sender, text))
    assert response.status_code == 200, response.text


def sms_to(twilio, phone) -> list[str]:
    """The SMS bodies the Twilio double has delivered to the phone."""
    return [m.body for m in twilio.sent if m.to == phone]


def sms_and_wait(twilio, app_url, sender, text, replies=1) -> list[str]:
    """The member sends an SMS; returns the replies it brings, once `replies` have come."""
    before = len(sms_to(twilio, sender))
    sms(twilio, app_url, sender, text)
    return wait_for(lambda: len(sms_to(twilio, sender)) >= before + replies
                    and sms_to(twilio, sender)[before:])


class TelegramUser:
    """Someone on Telegram: sends updates to the app's webhook, presses buttons, reads what the
    bot sent them through the Bot API double."""

    update_ids = itertools.count(1_000_000)  # above the ids scenes write by hand

    def __init__(self, api, app_url, user_id):
        self.api, self.app_url, self.user_id = api, app_url, user_id

    def post(self, update, secret=SECRET):
        """Posts a raw update; returns the webhook's response."""
        return self.api.post_update(self.app_url, update, secret)

    def post_text(self, text):
        """Sends a message (a `/command` as one) without waiting for the answer."""
        make = command_update if text.startswith("/") else message_update
        assert self.post(make(next(self.update_ids), self.user_id, text)).status_code == 200

    def send(self, text, replies=1):
        """Sends a message and returns the bot's messages it brings, once `replies` have come."""
        before = len(self.received())
        self.post_text(text)
        return wait_for(lambda: len(self.received()) >= before + replies
                        and self.received()[before:])

    def press(self, label):
        """Presses the button with this label on the newest message that has buttons."""
        before = len(self.received())
        data = next(data for text, data in buttons(self.received()) if text == label)
        assert self.post(callback_update(next(self.update_ids), self.user_id, data)
                         ).status_code == 200
        return wait_for(lambda: self.received()[before:])

    def received(self):
        return [m for m in self.api.sent if int(m.chat_id) == self.user_id]

    def texts(self, after=0):
        return [m.text for m in self.received()[after:]]

    def next_text(self, after):
        """The first text the bot sent after the first `after`, once it comes."""
        return wait_for(lambda: self.texts(after))[0]


def buttons(messages):
    """(label, data) of the buttons of the newest message that has some."""
    markup = next(m.reply_markup for m in reversed(messages) if m.reply_markup)
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


def labels(messages):
    return [label for label, _ in buttons(messages)]
