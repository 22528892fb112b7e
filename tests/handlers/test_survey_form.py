"""Reading an XLSForm: the fish losses questionnaire field by field, groups and languages, and
each form the bot refuses, with the sheet, row and reason a researcher reads."""
from pathlib import Path

import pytest

from handlers.budget import count_segments
from handlers.surveys.form import Form, FormRefused, Option, Question, read_form
from tests.surveyforms import CHOICES_HEADER, FISH_LOSSES_CHOICES, fish_losses, row, write_form

ROOT = Path(__file__).resolve().parent.parent.parent
YES_NO = (Option("yes", {"en": "Yes", "sw": "Ndiyo"}), Option("no", {"en": "No", "sw": "Hapana"}))
FISH_LOSSES = (
    Question("intro", "note", 2, labels={
        "en": "Thank you for helping the study of fish losses.",
        "sw": "Asante kwa kusaidia utafiti wa upotevu wa samaki."}),
    Question("uses_ice", "select_one", 3, labels={
        "en": "Do you keep your fish on ice?",
        "sw": "Je, unahifadhi samaki wako kwenye barafu?"}, options=YES_NO, required=True),
    Question("why_no_ice", "select_multiple", 4, labels={
        "en": "Why not? Choose all that apply.", "sw": "Kwa nini? Chagua zote zinazohusika."},
        options=(Option("cost", {"en": "Ice costs too much", "sw": "Barafu ni ghali"}),
                 Option("far", {"en": "No ice nearby", "sw": "Hakuna barafu karibu"}),
                 Option("no_need", {"en": "Not needed", "sw": "Haihitajiki"})),
        relevant="${uses_ice} = 'no'"),
    Question("loss_kg", "integer", 5, labels={
        "en": "How many kg of fish did you lose last week?",
        "sw": "Ulipoteza kilo ngapi za samaki wiki iliyopita?"}, required=True,
        constraint=". >= 0 and . <= 1000", constraint_messages={
            "en": "Write a number of kg from 0 to 1000.",
            "sw": "Andika idadi ya kilo kati ya 0 na 1000."}),
    Question("price_kg", "decimal", 6, labels={
        "en": "What price per kg did you get last week?",
        "sw": "Ulipata bei gani kwa kilo wiki iliyopita?"},
        hints={"en": "In shillings.", "sw": "Kwa shilingi."}, constraint=". > 0",
        constraint_messages={"en": "A price above 0, please.", "sw": "Bei zaidi ya 0, tafadhali."}),
    Question("last_trip", "date", 7, labels={
        "en": "When did you last go out fishing?", "sw": "Ulienda kuvua mara ya mwisho lini?"},
        constraint=". <= today()", constraint_messages={
            "en": "That date has not come yet.", "sw": "Tarehe hiyo bado haijafika."}),
    Question("storage", "select_one", 8, labels={
        "en": "Where do you keep the catch before selling?",
        "sw": "Unahifadhi samaki wapi kabla ya kuuza?"},
        options=(Option("boat", {"en": "In the boat", "sw": "Ndani ya mashua"}),
                 Option("shade", {"en": "In the shade", "sw": "Kivulini"}),
                 Option("cold_room", {"en": "Cold room", "sw": "Chumba baridi"})),
        relevant="${loss_kg} > 50"),
    Question("loss_level", "calculate", 9, calculation="if(${loss_kg} > 100, 'high', 'low')"),
    Question("idea", "text", 10, labels={
        "en": "What would help you lose less fish?",
        "sw": "Nini kingekusaidia kupoteza samaki wachache?"}),
)


@pytest.fixture
def form(tmp_path) -> Form:
    return read_form(fish_losses(tmp_path / "fish_losses.xlsx"))


def refusal(tmp_path, survey, choices=FISH_LOSSES_CHOICES, settings=None, **headers) -> FormRefused:
    path = write_form(tmp_path / "form.xlsx", survey, choices, settings, **headers)
    with pytest.raises(FormRefused) as refused:
        read_form(path)
    return refused.value


# --- The fish losses questionnaire --------------------------------------------------------------

@pytest.mark.parametrize("expected", FISH_LOSSES, ids=lambda q: q.name)
def test_fish_losses_question_read_field_by_field(form, expected):
    question = form.question(expected.name)
    assert question.kind == expected.kind
    assert question.row == expected.row
    assert question.labels == expected.labels
    assert question.hints == expected.hints
    assert question.options == expected.options
    assert question.required is expected.required
    assert question.required_messages == expected.required_messages
    assert question.relevant == expected.relevant
    assert question.constraint == expected.constraint
    assert question.constraint_messages == expected.constraint_messages
    assert question.calculation == expected.calculation
    assert question == expected


def test_fish_losses_form_has_its_settings_and_no_metadata(form):
    assert [q.name for q in form.questions] == [q.name for q in FISH_LOSSES]  # no meta/instanceID
    assert form.title == "Fish losses after the catch"
    assert form.form_id == "fish_losses"
    assert form.version == "2026-12"
    assert form.default_language == "en"
    assert form.languages == ("en", "sw")
    assert form.purpose == {
        "en": "The University of Nairobi studies fish losses to plan cold storage.",
        "sw": "Chuo Kikuu cha Nairobi kinachunguza upotevu wa samaki ili kupanga hifadhi baridi."}


def test_fish_losses_form_comes_back_from_its_json(form):
    assert Form.from_json(form.to_json()) == form


def test_researchers_guide_example_is_the_test_form(form):
    assert read_form(ROOT / "docs" / "examples" / "fish_losses.xlsx") == form


def test_prompt_is_label_hint_and_choice_labels_in_the_language(form):
    assert form.prompt(form.question("price_kg"), "sw") == (
        "Ulipata bei gani kwa kilo wiki iliyopita?\nKwa shilingi.", [])
    assert form.prompt(form.question("uses_ice"), "en") == (
        "Do you keep your fish on ice?", ["Yes", "No"])
    # A language the form does not have: its default language.
    assert form.prompt(form.question("uses_ice"), "fr") == (
        "Do you keep your fish on ice?", ["Yes", "No"])


def test_prompt_shows_earlier_answers_named_in_a_label(tmp_path):
    form = read_form(write_form(tmp_path / "form.xlsx", [
        row("integer", "loss_kg", "Kg lost?", "Kilo ngapi?"),
        row("select_multiple storage", "storage", "Where?", "Wapi?"),
        row("text", "why", "You lost ${loss_kg} kg, kept ${storage}. Why?",
            "Ulipoteza kilo ${loss_kg}, ${storage}. Kwa nini?")], FISH_LOSSES_CHOICES))
    answers = {"loss_kg": "120", "storage": "boat cold_room"}
    assert form.prompt(form.question("why"), "en", answers) == (
        "You lost 120 kg, kept In the boat, Cold room. Why?", [])
    assert form.prompt(form.question("why"), "sw", answers) == (
        "Ulipoteza kilo 120, Ndani ya mashua, Chumba baridi. Kwa nini?", [])
    assert form.prompt(form.question("why"), "en", {}) == ("You lost  kg, kept . Why?", [])
    # The SMS budget is checked with each answer as long as it may be.
    assert form.prompt(form.question("why"), "en", worst=True) == (
        "You lost xxxxxxxxxx kg, kept In the boat, In the shade, Cold room. Why?", [])


# --- Groups, metadata, languages ----------------------------------------------------------------

def test_groups_are_flattened_and_their_relevant_joined(tmp_path):
    path = write_form(tmp_path / "form.xlsx", [
        row("start", "start"), row("deviceid", "deviceid"), row("today", "today"),
        row("select_one yes_no", "sells", "Do you sell fish?", required="yes"),
        row("begin_group", "selling", "Selling", relevant="${sells} = 'yes'"),
        row("integer", "buyers", "How many buyers?"),
        row("begin group", "prices", "Prices", relevant="${buyers} > 2"),
        row("decimal", "price", "Best price?", relevant="${price} != 0 or ${buyers} > 5"),
        row("end group", ""),
        row("end_group", "selling"),
        row("text", "idea", "An idea?"),
        row("end", "end"),
    ], FISH_LOSSES_CHOICES)
    form = read_form(path)
    assert [(q.name, q.row, q.relevant) for q in form.questions] == [
        ("sells", 5, None),
        ("buyers", 7, "${sells} = 'yes'"),
        ("price", 9, "((${sells} = 'yes') and (${buyers} > 2)) and "
                     "(${price} != 0 or ${buyers} > 5)"),
        ("idea", 12, None),
    ]


def test_label_without_language_is_in_the_default_language(tmp_path):
    header = ["type", "name", "label", "label::Swahili (sw)", "hint", "required",
              "constraint_message", "required_message"]
    path = write_form(tmp_path / "form.xlsx", [
        ["integer", "boats", "How many boats?", "Mashua ngapi?", "Count yours only.", "true()",
         "A number, please.", "We need this one."],
    ], [], {"form_title": "Boats", "default_language": "French"}, survey_header=header)
    form = read_form(path)
    question = form.question("boats")
    assert form.default_language == "fr"
    assert form.languages == ("fr", "sw")
    assert question.labels == {"fr": "How many boats?", "sw": "Mashua ngapi?"}
    assert question.hints == {"fr": "Count yours only."}
    assert question.required is True
    assert question.constraint_messages == {"fr": "A number, please."}
    assert question.required_messages == {"fr": "We need this one."}


def test_well_known_language_names_without_code(tmp_path):
    header = ["type", "name", "label::English", "label::Kiswahili", "label::Português",
              "label::fr"]
    path = write_form(tmp_path / "form.xlsx", [["text", "idea", "Idea?", "Wazo?", "Ideia?",
                                                "Idée ?"]], survey_header=header)
    form = read_form(path)
    assert form.default_language == "en"
    assert form.question("idea").labels == {"en": "Idea?", "sw": "Wazo?", "pt": "Ideia?",
                                            "fr": "Idée ?"}
    assert form.languages == ("en", "sw", "pt", "fr")


def test_form_without_english_defaults_to_its_first_language(tmp_path):
    header = ["type", "name", "label::Swahili (sw)", "label::French (fr)"]
    form = read_form(write_form(tmp_path / "form.xlsx", [["text", "idea", "Wazo?", "Idée ?"]],
                                survey_header=header))
    assert (form.default_language, form.languages) == ("sw", ("sw", "fr"))


@pytest.mark.parametrize("written, required", [
    ("yes", True), ("Yes", True), ("TRUE", True), ("true()", True), ("no", False), ("", False),
    ("false()", False)])
def test_required_is_read_as_xlsform_writes_it(tmp_path, written, required):
    form = read_form(write_form(tmp_path / "form.xlsx", [
        row("text", "idea", "Idea?", required=written)]))
    assert form.question("idea").required is required


# --- Refusals -----------------------------------------------------------------------------------

SERVED_FIRST = row("integer", "boats", "How many boats?")


@pytest.mark.parametrize("rows, where, reason", [
    pytest.param([SERVED_FIRST, row("begin_repeat", "catch", "Each catch"),
                  row("integer", "kg", "Kg?"), row("end_repeat", "")],
                 ("survey", 3), "begin_repeat: a group that repeats", id="repeat"),
    pytest.param([SERVED_FIRST, row("begin_group", "g", "G"), row("begin_repeat", "r", "R"),
                  row("text", "t", "T"), row("end_repeat", ""), row("end_group", "")],
                 ("survey", 4), "a group that repeats", id="repeat-in-group"),
    pytest.param([SERVED_FIRST, row("geopoint", "where", "Where are you?")],
                 ("survey", 3), "geopoint: GPS locations cannot be taken by SMS", id="geopoint"),
    pytest.param([SERVED_FIRST, row("image", "photo", "A photo of the catch")],
                 ("survey", 3), "image: pictures, sound, video and files", id="image"),
    pytest.param([row("audio", "voice", "Say it")], ("survey", 2), "audio: pictures", id="audio"),
    pytest.param([row("video", "v", "Film it")], ("survey", 2), "video: pictures", id="video"),
    pytest.param([row("file", "f", "Send it")], ("survey", 2), "file: pictures", id="file"),
    pytest.param([row("geotrace", "g", "Walk it")], ("survey", 2), "geotrace: GPS",
                 id="geotrace"),
    pytest.param([row("barcode", "b", "Scan")], ("survey", 2), "barcode", id="barcode"),
    pytest.param([row("range", "r", "How good?")], ("survey", 2), "range is a slider",
                 id="range"),
    pytest.param([row("time", "t", "When?")], ("survey", 2), "times are not served", id="time"),
    pytest.param([row("dateTime", "t", "When?")], ("survey", 2), "date-times", id="dateTime"),
    pytest.param([row("rank storage", "r", "Rank")], ("survey", 2), "ranking", id="rank"),
    pytest.param([row("acknowledge", "ok", "OK?")], ("survey", 2), "acknowledge",
                 id="acknowledge"),
    pytest.param([row("hidden", "h", "H")], ("survey", 2), "the type 'hidden' is not served",
                 id="unknown-type"),
    pytest.param([row("select_one_from_file boats.csv", "boat", "Which boat?")],
                 ("survey", 2), "choices from a file", id="from-file"),
    pytest.param([SERVED_FIRST, row("select_one storage or_other", "s", "Where?")],
                 ("survey", 3), "or_other is not served", id="or_other"),
    pytest.param([SERVED_FIRST, row("calculate", "price", calculation="pulldata('p', 'x')")],
                 ("survey", 3), "calculation \"pulldata('p', 'x')\": the function pulldata() "
                                "cannot be evaluated", id="pulldata"),
    pytest.param([SERVED_FIRST, row("text", "t", "T", relevant="${boat} > 1")],
                 ("survey", 3), "the 'relevant' value is invalid. Reference variables must "
                                "contain a name from the 'survey' sheet. Could not find the name "
                                "'boat'.", id="relevant-names-nothing"),
    pytest.param([row("begin_group", "g", "G", relevant="${nobody} = 1"), SERVED_FIRST,
                  row("end_group", "")],
                 ("survey", 2), "Could not find the name 'nobody'", id="group-relevant"),
    pytest.param([row("today", "today"), SERVED_FIRST,
                  row("date", "d", "When?", constraint=". <= ${today}")],
                 ("survey", 4), "constraint '. <= ${today}': ${today} is today, filled in by "
                                "the phone in ODK, which the bot leaves out: use today()",
                 id="metadata-left-out"),
    pytest.param([SERVED_FIRST, row("integer", "kg", "Kg?", constraint=". >")],
                 ("survey", 3), "constraint '. >': the expression ends too soon",
                 id="constraint-syntax"),
    pytest.param([SERVED_FIRST, row("text", "t", "You have ${boatz} boats. Why?")],
                 ("survey", 3), "Could not find the name 'boatz'", id="label-names-nothing"),
    pytest.param([SERVED_FIRST, row("text", "t", "Why? " + "Tell us more. " * 24)],
                 ("survey", 3), "in en, the question with its hint and numbered choices "
                                "takes 3 SMS; at most 2", id="label-too-long"),
    pytest.param([SERVED_FIRST,
                  row("text", "t", "Why?", "Kwa nini? " + "Tuambie zaidi. " * 22)],
                 ("survey", 3), "in sw, the question", id="swahili-too-long"),
    pytest.param([SERVED_FIRST, row("integer", "kg", "Kg?", constraint=". > 0",
                                    message="Please. " * 45)],
                 ("survey", 3), "in en, the message 'Please. Please.", id="message-too-long"),
    pytest.param([row("select_one yes_no", "ice", "Ice?"),
                  row("text", "why", "Why?", relevant="${ice} = 'No'")],
                 ("survey", 3), "relevant \"${ice} = 'No'\": 'No' is not a choice of ice (yes, "
                                "no)", id="choice-name-typo"),
    pytest.param([row("select_multiple why_not", "why", "Why?",
                      constraint="not(selected(., 'cost ') and selected(., 'free'))")],
                 ("survey", 2), "'free' is not a choice of why (cost, far, no_need)",
                 id="choice-name-typo-selected"),
    pytest.param([row("note", "hello", "Hello"), row("calculate", "c", calculation="1 + 1")],
                 ("survey", None), "no question to ask", id="only-notes"),
    pytest.param([row("select_one prices", "p", "Price?")],
                 ("survey", 2), "List name not in choices sheet: prices",
                 id="pyxform-no-list"),
    pytest.param([SERVED_FIRST, row("text", "boats", "Again?")],
                 ("survey", 3), "the 'name' value 'boats' is invalid",
                 id="pyxform-same-name"),
    pytest.param([SERVED_FIRST, row("begin_group", "g", "G"), row("text", "boats", "Again?"),
                  row("end_group", "")],
                 ("survey", 4), "the name 'boats' is also on row 2", id="same-name-in-group"),
    pytest.param([SERVED_FIRST, row("note", "n")], ("survey", 3), "'n' has no label",
                 id="no-label"),
    pytest.param([SERVED_FIRST, row("text", "t", "T", required="${boats} > 1")],
                 ("survey", 3), "required is '${boats} > 1': write yes or no", id="required"),
    pytest.param([SERVED_FIRST, row("text", "t", "T", calculation="'x'")],
                 ("survey", 3), "a calculation on a question that is asked",
                 id="calc-on-text"),
])
def test_form_refused_with_sheet_row_and_reason(tmp_path, rows, where, reason):
    refused = refusal(tmp_path, rows)
    assert (refused.sheet, refused.row) == where
    assert reason in refused.reason
    assert str(refused).startswith(f"{where[0]} sheet, row {where[1]}: " if where[1]
                                   else f"{where[0]} sheet: ")


def test_choices_sheet_problems_are_refused_on_their_row(tmp_path):
    refused = refusal(tmp_path, [row("select_multiple why", "why", "Why?")],
                      [["why", "cost", "Costly", ""], ["why", "no need", "Not needed", ""]])
    assert (refused.sheet, refused.row) == ("choices", 3)
    assert refused.reason.startswith("Choice names with spaces cannot be added to multiple "
                                     "choice selects")
    survey = [row("select_one yes_no", "q", "Question?")]
    refused = refusal(tmp_path, survey, [["yes_no", "yes", "Yes", ""], ["yes_no", "yes", "Y", ""]])
    assert (refused.sheet, refused.row) == ("choices", 3)
    assert "Choice names must be unique" in refused.reason
    refused = refusal(tmp_path, survey, [["yes_no", "yes", "Yes", ""], ["yes_no", "no", "", ""]])
    assert (refused.sheet, refused.row) == ("choices", 3)
    assert refused.reason == "the choice 'no' of 'yes_no' has no label"


@pytest.mark.parametrize("column, value, reason", [
    ("choice_filter", "name != 'boat'", "choice_filter is not served: write one question per "
                                        "list of choices, each with its relevant"),
    ("trigger", "${boats}", "trigger is not served: compute the value on a calculate row"),
    ("media::image", "boat.png", "pictures, sound and video in a label cannot be sent by SMS"),
])
def test_columns_sms_cannot_serve_are_refused(tmp_path, column, value, reason):
    header = ["type", "name", "label", column]
    refused = refusal(tmp_path, [["integer", "boats", "Boats?", ""],
                                 ["select_one storage", "where", "Where?", value]],
                      survey_header=header)
    assert (refused.sheet, refused.row, refused.reason) == ("survey", 3, reason)


def test_numbered_choices_count_in_the_budget(tmp_path):
    choices = [["many", f"c{i}", f"A rather long choice number {i}", ""] for i in range(12)]
    refused = refusal(tmp_path, [row("select_one many", "q", "Which one?")], choices)
    assert (refused.sheet, refused.row) == ("survey", 2)
    assert "numbered choices takes 3 SMS" in refused.reason
    read_form(write_form(tmp_path / "fewer.xlsx", [row("select_one many", "q", "Which one?")],
                         choices[:8]))


def test_label_at_the_limit_of_two_sms_is_served(tmp_path):
    label = "Why? " + "x" * 301
    assert count_segments(label) == 2
    form = read_form(write_form(tmp_path / "form.xlsx", [row("text", "t", label)]))
    assert form.question("t").labels == {"en": label}
    refused = refusal(tmp_path, [row("text", "t", label + "x")])
    assert (refused.sheet, refused.row) == ("survey", 2)


def test_language_without_code_is_refused_on_the_header_row(tmp_path):
    header = ["type", "name", "label::English (en)", "label::Dholuo"]
    refused = refusal(tmp_path, [["text", "idea", "Idea?", "Paro?"]], survey_header=header)
    assert (refused.sheet, refused.row) == ("survey", 1)
    assert refused.reason == ("the language 'Dholuo' has no code: write it with its code in "
                              "parentheses, as 'Swahili (sw)'")
    refused = refusal(tmp_path, [row("select_one yes_no", "q", "Q?")],
                      [["yes_no", "yes", "Yes", "Ee"]],
                      choices_header=[*CHOICES_HEADER[:3], "label::Dholuo"])
    assert (refused.sheet, refused.row) == ("choices", 1)
    refused = refusal(tmp_path, [row("text", "idea", "Idea?")],
                      settings={"form_title": "Ideas", "default_language": "Dholuo"})
    assert (refused.sheet, refused.row) == ("settings", 2)
    assert refused.reason.startswith("the language 'Dholuo' has no code")


def test_purpose_too_long_for_the_consent_line_is_refused_on_the_settings_sheet(tmp_path):
    settings = {"form_title": "Ideas", "purpose::English (en)": "We study ideas." * 8,
                "purpose::Swahili (sw)": "Tunachunguza mawazo." * 6}
    form = read_form(write_form(tmp_path / "form.xlsx", [row("text", "idea", "Idea?")],
                                settings=settings))
    assert form.purpose["en"] == "We study ideas." * 8
    settings["purpose::Swahili (sw)"] += "!"
    refused = refusal(tmp_path, [row("text", "idea", "Idea?")], settings=settings)
    assert (refused.sheet, refused.row) == ("settings", 2)
    assert refused.reason == ("in sw, the purpose has 121 characters; at most 120: the consent "
                              "line adds who asks, how many questions, SKIP and STOP within 2 SMS")


def test_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "form.xlsx"
    path.write_text("type,name,label\ntext,idea,Idea?\n")
    with pytest.raises(FormRefused) as refused:
        read_form(path)
    assert "cannot be read as a workbook" in refused.value.reason
    with pytest.raises(FormRefused) as refused:
        read_form(tmp_path / "form.csv")
    assert refused.value.reason == "the form must be an Excel workbook (.xlsx)"
