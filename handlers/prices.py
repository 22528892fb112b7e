"""Market prices: PRICE to ask or report, PRICE SET for coordinators, held reports, alerts and
the weekly digest.

    PRICE tilapia [Kisumu]              latest prices of record per market, members' median
    PRICE tilapia 120/kg [Kisumu]       a member reports a price seen (held when far off)
    PRICE SET [cluster] tilapia 120/kg [Kisumu]   a coordinator records a price of record
    PRICE YES 12 / PRICE NO 12          a coordinator publishes or rejects held report 12

The answers gathered so far live in the conversation, so half a command is completed by
questions and nothing is written before the command is whole and valid.
"""
import statistics
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy.orm import Session

from handlers import coordinators
from handlers import products as product_names
from handlers import quantities
from handlers.budget import most_that_fit
from handlers.labels import product_label, shorten, unit_label
from handlers.matching import best, sure
from handlers.notify import notify
from handlers.places import names as place_names
from handlers.turn import Choice, Turn
from locales.i18n import N_, Plural, fold, keyword_of, keyword_word, number, translate
from locales.locality import currency_of, timezone_of
from storage import audit, clusters, jobs, outbox, prices
from storage import products as catalog
from storage.audit import Actor
from storage.models import Cluster, Member, Product, utcnow

FLOW = "prices"
MAX_AMOUNT = 10_000_000  # per kg, litre or piece: more is a typo in any currency served
WEEK = timedelta(days=7)
ALERT_PERIOD = timedelta(days=31)  # a price of record older than this is history, not a move
REFERENCE_PERIOD = timedelta(days=28)
MIN_REPORTS = 3  # reports needed before their median judges a report or moves an alert
OUTLIER_RATIO = 3.0
DIGEST_GRACE = timedelta(days=3)  # a digest later than this after its time is skipped: stale
SHOWN_MARKETS = 12
APPROVE_WORDS = {"ok", "okay", "sawa", "d'accord"}
# Words before a market name that are not part of it: "at Kisumu", "sokoni Kibuye", "à Kisumu".
MARKET_WORDS = {"at", "in", "from", "market", "soko", "sokoni", "kwa", "a", "au", "en", "em",
                "no", "na", "marche", "mercado"}

WHOLESALE = N_("wholesale")
CHANGE = N_("{change} since last week")
MEMBERS = Plural("Members: {amount}, median of {count} report in 7 days",
                 "Members: {amount}, median of {count} reports in 7 days")
MORE_MARKETS = Plural("+{count} more. Ask for one market, e.g. {example}",
                      "+{count} more. Ask for one market, e.g. {example}")
DIGEST = N_("Weekly prices, {cluster} ({currency}):\n{prices}")
DIGEST_MEMBERS = N_("members {amount}")
ALERT_OFFICIAL = N_("Price alert: {product} at {place} is now {amount} {currency}/{unit}, "
                    "{change} since {date}.")
ALERT_MEMBERS = N_("Price alert: members now report {product} at {amount} {currency}/{unit}, "
                   "{change}.")
HELD_NOTICE = N_("Price report {code} held: {product} {amount} {currency}/{unit} at {place} from "
                 "{name}, usually {usual}. Send {publish} to publish it or {reject} to reject it.")
CHECKED = N_("A coordinator checked your price for {product} ({amount} {currency}/{unit}) and "
             "published it. Thank you!")
NOT_PUBLISHED = N_("A coordinator did not publish your price for {product} "
                   "({amount} {currency}/{unit}).")


# --- Reading the command ----------------------------------------------------------------------

def command(turn: Turn) -> None:
    """PRICE ...: answers with prices, takes a report or an official price, or a check."""
    words = turn.inbound.text.split()[1:]
    if words and keyword_of(words[0]) == "set":
        return start_official(turn, words[1:])
    if words and is_check_word(words[0]):
        return start_check(turn, words[0], words[1:])
    turn.data = {"mode": "ask"}
    read(turn, " ".join(words))


def is_check_word(word: str) -> bool:
    return keyword_of(word) in ("yes", "no") or fold(word) in APPROVE_WORDS


def start_official(turn: Turn, words: list[str]) -> None:
    """Checks that the member coordinates the cluster, then reads the official price."""
    named, words = coordinators.named_cluster(turn, words)
    chosen = coordinators.pick(turn, named)
    if chosen is None:
        return turn.end()
    coordinators.begin(turn, "set", chosen)
    read(turn, " ".join(words))


def read(turn: Turn, text: str) -> None:
    """Takes the product, price and market out of `text` into the answers, then goes on."""
    data = turn.data
    text = text.strip()[:200]
    found = quantities.find_price(text, country=price_country(turn))
    before, after = (text[:found.start], text[found.end:]) if found else (text, "")
    if found:
        data["price"] = [found.amount, found.unit, found.currency]
    leftover = before.strip()
    if "product" not in data and leftover:
        leftover = read_product(turn, leftover)
        if leftover is None:
            return
    if data["mode"] == "set" and not found and leftover:  # PRICE SET tilapia abc
        data["not_a_price"] = leftover
    elif leftover or after.strip():
        data["typed_market"] = " ".join(part for part in (leftover, after.strip()) if part)
    proceed(turn)


def price_country(turn: Turn) -> str:
    """The country whose money marks a price is read with (`F` is XOF in Senegal, XAF in
    Cameroon; `/=` the Kenyan, Ugandan or Tanzanian shilling): the cluster's the price is for,
    else the country of the member's phone."""
    data = turn.data
    ids = [data["cluster"]] if "cluster" in data else data.get("cluster_ids") or []
    cluster = turn.session.get(Cluster, ids[0]) if ids else reporter_cluster(turn)
    return cluster.country if cluster else turn.region


def price_currency(data: dict, cluster: Cluster) -> str:
    """The currency of the price in the answers: the one written with it, else the cluster's
    (answers from before currencies were read hold none)."""
    written = data["price"][2] if len(data["price"]) > 2 else None
    return written or cluster.currency


def read_product(turn: Turn, text: str) -> str | None:
    """Stores the product named at the start of `text`; returns the rest (a market). Asks when
    only close names match; says so and returns None when nothing does."""
    names = product_names.catalog_names(turn.session)
    words = text.split()
    for end in range(len(words), 0, -1):  # the longest start that names a product
        match = sure(best(" ".join(words[:end]), names))
        if match:
            turn.data["product"] = match.key
            return " ".join(words[end:])
    whole = product_names.read_one(names, text)  # "sato mbichi": a product and a description
    if whole is not None:
        turn.data["product"] = whole
        return ""
    for end in range(len(words), 0, -1):
        close = best(" ".join(words[:end]), names)
        if close:
            turn.data["leftover"] = " ".join(words[end:])
            ask_pick_product(turn, [m.key for m in close])
            return None
    hint(turn, turn._("I do not know the product \"{product}\". Send e.g. {price} tilapia.",
                      product=shorten(text, 30), price=keyword_word("price", turn.lang)))
    return None


def proceed(turn: Turn) -> None:
    """Asks for the first missing part; with all parts, acts."""
    data = turn.data
    if data["mode"] == "set" and "cluster" not in data:
        return ask_cluster(turn)
    if "product" not in data:
        return ask_product(turn)
    if data["mode"] == "set" and "price" not in data:
        typed = data.pop("not_a_price", None)
        return ask_price(turn, turn._("\"{text}\" is not a price.", text=shorten(typed, 20))
                         if typed else None)
    reporting = data["mode"] == "ask" and "price" in data
    if reporting and reporter_cluster(turn) is None:
        turn.end()
        return turn.say(turn._("You are not registered yet. Send {join} to register.",
                               join=keyword_word("join", turn.lang)))
    if "price" in data:
        problem = price_problem(turn)
        if problem:
            return hint(turn, problem)
    if "typed_market" in data:
        return read_market(turn)
    if reporting and "market" not in data:
        if turn.member.place_id is None:
            return ask_market(turn)
        data["market"] = {"id": turn.member.place_id, "name": turn.member.place.name}
    act(turn)


def price_problem(turn: Turn) -> str | None:
    """Why the price given cannot be taken, in the member's words; None when it can."""
    amount, unit = turn.data["price"][:2]
    wanted = unit_of(turn)
    product = catalog.get(turn.session, turn.data["product"])
    if unit is not None and unit != product.unit:
        example = f"120/{wanted}"
        return turn._("Please give the price per {unit}, e.g. {example}.", unit=wanted,
                      example=example)
    if turn.data["mode"] == "set":  # a price of record is in the cluster's currency
        cluster = turn.session.get(Cluster, turn.data["cluster"])
        if price_currency(turn.data, cluster) != cluster.currency:
            return turn._("Please send the official price in {currency}, e.g. 120/{unit}.",
                          currency=cluster.currency, unit=wanted)
    if amount <= 0:
        return turn._("The price must be more than 0.")
    if amount > MAX_AMOUNT:
        return turn._("That price is too high. Please check it and send it again.")
    return None


def read_market(turn: Turn) -> None:
    """Stores the market typed (fuzzy-matched to known places); asks when unsure."""
    data = turn.data
    typed = without_market_words(data.pop("typed_market"))[:100]
    places = known_places(turn)
    matches = best(typed, place_names(places))
    match = sure(matches)
    if match:
        data["market"] = {"id": match.key, "name": place_name(places, match.key)}
        return proceed(turn)
    if not any(c.isalpha() for c in typed):
        return hint(turn, turn._("Please send the name of a market, e.g. Kisumu."))
    if data["mode"] == "set" and not matches:  # a coordinator may name a market of their own
        data["market"] = {"name": typed}
        return proceed(turn)
    if not matches:
        return hint(turn, turn._("I do not know the market \"{place}\". Send a town or market "
                                 "name, e.g. Kisumu.", place=shorten(typed)))
    data["typed_market"] = typed
    choices = [Choice(str(m.key), place_name(places, m.key)) for m in matches]
    if data["mode"] == "set":
        choices.append(Choice("typed", turn._("Keep \"{place}\"", place=shorten(typed))))
    turn.ask(FLOW, "pick_market", turn._("Did you mean one of these?"), choices, free_text=False)


def without_market_words(text: str) -> str:
    """`at Kisumu` -> `Kisumu`: the market's name without the words that introduce it."""
    words = text.split()
    while len(words) > 1 and fold(words[0]) in MARKET_WORDS:
        words.pop(0)
    return " ".join(words)


def hint(turn: Turn, text: str) -> None:
    """Says what was wrong: inside a question, with the question again; else alone (the
    command is dropped and nothing was written)."""
    if turn.flow == FLOW and turn.step in ASK_AGAIN:
        return ASK_AGAIN[turn.step](turn, preface=text)
    turn.end()
    turn.say(text)


# --- Questions for the missing parts ----------------------------------------------------------

def ask_cluster(turn: Turn) -> None:
    question = turn._("Which cluster is this price for?")
    coordinators.ask_cluster(turn, FLOW, "pick_cluster", question)


def on_cluster(turn: Turn) -> None:
    """Stores the cluster the official price is for and goes on."""
    turn.data["cluster"] = int(turn.answer)
    proceed(turn)


def ask_product(turn: Turn, preface: str | None = None) -> None:
    if turn.data["mode"] == "set":
        question = turn._("Send the product, the price per unit and the market, e.g. "
                          "tilapia 120/kg Kisumu.")
    else:
        question = turn._("Which product? Send its name, and a market if you like, e.g. "
                          "tilapia Kisumu.")
    turn.ask(FLOW, "ask_product", question, preface=preface)


def on_product(turn: Turn) -> None:
    """Reads the answer as the rest of the command: product, maybe a price and a market."""
    for part in ("price", "typed_market", "market", "leftover"):
        turn.data.pop(part, None)
    read(turn, turn.answer)


def ask_pick_product(turn: Turn, product_ids: list[int]) -> None:
    choices = [Choice(str(pid), product_label(turn.session, pid, turn.lang)) for pid in product_ids]
    turn.ask(FLOW, "pick_product", turn._("Which product do you mean?"), choices, free_text=False)


def on_product_pick(turn: Turn) -> None:
    """Stores the product picked among close names; what followed its name is the market."""
    turn.data["product"] = int(turn.answer)
    leftover = turn.data.pop("leftover", "")
    if leftover:
        turn.data["typed_market"] = leftover
    proceed(turn)


def ask_price(turn: Turn, preface: str | None = None) -> None:
    product = product_label(turn.session, turn.data["product"], turn.lang)
    turn.ask(FLOW, "ask_price", turn._("What is the price of {product}? Send e.g. 120/{unit}.",
                                       product=product, unit=unit_of(turn)), preface=preface)


def on_price(turn: Turn) -> None:
    """Reads the price (and maybe the market) and goes on."""
    turn.data.pop("price", None)
    read(turn, turn.answer)


def ask_market(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "ask_market", turn._("Which market is this price from?"), preface=preface)


def on_market(turn: Turn) -> None:
    """Reads the market typed and goes on."""
    turn.data["typed_market"] = turn.answer
    proceed(turn)


def on_market_pick(turn: Turn) -> None:
    """Stores the market picked among close names (or the name as typed) and goes on."""
    typed = turn.data.pop("typed_market", "")
    if turn.answer == "typed":
        turn.data["market"] = {"name": typed}
    else:
        places = known_places(turn)
        turn.data["market"] = {"id": int(turn.answer), "name": place_name(places, int(turn.answer))}
    proceed(turn)


ASK_AGAIN = {"ask_product": ask_product, "ask_price": ask_price, "ask_market": ask_market}


# --- Acting on a whole command ----------------------------------------------------------------

def act(turn: Turn) -> None:
    """Answers the question, or records the report or official price."""
    data = dict(turn.data)
    turn.end()
    if data["mode"] == "set":
        return record_official(turn, data)
    if "price" in data:
        return record_report(turn, data)
    answer_prices(turn, data)


def record_official(turn: Turn, data: dict) -> None:
    """Saves a coordinator's price of record and says so."""
    cluster = turn.session.get(Cluster, data["cluster"])
    product = catalog.get(turn.session, data["product"])
    market = data.get("market") or {}
    price = set_official(turn.session, cluster, turn.member, product, data["price"][0],
                         market=market.get("name"), place_id=market.get("id"))
    turn.say(turn._("Official price saved: {product} {amount} {currency}/{unit}, {place}, {date}.",
                    product=product_label(turn.session, product.id, turn.lang),
                    amount=money(price.amount, turn.lang), currency=cluster.currency,
                    unit=unit_label(product.unit, turn.lang), place=price.market,
                    date=day_label(price.observed_on, price.observed_on, turn.lang)))


def set_official(session: Session, cluster: Cluster, actor: Actor, product: Product,
                 amount: float, *, market: str | None = None,
                 place_id: int | None = None) -> prices.OfficialPrice:
    """Records a price of record (per the product's unit) at a market of the cluster, dated
    today in its time zone, audited; alerts members when it moved. The market is the place
    `place_id`, else named `market` (which becomes a place of the cluster's), else the cluster."""
    market = market or cluster.name
    if place_id is None and market != cluster.name:
        place = clusters.add_place(session, country=cluster.country, name=market,
                                   cluster_id=cluster.id)
        session.flush()
        place_id, market = place.id, place.name
    today = local_now(cluster.timezone).date()
    scope = prices.Scope((cluster.id,), cluster.country, cluster.currency)
    before = prices.price_on(session, scope, product.id, market, today, None)
    price = prices.add_official(
        session, cluster_id=cluster.id, country=cluster.country, product_id=product.id,
        place_id=place_id, market=market, amount=amount, unit=product.unit,
        currency=cluster.currency, observed_on=today, source="coordinator",
        member_id=audit.member_id(actor))
    audit.record(session, action="price.set", actor=actor, cluster_id=cluster.id, price=price.id,
                 product=product.slug, market=market, amount=amount, unit=product.unit,
                 currency=cluster.currency)
    if before is not None:
        alert_official(session, cluster, product, market, before, amount, audit.member_id(actor))
    return price


def record_report(turn: Turn, data: dict) -> None:
    """Saves a member's price; one far off the usual is held for a coordinator to check."""
    session = turn.session
    cluster = reporter_cluster(turn)
    product = catalog.get(session, data["product"])
    amount, market = data["price"][0], data["market"]
    now = utcnow()
    # A price in another currency (`PRICE tilapia 5000 UGX Busia` in a Kenyan cluster) is kept in
    # it, and judged and counted only with prices in the same currency, never as the cluster's.
    currency = price_currency(data, cluster)
    scope = prices.Scope((cluster.id,), cluster.country, currency)
    usual = usual_price(session, scope, product.id, now)
    held = usual is not None and is_outlier(amount, usual)
    report = prices.add_report(
        session, cluster_id=cluster.id, member_id=turn.member.id, product_id=product.id,
        place_id=market.get("id"), market=market["name"], amount=amount, unit=product.unit,
        currency=currency, status="held" if held else "published", reference=usual,
        reported_at=now)
    values = dict(product=product_label(turn.session, product.id, turn.lang),
                  amount=money(amount, turn.lang), currency=currency,
                  unit=unit_label(product.unit, turn.lang))
    if held:
        tell_coordinators(session, cluster, report, product, turn.member)
        return turn.say(turn._("Thank you. {amount} {currency}/{unit} for {product} is far from the "
                               "usual {usual}, so a coordinator will check it first.",
                               usual=money(usual, turn.lang), **values))
    turn.say(turn._("Thank you! Your price is saved: {product} {amount} {currency}/{unit}, {place}.",
                    place=market["name"], **values))
    if currency == cluster.currency:
        alert_members(session, cluster, product, turn.member.id, now)


def is_outlier(amount: float, usual: float) -> bool:
    """Far off the usual price: more than 3 times it or less than a third of it.

    A ratio rather than a median-absolute-deviation rule, because the usual price often rests
    on a handful of reports: with three equal reports the MAD is 0 and would hold every price
    that differs at all, while a ratio keeps honest moves (a glut, a festival week) and catches
    the typos that matter (an extra zero, a price per bag sent as per kg)."""
    return amount > usual * OUTLIER_RATIO or amount < usual / OUTLIER_RATIO


def usual_price(session, scope: prices.Scope, product_id: int, now: datetime) -> float | None:
    """What a report is judged against: the median of the last four weeks' reports when there
    are enough, else the median of the newest price of record at each market."""
    recent = prices.report_amounts(session, scope.cluster_ids, product_id, scope.currency,
                                   now - REFERENCE_PERIOD, now)
    if len(recent) >= MIN_REPORTS:
        return statistics.median(recent)
    markets = prices.latest_by_market(session, scope, product_id)
    return statistics.median(m.amount for m in markets) if markets else None


def tell_coordinators(session, cluster: Cluster, report, product: Product, reporter: Member) -> None:
    """Asks the cluster's coordinators, each in their language, to check a held report."""
    for coordinator in prices.coordinators_of(session, cluster.id):
        lang = coordinator.language
        notify(session, coordinator, HELD_NOTICE, code=str(report.id),
               product=product_label(session, product.id, lang),
               amount=money(report.amount, lang), currency=report.currency,
               unit=unit_label(report.unit, lang), place=report.market,
               name=reporter.name or f"#{reporter.id}", usual=money(report.reference, lang),
               publish=check_command(lang, "yes", report.id),
               reject=check_command(lang, "no", report.id))


def check_command(lang: str | None, answer: str, report_id: int) -> str:
    """`BEI NDIYO 12`: what a coordinator sends to publish (yes) or reject (no) a report."""
    return f"{keyword_word('price', lang)} {keyword_word(answer, lang)} {report_id}"


# --- Coordinators check held reports ----------------------------------------------------------

def start_check(turn: Turn, word: str, rest: list[str]) -> None:
    """PRICE YES/NO code: publishes or rejects a held report; without a code, asks which."""
    mine = coordinators.coordinated(turn)
    if not mine:
        return coordinators.refuse(turn)
    publish = keyword_of(word) == "yes" or fold(word) in APPROVE_WORDS
    if rest:
        return check(turn, rest[0].lstrip("#"), publish)
    waiting = prices.held_reports(turn.session, [c.id for c in mine])
    if not waiting:
        return turn.say(turn._("No price reports are waiting for a check."))
    turn.data = {"publish": publish}
    lang = turn.lang
    choices = [Choice(str(r.id), f"{r.id}: {shorten(product_label(turn.session, r.product_id, lang), 14)}"
                                 f" {money(r.amount, lang)}") for r in waiting]
    turn.ask(FLOW, "pick_report", turn._("Which price report?"), choices, free_text=False,
             menu=True)


def on_report(turn: Turn) -> None:
    """Publishes or rejects the report picked."""
    publish = turn.data["publish"]
    turn.end()
    check(turn, turn.answer, publish)


def check(turn: Turn, code: str, publish: bool) -> None:
    """Publishes or rejects held report `code` for a coordinator of its cluster (audited)."""
    session = turn.session
    number = quantities.whole_number(code)
    report = prices.held_report(session, number) if number is not None else None
    if report is None:
        return turn.say(turn._("No held price report has the code {code}.", code=shorten(code, 12)))
    cluster = session.get(Cluster, report.cluster_id)
    if coordinators.pick(turn, cluster.slug) is None:
        return
    decide(session, report, turn.member, publish)
    if publish:
        return turn.say(turn._("Price report {code} is published.", code=str(report.id)))
    turn.say(turn._("Price report {code} is rejected.", code=str(report.id)))


def decide(session: Session, report: prices.PriceReport, actor: Actor, publish: bool) -> None:
    """Publishes or rejects a held price report, audited, and tells its reporter; a published
    one alerts members when their median moved. The actor is a coordinator (a member) or a
    dashboard user ("web:EMAIL")."""
    cluster = session.get(Cluster, report.cluster_id)
    prices.decide(report, audit.member_id(actor), publish)
    audit.record(session, action="price.publish" if publish else "price.reject", actor=actor,
                 cluster_id=cluster.id, report=report.id, amount=report.amount,
                 market=report.market)
    product = catalog.get(session, report.product_id)
    reporter = session.get(Member, report.member_id) if report.member_id else None
    if reporter is not None:
        lang = reporter.language
        notify(session, reporter, CHECKED if publish else NOT_PUBLISHED,
               product=product_label(session, product.id, lang),
               amount=money(report.amount, lang), currency=report.currency,
               unit=unit_label(report.unit, lang))
    if publish:
        alert_members(session, cluster, product, report.member_id, utcnow())


# --- Answering with prices --------------------------------------------------------------------

def answer_prices(turn: Turn, data: dict) -> None:
    """The newest price of record per market, the members' median, dates and weekly changes."""
    session, lang = turn.session, turn.lang
    scope, zone = member_scope(turn)
    product = catalog.get(session, data["product"])
    market = data.get("market")
    place_id = market["id"] if market and "id" in market else None
    now = utcnow()
    today = now.astimezone(ZoneInfo(zone)).date()
    markets = prices.latest_by_market(session, scope, product.id, place_id)
    recent = prices.report_amounts(session, scope.cluster_ids, product.id, scope.currency,
                                   now - WEEK, now, place_id)
    name, unit = product_label(turn.session, product.id, turn.lang), unit_label(product.unit, lang)
    place = market["name"] if market else example_market(turn, markets)
    if not markets and not recent:
        example = f"{keyword_word('price', lang)} {name} 120/{unit} {place}"
        if market:
            return turn.say(turn._("No prices for {product} at {place} yet. To report one, send "
                                   "e.g. {example}", product=name, place=place, example=example))
        return turn.say(turn._("No prices for {product} yet. To report one, send e.g. {example}",
                               product=name, example=example))
    lines = []
    if recent:
        earlier = prices.report_amounts(session, scope.cluster_ids, product.id, scope.currency,
                                        now - 2 * WEEK, now - WEEK, place_id)
        lines.append(members_line(lang, recent, earlier))
    if turn.member.place_id is not None:  # the member's own market first
        markets.sort(key=lambda m: m.place_id != turn.member.place_id)
    for shown in markets[:SHOWN_MARKETS]:
        lines.append(market_line(session, scope, product, shown, today, lang))
    head = capitalised(turn._("{product} prices, {currency}/{unit}:", product=name,
                              currency=scope.currency, unit=unit))
    hidden_markets = len(markets) - SHOWN_MARKETS

    def more(count: int) -> str:
        shown = max(len(lines) - count - (1 if recent else 0), 0)
        next_one = markets[shown].market if shown < len(markets) else place
        example = f"{keyword_word('price', lang)} {name} {next_one}"
        return turn._(MORE_MARKETS, count=count + max(hidden_markets, 0), example=example)
    turn.say(fit(head, lines, more))


def members_line(lang: str | None, recent: list[float], earlier: list[float]) -> str:
    line = translate(lang, MEMBERS, amount=money(statistics.median(recent), lang),
                     count=len(recent))
    if earlier:
        line += ", " + translate(lang, CHANGE, change=percent(statistics.median(recent),
                                                              statistics.median(earlier)))
    return line


def market_line(session, scope, product: Product, price: prices.MarketPrice, today: date,
                lang: str | None) -> str:
    """`Kisumu 45 (28 Nov, +5% since last week)`: the change only for a price of this week."""
    details = [day_label(price.observed_on, today, lang)]
    if today - price.observed_on < WEEK:
        before = prices.price_on(session, scope, product.id, price.market, today - WEEK,
                                 price.price_type)
        if before is not None:
            details.append(translate(lang, CHANGE, change=percent(price.amount, before.amount)))
    kind = f" {translate(lang, WHOLESALE)}" if price.price_type == "wholesale" else ""
    return f"{price.market} {money(price.amount, lang)}{kind} ({', '.join(details)})"


def fit(head: str, lines: list[str], more) -> str:
    """The head and as many lines as fit in two SMS, ending with `more(left out)` if any."""
    def text(shown: list[str], hidden: int) -> str:
        return "\n".join([head, *shown] + ([more(hidden)] if hidden else []))

    return most_that_fit(text, lines)


def example_market(turn: Turn, markets: list[prices.MarketPrice]) -> str:
    """A market to show in an example: the member's own, else one with prices, else Kisumu."""
    if turn.member.place is not None:
        return turn.member.place.name
    return markets[0].market if markets else "Kisumu"


# --- Alerts -----------------------------------------------------------------------------------

def alert_official(session, cluster: Cluster, product: Product, market: str,
                   before: prices.MarketPrice, amount: float, actor_id: int | None) -> int:
    """Alerts the product's members in the cluster when the price of record moved more than
    the cluster's alert percent since its last price of the past month; returns how many were
    alerted."""
    today = local_now(cluster.timezone).date()
    recent = today - before.observed_on <= ALERT_PERIOD
    if not recent or not moved(session, cluster, amount, before.amount):
        return 0
    return alert(session, cluster, product, actor_id, lambda lang: translate(
        lang, ALERT_OFFICIAL, product=product_label(session, product.id, lang), place=market,
        amount=money(amount, lang), currency=cluster.currency, unit=unit_label(product.unit, lang),
        change=percent(amount, before.amount),
        date=day_label(before.observed_on, today, lang)))


def alert_members(session, cluster: Cluster, product: Product, actor_id: int | None,
                  now: datetime) -> int:
    """Alerts the product's members when the members' median of the last 7 days moved more
    than the alert percent since the last alert (the first median seen is the baseline)."""
    recent = prices.report_amounts(session, (cluster.id,), product.id, cluster.currency,
                                   now - WEEK, now)
    if len(recent) < MIN_REPORTS:
        return 0
    median = statistics.median(recent)
    baseline = prices.baseline(session, cluster.id, product.id)
    before = baseline.median if baseline else None
    if before is not None and not moved(session, cluster, median, before):
        return 0
    prices.set_baseline(session, cluster.id, product.id, median)
    if before is None:
        return 0
    return alert(session, cluster, product, actor_id, lambda lang: translate(
        lang, ALERT_MEMBERS, product=product_label(session, product.id, lang),
        amount=money(median, lang), currency=cluster.currency,
        unit=unit_label(product.unit, lang), change=percent(median, before)))


def moved(session, cluster: Cluster, now: float, before: float) -> bool:
    limit = prices.settings_for(session, cluster.id).alert_percent
    return before > 0 and abs(now / before - 1) * 100 > limit


def alert(session, cluster: Cluster, product: Product, actor_id: int | None, text_in) -> int:
    """Queues `text_in(language)` to the product's members in the cluster, each in their
    language, on their cheapest channel; never to opted-out members."""
    sent = 0
    for lang in prices.subscriber_languages(session, cluster.id, product.id):
        sent += outbox.queue_to_members(
            session, prices.subscriber_ids(cluster.id, product.id, lang, except_member=actor_id),
            text_in(lang), kind="notice")
    return sent


# --- A cluster's settings: when members are alerted, when the digest goes ---------------------

ALERT_LEAST, ALERT_MOST = 1, 1000  # percent
SETTING_RANGES = {"digest_day": range(7), "digest_hour": range(24)}


class SettingsError(ValueError):
    """A setting out of its range (its name is the message)."""


def change_settings(session: Session, cluster: Cluster, actor: Actor, *,
                    alert_percent: float | None = None, digest_day: int | None = None,
                    digest_hour: int | None = None) -> prices.PriceSettings:
    """Changes the settings given (None: as it is; digest_day 0 is Monday, digest_hour 0-23),
    audited when any is; returns the cluster's settings. SettingsError names a setting out of
    its range (nothing is changed)."""
    changes = {name: value for name, value in (("alert_percent", alert_percent),
                                                 ("digest_hour", digest_hour),
                                                 ("digest_day", digest_day)) if value is not None}
    if alert_percent is not None and not ALERT_LEAST <= alert_percent <= ALERT_MOST:
        raise SettingsError("alert_percent")
    for name, allowed in SETTING_RANGES.items():
        if changes.get(name, 0) not in allowed:
            raise SettingsError(name)
    if not changes:
        return prices.settings_for(session, cluster.id)
    current = prices.save_settings(session, cluster.id, **changes)
    audit.record(session, action="prices.settings", actor=actor, cluster_id=cluster.id, **changes)
    return current


# --- The weekly digest ------------------------------------------------------------------------

def digest_job() -> None:
    """Sends the weekly price digests that are due (run every hour by the scheduler)."""
    with jobs.transaction() as session:
        send_digests(session, utcnow())


def send_digests(session, now: datetime) -> int:
    """Sends each cluster's digest whose time has come this week and that was not sent yet;
    returns how many clusters' digests went. Safe to run late or twice."""
    sent = 0
    for cluster in clusters.all_clusters(session):
        due_on = digest_due(cluster, prices.settings_for(session, cluster.id), now)
        if due_on is None:
            continue
        digest = prices.claim_digest(session, cluster.id, due_on)
        if digest is not None:
            digest.recipients = send_digest(session, cluster, now)
            sent += 1
    return sent


def digest_due(cluster: Cluster, settings: prices.PriceSettings, now: datetime) -> date | None:
    """The day of the cluster's latest digest time (its day and hour in its time zone), when
    that time has passed by less than the grace; else None."""
    zone = ZoneInfo(cluster.timezone)
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - settings.digest_day) % 7)
    moment = datetime.combine(day, time(settings.digest_hour), zone)
    if moment > local:
        day -= WEEK
        moment -= WEEK
    return day if local - moment < DIGEST_GRACE else None


def send_digest(session, cluster: Cluster, now: datetime) -> int:
    """Queues each member's digest: the newest prices of the products they deal in."""
    scope = prices.Scope((cluster.id,), cluster.country, cluster.currency)
    today = now.astimezone(ZoneInfo(cluster.timezone)).date()
    known: dict[int, tuple[list[prices.MarketPrice], list[float]]] = {}
    sent = 0
    for member in prices.digest_members(session, cluster.id):
        lines = []
        for product in dict.fromkeys(p.product for p in member.products if p.product):
            if product.id not in known:
                known[product.id] = (
                    prices.latest_by_market(session, scope, product.id),
                    prices.report_amounts(session, scope.cluster_ids, product.id,
                                          scope.currency, now - WEEK, now))
            line = digest_line(member, product, *known[product.id], today)
            if line:
                lines.append(line)
        if not lines:
            continue
        lang = member.language
        head = translate(lang, DIGEST, cluster=cluster.name, currency=cluster.currency, prices="")
        shown = fit(head.rstrip(), lines, lambda count: f"+{count}")
        if notify(session, member, DIGEST, cluster=cluster.name, currency=cluster.currency,
                  prices=shown[len(head.rstrip()):].lstrip("\n")):
            sent += 1
    return sent


def digest_line(member: Member, product: Product, markets: list[prices.MarketPrice],
                reports: list[float], today: date) -> str | None:
    """`Tilapia (kg): 300 Kisumu (27 Nov), members 310`: the member's market when it has a
    price, else the newest one."""
    lang = member.language
    parts = []
    if markets:
        here = [m for m in markets if m.place_id is not None and m.place_id == member.place_id]
        shown = (here or markets)[0]
        parts.append(f"{money(shown.amount, lang)} {shown.market} "
                     f"({day_label(shown.observed_on, today, lang)})")
    if reports:
        parts.append(translate(lang, DIGEST_MEMBERS, amount=money(statistics.median(reports), lang)))
    if not parts:
        return None
    name = catalog.display_name(product, lang or "en")
    return f"{name} ({unit_label(product.unit, lang)}): {', '.join(parts)}"


# --- Small helpers ----------------------------------------------------------------------------

def reporter_cluster(turn: Turn) -> Cluster | None:
    """The cluster a member's report counts in: their first; None before they register."""
    if not turn.member.registered:
        return None
    mine = clusters.clusters_of(turn.member)
    return mine[0] if mine else None


def member_scope(turn: Turn) -> tuple[prices.Scope, str]:
    """(whose prices the member sees, the time zone dates are read in)."""
    chosen = clusters.clusters_of(turn.member) or clusters.all_clusters(turn.session)
    if not chosen:
        return prices.Scope((), turn.region, currency_of(turn.region)), timezone_of(turn.region)
    first = chosen[0]
    same_currency = tuple(c.id for c in chosen if c.currency == first.currency)
    return prices.Scope(same_currency, first.country, first.currency), first.timezone


def known_places(turn: Turn):
    """The places a market can be: the clusters' own and their countries' gazetteers."""
    if turn.data.get("mode") == "set":
        chosen = [turn.session.get(Cluster, turn.data["cluster"])]
    else:
        chosen = clusters.clusters_of(turn.member) or clusters.all_clusters(turn.session)
    found = {}
    for cluster in chosen:
        for place in clusters.places_for(turn.session, cluster):
            found.setdefault(place.id, place)
    return list(found.values())


def place_name(places, place_id: int) -> str:
    return next(p.name for p in places if p.id == place_id)


def unit_of(turn: Turn) -> str:
    """The unit label of the product in the answers."""
    return unit_label(catalog.get(turn.session, turn.data["product"]).unit, turn.lang)


def money(amount: float, lang: str | None) -> str:
    """`1,480`, `16.44` (`1 480`, `16,44` in French): whole numbers from 100 up, cents below."""
    return number(round(amount) if amount >= 100 else amount, lang)


def percent(now: float, before: float) -> str:
    change = round((now / before - 1) * 100)
    return f"{change:+d}%" if change else "0%"


def day_label(day: date, today: date, lang: str | None) -> str:
    """`28 Nov`, or `15 Mar 2024` for another year, in the member's language."""
    pattern = "d MMM" if day.year == today.year else "d MMM y"
    return format_date(day, pattern, locale=lang or "en")


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def local_now(zone: str) -> datetime:
    return utcnow().astimezone(ZoneInfo(zone))


KEYWORDS = {"price": command}
STEPS = {
    "pick_cluster": on_cluster,
    "ask_product": on_product,
    "pick_product": on_product_pick,
    "ask_price": on_price,
    "ask_market": on_market,
    "pick_market": on_market_pick,
    "pick_report": on_report,
}
JOBS = [
    # Every hour: each cluster's digest goes at its own day and hour in its own time zone.
    ("prices-digest", "handlers.prices:digest_job", {"trigger": "cron", "minute": 5}),
]
