"""What the end-to-end scenes share: the public URL and secret the app is set up with, sending
an SMS through the Twilio double, waiting."""
import time

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
