"""Public tenders the cluster answers together as a consortium.

This file is the capability's interface for handlers.routes and the scheduler; the work is in its
parts: entry (a tender as coordinators enter it), ocds (tenders from open contracting data),
pledges (BID), consortium (formed when pledges cover a tender; the lead), alerts and reminders
(the scheduled jobs), eligibility (reserved groups, asked with consent), sheet and outcome."""
from handlers.tenders.alerts import alerts_job
from handlers.tenders.pledges import FLOW, bid, on_amount, on_code, on_item
from handlers.tenders.reminders import reminders_job

__all__ = ["FLOW", "STEPS", "KEYWORDS", "JOBS", "alerts_job", "reminders_job"]

KEYWORDS = {"bid": bid}
STEPS = {"ask_code": on_code, "ask_item": on_item, "ask_amount": on_amount}
# Stored by the scheduler as "module:function": these names stay importable from handlers.tenders.
JOBS = [("tender-alerts", "handlers.tenders:alerts_job", {"trigger": "interval", "minutes": 10}),
        ("tender-reminders", "handlers.tenders:reminders_job",
         {"trigger": "interval", "minutes": 15})]
