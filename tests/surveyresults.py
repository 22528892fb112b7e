"""The fish losses survey of Kisumu Fish as its results tests find it: sent to 8 members, 5 of
whom completed it and 2 stopped partway, their answers written straight through storage (the
answering is tested on its own; here the numbers are what matters).

    member   role            place    uses_ice why_no_ice    loss_kg price_kg last_trip  ...
    Juma     fisher          Kisumu   no       cost far      120     250.5    2026-11-30 boat
    Baraka   fisher          Kisumu   no       cost          60      (skip)   2026-12-01 shade
    Otieno   fisher          Kisumu*  no       far           10      300      2026-11-20
    Akinyi   fisher          Kisumu   no       far           0       280      2026-11-28
    Ochieng  fisher          Dunga    no       cost no_need  200      (stopped: partial)
    Amina    fish_processor  Kisumu   yes                    30      319.5    2026-11-25
    Wanjiru  fish_processor  Dunga    yes      (stopped: partial)
    Grace    trader+coord.   (none)   (never answered)

*Otieno wrote "kisumu town"; the gazetteer's place is Kisumu. loss_level is the calculation
(high for Juma, low for the other completers); idea is the text (Baraka skipped it)."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scenes import AMINA, GRACE, JUMA, add_member
from surveyforms import fish_losses

from handlers.surveys.form import Form, read_form
from storage.surveys import Answer, Respondent, Survey, new_token

SENT = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
BARAKA, OTIENO, AKINYI, OCHIENG, WANJIRU = (f"+2547220001{n:02d}" for n in range(1, 6))
QUESTIONS = ["uses_ice", "why_no_ice", "loss_kg", "price_kg", "last_trip", "storage",
             "loss_level", "idea"]


def fish_form(folder: Path) -> Form:
    """The fish losses questionnaire (tests/surveyforms.py) read from its workbook."""
    return read_form(fish_losses(folder / "fish_losses.xlsx"))


# Each respondent's answers in the order given (None: skipped); `done` when they completed it.
ANSWERS = {
    JUMA: dict(done=True, uses_ice="no", why_no_ice="cost far", loss_kg="120",
               price_kg="250.5", last_trip="2026-11-30", storage="boat", loss_level="high",
               idea="Ice plant at the beach"),
    BARAKA: dict(done=True, uses_ice="no", why_no_ice="cost", loss_kg="60", price_kg=None,
                 last_trip="2026-12-01", storage="shade", loss_level="low", idea=None),
    OTIENO: dict(done=True, uses_ice="no", why_no_ice="far", loss_kg="10", price_kg="300",
                 last_trip="2026-11-20", loss_level="low", idea="=cold room"),
    AKINYI: dict(done=True, uses_ice="no", why_no_ice="far", loss_kg="0", price_kg="280",
                 last_trip="2026-11-28", loss_level="low", idea="Cheaper ice, nearer"),
    OCHIENG: dict(done=False, uses_ice="no", why_no_ice="cost no_need", loss_kg="200"),
    AMINA: dict(done=True, uses_ice="yes", loss_kg="30", price_kg="319.5",
                last_trip="2026-11-25", loss_level="low", idea="Solar dryer"),
    WANJIRU: dict(done=False, uses_ice="yes"),
    GRACE: dict(done=False),
}


def seed(session, cluster, form: Form, code: str = "F1SH") -> dict:
    """The survey, its 8 respondents and their answers (each answer a minute after the one
    before, from SENT plus an hour per respondent). {"survey": id, phone: token, ...}."""
    people = [
        add_member(session, JUMA, "fisher", cluster, "sw", "Juma Otieno", place="Kisumu"),
        add_member(session, BARAKA, "fisher", cluster, "sw", "Baraka Ouma", place="Kisumu"),
        add_member(session, OTIENO, "fisher", cluster, "sw", "Otieno Odhiambo", place="Kisumu"),
        add_member(session, AKINYI, "fisher", cluster, "en", "Akinyi Atieno", place="Kisumu"),
        add_member(session, OCHIENG, "fisher", cluster, "sw", "Ochieng Omondi", place="Dunga"),
        add_member(session, AMINA, "fish_processor", cluster, "fr", "Amina Achieng",
                   place="Kisumu"),
        add_member(session, WANJIRU, "fish_processor", cluster, "en", "Wanjiru Kamau",
                   place="Dunga"),
        add_member(session, GRACE, "trader", cluster, "en", "Grace Wanjiku", coordinator=True),
    ]
    people[2].place_name = "kisumu town"  # as Otieno wrote it: the gazetteer's name counts
    survey = Survey(cluster_id=cluster.id, code=code, title=form.title, form_id=form.form_id,
                    version=form.version, form=form.to_json(), status="open", sent_at=SENT)
    session.add(survey)
    session.flush()
    tokens = {"survey": survey.id}
    for position, member in enumerate(people):
        given = dict(ANSWERS[member.phone])
        done = given.pop("done")
        start = SENT + timedelta(hours=position + 1)
        respondent = Respondent(survey_id=survey.id, member_id=member.id, token=new_token(),
                                status="complete" if done else "asked", invited_at=SENT,
                                asked_at=start)
        for minute, (question, value) in enumerate(given.items()):
            respondent.answers.append(Answer(question=question, value=value,
                                             answered_at=start + timedelta(minutes=minute)))
        if given:
            respondent.answered_at = start + timedelta(minutes=len(given) - 1)
        if done:
            respondent.completed_at = respondent.answered_at
        session.add(respondent)
        tokens[member.phone] = respondent.token
    session.flush()
    return tokens
