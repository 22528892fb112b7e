"""The clusterbot command: what an operator types, what it prints, what the database holds."""
import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from doubles.server import serve
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member
from sqlalchemy import select

from bot import cli
from bot.app import create_app
from bot.settings import get_settings
from locales.i18n import fold, translate
from storage import clusters, members, products
from storage.console import SHOWN
from storage.db import unit_of_work
from storage.directory import DirectorySearch
from storage.models import AuditEntry, OutboundMessage, utcnow

DATA = Path(__file__).resolve().parent / "data"
HEADER = "phone,telegram_id,name,roles,clusters,language,location,products,opted_out\n"


def audit_actions(factory) -> list[tuple[str, str, dict]]:
    with unit_of_work(factory) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.actor, e.action, e.details) for e in entries]


def find(factory, phone: str | None = None, telegram_id: int | None = None):
    with unit_of_work(factory) as session:
        return members.find(session, phone=phone, telegram_id=telegram_id)


def cluster(factory, slug: str):
    with unit_of_work(factory) as session:
        return clusters.by_slug(session, slug)


def roles_of(member) -> set[tuple[str, str]]:
    return {(m.cluster.slug, m.role) for m in member.memberships}


def members_csv(tmp_path, *rows: str) -> str:
    """The path of a members CSV with the header and the rows."""
    file = tmp_path / "members.csv"
    file.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return str(file)


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_cluster_add_derives_currency_languages_and_timezone_from_country(clusterbot, factory):
    result = clusterbot("cluster", "add", "kisumu-fish", "--name", "Kisumu Fish")

    assert result.exit_code == 0, result.output
    added = cluster(factory, "kisumu-fish")
    assert (added.name, added.country, added.currency, added.timezone) == (
        "Kisumu Fish", "KE", "KES", "Africa/Nairobi")
    assert set(added.languages) == {"en", "sw"}
    assert audit_actions(factory) == [
        ("cli", "cluster.add", {"slug": "kisumu-fish", "name": "Kisumu Fish"})]


def test_cluster_add_takes_given_options(clusterbot, factory):
    result = clusterbot("cluster", "add", "beira-crafts", "--name", "Beira Crafts", "--country",
                        "mz", "--currency", "usd", "--languages", "pt, en", "--timezone", "UTC")

    assert result.exit_code == 0, result.output
    added = cluster(factory, "beira-crafts")
    assert (added.country, added.currency, added.languages, added.timezone) == (
        "MZ", "USD", ["pt", "en"], "UTC")


def test_cluster_add_fails_when_slug_exists(clusterbot, factory, kisumu):
    result = clusterbot("cluster", "add", "kisumu-fish", "--name", "Another")

    assert result.exit_code == 1
    assert result.stderr == "error: cluster kisumu-fish already exists\n"
    assert cluster(factory, "kisumu-fish").name == "Kisumu Fish"


@pytest.mark.parametrize("args", [
    ["Kisumu", "--name", "Kisumu Fish"],
    ["k", "--name", "Kisumu Fish"],
    ["kisumu-fish", "--name", "Kisumu Fish", "--languages", "en,de"],
    ["kisumu-fish", "--name", "Kisumu Fish", "--currency", "KSHS"],
    ["kisumu-fish", "--name", "Kisumu Fish", "--country", "XX"],
    ["kisumu-fish", "--name", "Kisumu Fish", "--timezone", "Lake/Victoria"],
    ["kisumu-fish", "--name", " "],
    ["kisumu-fish"],
])
def test_cluster_add_exits_2_when_argument_is_bad(clusterbot, factory, args):
    result = clusterbot("cluster", "add", *args)

    assert result.exit_code == 2
    assert cluster(factory, "kisumu-fish") is None


def test_coordinator_add_grants_role_by_local_phone_number(clusterbot, factory, kisumu):
    result = clusterbot("coordinator", "add", "0722000003", "--cluster", "kisumu-fish")

    assert result.exit_code == 0, result.output
    assert result.stdout == "+254722000003 is now a coordinator of kisumu-fish.\n"
    grace = find(factory, phone=GRACE)
    assert roles_of(grace) == {("kisumu-fish", "coordinator")}
    assert audit_actions(factory) == [("cli", "coordinator.add",
                                       {"member_id": grace.id, "member": GRACE})]


@pytest.mark.parametrize("address, telegram_id", [
    ("tg:5551234", 5551234),
    ("987654321", 987654321),  # digits that are no phone number in the default region
])
def test_coordinator_add_grants_role_by_telegram_id(clusterbot, factory, kisumu, address,
                                                    telegram_id):
    result = clusterbot("coordinator", "add", address, "--cluster", "kisumu-fish")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"tg:{telegram_id} is now a coordinator of kisumu-fish.\n"
    assert roles_of(find(factory, telegram_id=telegram_id)) == {("kisumu-fish", "coordinator")}
    assert [action for _, action, _ in audit_actions(factory)] == ["coordinator.add"]


def test_coordinator_add_keeps_registered_member_and_audits_once(clusterbot, factory, kisumu, chat):
    grace = chat(GRACE)
    for text in ["LANG en", "JOIN", "Grace", "1", "Kisumu", "tilapia", "1"]:
        grace.send(text)

    clusterbot("coordinator", "add", GRACE, "--cluster", "kisumu-fish")
    again = clusterbot("coordinator", "add", GRACE, "--cluster", "kisumu-fish")

    assert again.stdout == "+254722000003 is already a coordinator of kisumu-fish.\n"
    found = find(factory, phone=GRACE)
    assert found.name == "Grace"
    assert roles_of(found) == {("kisumu-fish", "fisher"), ("kisumu-fish", "coordinator")}
    assert len(audit_actions(factory)) == 1


def test_coordinator_add_fails_when_cluster_is_unknown(clusterbot, factory):
    result = clusterbot("coordinator", "add", GRACE, "--cluster", "nowhere")

    assert result.exit_code == 1
    assert result.stderr == "error: no cluster nowhere\n"
    assert find(factory, phone=GRACE) is None


@pytest.mark.parametrize("address", ["grace", "tg:abc", "+2547"])
def test_coordinator_add_exits_2_when_address_is_not_phone_or_telegram_id(clusterbot, kisumu,
                                                                           address):
    result = clusterbot("coordinator", "add", address, "--cluster", "kisumu-fish")

    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1


def test_chat_registers_member_when_input_is_piped(clusterbot, factory, kisumu):
    typed = "LANG sw\nJOIN\nJuma\n1\nKisumu\nsato, dagaa\n1\n"

    result = clusterbot("chat", "--as", "0722000002", input=typed)

    assert result.exit_code == 0, result.output
    assert "> " not in result.stdout  # no prompts when not a terminal
    replies = result.stdout.split("\n\n")
    assert replies[1] == "Jina lako ni nani?"
    assert replies[2].endswith("1) Mvuvi 2) Mchakataji samaki 3) Fundi 4) Mkulima "
                               "5) Msambazaji chakula 6) Mfanyabiashara 7) Msafirishaji 8) Taasisi")
    assert "Karibu, Juma!" in result.stdout
    export = clusterbot("members", "export")
    assert export.stdout.splitlines()[1] == (
        "+254722000002,,Juma,fisher,kisumu-fish,sw,Kisumu,tilapia;omena,false,")


def test_three_members_register_in_three_languages_and_export_shows_them(clusterbot, kisumu):
    """Juma in Swahili by numbers, Tomás in English by words, Amina in French by words."""
    sessions = {
        JUMA: "JIUNGE\nJuma\n1\nKisumu\nsato, dagaa\n1\n",
        TOMAS: "JOIN\nTomás\ncraftsperson\nMombasa\nbaskets, beads\nyes\n",
        AMINA: "INSCRIRE\nAmina\ntransformatrice de poisson\nKisumu\ntilapia et omena\noui\n",
    }
    for phone, typed in sessions.items():
        result = clusterbot("chat", "--as", phone.replace("+254", "0"), input=typed)
        assert result.exit_code == 0, result.output
    rows = sorted(clusterbot("members", "export").stdout.splitlines()[1:])
    assert rows == [
        "+254722000001,,Amina,fish_processor,kisumu-fish,fr,Kisumu,tilapia;omena,false,",
        "+254722000002,,Juma,fisher,kisumu-fish,sw,Kisumu,tilapia;omena,false,",
        "+254722000004,,Tomás,craftsperson,kisumu-fish,en,Mombasa,baskets;beads,false,",
    ]


def test_chat_presses_buttons_in_telegram_style(clusterbot, factory, kisumu):
    result = clusterbot("chat", "--as", "tg:5551234", "--channel", "telegram",
                        input="LANG en\n/start\nTomás Silva\n#3\n#12\n")

    assert result.exit_code == 0, result.output
    assert "[Fisher]  [Fish processor]  [Craftsperson]" in result.stdout
    assert "Where do you work?" in result.stdout
    assert result.stdout.endswith("(there is no button 12)\n\n")
    with unit_of_work(factory) as session:
        tomas = members.find(session, telegram_id=5551234)
        assert tomas.phone is None


def test_chat_ends_quietly_when_input_is_empty(clusterbot):
    result = clusterbot("chat", "--as", AMINA, input="")

    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_chat_exits_2_when_channel_is_unknown(clusterbot):
    assert clusterbot("chat", "--as", AMINA, "--channel", "fax").exit_code == 2


def test_members_import_reports_bad_rows_and_loads_the_rest(clusterbot, factory, kisumu):
    result = clusterbot("members", "import", str(DATA / "members_mixed.csv"))

    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == [
        "line 3", "line 4", "line 6", "line 7", "line 8", "line 12"]
    assert result.stdout == "imported 3, updated 0, skipped 6\n"
    assert find(factory, phone=JUMA).phone == "+254722000002"
    assert [(actor, action) for actor, action, _ in audit_actions(factory)] == [
        ("cli", "members.import")]


def test_members_import_fails_when_header_is_wrong(clusterbot, factory, tmp_path):
    file = tmp_path / "members.csv"
    file.write_text("phone,name\n0722000002,Juma\n", encoding="utf-8")

    result = clusterbot("members", "import", str(file))

    assert result.exit_code == 1
    assert "header" in result.stderr and len(result.stderr.splitlines()) == 1
    assert audit_actions(factory) == []


def test_members_import_fails_when_file_is_not_utf8(clusterbot, tmp_path):
    file = tmp_path / "members.csv"
    file.write_bytes(b"phone,telegram_id,name,roles,clusters,language,location,products,"
                     b"opted_out\n0722000002,,Tom\xe1s,,,,,,\n")

    result = clusterbot("members", "import", str(file))

    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr


def test_members_import_exits_2_when_file_is_missing(clusterbot, tmp_path):
    assert clusterbot("members", "import", str(tmp_path / "nothing.csv")).exit_code == 2


def test_members_export_writes_file_that_import_reads(clusterbot, factory, kisumu, tmp_path):
    clusterbot("members", "import", str(DATA / "members_mixed.csv"))
    file = tmp_path / "out.csv"

    result = clusterbot("members", "export", str(file))

    assert result.stdout == f"exported 3 members to {file}\n"
    again = clusterbot("members", "import", str(file))
    assert again.stdout == "imported 0, updated 3, skipped 0\n"


def test_members_import_refuses_coordinator_role_by_line_and_grants_nothing(clusterbot, factory,
                                                                           kisumu, tmp_path):
    clusterbot("members", "import", members_csv(tmp_path, f"{GRACE},,Grace,fisher,kisumu-fish,,,,"))

    result = clusterbot("members", "import", members_csv(
        tmp_path,
        f"{AMINA},,Amina,fish_processor,kisumu-fish,,,,",
        f"{GRACE},,Grace Achieng,fisher;coordinator,kisumu-fish,,,,",
        f"{JUMA},,Juma,fisher,kisumu-fish,,,,"))

    assert result.exit_code == 0, result.output
    assert result.stderr == ("line 3: the coordinator role (kisumu-fish) is granted only by "
                             "clusterbot coordinator add, not by an import\n")
    assert result.stdout == "imported 2, updated 0, skipped 1\n"
    grace = find(factory, phone=GRACE)
    assert (grace.name, roles_of(grace)) == ("Grace", {("kisumu-fish", "fisher")})
    assert roles_of(find(factory, phone=AMINA)) == {("kisumu-fish", "fish_processor")}
    assert roles_of(find(factory, phone=JUMA)) == {("kisumu-fish", "fisher")}
    assert "coordinator.add" not in [action for _, action, _ in audit_actions(factory)]


def test_members_import_refuses_coordinator_role_in_cluster_not_yet_coordinated(
        clusterbot, factory, kisumu, tmp_path):
    clusterbot("cluster", "add", "mombasa-crafts", "--name", "Mombasa Crafts")
    clusterbot("coordinator", "add", GRACE, "--cluster", "kisumu-fish")

    result = clusterbot("members", "import", members_csv(
        tmp_path, f"{GRACE},,Grace,coordinator,kisumu-fish;mombasa-crafts,,,,"))

    assert result.stderr == ("line 2: the coordinator role (mombasa-crafts) is granted only by "
                             "clusterbot coordinator add, not by an import\n")
    assert roles_of(find(factory, phone=GRACE)) == {("kisumu-fish", "coordinator")}


def test_members_import_keeps_coordinator_role_when_export_is_imported_again(
        clusterbot, factory, kisumu, tmp_path):
    clusterbot("coordinator", "add", GRACE, "--cluster", "kisumu-fish")
    clusterbot("members", "import", members_csv(tmp_path, f"{GRACE},,Grace,fisher,kisumu-fish,,,,"))
    file = tmp_path / "out.csv"
    clusterbot("members", "export", str(file))
    assert f"{GRACE},,Grace,fisher;coordinator,kisumu-fish," in file.read_text(encoding="utf-8")

    again = clusterbot("members", "import", str(file))

    assert (again.exit_code, again.stderr) == (0, "")
    assert again.stdout == "imported 0, updated 1, skipped 0\n"
    assert roles_of(find(factory, phone=GRACE)) == {
        ("kisumu-fish", "fisher"), ("kisumu-fish", "coordinator")}


def test_members_import_reports_duplicate_phone_on_later_line_when_spelled_twice(
        clusterbot, factory, kisumu, tmp_path):
    result = clusterbot("members", "import", members_csv(
        tmp_path,
        "0722000002,,Juma,fisher,kisumu-fish,,,,",
        f"{AMINA},,Amina,fish_processor,kisumu-fish,,,,",
        "+254722000002,,Juma Otieno,trader,kisumu-fish,,,,"))

    assert result.exit_code == 0, result.output
    assert result.stderr == "line 4: the phone +254722000002 is already on line 2\n"
    assert result.stdout == "imported 2, updated 0, skipped 1\n"
    juma = find(factory, phone=JUMA)
    assert (juma.name, roles_of(juma)) == ("Juma", {("kisumu-fish", "fisher")})


def test_members_import_reports_duplicate_telegram_id_on_later_line(clusterbot, factory, kisumu,
                                                                   tmp_path):
    result = clusterbot("members", "import", members_csv(
        tmp_path, ",5551234,Tomás,,,,,,", f"{TOMAS},5551234,Tomás Silva,,,,,,"))

    assert result.stderr == "line 3: the telegram_id 5551234 is already on line 2\n"
    assert result.stdout == "imported 1, updated 0, skipped 1\n"
    assert find(factory, telegram_id=5551234).phone is None


def test_members_export_guards_cells_typed_as_formulas_and_leaves_phone_as_is(clusterbot, factory,
                                                                             tmp_path):
    clusterbot("members", "import", members_csv(tmp_path, f"{JUMA},,=1+1,,,,@home,,"))
    file = tmp_path / "out.csv"

    clusterbot("members", "export", str(file))

    assert cells(file.read_text(encoding="utf-8"))[1] == [
        JUMA, "", "'=1+1", "", "", "", "'@home", "", "false", ""]
    assert clusterbot("members", "import", str(file)).stdout == "imported 0, updated 1, skipped 0\n"
    juma = find(factory, phone=JUMA)
    assert (juma.name, juma.place_name) == ("=1+1", "@home")


def test_skills_report_csv_guards_need_typed_as_formula(clusterbot, factory, kisumu, chat):
    with unit_of_work(factory) as session:
        add_member(session, JUMA, "fisher", session.merge(kisumu), "en", "Juma")
    chat(JUMA).send('NEED =HYPERLINK("http://x","y")')

    result = clusterbot("skills", "report", "--csv")

    assert result.exit_code == 0, result.output
    rows = cells(result.stdout)
    assert ["kisumu-fish", 'other: =HYPERLINK("http:', "1", "'=HYPERLINK(\"http:"] in rows
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "-", "@"))]


def test_lang_detect_prints_one_code_per_line(clusterbot):
    pytest.importorskip("locales.language")
    lines = ["Habari yako, nataka kuuza samaki leo sokoni",
             "I want to sell fresh fish at the market today",
             "Je voudrais vendre du poisson frais au marché",
             "Eu quero vender peixe fresco no mercado hoje",
             ""]

    result = clusterbot("lang", "detect", input="\n".join(lines) + "\n")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["sw", "en", "fr", "pt", "und"]


def test_lang_detect_exits_2_when_language_is_not_shipped(clusterbot):
    assert clusterbot("lang", "detect", "--languages", "en,de", input="hello\n").exit_code == 2


def test_run_serves_the_app_on_default_address(clusterbot, monkeypatch):
    served = {}
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, host, port, **options: served.update(
        app=app, host=host, port=port))

    result = clusterbot("run", "--polling")

    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 8080)
    assert "Telegram is off" in result.stderr


def test_db_upgrade_seeds_once_when_run_twice(clusterbot, factory):
    with unit_of_work(factory) as session:
        before = len(products.all_names(session))

    assert clusterbot("db", "upgrade").exit_code == 0
    assert clusterbot("db", "upgrade").exit_code == 0

    with unit_of_work(factory) as session:
        assert len(products.all_names(session)) == before


def test_first_command_creates_sqlite_database(clusterbot, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    monkeypatch.setenv("CLUSTERBOT_DATABASE_URL", url)
    get_settings.cache_clear()

    added = clusterbot("cluster", "add", "kisumu-fish", "--name", "Kisumu Fish")
    joined = clusterbot("chat", "--as", AMINA, input="HELP\n")

    assert (added.exit_code, joined.exit_code) == (0, 0)
    assert joined.stdout.strip()


def test_command_fails_in_one_line_when_database_is_unreachable(clusterbot, monkeypatch):
    monkeypatch.setenv("CLUSTERBOT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    get_settings.cache_clear()

    result = clusterbot("coordinator", "add", GRACE, "--cluster", "kisumu-fish")

    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")


def test_places_add_makes_a_beach_members_are_matched_to(clusterbot, factory, kisumu, chat):
    result = clusterbot("places", "add", "kisumu-fish", "Dunga  Beach", "--lat", "-0.1446",
                        "--lon", "34.7369")
    assert result.exit_code == 0, result.output
    assert result.output == "Place added to kisumu-fish: Dunga Beach at -0.14460, 34.73690.\n"
    assert audit_actions(factory)[-1][:2] == ("cli", "place.add")
    listed = clusterbot("places", "list", "kisumu-fish").output
    assert listed == "Dunga Beach: -0.14460, 34.73690 (own)\n"
    assert "\nKisumu: -0.1" in clusterbot("places", "list", "kisumu-fish", "--all").output
    chat(JUMA).send("JIUNGE")
    for answer in ["Juma", "1", "dunga beach", "tilapia", "NDIYO"]:
        chat(JUMA).send(answer)
    with unit_of_work(factory) as session:
        juma = members.find(session, phone=JUMA)
        assert (juma.place_name, juma.place.latitude) == ("Dunga Beach", -0.1446)


@pytest.mark.parametrize("args, reason", [
    (["nowhere", "Dunga"], "error: no cluster nowhere"),
    (["kisumu-fish", "Dunga", "--lat", "1"], "error: give both --lat and --lon, or neither"),
    (["kisumu-fish", "Dunga", "--lat", "91", "--lon", "34"],
     "error: --lat must be within -90..90 and --lon within -180..180"),
    (["kisumu-fish", " "], "error: the name must be 1-200 characters"),
])
def test_places_add_refuses_bad_input_and_writes_nothing(clusterbot, factory, kisumu, args,
                                                          reason):
    result = clusterbot("places", "add", *args)
    assert result.exit_code in (1, 2) and result.output.strip().endswith(reason)
    assert "no places of its own" in clusterbot("places", "list", "kisumu-fish").output


def test_places_add_twice_says_it_exists(clusterbot, kisumu):
    assert clusterbot("places", "add", "kisumu-fish", "Dunga Beach").exit_code == 0
    again = clusterbot("places", "add", "kisumu-fish", "Dunga Beach")
    assert again.exit_code == 1
    assert again.output.strip() == "error: kisumu-fish already has a place named Dunga Beach"


# The quick start's cluster, and clusters as operators keep them.

@pytest.fixture
def network(factory, kisumu):
    """Grace coordinates Kisumu Fish; Juma fishes there (Swahili); Tomás trades (Portuguese);
    Kisumu Fish has a beach of its own."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        add_member(session, GRACE, "trader", kisumu, "en", "Grace", coordinator=True)
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma")
        add_member(session, TOMAS, "trader", kisumu, "pt", "Tomás")
        clusters.add_place(session, country="KE", name="Dunga Beach", cluster_id=kisumu.id)
    return factory


def test_first_join_before_any_cluster_makes_main_and_tells_the_operator(clusterbot, factory,
                                                                        caplog):
    result = clusterbot("chat", "--as", JUMA, input="JIUNGE\n")

    assert result.exit_code == 0, result.output
    assert (cluster(factory, "main").name, cluster(factory, "main").country) == (
        "Cluster network", "KE")
    assert audit_actions(factory) == [
        ("quick start", "cluster.add", {"slug": "main", "name": "Cluster network"})]
    assert "clusterbot cluster rename main --name" in caplog.text


def test_run_says_the_first_member_to_join_makes_cluster_main(clusterbot, factory, monkeypatch):
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, host, port, **options: None)

    before = clusterbot("run")
    clusterbot("chat", "--as", JUMA, input="JIUNGE\n")
    after = clusterbot("run")

    assert "No cluster network yet: the first member to join creates cluster main" in before.stderr
    assert "Cluster main (Cluster network) was created when a first member joined" in after.stderr
    assert "clusterbot cluster rename main --name NAME" in after.stderr


def test_cluster_list_shows_each_cluster_with_its_members(clusterbot, network):
    clusterbot("cluster", "add", "lamu-crafts", "--name", "Lamu Crafts", "--languages", "en")

    result = clusterbot("cluster", "list")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "slug         name         country  currency  languages  members",
        "kisumu-fish  Kisumu Fish  KE       KES       sw,en            3",
        "lamu-crafts  Lamu Crafts  KE       KES       en               0",
    ]


def test_cluster_list_says_how_to_start_when_there_is_none(clusterbot):
    result = clusterbot("cluster", "list")

    assert result.exit_code == 0
    assert result.stdout.startswith("No cluster network yet")


def test_cluster_rename_changes_what_joining_members_see(clusterbot, factory, chat):
    chat(JUMA).send("JIUNGE")  # the quick start makes `main`

    result = clusterbot("cluster", "rename", "main", "--name", "Kisumu Fish", "--slug",
                        "kisumu-fish")

    assert result.exit_code == 0, result.output
    assert result.stdout == ("Cluster main renamed: name Cluster network -> Kisumu Fish; "
                             "slug main -> kisumu-fish.\n")
    assert cluster(factory, "main") is None
    assert cluster(factory, "kisumu-fish").name == "Kisumu Fish"
    assert audit_actions(factory)[-1] == ("cli", "cluster.rename", {
        "name": ["Cluster network", "Kisumu Fish"], "slug": ["main", "kisumu-fish"]})
    for answer in ["Juma", "1", "Kisumu", "dagaa"]:
        chat(JUMA).send(answer)
    assert "Kisumu Fish" in chat(JUMA).send("1")[0]  # the summary to confirm
    assert "No cluster network yet" not in clusterbot("cluster", "list").stdout


@pytest.mark.parametrize("args, code, reason", [
    (["nowhere", "--name", "X"], 1, "error: no cluster nowhere"),
    (["kisumu-fish", "--slug", "lamu-crafts"], 1, "error: cluster lamu-crafts already exists"),
    (["kisumu-fish"], 2, "error: give --name, --slug or both"),
    (["kisumu-fish", "--slug", "Kisumu Fish"], 2,
     "error: the slug must be 2-64 of a-z, 0-9 and -: Kisumu Fish"),
    (["kisumu-fish", "--name", " "], 2, "error: the name must be 1-200 characters"),
])
def test_cluster_rename_refuses_and_changes_nothing(clusterbot, factory, kisumu, args, code,
                                                    reason):
    clusterbot("cluster", "add", "lamu-crafts", "--name", "Lamu Crafts")

    result = clusterbot("cluster", "rename", *args)

    assert (result.exit_code, result.stderr) == (code, reason + "\n")
    assert cluster(factory, "kisumu-fish").name == "Kisumu Fish"
    assert [action for _, action, _ in audit_actions(factory)] == ["cluster.add"]


def test_cluster_remove_refuses_cluster_with_members_unless_forced(clusterbot, network):
    refused = clusterbot("cluster", "remove", "kisumu-fish")

    assert refused.exit_code == 1
    assert refused.stderr == ("error: cluster kisumu-fish has 3 member(s); --force removes it "
                              "with their memberships (the members stay, without it)\n")
    assert cluster(network, "kisumu-fish") is not None

    forced = clusterbot("cluster", "remove", "kisumu-fish", "--force")

    assert forced.exit_code == 0, forced.output
    assert forced.stdout.splitlines()[0] == (
        "Cluster kisumu-fish (Kisumu Fish) removed, with memberships 4, places 1; its 3 "
        "member(s) stay, without it.")
    assert "No cluster network yet" in forced.stdout
    assert cluster(network, "kisumu-fish") is None
    juma = find(network, phone=JUMA)
    assert (juma.name, roles_of(juma)) == ("Juma", set())
    assert audit_actions(network)[-1] == ("cli", "cluster.remove", {
        "slug": "kisumu-fish", "name": "Kisumu Fish", "members": 3,
        "removed": {"memberships": 4, "places": 1}})


def test_cluster_remove_drops_questions_about_it_and_cancels_its_broadcasts(clusterbot, network,
                                                                           chat):
    clusterbot("cluster", "add", "lamu-crafts", "--name", "Lamu Crafts")
    clusterbot("broadcast", "--cluster", "kisumu-fish", "--at", "2099-01-01T08:00", "Later")
    chat(GRACE).send("BROADCAST Boats out at dawn")  # asks to confirm

    result = clusterbot("cluster", "remove", "kisumu-fish", "--force")

    assert "scheduled broadcasts 1, conversations 1" in result.stdout
    assert "No cluster network yet" not in result.stdout
    assert "Boats out" not in " ".join(chat(GRACE).send("1"))
    assert [m.text for m in outbox_rows(network) if m.kind == "broadcast"] == []


def test_cluster_remove_fails_when_cluster_is_unknown(clusterbot):
    result = clusterbot("cluster", "remove", "nowhere")

    assert (result.exit_code, result.stderr) == (1, "error: no cluster nowhere\n")


def test_coordinator_remove_takes_the_role_and_audits_it(clusterbot, network, chat):
    chat(GRACE).send("BROADCAST Boats out at dawn")  # asks to confirm

    result = clusterbot("coordinator", "remove", "0722000003", "--cluster", "kisumu-fish")

    assert result.exit_code == 0, result.output
    assert result.stdout == "+254722000003 is no longer a coordinator of kisumu-fish.\n"
    grace = find(network, phone=GRACE)
    assert roles_of(grace) == {("kisumu-fish", "trader")}
    assert audit_actions(network)[-1] == ("cli", "coordinator.remove",
                                          {"member_id": grace.id, "member": GRACE})
    chat(GRACE).send("1")  # the question was dropped: no broadcast is confirmed
    assert [m for m in outbox_rows(network) if m.kind == "broadcast"] == []
    assert chat(GRACE).send("BROADCAST Free fuel") == [
        translate("en", "Sorry, only a coordinator of that cluster can do this.")]


@pytest.mark.parametrize("address, cluster_slug, code, reason", [
    (JUMA, "kisumu-fish", 1, "error: +254722000002 is not a coordinator of kisumu-fish"),
    ("0722000009", "kisumu-fish", 1, "error: +254722000009 is not a coordinator of kisumu-fish"),
    (GRACE, "nowhere", 1, "error: no cluster nowhere"),
    ("grace", "kisumu-fish", 2,
     "error: not a phone number or a Telegram id (tg:123456): grace"),
])
def test_coordinator_remove_refuses_and_changes_nothing(clusterbot, network, address,
                                                        cluster_slug, code, reason):
    result = clusterbot("coordinator", "remove", address, "--cluster", cluster_slug)

    assert (result.exit_code, result.stderr) == (code, reason + "\n")
    assert ("kisumu-fish", "coordinator") in roles_of(find(network, phone=GRACE))
    assert find(network, phone="+254722000009") is None
    assert audit_actions(network) == []


# Broadcasts from the command line: who sends them, and how the command ends.

def test_broadcast_help_says_the_running_server_sends_it_and_documents_wait(clusterbot):
    result = clusterbot("broadcast", "--help")

    assert "clusterbot run" in result.stdout
    assert "--wait" in result.stdout and "--fallback" in result.stdout


def test_broadcast_exits_1_when_messages_are_still_queued_after_the_wait(clusterbot, network):
    result = clusterbot("broadcast", "--cluster", "kisumu-fish", "--wait", "1", "Boats out")

    assert result.exit_code == 1
    assert "The running server (clusterbot run) sends it" in result.stdout
    assert result.stdout.endswith("sent 0, delivered 0, failed 0, still queued 3\n")
    assert result.stderr.splitlines()[-1] == (
        "error: 3 of 3 messages still queued after 1 s: the running server (clusterbot run) "
        "sends them")
    assert {m.status for m in outbox_rows(network)} == {"queued"}


def test_broadcast_with_wait_0_queues_and_returns(clusterbot, network):
    result = clusterbot("broadcast", "--cluster", "kisumu-fish", "--wait", "0", "Boats out")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith(": 3 members. The running server (clusterbot run) sends it.\n")
    assert len(outbox_rows(network)) == 3


def test_broadcast_exits_1_when_messages_failed(clusterbot, network, settings):
    """The server runs but no channel is configured: its dispatcher can deliver nothing."""
    with serve(create_app(settings)):
        result = clusterbot("broadcast", "--cluster", "kisumu-fish", "--wait", "20", "Boats out")

    assert result.exit_code == 1
    assert result.stdout.endswith("sent 0, delivered 0, failed 3\n")
    assert result.stderr.splitlines()[-1] == "error: 3 of 3 messages failed"


def test_broadcast_gives_members_with_no_text_of_theirs_english(clusterbot, network):
    """Tomás reads Portuguese: English is likelier to reach him than the cluster's Swahili."""
    result = clusterbot("broadcast", "--cluster", "kisumu-fish", "--wait", "0",
                        "--translation", "en=Boats out at dawn", "Boti zinaondoka alfajiri")

    assert result.exit_code == 0, result.output
    assert texts_by_address(network) == {JUMA: "Boti zinaondoka alfajiri",
                                         GRACE: "Boats out at dawn", TOMAS: "Boats out at dawn"}


def test_broadcast_fallback_gives_members_with_no_text_of_theirs_the_one_chosen(clusterbot,
                                                                                network):
    result = clusterbot("broadcast", "--cluster", "kisumu-fish", "--wait", "0", "--fallback",
                        "sw", "--translation", "en=Boats out at dawn", "Boti zinaondoka alfajiri")

    assert result.exit_code == 0, result.output
    assert texts_by_address(network)[TOMAS] == "Boti zinaondoka alfajiri"


def test_broadcast_is_audited_with_the_members_it_went_to_or_when_it_goes(clusterbot, network):
    clusterbot("broadcast", "--cluster", "kisumu-fish", "--wait", "0", "Boats out")
    later = clusterbot("broadcast", "--cluster", "kisumu-fish", "--at", "2099-01-01T08:00",
                       "Market day")

    assert later.stdout.endswith(" scheduled for 2099-01-01T05:00:00+00:00: the running server "
                                 "(clusterbot run) sends it then.\n")
    sent = [(actor, {k: v for k, v in details.items() if k != "broadcast_id"})
            for actor, action, details in audit_actions(network) if action == "broadcast.send"]
    assert sent == [("cli", {"members": 3}), ("cli", {"scheduled": "2099-01-01T05:00:00+00:00"})]


@pytest.mark.parametrize("fallback", ["fr", "de", ""])
def test_broadcast_fallback_must_be_a_language_the_broadcast_has(clusterbot, network, fallback):
    result = clusterbot("broadcast", "--cluster", "kisumu-fish", "--wait", "0", "--fallback",
                        fallback, "--translation", "en=Boats out at dawn", "Boti zinaondoka")

    assert result.exit_code == 2
    assert result.stderr == "error: --fallback must be a language the broadcast has: sw,en\n"
    assert outbox_rows(network) == []


# The terminal shows what other phones received while nothing can leave the machine.

def test_chat_shows_what_other_phones_received_when_no_channel_is_configured(clusterbot,
                                                                             network):
    result = clusterbot("chat", "--as", GRACE, input="BROADCAST Boats out at dawn\n1\n")

    assert result.exit_code == 0, result.output
    replies = result.stdout.split("\n\n")
    assert replies[1].startswith("Sending to 3 members.")
    assert set(replies[2:5]) == {f"[to {JUMA}] Boats out at dawn",
                                 f"[to {TOMAS}] Boats out at dawn",
                                 f"[to {GRACE}] Boats out at dawn"}
    shown = [m for m in outbox_rows(network) if m.kind == "broadcast"]
    assert {(m.channel, m.status, m.error) for m in shown} == {("sms", "delivered", SHOWN)}


def test_chat_leaves_messages_to_phones_queued_when_a_channel_is_configured(clusterbot,
                                                                            network,
                                                                            monkeypatch):
    monkeypatch.setenv("CLUSTERBOT_TELEGRAM_TOKEN", "123:abc")
    get_settings.cache_clear()

    result = clusterbot("chat", "--as", GRACE, input="BROADCAST Boats out at dawn\n1\n")

    assert result.exit_code == 0, result.output
    assert "[to " not in result.stdout
    assert {m.status for m in outbox_rows(network) if m.kind == "broadcast"} == {"queued"}


def outbox_rows(factory):
    with unit_of_work(factory) as session:
        rows = list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
        session.expunge_all()
        return rows


def texts_by_address(factory) -> dict[str, str]:
    return {m.address: m.text for m in outbox_rows(factory) if m.kind == "broadcast"}


# --- The directory: institutions and misses ------------------------------------------------------

INSTITUTIONS = "name,category,services,place,phone,website,languages,verified\n"


def test_institutions_import_prints_counts_and_each_bad_row_by_line(clusterbot, factory, kisumu,
                                                                    tmp_path):
    file = tmp_path / "institutions.csv"
    file.write_text(INSTITUTIONS + "Kisumu Ice Plant,ice,ice blocks,Kisumu,0722111222,,sw,yes\n"
                    "Nowhere Bank,banks,,,,,,\n"
                    "Lake Microfinance,microfinance,loans,,,https://lakemf.example.org,,no\n",
                    encoding="utf-8")

    result = clusterbot("institutions", "import", str(file), "--cluster", "kisumu-fish")

    assert result.exit_code == 0, result.output
    assert result.stdout == "added 2, updated 0, unchanged 0, skipped 1\n"
    assert result.stderr == "line 3: phone: Give a phone number or a website\n"
    again = clusterbot("institutions", "import", str(file), "--cluster", "kisumu-fish")
    assert again.stdout == "added 0, updated 0, unchanged 2, skipped 1\n"
    assert [(actor, action) for actor, action, _ in audit_actions(factory)][:3] == [
        ("cli", "institution.add"), ("cli", "institution.add"), ("cli", "institutions.import")]


@pytest.mark.parametrize("args, text, reason", [
    (["--cluster", "lamu-crafts"], INSTITUTIONS, "error: no cluster lamu-crafts\n"),
    (["--cluster", "kisumu-fish"], "name,phone\nKisumu Ice Plant,0722111222\n",
     "the header must be name,category,services,place,phone,website,languages,verified\n"),
])
def test_institutions_import_fails_when_cluster_or_header_is_wrong(clusterbot, factory, kisumu,
                                                                   tmp_path, args, text, reason):
    file = tmp_path / "institutions.csv"
    file.write_text(text, encoding="utf-8")

    result = clusterbot("institutions", "import", str(file), *args)

    assert result.exit_code == 1 and result.stderr.endswith(reason)
    assert len(result.stderr.splitlines()) == 1
    assert [action for _, action, _ in audit_actions(factory)] == []


def add_searches(factory, cluster_slug: str, *searches: tuple[str, bool, int]) -> None:
    """FIND searches of Amina's, each (what she typed, whether it found, days ago)."""
    with unit_of_work(factory) as session:
        network = clusters.by_slug(session, cluster_slug)
        amina = members.find(session, phone=AMINA) or add_member(
            session, AMINA, "fish_processor", network, "en", "Amina")
        session.flush()
        for query, found, days in searches:
            session.add(DirectorySearch(
                member_id=amina.id, cluster_id=network.id, query=query,
                folded=" ".join(fold(query).split()), found=found,
                created_at=utcnow() - timedelta(days=days)))


def test_directory_misses_prints_what_was_not_found_most_asked_first(clusterbot, factory, kisumu):
    with unit_of_work(factory) as session:
        clusters.add(session, slug="mombasa-crafts", name="Mombasa Crafts", currency="KES",
                     country="KE", languages=["sw", "en"], timezone="Africa/Nairobi")
    add_searches(factory, "kisumu-fish", ("Ice Kisumu", False, 40), ("boat engine", False, 9),
                 ("ICE  kisumu", False, 3), ("omena", True, 2), ("ice kisumu", False, 1))
    add_searches(factory, "mombasa-crafts", ("beads", False, 1))

    result = clusterbot("directory", "misses", "--cluster", "kisumu-fish")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["times", "last", "looked", "for"]
    assert [line.split(None, 2)[::2] for line in lines[1:]] == [
        ["3", "Ice Kisumu"], ["1", "boat engine"]]  # as first written
    recent = clusterbot("directory", "misses", "--cluster", "kisumu-fish", "--days", "7")
    assert [line.split(None, 2)[::2] for line in recent.stdout.splitlines()[1:]] == [
        ["2", "ICE  kisumu"]]
    assert clusterbot("directory", "misses", "--cluster", "kisumu-fish",
                      "--days", "0").exit_code == 2


def test_directory_misses_says_when_there_are_none(clusterbot, factory, kisumu):
    add_searches(factory, "kisumu-fish", ("omena", True, 1), ("tilapia", False, 30))

    result = clusterbot("directory", "misses", "--cluster", "kisumu-fish", "--days", "7")

    assert (result.exit_code, result.stdout) == (0, "No misses in the last 7 days.\n")
    assert clusterbot("directory", "misses", "--cluster", "lamu").exit_code == 1
