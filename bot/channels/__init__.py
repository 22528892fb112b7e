"""The channels members write on: Telegram, SMS (Twilio) and the terminal."""
