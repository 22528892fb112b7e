"""Settings from the environment or a .env file (names fixed by the contract)."""
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLUSTERBOT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///clusterbot.db"
    public_url: str = "http://127.0.0.1:8080"
    telegram_token: str | None = None
    telegram_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    sms_mps: float = 1
    telegram_mps: float = 25
    default_country: str = "KE"
    conversation_timeout_minutes: int = 30
    # Opens the web simulator to this machine's user while a channel is configured (a laptop).
    simulator: bool = False
    # Signs dashboard sessions; unset, a key is made once and kept in the database.
    secret_key: str | None = None
    # A dashboard session left this long without a request ends.
    dashboard_idle_minutes: int = 60
    # How long a dispatcher may hold a claimed message before another may send it (PostgreSQL).
    outbox_lease_seconds: float = 60
    # How long a message accepted by one process is left to it before any process handles it.
    inbound_lease_seconds: float = 10


@lru_cache
def get_settings() -> Settings:
    return Settings()
