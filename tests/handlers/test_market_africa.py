"""The labelled set of the marketplace beyond Kenya (issue 17): pairs written as traders write in
Kenya, Tanzania, Uganda, Mozambique, Senegal, Cameroon and Côte d'Ivoire, each read in a cluster
of its country (the country's currency and languages), measured by precision and recall."""
from collections import Counter
from datetime import datetime, timezone

import pytest
from labelled import Measure, labelled_pairs, measure
from scenes import add_member

from locales.locality import currency_of, languages_of, timezone_of
from storage import clusters
from storage.db import unit_of_work

SET = "matching_pairs_africa.csv"
COUNTRIES = ("KE", "TZ", "UG", "MZ", "SN", "CM", "CI")
# Pairs from this id on were written with the first ones but kept out of the tree until the
# parser work was done: nobody tuning the parser had read them (docs/MATCHING.md).
HELD_BACK = 195
# The figures reached (docs/MATCHING.md), rounded down: a change that reads worse fails here.
PRECISION, RECALL = 1.00, 0.98


def test_the_set_covers_seven_countries_with_a_reason_for_every_label():
    pairs = labelled_pairs(SET)
    assert len(pairs) >= 150
    assert [p["id"] for p in pairs] == [str(n) for n in range(1, len(pairs) + 1)]
    assert set(Counter(p["country"] for p in pairs)) == set(COUNTRIES)
    assert all(p["match"] in ("0", "1") and p["why"].strip() for p in pairs)
    labels = Counter(p["match"] for p in pairs)
    assert min(labels.values()) >= 0.4 * len(pairs)  # roughly half match


def country_clusters(session) -> dict:
    """Per country: a cluster with the country's currency, languages and time zone, a seller and
    a buyer who belong to it."""
    found = {}
    for n, country in enumerate(COUNTRIES):
        languages = languages_of(country)
        cluster = clusters.add(session, slug=f"traders-{country.lower()}",
                               name=f"Traders {country}", currency=currency_of(country),
                               country=country, languages=languages,
                               timezone=timezone_of(country))
        seller = add_member(session, f"+25472210{n:02d}01", "fisher", cluster, languages[0],
                            "Seller")
        buyer = add_member(session, f"+25472210{n:02d}02", "trader", cluster, languages[0],
                           "Buyer")
        found[country] = (cluster, seller, buyer)
    return found


def test_pairs_of_seven_countries_meet_precision_and_recall(factory):
    pairs = labelled_pairs(SET)
    now = datetime.now(timezone.utc)
    with unit_of_work(factory) as session:
        setting = country_clusters(session)
        result = measure(session, pairs, now, lambda pair: setting[pair["country"]])
    for name, held in (("seen", False), ("held back", True)):
        share = Measure([(p, found) for p, found in result.outcomes
                         if (int(p["id"]) >= HELD_BACK) == held])
        if share.outcomes:
            print(f"{name}: precision {share.precision:.3f}, recall {share.recall:.3f}")
    print(result.report())  # the misses, with `pytest -s`
    assert result.precision >= PRECISION and result.recall >= RECALL, result.report()


@pytest.mark.parametrize(("country", "currency"), [
    ("KE", "KES"), ("TZ", "TZS"), ("UG", "UGX"), ("MZ", "MZN"), ("SN", "XOF"), ("CM", "XAF"),
    ("CI", "XOF")])
def test_each_country_cluster_reads_in_its_own_currency(country, currency):
    assert currency_of(country) == currency
