"""Placeholder until the sending part lands."""


def start_job() -> None:
    """Scheduled: asks the first question of newly sent surveys."""


def remind_job() -> None:
    """Scheduled: the one reminder."""
