"""The scheduler: APScheduler with its jobs in our database, one running per deployment."""
import logging

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text

from bot.settings import Settings
from handlers.routes import CAPABILITIES
from storage import jobs
from storage.db import engine_for

log = logging.getLogger(__name__)
LEADER_LOCK = 7_245_001  # PostgreSQL advisory lock id held by the process that runs jobs


def periodic_jobs() -> list[tuple[str, str, dict]]:
    """(id, "module:function", trigger arguments) of every capability's periodic jobs.

    Jobs look for due work in our tables (reminders to send, broadcasts due), so a job that
    runs late or twice does no harm, and work added by another process is found."""
    return [job for module in CAPABILITIES for job in getattr(module, "JOBS", [])]


class Scheduler:
    """Runs jobs only in the process that holds the leader lock (always, on SQLite): two
    schedulers on one job store run jobs twice and can stall each other."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.engine = engine_for(settings.database_url)
        self.scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine)}, timezone="UTC")
        self.leader_connection = None

    @property
    def running(self) -> bool:
        return self.scheduler.running

    async def start(self) -> None:
        if not self._become_leader():
            log.info("another process runs the scheduler")
            return
        jobs.configure(self.settings.database_url)
        self.scheduler.start()
        for job_id, func, trigger in periodic_jobs():
            self.scheduler.add_job(func, id=job_id, replace_existing=True, coalesce=True,
                                   max_instances=1, misfire_grace_time=None, **trigger)

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.leader_connection is not None:
            self.leader_connection.close()  # ends the session, which releases the lock
            self.leader_connection = None

    def _become_leader(self) -> bool:
        if self.engine.dialect.name == "sqlite":
            return True
        connection = self.engine.connect()
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": LEADER_LOCK}).scalar()
        connection.commit()
        if taken:
            self.leader_connection = connection
        else:
            connection.close()
        return bool(taken)
