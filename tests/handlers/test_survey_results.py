"""Survey results: the fish losses survey of Kisumu Fish (tests/surveyresults.py: 8 invited, 5
completed, 2 partway) tallied question by question, broken down by role and by place, with
the groups of fewer than 5 hidden where a viewer reads them; the report the CLI prints; the
wide and long exports cell by cell, with no phone number anywhere."""
import pytest
from scenes import AMINA, GRACE, JUMA, add_member
from surveyresults import AKINYI, BARAKA, OCHIENG, OTIENO, QUESTIONS, WANJIRU, fish_form, seed

from handlers.surveys import results
from handlers.surveys.form import Form, Option, Question
from storage.db import unit_of_work
from storage.surveys import Answer, Respondent, Survey

PHONES = (JUMA, BARAKA, OTIENO, AKINYI, OCHIENG, AMINA, WANJIRU, GRACE)


@pytest.fixture
def fish(factory, kisumu, tmp_path) -> dict:
    with unit_of_work(factory) as session:
        return seed(session, kisumu, fish_form(tmp_path))


def summary_of(factory, survey_id: int, hide_small: bool) -> results.Summary:
    with unit_of_work(factory) as session:
        return results.summarise(session, session.get(Survey, survey_id), hide_small=hide_small)


def question(summary: results.Summary, name: str) -> results.QuestionResult:
    return next(q for q in summary.questions if q.name == name)


def counts(cut: results.Cut) -> dict[str, tuple]:
    """choice label -> (count, share rounded to a hundredth)."""
    return {c.label: (c.count, None if c.share is None else round(c.share, 2))
            for c in cut.counts}


def by(cuts, group) -> results.Cut:
    return next(c for c in cuts if c.group == group)


# --- The summary --------------------------------------------------------------------------------

def test_the_response_rate_counts_the_invited_the_started_and_the_completed(factory, fish):
    summary = summary_of(factory, fish["survey"], hide_small=False)
    assert (summary.code, summary.title, summary.status) == ("F1SH",
                                                             "Fish losses after the catch", "open")
    assert (summary.invited, summary.started, summary.completed) == (8, 7, 5)
    assert summary.rate == 5 / 8 and not summary.hidden
    assert [(g.name, g.invited, g.started, g.completed) for g in summary.roles] == [
        ("fisher", 5, 5, 4), ("fish_processor", 2, 2, 1), ("trader", 1, 0, 0)]
    # Otieno wrote "kisumu town": the gazetteer's Kisumu counts; Grace gave no place
    assert [(g.name, g.invited, g.started, g.completed) for g in summary.places] == [
        ("Kisumu", 5, 5, 5), ("Dunga", 2, 2, 0), (None, 1, 0, 0)]


def test_questions_come_in_the_form_order_without_the_note(factory, fish):
    summary = summary_of(factory, fish["survey"], hide_small=False)
    assert [q.name for q in summary.questions] == QUESTIONS
    assert question(summary, "uses_ice").label == "Do you keep your fish on ice?"
    assert question(summary, "loss_level").label == "loss_level"  # a calculation has no label


def test_a_choice_is_counted_among_those_who_answered_it(factory, fish):
    summary = summary_of(factory, fish["survey"], hide_small=False)
    uses_ice = question(summary, "uses_ice").overall
    assert (uses_ice.answered, uses_ice.skipped) == (7, 0)
    assert counts(uses_ice) == {"Yes": (2, 0.29), "No": (5, 0.71)}
    storage = question(summary, "storage").overall  # asked only of losses above 50 kg
    assert (storage.answered, storage.skipped) == (2, 0)
    assert counts(storage) == {"In the boat": (1, 0.5), "In the shade": (1, 0.5),
                               "Cold room": (0, 0)}


def test_a_multiple_choice_counts_each_choice_so_the_shares_pass_100(factory, fish):
    why = question(summary_of(factory, fish["survey"], hide_small=False), "why_no_ice").overall
    assert why.answered == 5  # those who keep no ice; the others were not asked
    assert counts(why) == {"Ice costs too much": (3, 0.6), "No ice nearby": (3, 0.6),
                           "Not needed": (1, 0.2)}
    assert sum(c.share for c in why.counts) > 1


def test_numbers_have_n_mean_median_min_max_and_skips(factory, fish):
    summary = summary_of(factory, fish["survey"], hide_small=False)
    loss = question(summary, "loss_kg").overall
    assert (loss.answered, loss.skipped) == (6, 0)
    assert (loss.mean, loss.median, loss.minimum, loss.maximum) == (70, 45, 0, 200)
    assert loss.spread == (("0–33", 3), ("34–67", 1), ("68–101", 0), ("102–135", 1),
                           ("136–169", 0), ("170–200", 1))
    price = question(summary, "price_kg").overall  # optional: Baraka skipped it
    assert (price.answered, price.skipped) == (4, 1)
    assert (price.mean, price.median, price.minimum, price.maximum) == (287.5, 290, 250.5, 319.5)


def test_dates_have_n_earliest_latest_and_texts_only_how_many(factory, fish):
    summary = summary_of(factory, fish["survey"], hide_small=False)
    trip = question(summary, "last_trip").overall
    assert (trip.answered, trip.earliest, trip.latest) == (5, "2026-11-20", "2026-12-01")
    assert trip.spread == (("2026-11", 4), ("2026-12", 1))
    idea = question(summary, "idea").overall
    assert (idea.answered, idea.skipped, idea.counts) == (4, 1, ())


def test_a_calculation_is_counted_per_value_most_first(factory, fish):
    level = question(summary_of(factory, fish["survey"], hide_small=False), "loss_level").overall
    assert level.answered == 5
    assert counts(level) == {"low": (4, 0.8), "high": (1, 0.2)}
    assert [c.name for c in level.counts] == ["low", "high"]


def test_coordinators_read_every_breakdown_by_role_and_place(factory, fish):
    summary = summary_of(factory, fish["survey"], hide_small=False)
    uses_ice = question(summary, "uses_ice")
    assert [c.group for c in uses_ice.by_role] == ["fisher", "fish_processor"]  # who answered
    assert counts(by(uses_ice.by_role, "fisher")) == {"Yes": (0, 0), "No": (5, 1)}
    assert counts(by(uses_ice.by_role, "fish_processor")) == {"Yes": (2, 1), "No": (0, 0)}
    assert counts(by(uses_ice.by_place, "Kisumu")) == {"Yes": (1, 0.2), "No": (4, 0.8)}
    assert counts(by(uses_ice.by_place, "Dunga")) == {"Yes": (1, 0.5), "No": (1, 0.5)}
    loss = question(summary, "loss_kg")
    fishers = by(loss.by_role, "fisher")
    assert (fishers.answered, fishers.mean, fishers.median, fishers.minimum,
            fishers.maximum) == (5, 78, 60, 0, 200)
    assert fishers.skipped is None and fishers.spread == ()  # told for everyone only
    amina = by(loss.by_role, "fish_processor")  # Wanjiru stopped before it
    assert (amina.answered, amina.mean, amina.hidden) == (1, 30, False)
    kisumu = by(loss.by_place, "Kisumu")
    assert (kisumu.answered, kisumu.mean, kisumu.median, kisumu.maximum) == (5, 44, 30, 120)


def test_a_viewer_reads_fewer_than_5_for_every_small_group(factory, fish):
    summary = summary_of(factory, fish["survey"], hide_small=True)
    assert (summary.invited, summary.started, summary.completed) == (8, 7, 5)
    assert [(g.name, g.started, g.completed) for g in summary.roles] == [
        ("fisher", 5, 4), ("fish_processor", None, None), ("trader", None, None)]
    assert [(g.name, g.invited, g.started) for g in summary.places] == [
        ("Kisumu", 5, 5), ("Dunga", 2, None), (None, 1, None)]
    uses_ice = question(summary, "uses_ice")
    assert counts(uses_ice.overall) == {"Yes": (2, 0.29), "No": (5, 0.71)}
    assert counts(by(uses_ice.by_role, "fisher")) == {"Yes": (0, 0), "No": (5, 1)}
    assert by(uses_ice.by_role, "fish_processor").hidden  # 2 answered
    # Kisumu: 4 said no, Amina alone said yes: both cells are fewer than 5
    assert counts(by(uses_ice.by_place, "Kisumu")) == {"Yes": (None, None), "No": (None, None)}
    assert by(uses_ice.by_place, "Dunga").hidden
    why = question(summary, "why_no_ice")
    assert counts(why.overall)["Ice costs too much"] == (3, 0.6)  # 5 answered it
    assert set(counts(by(why.by_role, "fisher")).values()) == {(None, None)}
    for name in ("price_kg", "storage", "idea"):  # fewer than 5 answered
        assert question(summary, name).overall == results.Cut(hidden=True), name
    loss = question(summary, "loss_kg")
    assert by(loss.by_role, "fisher").mean == 78
    assert by(loss.by_role, "fish_processor") == results.Cut("fish_processor", hidden=True)
    level = question(summary, "loss_level")  # 5 calculated, but 4 of them fishers
    assert counts(level.overall) == {"low": (4, 0.8), "high": (1, 0.2)}
    assert by(level.by_role, "fisher").hidden


def test_a_lone_small_cell_hides_a_second_one_so_it_cannot_be_worked_out(factory, kisumu):
    form = Form("Boats", "boats", None, "en", ("en",), (
        Question("motor", "select_one", 2, {"en": "Does your boat have a motor?"},
                 options=(Option("yes", {"en": "Yes"}), Option("no", {"en": "No"}),
                          Option("sail", {"en": "A sail"})), required=True),))
    with unit_of_work(factory) as session:
        survey = Survey(cluster_id=kisumu.id, code="B0AT", title="Boats", form_id="boats",
                        form=form.to_json(), status="open")
        session.add(survey)
        session.flush()
        for n, value in enumerate(["yes"] * 6 + ["no"]):
            member = add_member(session, f"+2547330000{n:02d}", "fisher", kisumu, "en")
            session.add(Respondent(survey_id=survey.id, member_id=member.id, token=f"t{n}",
                                   answers=[Answer(question="motor", value=value)]))
        survey_id = survey.id
    summary = summary_of(factory, survey_id, hide_small=True)
    motor = question(summary, "motor")
    assert counts(motor.overall) == {"Yes": (6, 0.86), "No": (1, 0.14), "A sail": (0, 0)}
    # 6 of 7 fishers said yes: "No: fewer than 5" beside "Yes: 6" would say it was 1
    assert counts(by(motor.by_role, "fisher")) == {"Yes": (None, None), "No": (None, None),
                                                   "A sail": (0, 0)}
    assert by(motor.by_role, "fisher").answered == 7
    whole = summary_of(factory, survey_id, hide_small=False)
    assert counts(by(question(whole, "motor").by_role, "fisher"))["No"] == (1, 0.14)


def test_a_survey_of_fewer_than_5_respondents_shows_no_answers_to_a_viewer(factory, kisumu,
                                                                           tmp_path):
    with unit_of_work(factory) as session:
        tokens = seed(session, kisumu, fish_form(tmp_path))
        survey = session.get(Survey, tokens["survey"])
        for respondent in session.query(Respondent).filter_by(survey_id=survey.id):
            if respondent.token not in (tokens[JUMA], tokens[AMINA], tokens[GRACE]):
                session.delete(respondent)
    summary = summary_of(factory, tokens["survey"], hide_small=True)
    assert (summary.invited, summary.started, summary.completed, summary.hidden) == (3, 2, 2, True)
    assert all(q.overall.hidden and all(c.hidden for c in q.by_role + q.by_place)
               for q in summary.questions)
    assert not summary_of(factory, tokens["survey"], hide_small=False).hidden


def test_a_survey_not_sent_yet_has_no_rate(factory, kisumu, tmp_path):
    with unit_of_work(factory) as session:
        survey = Survey(cluster_id=kisumu.id, code="DRAF", title="Draft", form_id="fish_losses",
                        form=fish_form(tmp_path).to_json())
        session.add(survey)
        session.flush()
        summary = results.summarise(session, survey, hide_small=True)
        text = results.report(summary)
    assert (summary.invited, summary.rate, summary.roles) == (0, None, ())
    assert "Response rate: no one was invited yet." in text


# --- The report ---------------------------------------------------------------------------------

def test_the_report_says_the_rate_then_each_question_with_its_breakdowns(factory, fish):
    text = results.report(summary_of(factory, fish["survey"], hide_small=False))
    lines = text.splitlines()
    assert lines[:4] == [
        "Fish losses after the catch (survey F1SH, open)",
        "Response rate: 63% (5 of 8 invited completed it; 7 answered at least one question).",
        "Respondents by role: Fisher 5 of 5 invited (4 completed), Fish processor 2 of 2 "
        "invited (1 completed), Trader 0 of 1 invited (0 completed)",
        "Respondents by place: Kisumu 5 of 5 invited (5 completed), Dunga 2 of 2 invited "
        "(0 completed), No place given 0 of 1 invited (0 completed)"]
    start = lines.index("1. Do you keep your fish on ice? [uses_ice, one choice]")
    assert lines[start + 1:start + 9] == [
        "   answered 7, skipped 0",
        "   Yes: 2 (29%)",
        "   No: 5 (71%)",
        "   By role:",
        "     Fisher: answered 5; Yes: 0 (0%); No: 5 (100%)",
        "     Fish processor: answered 2; Yes: 2 (100%); No: 0 (0%)",
        "   By place:",
        "     Kisumu: answered 5; Yes: 1 (20%); No: 4 (80%)"]
    assert "   Ice costs too much: 3 (60%)" in lines and "   Not needed: 1 (20%)" in lines
    assert "   mean 70, median 45, min 0, max 200" in lines
    assert "   mean 287.5, median 290, min 250.5, max 319.5" in lines
    assert "     Fisher: answered 5; mean 78, median 60, min 0, max 200" in lines
    assert "   earliest 2026-11-20, latest 2026-12-01" in lines
    assert "   answered 4, skipped 1 (the texts are in the exports: --csv, --long)" in lines
    assert "8. What would help you lose less fish? [idea, text]" in lines
    assert "     Fisher: answered 3" in lines  # Baraka skipped it
    assert "Ice plant" not in text  # the texts are the members' own: exports only
    assert all(phone not in text for phone in PHONES)


def test_the_report_with_small_groups_hidden_says_fewer_than_5(factory, fish):
    lines = results.report(summary_of(factory, fish["survey"], hide_small=True)).splitlines()
    assert "Respondents by role: Fisher 5 of 5 invited (4 completed), Fish processor fewer " \
           "than 5 (2 invited), Trader fewer than 5 (1 invited)" in lines
    start = lines.index("4. What price per kg did you get last week? [price_kg, number]")
    assert lines[start + 1] == "   fewer than 5"
    assert "     Kisumu: answered 5; Yes: fewer than 5; No: fewer than 5" in lines
    assert "     Fish processor: fewer than 5" in lines


# --- Exports ------------------------------------------------------------------------------------

def test_wide_has_a_row_per_respondent_and_a_column_per_question(factory, fish):
    with unit_of_work(factory) as session:
        header, rows = results.wide(session, session.get(Survey, fish["survey"]))
    assert header == ["respondent", "submitted_at", "respondent_role", "respondent_place",
                      *QUESTIONS]
    assert rows == [
        [fish[JUMA], "2026-12-02T07:07:00Z", "fisher", "Kisumu", "no", "cost far", "120",
         "250.5", "2026-11-30", "boat", "high", "Ice plant at the beach"],
        [fish[BARAKA], "2026-12-02T08:07:00Z", "fisher", "Kisumu", "no", "cost", "60", "",
         "2026-12-01", "shade", "low", ""],
        [fish[OTIENO], "2026-12-02T09:06:00Z", "fisher", "Kisumu", "no", "far", "10", "300",
         "2026-11-20", "", "low", "=cold room"],
        [fish[AKINYI], "2026-12-02T10:06:00Z", "fisher", "Kisumu", "no", "far", "0", "280",
         "2026-11-28", "", "low", "Cheaper ice, nearer"],
        [fish[OCHIENG], "", "fisher", "Dunga", "no", "cost no_need", "200", "", "", "", "", ""],
        [fish[AMINA], "2026-12-02T12:05:00Z", "fish_processor", "Kisumu", "yes", "", "30",
         "319.5", "2026-11-25", "", "low", "Solar dryer"],
        [fish[WANJIRU], "", "fish_processor", "Dunga", "yes", "", "", "", "", "", "", ""]]
    assert fish[GRACE] not in {row[0] for row in rows}  # she answered nothing
    assert not any(phone in cell or phone[1:] in cell for row in rows for cell in row
                   for phone in PHONES)


def test_long_has_a_row_per_answer_skips_included(factory, fish):
    with unit_of_work(factory) as session:
        header, rows = results.long(session, session.get(Survey, fish["survey"]))
    assert header == ["respondent", "question", "answer", "answered_at"]
    assert len(rows) == 8 + 8 + 7 + 7 + 3 + 6 + 1
    assert rows[:3] == [[fish[JUMA], "uses_ice", "no", "2026-12-02T07:00:00Z"],
                        [fish[JUMA], "why_no_ice", "cost far", "2026-12-02T07:01:00Z"],
                        [fish[JUMA], "loss_kg", "120", "2026-12-02T07:02:00Z"]]
    baraka = [row for row in rows if row[0] == fish[BARAKA]]
    assert baraka[3] == [fish[BARAKA], "price_kg", "", "2026-12-02T08:03:00Z"]  # skipped
    assert rows[-1] == [fish[WANJIRU], "uses_ice", "yes", "2026-12-02T13:00:00Z"]
    assert not any(phone in cell or phone[1:] in cell for row in rows for cell in row
                   for phone in PHONES)
