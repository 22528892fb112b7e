"""DELETE and surveys: a member who deletes their data withdraws their survey answers with it;
other respondents' answers stay."""
from scenes import AMINA, JUMA, add_member
from sqlalchemy import select

from handlers.surveys.form import Form, Option, Question
from locales.i18n import keyword_word, translate
from storage.db import unit_of_work
from storage.surveys import Answer, Respondent, Survey, new_token

FORM = Form(title="Fish losses", form_id="fish_losses", version="1", default_language="en",
            languages=("en",), questions=(
                Question("uses_ice", "select_one", 2, {"en": "Ice?"},
                         options=(Option("yes", {"en": "Yes"}), Option("no", {"en": "No"}))),
                Question("idea", "text", 3, {"en": "What would help?"})))


def test_delete_withdraws_the_members_survey_answers(chat, factory, kisumu):
    with unit_of_work(factory) as session:
        survey = Survey(cluster_id=kisumu.id, code="S7Q2", title=FORM.title,
                        form_id=FORM.form_id, form=FORM.to_json(), status="open")
        session.add(survey)
        for phone, language, idea in ((AMINA, "en", "A cold room at Dunga"),
                                      (JUMA, "sw", "Barafu")):
            member = add_member(session, phone, "fisher", kisumu, language)
            session.add(Respondent(survey=survey, member_id=member.id, token=new_token(),
                                   status="complete", answers=[
                                       Answer(question="uses_ice", value="no"),
                                       Answer(question="idea", value=idea)]))
            session.flush()
            kept = member.id  # Juma's, the last
    person = chat(AMINA)
    person.send(keyword_word("delete", "en"))
    assert person.send("1") == [translate("en", "Your data has been deleted. Goodbye.")]
    with unit_of_work(factory) as session:
        assert list(session.scalars(select(Answer.value).order_by(Answer.id))) == ["no", "Barafu"]
        assert list(session.scalars(select(Respondent.member_id))) == [kept]
