"""The real app on a free port, with the real SDKs pointed at local doubles of Twilio and Telegram."""
import pytest
from doubles.server import serve
from doubles.telegram import TelegramDouble
from doubles.twilio import TwilioDouble

from live import PUBLIC_URL, SECRET, SMS_NUMBER

from bot.app import create_app
from bot.settings import Settings


@pytest.fixture(scope="session")
def twilio():
    with TwilioDouble().running() as double:
        yield double


@pytest.fixture(scope="session")
def telegram_api():
    with TelegramDouble().running() as double:
        yield double


def doubled(settings, twilio, telegram_api):
    """The settings, pointed at the doubles."""
    return settings.model_copy(update={
        "public_url": PUBLIC_URL,
        "twilio_account_sid": twilio.account_sid, "twilio_auth_token": twilio.auth_token,
        "twilio_from": SMS_NUMBER, "twilio_api_url": twilio.url,
        "telegram_token": telegram_api.token, "telegram_secret": SECRET,
        "telegram_api_url": telegram_api.base_url,
        "sms_mps": 0, "telegram_mps": 0,
    })


@pytest.fixture
def channel_settings(settings, twilio, telegram_api):
    twilio.reset()
    telegram_api.reset()
    return doubled(settings, twilio, telegram_api)


@pytest.fixture
def app_url(channel_settings, factory, kisumu):
    """The running clusterbot app (webhooks, dispatcher, scheduler), stopped after the test."""
    with serve(create_app(channel_settings)) as url:
        yield url


@pytest.fixture(scope="module")
def module_app(database_url, twilio, telegram_api):
    """One running app for all the scenes of a module (starting one takes about a second)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CLUSTERBOT_DATABASE_URL", database_url)  # what the scheduled jobs read
        settings = doubled(Settings(database_url=database_url, _env_file=None), twilio,
                           telegram_api)
        with serve(create_app(settings)) as url:
            yield url


@pytest.fixture
def module_app_url(module_app, twilio, telegram_api):
    """The module's running app, with the doubles emptied for this scene (the database is
    emptied by `factory`)."""
    twilio.reset()
    telegram_api.reset()
    return module_app
