"""A D2 coordinator follows up: two relatives asking about one person show up as related enquiries, and the
coordinator links them as one person (or undoes it); once another coordinator confirms a match with a hospital's
list, the relative is to be called back with what to say in their language, and the call's outcome is recorded
(no answer keeps the callback due). A death is passed to the police victim assistance service, never called."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import http
from tests.console.conftest import Console
from tests.console.test_d2_agent import d2_line, issue  # noqa: F401  (a fixture)
from tests.console.test_d2_coordinator import open_screen
from tests.console.test_finance_screen import _violations

LIST_HEADER = "source_ref;given_names;family_name;birth_date;sex;status;location"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def coordinator(console: Console) -> str:
    return issue(console, "d2_coordinator", "Karel Peeters")


def record(console: Console, token: str, activation_id: str, enquirer: str, language: str = "en") -> dict[str, Any]:
    body = {
        "sought": {"given_names": "Marie", "family_name": "Van den Broeck", "birth_date": "1987-03-14", "sex": "f"},
        "enquirer": {
            "name": enquirer,
            "phone": "+32470998877",
            "relationship": "sister",
            "language": language,
            "callback_consent": True,
        },
    }
    status, _, recorded = http("POST", f"{console.stack.api_url}/activations/{activation_id}/enquiries", token, body)
    assert status == 201, recorded
    return recorded  # type: ignore[no-any-return]


def confirmed_match(
    console: Console, coordinator: str, activation_id: str, status: str, **enquirer: Any
) -> dict[str, Any]:
    """An enquiry, a hospital's list with its person, and a match one coordinator proposes and another confirms."""
    base = f"{console.stack.api_url}/activations/{activation_id}"
    found = record(console, coordinator, activation_id, **enquirer)
    row = f"UZG-17;Marie;Vandenbroeck;1987-03-14;F;{status};UZ Gent, dienst 3B"
    request = urllib.request.Request(
        f"{base}/lists?source=UZ%20Gent", method="POST", data=f"{LIST_HEADER}\n{row}\n".encode()
    )
    request.add_header("Authorization", f"Bearer {coordinator}")
    request.add_header("Content-Type", "text/csv")
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert json.loads(answer.read())["scoring"] == "done"
    code, _, candidates = http("GET", f"{base}/enquiries/{found['reference']}/candidates", coordinator)
    assert code == 200 and candidates["items"], candidates
    proposal = {"reference": found["reference"], "entry_id": candidates["items"][0]["entry_id"]}
    code, _, match = http("POST", f"{base}/matches", coordinator, proposal)
    assert code == 201, match
    second = issue(console, "d2_coordinator", "An Janssens")
    code, _, decided = http("POST", f"{base}/matches/{match['id']}/confirm", second)
    assert code == 200, decided
    return found


def related_to(console: Console, token: str, activation_id: str, reference: str) -> list[tuple[str, bool]]:
    path = f"{console.stack.api_url}/activations/{activation_id}/enquiries/{reference}/related"
    code, _, answer = http("GET", path, token)
    assert code == 200, answer
    return [(item["reference"], item["linked"]) for item in answer["items"]]


def callbacks(console: Console, token: str, activation_id: str, status: str) -> list[dict[str, Any]]:
    path = f"{console.stack.api_url}/activations/{activation_id}/callbacks?status={status}"
    code, _, answer = http("GET", path, token)
    assert code == 200, answer
    return answer["items"]  # type: ignore[no-any-return]


def test_two_relatives_asking_about_one_person_are_related_and_the_coordinator_links_then_unlinks_them(
    console: Console,
    coordinator: str,
    d2_line: str,  # noqa: F811
) -> None:
    mother = record(console, coordinator, d2_line, "Ann Van den Broeck")
    sister = record(console, coordinator, d2_line, "Lotte Van den Broeck")
    page = open_screen(console, coordinator, d2_line)
    related = page.get_by_role("region", name="Related enquiries")
    related.get_by_label("Reference of the enquiry").fill(mother["reference"].lower())
    related.get_by_role("button", name="Find related enquiries").click()
    table = related.get_by_role("table", name=f"Enquiries that may be about the same person as {mother['reference']}")
    row = table.get_by_role("row").filter(has_text=sister["reference"])
    expect(row).to_contain_text("A: strong")
    expect(row).to_contain_text("family name")
    expect(row).to_contain_text("Not linked")
    assert _violations(page) == []

    row.get_by_role("button", name=f"Link {sister['reference']}").click()
    expect(related.get_by_role("status")).to_have_text(
        f"{sister['reference']} is linked to {mother['reference']}: both enquiries are now about one person."
    )
    expect(row).to_contain_text("Linked: one person")
    expect(row.get_by_role("button", name=f"Unlink {sister['reference']}")).to_be_focused()
    assert related_to(console, coordinator, d2_line, mother["reference"]) == [(sister["reference"], True)]
    assert _violations(page) == []

    row.get_by_role("button", name=f"Unlink {sister['reference']}").click()
    expect(related.get_by_role("status")).to_contain_text("is undone")
    expect(row).to_contain_text("Not linked")
    assert related_to(console, coordinator, d2_line, mother["reference"]) == [(sister["reference"], False)]


def test_a_missing_reference_is_told_next_to_its_field(
    console: Console,
    coordinator: str,
    d2_line: str,  # noqa: F811
) -> None:
    page = open_screen(console, coordinator, d2_line)
    related = page.get_by_role("region", name="Related enquiries")
    related.get_by_role("button", name="Find related enquiries").click()
    expect(related.get_by_text("Enter the reference of an enquiry.")).to_be_visible()
    expect(related.get_by_label("Reference of the enquiry")).to_be_focused()
    expect(related.get_by_label("Reference of the enquiry")).to_have_attribute("aria-invalid", "true")
    assert _violations(page) == []


def test_a_confirmed_match_is_a_callback_due_and_reaching_the_relative_moves_it_to_done(
    console: Console,
    coordinator: str,
    d2_line: str,  # noqa: F811
) -> None:
    found = confirmed_match(console, coordinator, d2_line, "hospitalised", enquirer=HOSTILE)
    page = open_screen(console, coordinator, d2_line)
    section = page.get_by_role("region", name="Callbacks")
    task = section.get_by_role("article", name=f"{found['reference']} News to give")
    expect(task).to_contain_text(HOSTILE)  # the name a person typed, as text
    assert page.locator("#d2c-callbacks img").count() == 0
    expect(task.get_by_role("link", name="+32470998877")).to_have_attribute("href", "tel:+32470998877")
    expect(task.get_by_role("blockquote")).to_contain_text("is in hospital: UZ Gent, dienst 3B")
    assert _violations(page) == []

    task.get_by_role("button", name="Record that the found person refuses").click()
    expect(section.get_by_role("status")).to_contain_text("Refusal recorded")
    expect(task.get_by_role("blockquote")).to_contain_text("does not wish their whereabouts to be shared")
    expect(task.get_by_role("blockquote")).not_to_contain_text("3B")

    task.get_by_label("Reached").check()
    task.get_by_label("Note (optional)").fill("Sister will visit <b>today</b>")
    task.get_by_role("button", name=f"Record the outcome for {found['reference']}").click()
    expect(section.get_by_role("status")).to_have_text(
        f"Recorded: {found['reference']} was reached. The callback is now under Done."
    )
    expect(section.get_by_text("No callback is due.")).to_be_visible()
    assert callbacks(console, coordinator, d2_line, "due") == []
    section.get_by_label("Done", exact=True).check()
    done = section.get_by_role("article", name=f"{found['reference']} News to give")
    expect(done).to_contain_text("Reached")
    expect(done).to_contain_text("Sister will visit <b>today</b>")
    expect(done).to_contain_text("Karel Peeters")
    [reported] = callbacks(console, coordinator, d2_line, "done")
    assert (reported["outcome"], reported["note"]) == ("reached", "Sister will visit <b>today</b>")
    assert _violations(page) == []


def test_no_answer_keeps_the_callback_due(
    console: Console,
    coordinator: str,
    d2_line: str,  # noqa: F811
) -> None:
    found = confirmed_match(console, coordinator, d2_line, "reception_centre", enquirer="Jan Van den Broeck")
    page = open_screen(console, coordinator, d2_line)
    section = page.get_by_role("region", name="Callbacks")
    task = section.get_by_role("article", name=f"{found['reference']} News to give")
    expect(task.get_by_role("group", name="Outcome of the call")).to_contain_text("the callback stays due")
    task.get_by_role("button", name=f"Record the outcome for {found['reference']}").click()
    expect(task.get_by_text("Choose the outcome of the call.")).to_be_visible()
    task.get_by_label("No answer").check()
    task.get_by_role("button", name=f"Record the outcome for {found['reference']}").click()
    expect(section.get_by_role("status")).to_contain_text("The callback stays due: try again later.")
    expect(section.get_by_role("article", name=f"{found['reference']} News to give")).to_be_visible()
    assert [item["reference"] for item in callbacks(console, coordinator, d2_line, "due")] == [found["reference"]]
    assert [item["outcome"] for item in callbacks(console, coordinator, d2_line, "done")] == ["no_answer"]


def test_a_death_is_passed_to_the_police_victim_assistance_service_and_never_called(
    console: Console,
    coordinator: str,
    d2_line: str,  # noqa: F811
) -> None:
    found = confirmed_match(console, coordinator, d2_line, "deceased", enquirer="Jan Van den Broeck")
    page = open_screen(console, coordinator, d2_line)
    section = page.get_by_role("region", name="Callbacks")
    task = section.get_by_role("article", name=f"{found['reference']} Death: for the police victim assistance service")
    expect(task).to_contain_text("do not call this relative")
    expect(task).to_contain_text("+32470998877")
    assert task.get_by_role("link").count() == 0  # no number to dial
    assert task.get_by_label("Reached").count() == 0
    assert _violations(page) == []
    task.get_by_label("Passed on to the police victim assistance service").check()
    task.get_by_role("button", name=f"Record the outcome for {found['reference']}").click()
    expect(section.get_by_role("status")).to_contain_text("passed on to the police victim assistance service")
    assert callbacks(console, coordinator, d2_line, "due") == []
