"""The Members pages through HTTP: Grace (coordinator of Kisumu Fish) finds, reads, edits,
exports and imports her members; Ruth (a viewer) reads them without phone numbers or message
texts; Omar (Lamu Crafts) and guessed ids see nothing of Kisumu; every refusal changes nothing."""
import csv
import io
from datetime import timedelta

import pytest
from dashboard_people import ADMIN, GRACE, OMAR, RUTH
from scenes import AMINA, JUMA, TOMAS, add_member, count, profile
from sqlalchemy import select

from bot import roster
from storage.db import unit_of_work
from storage.models import AuditEntry, InboundMessage, Member, Membership, OutboundMessage, utcnow

LIST = "/dashboard/kisumu-fish/members"
MASKED_AMINA = "+2547•••••001"
SHARED = "+254722000009"  # Zawadi: a trader in both networks


@pytest.fixture
def cast(factory, kisumu, lamu) -> dict[str, int]:
    """Kisumu Fish: Amina (with a conversation), Juma, Zawadi (also in Lamu), Baraka (opted out,
    and a coordinator); Lamu Crafts: Tomás. Their member ids by first name."""
    with unit_of_work(factory) as session:
        people = {
            "amina": add_member(session, AMINA, "fish_processor", kisumu, "sw", "Amina Achieng",
                                place="Kisumu", product="tilapia"),
            "juma": add_member(session, JUMA, "fisher", kisumu, "en", "Juma Otieno",
                               place="Kisumu", product="omena"),
            "zawadi": add_member(session, SHARED, "trader", kisumu, "en", "Zawadi Njeri"),
            "baraka": add_member(session, "+254722000010", "fisher", kisumu, "sw", "Baraka",
                                 opted_out=True, coordinator=True),
            "tomas": add_member(session, TOMAS, "craftsperson", lamu, "en", "Tomás Mwangi"),
        }
        add_member(session, "+254722000011", "trader", lamu, "en", "Lamu Trader")
        people["zawadi"].memberships.append(Membership(cluster_id=lamu.id, role="trader"))
        converse(session, people["amina"].id)
        return {name: member.id for name, member in people.items()}


def converse(session, amina_id: int) -> None:
    """Amina asks for a price and is answered; a reminder sent later fails."""
    now = utcnow()
    session.add_all([
        InboundMessage(channel="sms", provider_id="SM1", address=AMINA, member_id=amina_id,
                       text="BEI sato Kisumu", status="handled",
                       received_at=now - timedelta(minutes=10)),
        OutboundMessage(channel="sms", address=AMINA, member_id=amina_id,
                        text="Bei ya sato: KES 320/kg", status="delivered",
                        created_at=now - timedelta(minutes=9)),
        OutboundMessage(channel="sms", address=AMINA, member_id=amina_id,
                        text="Mkutano kesho saa nne", status="failed",
                        error="30003 unreachable handset", created_at=now)])
    session.flush()


def member_path(member_id: int, cluster: str = "kisumu-fish") -> str:
    return f"/dashboard/{cluster}/members/{member_id}"


def audits(factory, action: str) -> list[AuditEntry]:
    with unit_of_work(factory) as session:
        found = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        session.expunge_all()
        return found


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def edit_form(**changes) -> dict:
    """Amina's edit form as the page fills it, with `changes`."""
    form = {"name": "Amina Achieng", "place": "Kisumu", "language": "sw",
            "roles": ["fish_processor"], "products": "tilapia"}
    return {**form, **changes}


def upload(person, text: str | bytes, cluster: str = "kisumu-fish", **kw):
    data = text.encode() if isinstance(text, str) else text
    return person.post(f"/dashboard/{cluster}/members/import",
                       files={"file": ("members.csv", data, "text/csv")}, **kw)


HEADER = ",".join(roster.HEADER)


# --- The list -----------------------------------------------------------------------------------

def test_a_coordinator_lists_her_members_with_their_phones(browser, cast):
    page = browser(GRACE).get(LIST)
    assert page.status_code == 200
    for name in ("Amina Achieng", "Juma Otieno", "Zawadi Njeri", "Baraka"):
        assert name in page.text
    assert AMINA in page.text and JUMA in page.text
    assert "Tomás" not in page.text and TOMAS not in page.text and "Lamu Trader" not in page.text
    assert "4 members" in page.text


def test_the_list_finds_a_member_by_name_or_phone(browser, cast):
    grace = browser(GRACE)
    by_name = grace.get(LIST, params={"q": "amina"})
    assert "Amina Achieng" in by_name.text and "Juma Otieno" not in by_name.text
    by_phone = grace.get(LIST, params={"q": "0722 000 002"})
    assert "Juma Otieno" in by_phone.text and "Amina Achieng" not in by_phone.text
    assert "Tomás Mwangi" not in grace.get(LIST, params={"q": "Tomás"}).text
    assert "Tomás Mwangi" not in grace.get(LIST, params={"q": TOMAS}).text
    assert "No member matches." in grace.get(LIST, params={"q": "%"}).text


@pytest.mark.parametrize("params, shown", [
    ({"role": "fisher"}, {"Juma Otieno", "Baraka"}),
    ({"role": "coordinator"}, {"Baraka"}),
    ({"language": "sw"}, {"Amina Achieng", "Baraka"}),
    ({"place": "Kisumu"}, {"Amina Achieng", "Juma Otieno"}),
    ({"opted_out": "yes"}, {"Baraka"}),
    ({"opted_out": "no", "language": "en"}, {"Juma Otieno", "Zawadi Njeri"}),
    ({"role": "no-such-role"}, {"Amina Achieng", "Juma Otieno", "Zawadi Njeri", "Baraka"}),
])
def test_the_list_narrows_to_the_filters(browser, cast, params, shown):
    page = browser(GRACE).get(LIST, params=params)
    everyone = {"Amina Achieng", "Juma Otieno", "Zawadi Njeri", "Baraka"}
    assert {name for name in everyone if f">{name}<" in page.text} == shown


def test_the_list_narrows_to_a_product(browser, cast, factory):
    grace = browser(GRACE)
    with unit_of_work(factory) as session:
        tilapia = session.get(Member, cast["amina"]).products[0].product_id
    page = grace.get(LIST, params={"product": tilapia})
    assert ">Amina Achieng<" in page.text and ">Juma Otieno<" not in page.text
    assert f'value="{tilapia}" selected' in page.text


def test_the_list_shows_fifty_members_a_page(browser, factory, kisumu, people):
    with unit_of_work(factory) as session:
        for n in range(60):
            add_member(session, f"+2547330{n:05d}", "fisher", kisumu, "en", f"Fisher {n:02d}")
    grace = browser(GRACE)
    first = grace.get(LIST, params={"role": "fisher"})
    assert first.text.count('class="phone"') == 50 and "60 members" in first.text
    assert "Page 1 of 2" in first.text and "role=fisher&amp;page=2" in first.text
    second = grace.get(LIST, params={"role": "fisher", "page": 2})
    assert second.text.count('class="phone"') == 10 and "Fisher 59" in second.text


def test_a_viewer_sees_names_but_masked_phones(browser, cast):
    ruth = browser(RUTH)
    page = ruth.get(LIST)
    assert "Amina Achieng" in page.text and MASKED_AMINA in page.text
    assert AMINA not in page.text and "722000001" not in page.text
    assert 'action="/dashboard/kisumu-fish/members/import"' not in page.text


@pytest.mark.parametrize("search", [AMINA, "0722000001", "722000001", "000001"])
def test_a_viewer_cannot_find_a_member_by_phone(browser, cast, search):
    page = browser(RUTH).get(LIST, params={"q": search})
    assert "Amina Achieng" not in page.text and "No member matches." in page.text


def test_another_clusters_coordinator_gets_404(browser, cast):
    omar = browser(OMAR)
    for path in (LIST, f"{LIST}.csv", member_path(cast["amina"])):
        response = omar.get(path)
        assert response.status_code == 404
        assert "Amina" not in response.text and AMINA not in response.text


def test_signed_out_readers_are_sent_to_sign_in(browser, cast):
    stranger = browser()
    for path in (LIST, f"{LIST}.csv", member_path(cast["amina"])):
        response = stranger.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert "Amina" not in response.text


# --- The CSV ------------------------------------------------------------------------------------

def test_the_csv_has_the_cli_header_and_this_clusters_members_only(browser, cast, factory):
    response = browser(GRACE).get(f"{LIST}.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[0] == ",".join(roster.COLUMNS)  # with listed
    rows = {row["name"]: row for row in csv_rows(response.text)}
    assert set(rows) == {"Amina Achieng", "Juma Otieno", "Zawadi Njeri", "Baraka"}
    assert rows["Amina Achieng"]["phone"] == AMINA
    assert rows["Amina Achieng"]["products"] == "tilapia"
    assert rows["Zawadi Njeri"]["clusters"] == "kisumu-fish"  # not Lamu's membership
    assert rows["Baraka"]["roles"] == "fisher;coordinator"
    assert rows["Baraka"]["opted_out"] == "true"
    [export] = audits(factory, "members.export")
    assert export.actor == f"web:{GRACE}" and export.details["count"] == 4


def test_the_csv_keeps_the_filters(browser, cast):
    response = browser(GRACE).get(f"{LIST}.csv", params={"role": "fisher", "q": "juma"})
    assert [row["name"] for row in csv_rows(response.text)] == ["Juma Otieno"]


def test_a_viewers_csv_masks_phones(browser, cast):
    response = browser(RUTH).get(f"{LIST}.csv")
    assert response.status_code == 200
    assert AMINA not in response.text and "722000001" not in response.text
    rows = {row["name"]: row for row in csv_rows(response.text)}
    assert rows["Amina Achieng"]["phone"] == f"'{MASKED_AMINA}"  # guarded as text
    assert "Amina Achieng" not in browser(RUTH).get(f"{LIST}.csv", params={"q": AMINA}).text


def test_the_csv_imports_back_unchanged(browser, cast, factory):
    grace = browser(GRACE)
    exported = grace.get(f"{LIST}.csv").text
    grace.get(LIST)
    report = upload(grace, exported)
    assert report.status_code == 200 and "Rows not imported" not in report.text
    assert profile(factory, AMINA)["name"] == "Amina Achieng"


# --- A member's profile ---------------------------------------------------------------------------

def test_a_profile_shows_the_whole_conversation_newest_first(browser, cast):
    page = browser(GRACE).get(member_path(cast["amina"]))
    assert page.status_code == 200
    assert "Amina Achieng" in page.text and AMINA in page.text
    assert "Fish processor" in page.text and "Kisumu" in page.text and "tilapia" in page.text
    texts = ["Mkutano kesho saa nne", "Bei ya sato: KES 320/kg", "BEI sato Kisumu"]
    assert [page.text.index(text) for text in texts] == sorted(page.text.index(t) for t in texts)
    assert "30003 unreachable handset" in page.text and "delivered" in page.text
    assert "3 messages" in page.text


def test_a_profile_shows_the_opt_out_read_only(browser, cast):
    page = browser(GRACE).get(member_path(cast["baraka"]))
    assert "Opted out (STOP)" in page.text and 'name="opted_out"' not in page.text


def test_a_viewer_sees_a_profile_without_phone_or_message_texts(browser, cast):
    page = browser(RUTH).get(member_path(cast["amina"]))
    assert page.status_code == 200 and "Amina Achieng" in page.text
    assert MASKED_AMINA in page.text and AMINA not in page.text
    assert "BEI sato" not in page.text and "Bei ya sato" not in page.text
    assert "30003" not in page.text
    assert "3 messages" in page.text
    assert 'name="csrf"' not in page.text.split("<main>")[1]  # no edit form


def test_a_member_of_another_cluster_is_404(browser, cast):
    grace = browser(GRACE)
    for path in (member_path(cast["tomas"]), member_path(cast["tomas"], "lamu-crafts"),
                 member_path(999999), member_path(10**20)):
        response = grace.get(path)
        assert response.status_code == 404 and "Tomás" not in response.text
    assert browser(RUTH).get(member_path(cast["tomas"])).status_code == 404


def test_an_admin_sees_every_clusters_members(browser, cast):
    admin = browser(ADMIN)
    assert admin.get(member_path(cast["tomas"], "lamu-crafts")).status_code == 200
    assert admin.get(member_path(cast["tomas"])).status_code == 404  # not in Kisumu


# --- The edit -------------------------------------------------------------------------------------

def test_a_coordinator_edits_a_profile_and_it_is_audited(browser, cast, factory):
    grace = browser(GRACE)
    grace.get(member_path(cast["amina"]))
    response = grace.post(member_path(cast["amina"]), edit_form(
        name="amina achieng odhiambo", place="Kisumu", language="en",
        roles=["fish_processor", "trader"], products="tilapia, omena"))
    assert response.status_code == 303
    assert response.headers["location"] == f"{member_path(cast['amina'])}?saved=1"
    assert profile(factory, AMINA) == {
        "name": "Amina Achieng Odhiambo", "registered": True, "language": "en",
        "place": "Kisumu", "roles": ["fish_processor", "trader"],
        "products": ["omena", "tilapia"]}
    [entry] = audits(factory, "member.edit")
    assert entry.actor == f"web:{GRACE}" and entry.details["member_id"] == cast["amina"]
    assert entry.details["changed"] == ["name", "language", "roles", "products"]
    assert "Saved." in grace.get(response.headers["location"]).text


def test_an_edit_keeps_the_coordinator_role_and_other_clusters(browser, cast, factory):
    grace = browser(GRACE)
    grace.get(member_path(cast["zawadi"]))
    response = grace.post(member_path(cast["zawadi"]), {
        "name": "Zawadi Njeri", "place": "", "language": "en", "roles": ["food_supplier"],
        "products": ""})
    assert response.status_code == 303
    with unit_of_work(factory) as session:
        zawadi = session.get(Member, cast["zawadi"])
        assert sorted((m.cluster.slug, m.role) for m in zawadi.memberships) == [
            ("kisumu-fish", "food_supplier"), ("lamu-crafts", "trader")]
    grace.get(member_path(cast["baraka"]))
    response = grace.post(member_path(cast["baraka"]), {
        "name": "Baraka", "place": "", "language": "sw", "products": ""})  # no role ticked
    assert response.status_code == 303
    assert profile(factory, "+254722000010")["roles"] == ["coordinator"]


@pytest.mark.parametrize("changes, message", [
    ({"name": "R2D2"}, "Write the name in letters only"),
    ({"name": ""}, "Write the name in letters only"),
    ({"place": "123"}, "Write the name of a town or market."),
    ({"language": "de"}, "Choose a language."),
    ({"roles": []}, "Choose at least one role."),
    ({"roles": ["coordinator"]}, "Choose at least one role."),
    ({"products": ", ".join(f"thing{n}" for n in range(25))}, "Write product names"),
])
def test_a_bad_edit_shows_the_form_again_and_saves_nothing(browser, cast, factory, changes,
                                                           message):
    grace = browser(GRACE)
    grace.get(member_path(cast["amina"]))
    before = profile(factory, AMINA)
    response = grace.post(member_path(cast["amina"]), edit_form(**{"name": "Amina Changed", **changes}))
    assert response.status_code == 400
    assert message in response.text and "Nothing was saved." in response.text
    assert 'name="name" value="' in response.text
    assert profile(factory, AMINA) == before
    assert audits(factory, "member.edit") == []


def test_edit_refusals_change_nothing(browser, cast, factory):
    before = profile(factory, AMINA)
    ruth = browser(RUTH)
    ruth.get(LIST)
    assert ruth.post(member_path(cast["amina"]), edit_form(name="Ruth Was Here")).status_code == 403
    grace = browser(GRACE)
    grace.get(LIST)
    response = grace.post(member_path(cast["amina"]), edit_form(name="No Token"), token=False)
    assert response.status_code == 403
    assert grace.post(member_path(cast["tomas"]), {"name": "Guessed"}).status_code == 404
    assert grace.post(member_path(cast["tomas"], "lamu-crafts"),
                      {"name": "Guessed"}).status_code == 404
    omar = browser(OMAR)
    omar.get("/dashboard/lamu-crafts/members")
    assert omar.post(member_path(cast["amina"]), edit_form(name="Omar")).status_code == 404
    stranger = browser()
    stranger.get("/login")
    response = stranger.post(member_path(cast["amina"]), edit_form(name="Stranger"))
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert profile(factory, AMINA) == before
    assert profile(factory, TOMAS)["name"] == "Tomás Mwangi"
    assert audits(factory, "member.edit") == []


# --- The import -----------------------------------------------------------------------------------

def test_an_import_adds_members_to_this_cluster_and_reports_bad_rows(browser, cast, factory):
    grace = browser(GRACE)
    grace.get(LIST)
    text = (f"{HEADER}\n"
            "0722000020,,Neema Auma,fisher,kisumu-fish,sw,Kisumu,omena,false\n"
            "0722000021,,Bad Role,astronaut,kisumu-fish,en,,,\n"
            f"{JUMA},,Juma Otieno,fisher,kisumu-fish,en,Kisumu,omena,false\n")
    response = upload(grace, text)
    assert response.status_code == 200
    assert "Rows not imported" in response.text and "unknown role: astronaut" in response.text
    assert "<td>3</td>" in response.text
    assert profile(factory, "+254722000020")["roles"] == ["fisher"]
    [entry] = audits(factory, "members.import")
    assert entry.actor == f"web:{GRACE}" and entry.details["imported"] == 1
    assert "Neema Auma" in grace.get(LIST).text


@pytest.mark.parametrize("row, reason", [
    ("0722000020,,Neema Auma,fisher,lamu-crafts,sw,,,", "must name this cluster only"),
    ("0722000020,,Neema Auma,fisher,kisumu-fish;lamu-crafts,sw,,,", "must name this cluster only"),
    ("0722000020,,Neema Auma,,,sw,,,", "must name this cluster only"),
    (f"{TOMAS},,Tomas,craftsperson,kisumu-fish,en,,,", "outside this cluster"),
])
@pytest.mark.parametrize("listed", [False, True])
def test_an_import_reaching_outside_the_cluster_imports_nothing(browser, cast, factory, row,
                                                                 reason, listed):
    grace = browser(GRACE)
    grace.get(LIST)
    members_before = count(factory, Member)
    header, end = (f"{HEADER},listed", ",true") if listed else (HEADER, "")
    response = upload(grace, f"{header}\n0722000030,,Good Row,fisher,kisumu-fish,en,,,{end}\n"
                             f"{row}{end}\n")
    assert response.status_code == 400
    assert "Nothing was imported" in response.text and reason in response.text
    assert "<td>3</td>" in response.text
    assert count(factory, Member) == members_before
    assert profile(factory, TOMAS)["name"] == "Tomás Mwangi"


@pytest.mark.parametrize("data, message", [
    ("name,phone\nAmina,0722000040\n".encode(), "cannot be read as a members CSV"),
    (b"", "cannot be read as a members CSV"),
    (f"{HEADER}\n0722000040,,M\xe9lanie,fisher,kisumu-fish,fr,,,\n".encode("latin-1"),
     "not UTF-8"),
    (f'{HEADER}\n0722000040,,Good,fisher,kisumu-fish,en,,,\n0722000041,,"{"x" * 140_000}",'
     'fisher,kisumu-fish,en,,,\n'.encode(), "Line 3 cannot be read as CSV"),
])
def test_an_unreadable_file_imports_nothing(browser, cast, factory, data, message):
    grace = browser(GRACE)
    grace.get(LIST)
    members_before = count(factory, Member)
    response = upload(grace, data)
    assert response.status_code == 400 and message in response.text
    assert count(factory, Member) == members_before


def test_import_refusals_change_nothing(browser, cast, factory):
    members_before = count(factory, Member)
    text = f"{HEADER}\n0722000050,,Refused,fisher,kisumu-fish,en,,,\n"
    ruth = browser(RUTH)
    ruth.get(LIST)
    assert upload(ruth, text).status_code == 403
    grace = browser(GRACE)
    grace.get(LIST)
    assert upload(grace, text, token=False).status_code == 403
    assert upload(grace, text, cluster="lamu-crafts").status_code == 404
    omar = browser(OMAR)
    omar.get("/dashboard/lamu-crafts/members")
    assert upload(omar, text).status_code == 404
    assert count(factory, Member) == members_before and audits(factory, "members.import") == []
