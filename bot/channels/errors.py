"""What a channel adapter raises when a send does not go through, by what the dispatcher does next."""


class SendError(Exception):
    """A send that did not go through; `str(error)` is the reason kept in the outbox."""


class RateLimited(SendError):
    """The provider asks us to slow down: the whole channel waits `retry_after` seconds."""

    def __init__(self, reason: str, retry_after: float):
        super().__init__(reason)
        self.retry_after = retry_after


class Transient(SendError):
    """A server error or a network failure: worth trying again later."""


class Rejected(SendError):
    """The provider will never take this message; `effect` says what it tells about the member:
    `opted_out`, `sms_unreachable` or `telegram_blocked` (None: only this message is bad)."""

    def __init__(self, reason: str, effect: str | None = None):
        super().__init__(reason)
        self.effect = effect
