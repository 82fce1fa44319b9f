"""The console's texts and facts: every language has every text, and the facts it shows match their source."""

from __future__ import annotations

import json
import re
from pathlib import Path

from crisisline import facts
from tests.console.conftest import Console

CONSOLE = Path(__file__).resolve().parents[2] / "console"


def _texts(code: str) -> dict[str, str]:
    return json.loads((CONSOLE / "i18n" / f"{code}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_every_language_file_has_exactly_the_same_keys() -> None:
    files = sorted(path.stem for path in (CONSOLE / "i18n").glob("*.json"))
    assert files == sorted(facts.LANGUAGES)
    english = set(_texts("en"))
    for code in facts.LANGUAGES:
        assert set(_texts(code)) == english, code


def test_every_text_has_the_same_placeholders_in_every_language() -> None:
    english = _texts("en")
    for code in facts.LANGUAGES:
        for key, text in _texts(code).items():
            assert text.strip(), (code, key)
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", english[key])), (code, key)


def test_the_console_keeps_no_capacity_per_operator_of_its_own_and_its_languages_are_the_services() -> None:
    source = (CONSOLE / "js" / "facts.js").read_text(encoding="utf-8")
    assert "CALLS_PER_OPERATOR_HOUR" not in source  # GET /me says it, as the tariffs do
    languages = re.search(r"LANGUAGES = \[(.*?)\];", source)
    assert languages is not None and re.findall(r'"(\w+)"', languages.group(1)) == list(facts.LANGUAGES)


def test_no_console_file_reaches_another_origin_or_writes_html() -> None:
    for path in CONSOLE.rglob("*"):
        if path.suffix in (".html", ".js", ".css"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"https?://", text), path
            assert "innerHTML" not in text and "insertAdjacentHTML" not in text, path
            assert " style=" not in text and "<script>" not in text, path


def test_dates_read_day_first_on_a_24_hour_clock_in_every_language(console: Console) -> None:
    page = console.open()
    shown = page.evaluate(
        """async () => {
            const i18n = await import("/console/js/i18n.js");
            const out = {};
            for (const code of ["nl", "fr", "de", "en"]) {
                await i18n.useLanguage(code);
                out[code] = i18n.formatInstant("2026-11-29T17:47:00Z");
            }
            return out;
        }"""
    )
    for code, text in shown.items():
        assert "18:47" in text, (code, text)  # Brussels time, 24-hour clock
        assert text.index("29") < text.lower().index("nov"), (code, text)  # the day before the month
