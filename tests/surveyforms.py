"""XLSForms for the survey tests, written as real .xlsx workbooks with openpyxl.

`fish_losses` is the questionnaire most tests answer: English and Swahili, every question type the
bot serves, skip logic, constraints with their messages, required and optional questions, a
calculation. `write_form` writes any other (the refused ones)."""
from pathlib import Path

import openpyxl

SURVEY_HEADER = ["type", "name", "label::English (en)", "label::Swahili (sw)", "hint::English (en)",
                 "hint::Swahili (sw)", "required", "relevant", "constraint",
                 "constraint_message::English (en)", "constraint_message::Swahili (sw)",
                 "calculation"]
CHOICES_HEADER = ["list_name", "name", "label::English (en)", "label::Swahili (sw)"]


def row(type_: str, name: str, en: str = "", sw: str = "", *, hint: str = "", hint_sw: str = "",
        required: str = "", relevant: str = "", constraint: str = "", message: str = "",
        message_sw: str = "", calculation: str = "") -> list[str]:
    """One survey sheet row in SURVEY_HEADER's order."""
    return [type_, name, en, sw, hint, hint_sw, required, relevant, constraint, message,
            message_sw, calculation]


FISH_LOSSES_SURVEY = [
    row("note", "intro", "Thank you for helping the study of fish losses.",
        "Asante kwa kusaidia utafiti wa upotevu wa samaki."),
    row("select_one yes_no", "uses_ice", "Do you keep your fish on ice?",
        "Je, unahifadhi samaki wako kwenye barafu?", required="yes"),
    row("select_multiple why_not", "why_no_ice", "Why not? Choose all that apply.",
        "Kwa nini? Chagua zote zinazohusika.", relevant="${uses_ice} = 'no'"),
    row("integer", "loss_kg", "How many kg of fish did you lose last week?",
        "Ulipoteza kilo ngapi za samaki wiki iliyopita?", required="yes",
        constraint=". >= 0 and . <= 1000", message="Write a number of kg from 0 to 1000.",
        message_sw="Andika idadi ya kilo kati ya 0 na 1000."),
    row("decimal", "price_kg", "What price per kg did you get last week?",
        "Ulipata bei gani kwa kilo wiki iliyopita?", hint="In shillings.",
        hint_sw="Kwa shilingi.", constraint=". > 0", message="A price above 0, please.",
        message_sw="Bei zaidi ya 0, tafadhali."),
    row("date", "last_trip", "When did you last go out fishing?",
        "Ulienda kuvua mara ya mwisho lini?", constraint=". <= today()",
        message="That date has not come yet.", message_sw="Tarehe hiyo bado haijafika."),
    row("select_one storage", "storage", "Where do you keep the catch before selling?",
        "Unahifadhi samaki wapi kabla ya kuuza?", relevant="${loss_kg} > 50"),
    row("calculate", "loss_level", calculation="if(${loss_kg} > 100, 'high', 'low')"),
    row("text", "idea", "What would help you lose less fish?",
        "Nini kingekusaidia kupoteza samaki wachache?"),
]
FISH_LOSSES_CHOICES = [
    ["yes_no", "yes", "Yes", "Ndiyo"],
    ["yes_no", "no", "No", "Hapana"],
    ["why_not", "cost", "Ice costs too much", "Barafu ni ghali"],
    ["why_not", "far", "No ice nearby", "Hakuna barafu karibu"],
    ["why_not", "no_need", "Not needed", "Haihitajiki"],
    ["storage", "boat", "In the boat", "Ndani ya mashua"],
    ["storage", "shade", "In the shade", "Kivulini"],
    ["storage", "cold_room", "Cold room", "Chumba baridi"],
]
FISH_LOSSES_SETTINGS = {
    "form_title": "Fish losses after the catch",
    "form_id": "fish_losses",
    "version": "2026-12",
    "default_language": "English (en)",
    "purpose::English (en)": "The University of Nairobi studies fish losses to plan cold storage.",
    "purpose::Swahili (sw)": "Chuo Kikuu cha Nairobi kinachunguza upotevu wa samaki ili kupanga "
                             "hifadhi baridi.",
}


def write_form(path: Path, survey: list[list[str]], choices: list[list[str]] = (),
               settings: dict[str, str] | None = None, *, survey_header=SURVEY_HEADER,
               choices_header=CHOICES_HEADER) -> Path:
    """Writes an XLSForm workbook: the survey sheet (header, then rows from row 2), the choices
    sheet when there are choices, the settings sheet when there are settings."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    for values in [survey_header, *survey]:
        sheet.append(list(values))
    if choices:
        sheet = book.create_sheet("choices")
        for values in [choices_header, *choices]:
            sheet.append(list(values))
    if settings:
        sheet = book.create_sheet("settings")
        sheet.append(list(settings))
        sheet.append(list(settings.values()))
    book.save(path)
    return path


def fish_losses(path: Path) -> Path:
    """The fish losses questionnaire (English and Swahili) at `path` (an .xlsx file)."""
    return write_form(path, FISH_LOSSES_SURVEY, FISH_LOSSES_CHOICES, FISH_LOSSES_SETTINGS)
