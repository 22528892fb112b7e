"""Surveys written as XLSForms (the ODK / KoboToolbox format), answered one question at a time
over SMS and Telegram.

This file is the capability's interface for handlers.routes and the scheduler; the work is in its
parts: form (the XLSForm read with pyxform, refused with sheet and row when it cannot be served),
expressions (`relevant`, `constraint` and calculations evaluated safely), answering (SURVEY, the
consent line, the questions and their answers), sending (send, the one reminder, close) and
results (tallies by role and place, the exports)."""
from handlers.surveys.answering import FLOW, KEYWORDS, STEPS
from handlers.surveys.sending import remind_job, start_job

__all__ = ["FLOW", "STEPS", "KEYWORDS", "JOBS", "remind_job", "start_job"]

# Stored by the scheduler as "module:function": these names stay importable from handlers.surveys.
JOBS = [("survey-start", "handlers.surveys:start_job", {"trigger": "interval", "seconds": 10}),
        ("survey-reminders", "handlers.surveys:remind_job", {"trigger": "interval", "minutes": 15})]
