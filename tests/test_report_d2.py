"""The after-action report of a line with a D2 line shows the D2 line's aggregate figures as `GET …/d2/figures`
computes them: counts only, 1 to 4 written "<5", from the archive once the purge has erased the D2 data, and
never a name of anyone who asked or was asked about."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from crisisline.clock import parse_iso
from crisisline.models import Caller
from tests.conftest import Api, table_items
from tests.d2_support import D2Line, d2_line, enquiry, open_line, put_match  # noqa: F401  (the fixture)
from tests.test_report import pdf_text

COUNTS = ("enquiries", "persons_sought", "matched", "callbacks_done")
SOUGHT = [("Marie", "Van den Broeck"), ("Lucas", "Peeters"), ("Emma", "Janssens"), ("Noah", "Maes"),
          ("Louise", "Jacobs"), ("Arthur", "Mertens")]  # fmt: skip
ENQUIRER = "Hendrik Wouters"
# The report's Dutch row labels (Gent speaks Dutch first), each with what the figure must show.
ROWS = {"Aanvragen": "6", "Gezochte personen": "6", "Gevonden (bevestigd)": "<5", "Teruggebeld": "0"}


def _six_enquiries_three_matched(line: D2Line) -> None:
    recorded = [line.record(enquiry(given, family, name=ENQUIRER)) for given, family in SOUGHT]
    for n, found in enumerate(recorded[:3]):
        put_match(line.activation_id, f"m-{n}", found, f"entry-{n}")


def _report(line: D2Line, written: str) -> Any:
    answer = line.api.get(f"{line.path}/report?format={written}", line.gent)
    assert answer.status == 200, answer.body
    return answer


def _figures(line: D2Line) -> dict[str, Any]:
    answer = line.api.get(f"{line.path}/d2/figures", line.gent)
    assert answer.status == 200, answer.body
    return answer.body  # type: ignore[no-any-return]


def _rows_in_html(page: str) -> dict[str, str]:
    section = page[page.index('<table class="d2">') :]
    section = section[: section.index("</table>")]
    return dict(re.findall(r"<tr><th>([^<]*)</th><td class=\"n\">([^<]*)</td></tr>", section))


def _unescaped(rows: dict[str, str]) -> dict[str, str]:
    return {label: value.replace("&lt;", "<") for label, value in rows.items()}


def test_the_reports_d2_counts_are_the_d2_figures_of_the_same_activation(d2_line: D2Line) -> None:  # noqa: F811
    from activate import after_action, logic

    _six_enquiries_three_matched(d2_line)
    shown = _figures(d2_line)
    gent = Caller(role="authority", credential_id="c", authority_id="44021")
    made = after_action.report(gent, d2_line.activation_id, logic.default_store())
    assert made.d2 is not None
    assert {name: made.d2[name] for name in COUNTS} == {name: shown[name] for name in COUNTS}
    assert (shown["enquiries"], shown["persons_sought"], shown["matched"], shown["callbacks_done"]) == (6, 6, "<5", 0)
    assert _unescaped(_rows_in_html(_report(d2_line, "html").raw.decode())) == {
        **ROWS,
        "Mediaan tot eerste nieuws": "–",
    }


def test_a_count_of_three_is_written_fewer_than_five_in_the_pdf_and_the_html(d2_line: D2Line) -> None:  # noqa: F811
    _six_enquiries_three_matched(d2_line)
    page = _report(d2_line, "html").raw.decode()
    assert _rows_in_html(page)["Gevonden (bevestigd)"] == "&lt;5"
    text = pdf_text(_report(d2_line, "pdf").raw)
    lines = text.splitlines()
    for label, value in ROWS.items():
        assert lines[lines.index(label) + 1] == value, label
    assert "3" not in lines[lines.index("Gevonden (bevestigd)") + 1]


def test_after_the_purge_the_report_shows_the_archived_counts(d2_line: D2Line) -> None:  # noqa: F811
    from d2 import purge

    _six_enquiries_three_matched(d2_line)
    before = _rows_in_html(_report(d2_line, "html").raw.decode())
    closed = d2_line.api.post(f"{d2_line.path}/close", d2_line.gent)
    assert closed.status == 200, closed.body
    after_retention = parse_iso(closed.body["closed_at"]) + timedelta(days=31)
    assert purge.lambda_handler({}, None, now=lambda: after_retention) == {"purged": [d2_line.activation_id]}
    assert [i for i in table_items("D2Table") if i["activation_id"]["S"] == d2_line.activation_id] == []
    assert _figures(d2_line)["purged"] is True
    page = _report(d2_line, "html").raw.decode()
    assert _rows_in_html(page) == before
    assert "Bewaard bij het wissen van de D2-gegevens" in page
    lines = pdf_text(_report(d2_line, "pdf").raw).splitlines()
    assert lines[lines.index("Aanvragen") + 1] == "6"


def test_a_line_without_a_d2_line_shows_no_d2_table(api: Api, gent: str, add_numbers: Any) -> None:
    add_numbers("+3280012345")
    activation_id = open_line(api, gent, victim_information=False)
    page = api.get(f"/activations/{activation_id}/report?format=html", gent).raw.decode()
    assert "D5/D2-verdeling" in page  # the section is there, without a D2 table
    assert 'class="d2"' not in page and "Aanvragen" not in page
    text = pdf_text(api.get(f"/activations/{activation_id}/report", gent).raw)
    assert "D5/D2-verdeling" in text and "Aanvragen" not in text


@pytest.mark.parametrize("written", ["html", "pdf"])
def test_no_name_of_an_enquirer_or_a_sought_person_is_in_the_report(d2_line: D2Line, written: str) -> None:  # noqa: F811
    _six_enquiries_three_matched(d2_line)
    body = _report(d2_line, written).raw
    text = body.decode() if written == "html" else pdf_text(body)
    assert "Aanvragen" in text  # the D2 table is there
    names = [ENQUIRER, *(part for person in SOUGHT for part in person)]
    assert [name for name in names if name in text] == []


def test_the_activation_functions_role_reads_only_the_counted_fields_of_d2_items() -> None:
    from crisisline.stores.d2_figures import FIELDS
    from infra.local import template

    policies = template.load()["Resources"]["ActivateFunction"]["Properties"]["Policies"]
    statement = next(
        item
        for policy in policies
        for item in policy.get("Statement", [])
        if item["Resource"] == {"Fn::GetAtt": ["D2Table", "Arn"]}
    )
    allowed = statement["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
    projected = {name.strip().lstrip("#") for name in FIELDS.split(",")}
    assert set(allowed) == projected | {"activation_id"}
    assert not {"given_names", "family_name", "enquirer", "phone", "name"} & set(allowed)
    assert statement["Condition"]["StringEqualsIfExists"]["dynamodb:Select"] == "SPECIFIC_ATTRIBUTES"
