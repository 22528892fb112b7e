"""The lock a member's handling holds (PostgreSQL): rows that refer to the member are still
written meanwhile, so two members matched with each other at once do not deadlock."""
import pytest
from sqlalchemy import text

from scenes import add_member
from storage import members, outbox
from storage.db import unit_of_work


@pytest.fixture
def postgres(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite locks the whole database for a writer (BEGIN IMMEDIATE)")


def test_a_notice_to_a_member_being_handled_does_not_wait(postgres, factory, kisumu):
    with unit_of_work(factory) as session:
        member_id = add_member(session, "+254711000001", "fisher", kisumu, "sw", "Amina").id
    with unit_of_work(factory) as handling:
        members.find(handling, phone="+254711000001", lock=True)  # her message is being handled
        with unit_of_work(factory) as other:  # another member's handling tells her of a match
            other.execute(text("SET LOCAL lock_timeout = '2s'"))
            outbox.queue(other, channel="sms", address="+254711000001", member_id=member_id,
                         text="Buyer for your offer #1")
