"""A cluster's surveys on the dashboard: the list (code, title, status, invited, completed,
response rate) and a survey's results, a chart per question with its numbers and its
breakdowns by role and by place (handlers.surveys.results); the exports researchers analyse
(wide: a row per respondent; long: a row per answer) as CSV downloads.

A viewer (a partner, a researcher) reads the results with every group of fewer than 5
respondents shown as "fewer than 5", and gets no download: the files hold what members wrote."""
import io

from babel.numbers import format_percent
from starlette.responses import Response
from starlette.routing import Route

from bot.spreadsheet import write
from bot.web import charts
from bot.web.site import ROLE_LABELS, Page, Site
from handlers.surveys import results
from handlers.surveys.results import Count, Cut, QuestionResult
from locales.i18n import N_, number
from storage import audit, survey_results
from storage.surveys import Survey

STATUSES = {"draft": N_("Not sent yet"), "scheduled": N_("Scheduled"),
            "open": N_("Open"), "closed": N_("Closed")}
KINDS = {"select_one": N_("One choice"), "select_multiple": N_("Several choices"),
         "integer": N_("Whole number"), "decimal": N_("Number"), "date": N_("Date"),
         "text": N_("Text"), "calculate": N_("Calculated")}
FEWER = N_("fewer than 5")
NO_ROLE = N_("No role")
NO_PLACE = N_("No place given")
ANSWERED = N_("Answers")
SKIPPED = N_("Skipped")
CHART = N_("Answers to: {title}")
MEAN, MEDIAN, LEAST, MOST = N_("Mean"), N_("Median"), N_("Least"), N_("Most")
EARLIEST, LATEST = N_("Earliest"), N_("Latest")
EXPORTS = {"wide": results.wide, "long": results.long}


def routes(site: Site) -> list[Route]:
    def listing(page: Page) -> Response:
        return site.render(page, page.request, "surveys.html",
                           surveys=[row_of(page, row) for row in
                                    survey_results.surveys_of(page.session, page.cluster.id)])

    one = site.one(survey_results.find)

    def show(page: Page, survey: Survey) -> Response:
        return site.render(page, page.request, "survey.html", **survey_context(page, survey))

    def download(shape: str):
        def view(page: Page, survey: Survey) -> Response:
            return export(page, survey, shape)
        return view

    base = "/dashboard/{slug}/surveys"
    # The downloads first: `{code}` alone would take `F1SH.csv` for a code. Viewers are
    # refused them as they are refused any action (acting: coordinators and admins only).
    return [Route(base, site.page(listing), methods=["GET"]),
            Route(base + "/{code}-long.csv", site.page(one(download("long")), acting=True),
                  methods=["GET"]),
            Route(base + "/{code}.csv", site.page(one(download("wide")), acting=True),
                  methods=["GET"]),
            Route(base + "/{code}", site.page(one(show)), methods=["GET"])]


def survey_path(page: Page, survey: Survey) -> str:
    return f"/dashboard/{page.cluster.slug}/surveys/{survey.code}"


def export(page: Page, survey: Survey, shape: str) -> Response:
    """The wide or long CSV, through the one writer (no cell runs as a formula); audited, as a
    copy of what members wrote."""
    header, rows = EXPORTS[shape](page.session, survey)
    buffer = io.StringIO()
    count = write(buffer, header, rows)
    audit.record(page.session, action="survey.export", actor=page.account.actor,
                 cluster_id=page.cluster.id, code=survey.code, shape=shape, count=count)
    name = f"{survey.code}{'-long' if shape == 'long' else ''}.csv"
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


def share_text(page: Page, share: float | None) -> str:
    """`63%` (`63 %` in French), halves rounded up as the CLI's report does; empty for none."""
    if share is None:
        return ""
    return format_percent(results.half_up(share) / 100,
                          locale=page.language).replace("\xa0", " ")


def row_of(page: Page, row: survey_results.SurveyRow) -> dict:
    """A line of the list of surveys, in the reader's language."""
    survey = row.survey
    return {"path": survey_path(page, survey), "code": survey.code, "title": survey.title,
            "status": page._(STATUSES.get(survey.status, survey.status)),
            "invited": row.invited, "completed": row.completed,
            "rate": share_text(page, row.completed / row.invited) if row.invited else ""}


def survey_context(page: Page, survey: Survey) -> dict:
    downloads = page.account.may_act(page.cluster.id)
    summary = results.summarise(page.session, survey, hide_small=not downloads,
                                language=page.language)
    path = survey_path(page, survey)
    return dict(survey=survey, summary=summary,
                state=page._(STATUSES.get(survey.status, survey.status)),
                rate=share_text(page, summary.rate), downloads=downloads,
                wide_path=f"{path}.csv", long_path=f"{path}-long.csv",
                roles=[group_row(page, group, role_name(page, group.name))
                       for group in summary.roles],
                places=[group_row(page, group, place_name(page, group.name))
                        for group in summary.places],
                questions=[question_view(page, question) for question in summary.questions],
                fewer=page._(FEWER))


def role_name(page: Page, role: str | None) -> str:
    return page._(NO_ROLE) if role is None else page._(ROLE_LABELS.get(role, role))


def place_name(page: Page, place: str | None) -> str:
    return place or page._(NO_PLACE)


def group_row(page: Page, group: results.Group, name: str) -> dict:
    """A role's or a place's line of respondents: the small ones say "fewer than 5"."""
    hidden = group.started is None
    return {"name": name, "invited": number(group.invited, page.language),
            "started": page._(FEWER) if hidden else number(group.started, page.language),
            "completed": page._(FEWER) if hidden else number(group.completed, page.language)}


def question_view(page: Page, question: QuestionResult) -> dict:
    """A question as the page shows it: its chart, its overall numbers, its breakdowns."""
    overall = question.overall
    return {"name": question.name, "label": question.label, "kind": question.kind,
            "kind_label": page._(KINDS.get(question.kind, question.kind)),
            "hidden": overall.hidden, "chart": chart(page, question),
            "choices": [count_cells(page, count) for count in overall.counts],
            "stats": stats(page, question.kind, overall),
            "answered": number(overall.answered, page.language),
            "skipped": number(overall.skipped or 0, page.language),
            "columns": columns(page, question),
            "by_role": [breakdown_row(page, question, cut, role_name(page, cut.group))
                        for cut in question.by_role],
            "by_place": [breakdown_row(page, question, cut, place_name(page, cut.group))
                         for cut in question.by_place]}


def chart(page: Page, question: QuestionResult):
    """Bars of the question's answers among everyone: a bar per choice or calculated value,
    per range of numbers, per month of dates; answered and skipped for a text."""
    overall = question.overall
    if overall.hidden:
        return ""
    if overall.counts:
        bars = [(count.label, count.count) for count in overall.counts]
    elif overall.spread:
        bars = list(overall.spread)
    else:
        bars = [(page._(ANSWERED), overall.answered), (page._(SKIPPED), overall.skipped or 0)]
    return charts.bars([("in", [count for _, count in bars])], [label for label, _ in bars],
                       page._(CHART, title=question.label))


def count_cells(page: Page, count: Count) -> dict:
    hidden = count.count is None
    return {"label": count.label,
            "count": page._(FEWER) if hidden else number(count.count, page.language),
            "share": "" if hidden else share_text(page, count.share)}


def stats(page: Page, kind: str, cut: Cut) -> list[tuple[str, str]]:
    """The numbers of a number or date question (n first), as (heading, value)."""
    lang = page.language
    if cut.hidden or not cut.answered:
        return []
    if kind in results.NUMBERS:
        return [("n", number(cut.answered, lang)), (page._(MEAN), number(cut.mean, lang)),
                (page._(MEDIAN), number(cut.median, lang)),
                (page._(LEAST), number(cut.minimum, lang)),
                (page._(MOST), number(cut.maximum, lang))]
    if kind == "date":
        return [("n", number(cut.answered, lang)), (page._(EARLIEST), cut.earliest),
                (page._(LATEST), cut.latest)]
    return []


def columns(page: Page, question: QuestionResult) -> list[str]:
    """The headings of the question's breakdown tables, after the group's name."""
    if question.kind in results.CHOICES or question.kind == "calculate":
        return [page._(ANSWERED), *results.choices_named(question).values()]
    if question.kind in results.NUMBERS:
        return ["n", page._(MEAN), page._(MEDIAN), page._(LEAST), page._(MOST)]
    if question.kind == "date":
        return ["n", page._(EARLIEST), page._(LATEST)]
    return [page._(ANSWERED)]


def breakdown_row(page: Page, question: QuestionResult, cut: Cut, name: str) -> dict:
    """A group's line of a breakdown: its cells in the order of `columns`, or "fewer than 5"
    across when the group is small."""
    if cut.hidden:
        return {"name": name, "hidden": True, "cells": []}
    lang = page.language
    if question.kind in results.CHOICES or question.kind == "calculate":
        mine = {count.name: count for count in cut.counts}
        cells = [number(cut.answered, lang)]
        for choice in results.choices_named(question):
            count = mine.get(choice)
            if count is None:
                cells.append(number(0, lang))
            elif count.count is None:
                cells.append(page._(FEWER))
            else:
                cells.append(f"{number(count.count, lang)} ({share_text(page, count.share)})")
        return {"name": name, "hidden": False, "cells": cells}
    cells = [value for _, value in stats(page, question.kind, cut)] or [number(cut.answered,
                                                                                lang)]
    wanted = len(columns(page, question))
    return {"name": name, "hidden": False, "cells": cells + [""] * (wanted - len(cells))}
