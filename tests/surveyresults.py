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

from scenes import AMINA, GRACE, JUMA, add_member

from handlers.surveys.form import Form, Option, Question
from storage.surveys import Answer, Respondent, Survey, new_token

SENT = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
BARAKA, OTIENO, AKINYI, OCHIENG, WANJIRU = (f"+2547220001{n:02d}" for n in range(1, 6))
QUESTIONS = ["uses_ice", "why_no_ice", "loss_kg", "price_kg", "last_trip", "storage",
             "loss_level", "idea"]


def fish_form() -> Form:
    """The fish losses questionnaire (tests/surveyforms.py) as handlers.surveys.form serves it."""
    def labels(en: str, sw: str) -> dict[str, str]:
        return {"en": en, "sw": sw}

    def options(*choices: tuple[str, str, str]) -> tuple[Option, ...]:
        return tuple(Option(name, labels(en, sw)) for name, en, sw in choices)

    questions = (
        Question("intro", "note", 2, labels("Thank you for helping the study of fish losses.",
                                            "Asante kwa kusaidia utafiti wa upotevu wa samaki.")),
        Question("uses_ice", "select_one", 3, labels("Do you keep your fish on ice?",
                                                     "Je, unahifadhi samaki wako kwenye barafu?"),
                 options=options(("yes", "Yes", "Ndiyo"), ("no", "No", "Hapana")),
                 required=True),
        Question("why_no_ice", "select_multiple", 4,
                 labels("Why not? Choose all that apply.", "Kwa nini? Chagua zote zinazohusika."),
                 options=options(("cost", "Ice costs too much", "Barafu ni ghali"),
                                 ("far", "No ice nearby", "Hakuna barafu karibu"),
                                 ("no_need", "Not needed", "Haihitajiki")),
                 relevant="${uses_ice} = 'no'"),
        Question("loss_kg", "integer", 5,
                 labels("How many kg of fish did you lose last week?",
                        "Ulipoteza kilo ngapi za samaki wiki iliyopita?"),
                 required=True, constraint=". >= 0 and . <= 1000"),
        Question("price_kg", "decimal", 6,
                 labels("What price per kg did you get last week?",
                        "Ulipata bei gani kwa kilo wiki iliyopita?"), constraint=". > 0"),
        Question("last_trip", "date", 7, labels("When did you last go out fishing?",
                                                "Ulienda kuvua mara ya mwisho lini?"),
                 constraint=". <= today()"),
        Question("storage", "select_one", 8,
                 labels("Where do you keep the catch before selling?",
                        "Unahifadhi samaki wapi kabla ya kuuza?"),
                 options=options(("boat", "In the boat", "Ndani ya mashua"),
                                 ("shade", "In the shade", "Kivulini"),
                                 ("cold_room", "Cold room", "Chumba baridi")),
                 relevant="${loss_kg} > 50"),
        Question("loss_level", "calculate", 9,
                 calculation="if(${loss_kg} > 100, 'high', 'low')"),
        Question("idea", "text", 10, labels("What would help you lose less fish?",
                                            "Nini kingekusaidia kupoteza samaki wachache?")),
    )
    return Form("Fish losses after the catch", "fish_losses", "2026-12", "en", ("en", "sw"),
                questions)


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
