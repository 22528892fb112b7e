"""Meetings: invitations with a short code, RSVP, reminders, cancellations, attendance."""
from handlers.turn import Handler

FLOW = "meetings"
KEYWORDS: dict[str, Handler] = {}
STEPS: dict[str, Handler] = {}
