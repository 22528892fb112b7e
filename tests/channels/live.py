"""What the end-to-end scenes share: the public URL and secret the app is set up with, waiting."""
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
