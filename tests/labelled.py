"""A labelled set of offer/request pairs measured as the bot reads them: each side read as one
whole SELL/BUY message in a cluster, saved, and asked `compatible` from both sides."""
import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from handlers.market.posting import save_listing
from handlers.market.reading import PARTS, read_listing
from locales.i18n import keyword_of
from storage import market
from storage.market import Listing

DATA = Path(__file__).resolve().parent / "data"


def labelled_pairs(name: str) -> list[dict]:
    """The rows of `tests/data/<name>` (id, offer, request, match, ..., why)."""
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def post_text(session, cluster, member, text, now) -> Listing | None:
    """Saves a listing as the bot reads a whole SELL/BUY message; None when it would ask more."""
    keyword, rest = text.split(" ", 1)
    draft, parsed = read_listing(session, cluster, keyword_of(keyword), rest)
    if parsed.problem or any(part not in draft for part in PARTS):
        return None
    return save_listing(session, member, cluster, draft, now)


def predict(session, cluster, seller, buyer, pair, now) -> tuple[bool, bool]:
    """(the request finds the offer, the offer finds the request), each read as posted."""
    offer = post_text(session, cluster, seller, pair["offer"], now)
    request = post_text(session, cluster, buyer, pair["request"], now)
    if offer is None or request is None:
        return False, False
    by_request = {c.listing.id for c in market.compatible(session, request, [cluster.id], now)}
    by_offer = {c.listing.id for c in market.compatible(session, offer, [cluster.id], now)}
    return offer.id in by_request, request.id in by_offer


@dataclass
class Measure:
    outcomes: list[tuple[dict, bool]]  # each pair with whether the bot matches it

    @property
    def precision(self) -> float:
        predicted = sum(1 for _, found in self.outcomes if found)
        return self.true_positives / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        actual = sum(1 for pair, _ in self.outcomes if pair["match"] == "1")
        return self.true_positives / actual

    @property
    def true_positives(self) -> int:
        return sum(1 for pair, found in self.outcomes if found and pair["match"] == "1")

    def misses(self) -> list[dict]:
        return [pair for pair, found in self.outcomes if found != (pair["match"] == "1")]

    def report(self) -> str:
        lines = [f"precision {self.precision:.3f}, recall {self.recall:.3f}; misses:"]
        lines += [f"{p['id']} (labelled {p['match']}: {p['why']}): {p['offer']} | {p['request']}"
                  for p in self.misses()]
        return "\n".join(lines)


def measure(session, pairs: list[dict], now: datetime, setting) -> Measure:
    """Reads every pair in `setting(pair)` = (cluster, seller, buyer), each pair undone after it,
    and requires matching to be symmetric."""
    outcomes = []
    for pair in pairs:
        cluster, seller, buyer = setting(pair)
        attempt = session.begin_nested()
        found, found_back = predict(session, cluster, seller, buyer, pair, now)
        attempt.rollback()
        assert found == found_back, f"matching is not symmetric for pair {pair['id']}"
        outcomes.append((pair, found))
    return Measure(outcomes)
