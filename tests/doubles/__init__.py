"""Local HTTP doubles of the Twilio REST API and the Telegram Bot API, for the real SDKs."""
