"""The public page of an authority's line, `/status/{authority_id}`: an address the authority publishes in
advance. While its line is live the page shows the message in each of the line's languages, the number to call
and when it was last updated; otherwise that no crisis line is open, in the four languages.

Plain Python, no template engine: every text a person typed (the authority's name, the messages) is escaped
here, and the page has no script and no inline style (the site's Content-Security-Policy allows neither): it
links the one shared stylesheet, STYLESHEET, published beside the pages."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from crisisline.clock import iso
from crisisline.facts import LANGUAGES

BRUSSELS = ZoneInfo("Europe/Brussels")
PAGE_CACHE_CONTROL = "public, max-age=30"  # a change reaches readers within half a minute
STYLESHEET_CACHE_CONTROL = "public, max-age=300"
PAGE_CONTENT_TYPE = "text/html; charset=utf-8"
STYLESHEET_CONTENT_TYPE = "text/css; charset=utf-8"
STYLESHEET_KEY = "status/status.css"

_LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "de": "Deutsch", "en": "English"}
_TEXTS: dict[str, dict[str, str]] = {
    "title": {"nl": "Crisislijn", "fr": "Ligne de crise", "de": "Krisentelefon", "en": "Crisis line"},
    "call": {"nl": "Bel", "fr": "Appelez le", "de": "Rufen Sie an", "en": "Call"},
    "closed": {
        "nl": "Er is geen crisislijn open.",
        "fr": "Aucune ligne de crise n'est ouverte.",
        "de": "Derzeit ist kein Krisentelefon geschaltet.",
        "en": "No crisis line is open.",
    },
    "emergency": {
        "nl": "Bij nood: bel 112.",
        "fr": "En cas d'urgence : appelez le 112.",
        "de": "Im Notfall: 112 anrufen.",
        "en": "In an emergency, call 112.",
    },
    "updated": {"nl": "Bijgewerkt", "fr": "Mis à jour", "de": "Aktualisiert", "en": "Updated"},
    "reload": {"nl": "Opnieuw laden", "fr": "Recharger", "de": "Neu laden", "en": "Reload"},
}

STYLESHEET = """\
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:112.5%;line-height:1.5;
color:#0b0c0c;background:#fff;-webkit-text-size-adjust:100%}
body{margin:0 auto;padding:1rem;max-width:40rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.1rem;margin:0 0 .25rem}
p{margin:0 0 1rem;overflow-wrap:anywhere}
.call{display:block;margin:0 0 1.5rem;padding:.75rem .5rem;border-radius:.25rem;background:#00703c;color:#fff;
font-size:clamp(1.5rem,9vw,2.5rem);font-weight:700;text-align:center;text-decoration:none;white-space:nowrap}
.call:focus{outline:3px solid #fd0;outline-offset:0}
.call small{display:block;font-size:1rem;font-weight:400;white-space:normal}
section{border-left:.3rem solid #1d70b8;padding-left:.75rem;margin:0 0 1.5rem}
.closed section{border-color:#505a5f}
footer{color:#505a5f;font-size:.9rem;border-top:1px solid #b1b4b6;padding-top:.5rem}
"""


def page_key(authority_id: str) -> str:
    """The page's key in the status bucket (its address is /status/{authority_id})."""
    return f"status/{authority_id}/index.html"


def render(authority_id: str, authority_name: str | None, line: dict[str, Any] | None, updated: datetime) -> str:
    """The page as HTML: `line` is the live activation (languages, message, number), or None when no line is
    open. `updated` is the instant the page says it was last updated."""
    name = authority_name or authority_id
    if line is not None:
        languages = [lang for lang in line["languages"] if lang in LANGUAGES]
        main = _live(line, languages)
        css_class = "live"
    else:
        languages = list(LANGUAGES)
        main = _closed()
        css_class = "closed"
    first = languages[0] if languages else "en"
    titles = " · ".join(_TEXTS["title"][lang] for lang in languages)
    return (
        "<!doctype html>\n"
        f'<html lang="{first}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_text(name)} – {titles}</title>\n"
        '<link rel="stylesheet" href="/status/status.css">\n'
        f'</head>\n<body class="{css_class}">\n<main>\n'
        f"<h1>{_text(name)}<br>{titles}</h1>\n{main}</main>\n"
        f"{_footer(languages, updated)}"
        "</body>\n</html>\n"
    )


def _text(value: str) -> str:
    """Typed text as element content: it can never become markup."""
    return escape(value, quote=False)


def _live(line: dict[str, Any], languages: list[str]) -> str:
    number = str(line["number"])
    label = " · ".join(_TEXTS["call"][lang] for lang in languages)
    parts = [f'<a class="call" href="tel:{escape(number)}"><small>{label}</small>{_text(number)}</a>\n']
    for lang in languages:
        message = str(line.get("message", {}).get(lang, ""))
        parts.append(
            f'<section lang="{lang}">\n<h2>{_LANGUAGE_NAMES[lang]}</h2>\n<p>{_text(message)}</p>\n</section>\n'
        )
    return "".join(parts)


def _closed() -> str:
    return "".join(
        f'<section lang="{lang}">\n<p><strong>{_TEXTS["closed"][lang]}</strong> {_TEXTS["emergency"][lang]}</p>\n'
        "</section>\n"
        for lang in LANGUAGES
    )


def _footer(languages: list[str], updated: datetime) -> str:
    wall = updated.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M")
    label = " · ".join(_TEXTS["updated"][lang] for lang in languages)
    # The reader reloads when they choose: a timed refresh would take the page from under a screen reader
    # (WCAG 2.2.1). The page's own address, so the link works wherever the site is served.
    reload = " · ".join(_TEXTS["reload"][lang] for lang in languages)
    return (
        f'<footer>\n<p>{label}: <time datetime="{iso(updated)}">{wall}</time> (Brussels)</p>\n'
        f'<p><a href="">{reload}</a></p>\n</footer>\n'
    )
