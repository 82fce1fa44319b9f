// A live line's figures (GET /activations/{id}/figures) as a compact table of its last hours, and the
// staffing advice (GET /activations/{id}/advice) beside the operators field, with one button that applies it
// through the change form (the same PATCH, audited as any change). Numbers only: nothing a person typed.
import { call } from "./api.js";
import { formatInstant, label, locale } from "./i18n.js";
import { el, i18n, problemText } from "./dom.js";

const HOURS_SHOWN = 4;
const COLUMNS = [
  ["calls_offered", "authority.figures.offered"],
  ["calls_answered", "authority.figures.answered"],
  ["abandoned_in_queue", "authority.figures.abandoned"],
  ["callbacks_offered", "authority.figures.callbacks.offered"],
  ["callbacks_completed", "authority.figures.callbacks.completed"],
  ["d2_share", "authority.figures.d2"],
  ["wait_median_seconds", "authority.figures.wait.median"],
  ["wait_p90_seconds", "authority.figures.wait.p90"],
  ["handle_mean_seconds", "authority.figures.handle"],
  ["operators", "authority.figures.operators"],
  ["capacity_per_hour", "authority.figures.capacity"],
];

function shown(name, value) {
  if (value === null || value === undefined) return "–";
  if (name === "d2_share") return new Intl.NumberFormat(locale(), { style: "percent" }).format(value);
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(value);
}

function fillTable(table, figures) {
  const hours = (figures.hours || []).slice(-HOURS_SHOWN).reverse();
  const body = el("tbody");
  for (const hour of hours) {
    body.append(
      el(
        "tr",
        {},
        el("th", { scope: "row" }, el("time", { datetime: hour.start, text: formatInstant(hour.start) })),
        ...COLUMNS.map(([name]) => el("td", { text: shown(name, hour[name]) })),
      ),
    );
  }
  table.querySelector("tbody")?.remove();
  table.append(body);
}

// The section with the table of the last hours, newest first; read once per view of the live line.
export function figuresSection(activationId) {
  const status = el("p", { class: "notice", role: "status", id: "figures-status" });
  const table = el(
    "table",
    { class: "figures", id: "figures-table" },
    i18n("caption", "authority.figures.caption", undefined, { id: "figures-caption" }),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        i18n("th", "authority.figures.hour", undefined, { scope: "col" }),
        ...COLUMNS.map(([, key]) => i18n("th", key, undefined, { scope: "col" })),
      ),
    ),
  );
  const section = el(
    "section",
    { "aria-labelledby": "figures-title", class: "figures-section" },
    i18n("h2", "authority.figures.title", undefined, { id: "figures-title" }),
    i18n("p", "authority.figures.hint", undefined, { class: "hint" }),
    status,
    el("div", { class: "figures-scroll", tabindex: "0", role: "region", "aria-labelledby": "figures-caption" }, table),
  );
  call("GET", `/activations/${encodeURIComponent(activationId)}/figures`)
    .then((answer) => fillTable(table, answer.body))
    .catch((error) => {
      status.textContent = problemText(error);
    });
  return section;
}

// The advice beside the operators field: what the next hour needs, the service level it gives, what the
// difference costs an hour, and "Apply advice", which puts the number in `operators` and calls `apply`.
export function adviceBox(activationId, operators, apply) {
  const text = el("p", { id: "advice-text", "aria-live": "polite" });
  const button = i18n("button", "authority.advice.apply", undefined, { type: "button", class: "button secondary", hidden: true });
  const box = el(
    "div",
    { class: "advice", id: "advice" },
    i18n("h3", "authority.advice.title", undefined, { id: "advice-title" }),
    text,
    button,
  );
  call("GET", `/activations/${encodeURIComponent(activationId)}/advice`)
    .then(({ body }) => {
      if (body.reason === "no_calls") {
        label(text, "authority.advice.no_calls", { operators: body.recommended_operators });
        return;
      }
      const money = new Intl.NumberFormat(locale(), { style: "currency", currency: "EUR" });
      const level = new Intl.NumberFormat(locale(), { style: "percent" }).format(body.predicted_service_level ?? 0);
      label(text, "authority.advice.text", {
        operators: body.recommended_operators,
        level,
        within: body.inputs.answer_within_seconds,
        calls: Math.round(body.inputs.calls_per_hour),
        cost: money.format(Number(body.cost_difference_per_hour)),
      });
      if (body.recommended_operators !== body.operators_in_force) {
        button.hidden = false;
        button.addEventListener("click", () => {
          operators.value = String(body.recommended_operators);
          operators.dispatchEvent(new Event("input"));
          apply();
        });
      }
    })
    .catch((error) => {
      text.textContent = problemText(error);
    });
  return box;
}
