"""The after-action report as a file: a PDF of a few pages, or one self-contained HTML page (inline SVG, one
style block allowed by its hash, no script). ReportLab draws the charts once for both. Typed text is text:
escaped for ReportLab's paragraph markup and for HTML. Dates day first on a 24-hour clock, Europe/Brussels,
with UTC noted; amounts as written in the report's language."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from activate.after_action import Event, Report
from crisisline.clock import parse_iso
from crisisline.months import BRUSSELS

TEXTS: dict[str, dict[str, str]] = {
    "title": {
        "nl": "Verslag na de crisis",
        "fr": "Rapport après la crise",
        "de": "Bericht nach der Krise",
        "en": "After-action report",
    },
    "line": {"nl": "Lijn", "fr": "Ligne", "de": "Leitung", "en": "Line"},
    "reason": {"nl": "Reden", "fr": "Motif", "de": "Grund", "en": "Reason"},
    "open": {"nl": "Open", "fr": "Ouverte", "de": "Offen", "en": "Open"},
    "still_open": {"nl": "nog open", "fr": "encore ouverte", "de": "noch offen", "en": "still open"},
    "times": {
        "nl": "Tijden in Brussel (UTC tussen haakjes).",
        "fr": "Heures de Bruxelles (UTC entre parenthèses).",
        "de": "Brüsseler Zeit (UTC in Klammern).",
        "en": "Times in Brussels (UTC in brackets).",
    },
    "timeline": {"nl": "Verloop", "fr": "Chronologie", "de": "Ablauf", "en": "Timeline"},
    "by": {"nl": "door", "fr": "par", "de": "durch", "en": "by"},
    "channel_api": {"nl": "API", "fr": "API", "de": "API", "en": "API"},
    "channel_console": {"nl": "console", "fr": "console", "de": "Konsole", "en": "console"},
    "channel_phone": {"nl": "telefoon", "fr": "téléphone", "de": "Telefon", "en": "phone"},
    "opened": {"nl": "Lijn geopend", "fr": "Ligne ouverte", "de": "Leitung geöffnet", "en": "Line opened"},
    "closed": {"nl": "Lijn gesloten", "fr": "Ligne fermée", "de": "Leitung geschlossen", "en": "Line closed"},
    "message": {"nl": "Bericht", "fr": "Message", "de": "Ansage", "en": "Message"},
    "operators": {"nl": "Operatoren", "fr": "Opérateurs", "de": "Operatoren", "en": "Operators"},
    "languages": {"nl": "Talen", "fr": "Langues", "de": "Sprachen", "en": "Languages"},
    "calls": {"nl": "Oproepen", "fr": "Appels", "de": "Anrufe", "en": "Calls"},
    "calls_chart": {
        "nl": "Oproepen per uur tegenover capaciteit",
        "fr": "Appels par heure face à la capacité",
        "de": "Anrufe pro Stunde gegenüber der Kapazität",
        "en": "Calls per hour against capacity",
    },
    "waits_chart": {
        "nl": "Wachttijd (mediaan, p90, seconden) en opgehangen in de wachtrij",
        "fr": "Attente (médiane, p90, secondes) et abandons en file",
        "de": "Wartezeit (Median, p90, Sekunden) und Abbrüche in der Warteschlange",
        "en": "Waits (median, p90, seconds) and abandoned in the queue",
    },
    "capacity": {"nl": "Capaciteit", "fr": "Capacité", "de": "Kapazität", "en": "Capacity"},
    "median": {"nl": "Mediaan", "fr": "Médiane", "de": "Median", "en": "Median"},
    "abandoned": {"nl": "Opgehangen", "fr": "Abandons", "de": "Abbrüche", "en": "Abandoned"},
    "no_calls": {
        "nl": "Er kwamen geen oproepen binnen op deze lijn.",
        "fr": "Cette ligne n'a reçu aucun appel.",
        "de": "Auf dieser Leitung gingen keine Anrufe ein.",
        "en": "This line received no calls.",
    },
    "totals": {"nl": "Totalen", "fr": "Totaux", "de": "Summen", "en": "Totals"},
    "answered": {"nl": "Beantwoord", "fr": "Répondus", "de": "Beantwortet", "en": "Answered"},
    "callbacks": {
        "nl": "Terugbellen aangeboden",
        "fr": "Rappels proposés",
        "de": "Rückrufe angeboten",
        "en": "Callbacks offered",
    },
    "minutes": {"nl": "Gespreksminuten", "fr": "Minutes d'appel", "de": "Gesprächsminuten", "en": "Call minutes"},
    "operator_hours": {
        "nl": "Operatoruren",
        "fr": "Heures d'opérateur",
        "de": "Operatorstunden",
        "en": "Operator hours",
    },
    "operators_most": {
        "nl": "Meeste operatoren",
        "fr": "Opérateurs au maximum",
        "de": "Höchstens Operatoren",
        "en": "Most operators",
    },
    "split": {"nl": "D5/D2-verdeling", "fr": "Répartition D5/D2", "de": "Aufteilung D5/D2", "en": "D5/D2 split"},
    "d2": {"nl": "D2-lijn", "fr": "Ligne D2", "de": "D2-Leitung", "en": "D2 line"},
    "d2_enquiries": {"nl": "Aanvragen", "fr": "Demandes", "de": "Anfragen", "en": "Enquiries"},
    "d2_persons": {
        "nl": "Gezochte personen",
        "fr": "Personnes recherchées",
        "de": "Gesuchte Personen",
        "en": "Persons sought",
    },
    "d2_matched": {
        "nl": "Gevonden (bevestigd)",
        "fr": "Retrouvées (confirmé)",
        "de": "Gefunden (bestätigt)",
        "en": "Found (confirmed)",
    },
    "d2_callbacks": {"nl": "Teruggebeld", "fr": "Rappels effectués", "de": "Rückrufe erledigt", "en": "Callbacks done"},
    "d2_median": {
        "nl": "Mediaan tot eerste nieuws",
        "fr": "Médiane jusqu'aux premières nouvelles",
        "de": "Median bis zur ersten Nachricht",
        "en": "Median time to first news",
    },
    "d2_small": {
        "nl": "Alleen aantallen; een aantal van 1 tot 4 staat als <5.",
        "fr": "Des comptages seulement ; un nombre de 1 à 4 est noté <5.",
        "de": "Nur Zahlen; eine Zahl von 1 bis 4 steht als <5.",
        "en": "Counts only; a count from 1 to 4 is shown as <5.",
    },
    "d2_archived": {
        "nl": "Bewaard bij het wissen van de D2-gegevens",
        "fr": "Conservés lors de l'effacement des données D2",
        "de": "Bei der Löschung der D2-Daten aufbewahrt",
        "en": "Kept when the D2 data was erased",
    },
    "cost": {
        "nl": "Kosten per onderdeel (zoals de financiële export)",
        "fr": "Coût par composante (comme l'export financier)",
        "de": "Kosten nach Posten (wie der Finanzexport)",
        "en": "Cost by component (as the finance export)",
    },
    "month": {"nl": "Maand", "fr": "Mois", "de": "Monat", "en": "Month"},
    "personnel": {"nl": "Personeel", "fr": "Personnel", "de": "Personal", "en": "Personnel"},
    "number": {"nl": "Nummer", "fr": "Numéro", "de": "Nummer", "en": "Number"},
    "telephony": {"nl": "Telefonie", "fr": "Téléphonie", "de": "Telefonie", "en": "Telephony"},
    "total": {"nl": "Totaal", "fr": "Total", "de": "Gesamt", "en": "Total"},
    "generated": {"nl": "Opgemaakt", "fr": "Établi le", "de": "Erstellt", "en": "Generated"},
}


def _t(report: Report, key: str) -> str:
    return TEXTS[key][report.language]


def when(instant: datetime | str | None, language: str) -> str:
    """A UTC instant as Belgians write it, day first on a 24-hour clock in Brussels, with UTC beside it."""
    if instant is None:
        return ""
    if isinstance(instant, str):
        instant = parse_iso(instant)
    local = instant.astimezone(BRUSSELS)
    day = local.strftime("%d.%m.%Y" if language == "de" else "%d/%m/%Y")
    return f"{day} {local:%H:%M} ({instant.astimezone(UTC):%H:%M} UTC)"


def euros(amount: Decimal, language: str) -> str:
    """`€ 1.234,56` in Dutch, French and German, `€1,234.56` in English."""
    text = f"{amount:,.2f}"
    if language == "en":
        return f"€{text}"
    return "€ " + text.replace(",", " ").replace(".", ",").replace(" ", ".")


def number(value: float, language: str, places: int = 0) -> str:
    text = f"{value:,.{places}f}"
    return text if language == "en" else text.replace(",", " ").replace(".", ",").replace(" ", ".")


# ---------------------------------------------------------------------- what both formats show
def _event_text(report: Report, event: Event) -> str:
    """What happened, then who did it and how (the activator's name or the token's label, and the channel)."""
    what = _what(report, event)
    if not event.by and not event.channel:
        return what
    channel = f" ({_t(report, 'channel_' + event.channel)})" if event.channel in CHANNELS else ""
    return f"{what} — {_t(report, 'by')} {event.by or '?'}{channel}"


CHANNELS = ("api", "console", "phone")


def _what(report: Report, event: Event) -> str:
    if event.kind == "opened":
        return f"{_t(report, 'opened')}; {_t(report, 'operators').lower()}: {event.after}"
    if event.kind == "closed":
        return _t(report, "closed")
    if event.kind == "operators":
        return f"{_t(report, 'operators')}: {event.before} → {event.after}"
    if event.kind == "languages":
        return f"{_t(report, 'languages')}: {', '.join(event.before or [])} → {', '.join(event.after or [])}"
    return f"{_t(report, 'message')} ({event.language}): {event.text}"


def _summary(report: Report) -> list[tuple[str, str]]:
    totals, lang = report.figures.totals, report.language
    return [
        (_t(report, "calls"), number(totals.calls_offered, lang)),
        (_t(report, "answered"), number(totals.calls_answered, lang)),
        (_t(report, "abandoned"), number(totals.abandoned_in_queue, lang)),
        (_t(report, "callbacks"), number(totals.callbacks_offered, lang)),
        ("p50 / p90 (s)", f"{totals.wait_median_seconds or '–'} / {totals.wait_p90_seconds or '–'}"),
        (_t(report, "minutes"), number(report.call_seconds / 60, lang, 1)),
        (_t(report, "operator_hours"), number(report.operator_seconds / 3600, lang, 1)),
        (_t(report, "operators_most"), str(report.operators_most)),
    ]


def _split(report: Report) -> str:
    share = report.figures.totals.d2_share
    if share is None:
        return f"{_t(report, 'split')}: –"
    d2 = round(share * 100)
    return f"{_t(report, 'split')}: D5 {100 - d2}% · D2 {d2}%"


def _count(value: Any, language: str) -> str:
    """A count of people as the D2 figures give it: a number, or `"<5"` kept as it is."""
    return number(value, language) if isinstance(value, int) else str(value)


def _d2_rows(report: Report) -> list[tuple[str, str]] | None:
    """The D2 line's counts (None when the line had no D2 line), the median wait in minutes."""
    if report.d2 is None:
        return None
    d2, lang = report.d2, report.language
    median = d2.get("median_seconds_to_first_news")
    return [
        (_t(report, "d2_enquiries"), _count(d2["enquiries"], lang)),
        (_t(report, "d2_persons"), _count(d2["persons_sought"], lang)),
        (_t(report, "d2_matched"), _count(d2["matched"], lang)),
        (_t(report, "d2_callbacks"), _count(d2["callbacks_done"], lang)),
        (_t(report, "d2_median"), "–" if median is None else f"{number(median / 60, lang)} min"),
    ]


def _d2_notes(report: Report) -> list[str]:
    notes = [_t(report, "d2_small")]
    if report.d2 and report.d2.get("purged"):
        notes.append(f"{_t(report, 'd2_archived')}: {when(report.d2.get('as_of'), report.language) or '–'}")
    return notes


def _cost_rows(report: Report) -> list[list[str]]:
    lang = report.language
    header = [_t(report, key) for key in ("month", "personnel", "number", "telephony", "total")]
    rows = [header]
    for line in report.cost:
        label = line.month if line.line == "activation" else f"{line.month} ({line.adjusts_month})"
        rows.append(
            [
                label,
                *(
                    euros(getattr(line, name), lang)
                    for name in ("personnel_eur", "number_eur", "telephony_eur", "total_eur")
                ),
            ]
        )
    total = report.cost_total
    rows.append(
        [
            _t(report, "total"),
            *(euros(total[name], lang) for name in ("personnel_eur", "number_eur", "telephony_eur", "total_eur")),
        ]
    )
    return rows


# ---------------------------------------------------------------------- charts (ReportLab drawings)
WIDTH, HEIGHT = 480, 220
BLUE, GREY, GREEN, RED, ORANGE = (
    colors.HexColor(code) for code in ("#1d70b8", "#b1b4b6", "#00703c", "#d4351c", "#f47738")
)


def _labels(starts: Sequence[str], language: str) -> list[str]:
    every = max(1, len(starts) // 12)
    shown = []
    for index, start in enumerate(starts):
        local = datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(BRUSSELS)
        text = f"{local:%d/%m %H}h" if len(starts) > 24 else f"{local:%H}h"
        shown.append(text if index % every == 0 else "")
    return shown


def _categories(chart: Any, report: Report) -> None:
    chart.categoryAxis.categoryNames = _labels([hour.start for hour in report.figures.hours], report.language)
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0


def _at_least(values: Sequence[float], floor: int) -> int:
    """An axis's top: whole numbers even when every value is 0."""
    return max(floor, int(max(values, default=0) * 1.1) + 1)


def calls_chart(report: Report) -> Drawing:
    """Calls offered per hour beside the capacity in force at the hour's end."""
    hours = report.figures.hours
    drawing = Drawing(WIDTH, HEIGHT)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 40, WIDTH - 60, HEIGHT - 80
    chart.data = [[hour.calls_offered for hour in hours], [hour.capacity_per_hour for hour in hours]]
    chart.bars[0].fillColor = BLUE
    chart.bars[1].fillColor = GREY
    chart.bars.strokeWidth = 0
    _categories(chart, report)
    chart.valueAxis.valueMax = _at_least([*chart.data[0], *chart.data[1]], 10)
    drawing.add(chart)
    drawing.add(String(40, HEIGHT - 12, _t(report, "calls_chart"), fontSize=9, fontName="Helvetica-Bold"))
    drawing.add(_legend([(BLUE, _t(report, "calls")), (GREY, _t(report, "capacity"))], HEIGHT - 18))
    return drawing


def waits_chart(report: Report) -> Drawing:
    """Above, the median and 90th percentile wait per hour in seconds; below, the callers who hung up in the
    queue: two plots, each on its own axis."""
    hours = report.figures.hours
    height = 280
    drawing = Drawing(WIDTH, height)
    waits = HorizontalLineChart()
    waits.x, waits.y, waits.width, waits.height = 40, 150, WIDTH - 60, 85
    waits.data = [
        [hour.wait_median_seconds or 0 for hour in hours],
        [hour.wait_p90_seconds or 0 for hour in hours],
    ]
    waits.lines[0].strokeColor = GREEN
    waits.lines[1].strokeColor = RED
    waits.lines.strokeWidth = 1.5
    _categories(waits, report)
    waits.categoryAxis.labels.visible = False
    waits.valueAxis.valueMax = _at_least([*waits.data[0], *waits.data[1]], 60)
    drawing.add(waits)
    abandoned = VerticalBarChart()
    abandoned.x, abandoned.y, abandoned.width, abandoned.height = 40, 40, WIDTH - 60, 85
    abandoned.data = [[hour.abandoned_in_queue for hour in hours]]
    abandoned.bars[0].fillColor = ORANGE
    abandoned.bars.strokeWidth = 0
    _categories(abandoned, report)
    abandoned.valueAxis.valueMax = _at_least(abandoned.data[0], 10)
    drawing.add(abandoned)
    drawing.add(String(40, height - 12, _t(report, "waits_chart"), fontSize=9, fontName="Helvetica-Bold"))
    drawing.add(_legend([(GREEN, _t(report, "median")), (RED, "p90"), (ORANGE, _t(report, "abandoned"))], height - 18))
    return drawing


def _legend(pairs: list[tuple[Any, str]], top: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = 40, top
    legend.alignment = "right"
    legend.boxAnchor = "nw"
    legend.columnMaximum = 1
    legend.fontSize = 7
    legend.colorNamePairs = pairs
    legend.dx = legend.dy = 6
    legend.deltax = 70
    return legend


def _has_calls(report: Report) -> bool:
    return report.figures.totals.calls_offered > 0 or any(line.calls for line in report.cost)


# ---------------------------------------------------------------------- PDF
def pdf(report: Report) -> bytes:
    """The report as a PDF: the line and its timeline; the charts; the totals, the split and the cost."""
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["Italic"]
    activation, lang = report.activation, report.language
    story: list[Any] = [
        Paragraph(
            escape(f"{_t(report, 'title')}: {activation.get('authority_name') or activation['authority_id']}"),
            styles["Title"],
        ),
        Paragraph(
            escape(
                f"{_t(report, 'line')} {activation.get('number', '')} · "
                f"{_t(report, 'reason')}: {activation.get('reason', '')}"
            ),
            body,
        ),
        Paragraph(
            escape(
                f"{_t(report, 'open')}: {when(activation['opened_at'], lang)} – "
                f"{when(activation.get('closed_at'), lang) or _t(report, 'still_open')}"
            ),
            body,
        ),
        Paragraph(escape(_t(report, "times")), small),
        Spacer(1, 0.3 * cm),
        Paragraph(escape(_t(report, "timeline")), styles["Heading2"]),
    ]
    rows = [[when(event.at, lang), Paragraph(escape(_event_text(report, event)), body)] for event in report.events]
    if rows:
        table = Table(rows, colWidths=[4.2 * cm, 12.3 * cm], repeatRows=0)
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTSIZE", (0, 0), (0, -1), 8)]))
        story.append(table)
    story += [PageBreak(), Paragraph(escape(_t(report, "calls")), styles["Heading2"])]
    if _has_calls(report):
        story += [calls_chart(report), Spacer(1, 0.4 * cm), waits_chart(report), Spacer(1, 0.4 * cm)]
    else:
        story.append(Paragraph(escape(_t(report, "no_calls")), body))
    summary = Table(_summary(report), colWidths=[6 * cm, 4 * cm])
    summary.setStyle(TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT"), ("FONTSIZE", (0, 0), (-1, -1), 9)]))
    story += [PageBreak(), Paragraph(escape(_t(report, "totals")), styles["Heading2"]), summary, Spacer(1, 0.3 * cm)]
    story.append(Paragraph(escape(_split(report)), body))
    d2 = _d2_rows(report)
    if d2 is not None:
        counts = Table(d2, colWidths=[6 * cm, 4 * cm])
        counts.setStyle(TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT"), ("FONTSIZE", (0, 0), (-1, -1), 9)]))
        story += [Paragraph(escape(_t(report, "d2")), styles["Heading3"]), counts]
        story += [Paragraph(escape(note), small) for note in _d2_notes(report)]
    cost = Table(_cost_rows(report), colWidths=[3.5 * cm, 3.2 * cm, 3.2 * cm, 3.2 * cm, 3.2 * cm])
    cost.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
            ]
        )
    )
    story += [Paragraph(escape(_t(report, "cost")), styles["Heading2"]), cost, Spacer(1, 0.5 * cm)]
    story.append(Paragraph(escape(f"{_t(report, 'generated')}: {when(report.generated_at, lang)}"), small))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        title=_t(report, "title"),
        author="crisisline",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        invariant=True,
    ).build(story)
    return out.getvalue()


# ---------------------------------------------------------------------- HTML
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#0b0c0c}"
    "table{border-collapse:collapse;margin:1rem 0}td,th{border-bottom:1px solid #b1b4b6;padding:.3rem .6rem;"
    "text-align:left;vertical-align:top}td.n,th.n{text-align:right}svg{max-width:100%;height:auto}"
    ".message{white-space:pre-wrap}"
)
# Served by the API, not the site: its own policy, allowing only its one style block (by hash) and no script.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    + "'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')


def inline_svg(drawing: Drawing) -> str:
    """A drawing as inline SVG whose every style is a presentation attribute (a strict CSP refuses style
    attributes, not presentation attributes)."""
    svg = renderSVG.drawToString(drawing)
    svg = svg[svg.index("<svg") :]

    def attributes(match: re.Match[str]) -> str:
        pairs = [part.split(":", 1) for part in match.group(1).split(";") if ":" in part]
        return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)

    return _STYLE_ATTRIBUTE.sub(attributes, svg)


def page(report: Report) -> str:
    """The report as one self-contained HTML page: inline SVG, one style block, no script."""
    activation, lang = report.activation, report.language
    e = html.escape
    parts = [
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{e(_t(report, 'title'))}</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(_t(report, 'title'))}: {e(str(activation.get('authority_name') or activation['authority_id']))}</h1>",
        f"<p>{e(_t(report, 'line'))} {e(str(activation.get('number', '')))} · {e(_t(report, 'reason'))}: "
        f"{e(str(activation.get('reason', '')))}</p>",
        f"<p>{e(_t(report, 'open'))}: {e(when(activation['opened_at'], lang))} – "
        f"{e(when(activation.get('closed_at'), lang) or _t(report, 'still_open'))}</p>",
        f"<p><small>{e(_t(report, 'times'))}</small></p>",
        f"<h2>{e(_t(report, 'timeline'))}</h2><table>",
    ]
    for event in report.events:
        language = f' lang="{e(event.language)}"' if event.language else ""
        parts.append(
            f"<tr><td>{e(when(event.at, lang))}</td>"
            f'<td class="message"{language}>{e(_event_text(report, event))}</td></tr>'
        )
    parts.append(f"</table><h2>{e(_t(report, 'calls'))}</h2>")
    if _has_calls(report):
        parts += [
            f'<figure aria-label="{e(_t(report, "calls_chart"))}">{inline_svg(calls_chart(report))}</figure>',
            f'<figure aria-label="{e(_t(report, "waits_chart"))}">{inline_svg(waits_chart(report))}</figure>',
        ]
    else:
        parts.append(f"<p>{e(_t(report, 'no_calls'))}</p>")
    parts.append(f"<h3>{e(_t(report, 'totals'))}</h3><table>")
    parts += [f'<tr><th>{e(label)}</th><td class="n">{e(value)}</td></tr>' for label, value in _summary(report)]
    parts.append(f"</table><p>{e(_split(report))}</p>")
    d2 = _d2_rows(report)
    if d2 is not None:
        parts.append(f'<h3>{e(_t(report, "d2"))}</h3><table class="d2">')
        parts += [f'<tr><th>{e(label)}</th><td class="n">{e(value)}</td></tr>' for label, value in d2]
        parts.append("</table>" + "".join(f"<p><small>{e(note)}</small></p>" for note in _d2_notes(report)))
    rows = _cost_rows(report)
    parts.append(f"<h2>{e(_t(report, 'cost'))}</h2><table>")
    parts.append("<tr>" + "".join(f'<th class="n">{e(cell)}</th>' for cell in rows[0]) + "</tr>")
    parts += ["<tr>" + "".join(f'<td class="n">{e(cell)}</td>' for cell in row) + "</tr>" for row in rows[1:]]
    parts.append(f"</table><p><small>{e(_t(report, 'generated'))}: {e(when(report.generated_at, lang))}</small></p>")
    parts.append("</body></html>")
    return "".join(parts)
