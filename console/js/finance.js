// Finance's screen: a month's costs (its totals per authority, frozen or provisional), the export as CSV or XLSX,
// and the tariff versions. Months are Europe/Brussels calendar months, as the export counts them.
import { ApiError, call, fetchFile } from "./api.js";
import { formatInstant, label, locale, t } from "./i18n.js";
import { el, i18n, problemText, saveFile } from "./dom.js";

const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const ACCEPT = { csv: "text/csv", xlsx: XLSX_TYPE };

let root = null;
let month = null; // the month shown, YYYY-MM
let exported = null; // its JSON export
let tariffs = null;
let asked = 0; // the latest month asked for: an earlier answer arriving later is not shown

export async function show(container) {
  root = container;
  month = null;
  exported = null;
  tariffs = null;
  render();
  await Promise.all([chooseFirstMonth(), loadTariffs()]);
}

// After a change of language: amounts, dates and months are formatted again.
export function relabel() {
  if (!root) return;
  fillMonth();
  fillTariffs();
}

// The month an instant falls in, in Brussels.
export function brusselsMonth(when = new Date()) {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Brussels", year: "numeric", month: "2-digit" })
    .formatToParts(when);
  const part = (type) => parts.find((one) => one.type === type).value;
  return `${part("year")}-${part("month")}`;
}

function monthBefore(value) {
  const [year, number] = value.split("-").map(Number);
  return number === 1 ? `${year - 1}-12` : `${year}-${String(number - 1).padStart(2, "0")}`;
}

function monthName(value) {
  const [year, number] = value.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { year: "numeric", month: "long", timeZone: "UTC" }).format(
    new Date(Date.UTC(year, number - 1, 1)),
  );
}

// Amounts arrive as decimal text; shown in the reader's language, never summed here.
function euros(text) {
  const value = Number(text);
  if (!Number.isFinite(value)) return String(text);
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "EUR" }).format(value);
}

function count(value) {
  return new Intl.NumberFormat(locale()).format(Number(value) || 0);
}

// ---------------------------------------------------------------- the screen
function render() {
  const field = el("input", {
    type: "month",
    id: "finance-month",
    min: "2000-01",
    max: brusselsMonth(),
    required: true,
    "aria-describedby": "finance-month-hint finance-month-error",
  });
  const form = el(
    "form",
    { novalidate: true, id: "finance-month-form", "aria-labelledby": "finance-title" },
    el(
      "div",
      { class: "field", id: "finance-month-field" },
      i18n("label", "finance.month", undefined, { for: "finance-month" }),
      i18n("p", "finance.month.hint", undefined, { id: "finance-month-hint", class: "hint" }),
      el("p", { id: "finance-month-error", class: "error-message", "aria-live": "polite" }),
      field,
    ),
    i18n("button", "finance.month.show", undefined, { type: "submit", class: "button" }),
  );
  // A month typed while the first one still loads is not overwritten when that one arrives.
  field.addEventListener("input", () => {
    field.dataset.typed = "true";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = field.value;
    if (!/^\d{4}-\d{2}$/.test(chosen)) {
      monthError("finance.month.error");
      field.focus();
      return;
    }
    monthError(null);
    await loadMonth(chosen);
  });
  root.replaceChildren(
    i18n("h1", "finance.title", undefined, { id: "finance-title", tabindex: "-1" }),
    i18n("p", "finance.intro", undefined, { class: "lead" }),
    form,
    el("div", { id: "finance-month-view" }),
    el(
      "section",
      { id: "finance-tariffs", "aria-labelledby": "finance-tariffs-title" },
      i18n("h2", "finance.tariffs.title", undefined, { id: "finance-tariffs-title" }),
      el("div", { id: "finance-tariffs-body" }),
    ),
  );
}

function monthError(key) {
  const error = root.querySelector("#finance-month-error");
  const input = root.querySelector("#finance-month");
  if (key) label(error, key);
  else {
    delete error.dataset.i18n;
    error.textContent = "";
  }
  root.querySelector("#finance-month-field").classList.toggle("field-error", Boolean(key));
  if (key) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

// The last closed month when it is frozen (the 1st of a month, before the next is under way), else this month.
async function chooseFirstMonth() {
  const current = brusselsMonth();
  const ask = ++asked;
  try {
    const previous = await call("GET", `/exports/${monthBefore(current)}`);
    if (ask !== asked) return;
    if (previous.body && previous.body.frozen) {
      showMonth(monthBefore(current), previous.body);
      return;
    }
  } catch {
    // the month before may not be one the export covers (before 2000-01); this month is shown instead
  }
  if (ask === asked) await loadMonth(current);
}

async function loadMonth(chosen) {
  const view = root.querySelector("#finance-month-view");
  const ask = ++asked;
  view.setAttribute("aria-busy", "true");
  try {
    const answer = await call("GET", `/exports/${encodeURIComponent(chosen)}`);
    if (ask === asked) {
      showMonth(chosen, answer.body);
      delete root.querySelector("#finance-month").dataset.typed;
    }
  } catch (error) {
    if (ask !== asked) return;
    month = null;
    exported = null;
    const problem = error instanceof ApiError && error.code === "validation_error" ? error.message : problemText(error);
    monthError(null);
    const box = root.querySelector("#finance-month-error");
    box.textContent = problem;
    root.querySelector("#finance-month-field").classList.add("field-error");
    root.querySelector("#finance-month").setAttribute("aria-invalid", "true");
    view.replaceChildren();
  } finally {
    view.removeAttribute("aria-busy");
  }
}

function showMonth(chosen, body) {
  month = chosen;
  exported = body;
  const field = root.querySelector("#finance-month");
  if (!field.dataset.typed) field.value = chosen;
  fillMonth();
}

function fillMonth() {
  const view = root.querySelector("#finance-month-view");
  if (!view || !exported) return;
  const state = exported.frozen
    ? i18n("p", "finance.state.frozen", { when: formatInstant(exported.frozen_at || "") }, { class: "notice" })
    : i18n("p", "finance.state.provisional", undefined, { class: "notice warning" });
  const totals = exported.totals || [];
  const grand = exported.grand_total || {};
  const heading = el("h2", { id: "finance-month-title", text: t("finance.month.title", { month: monthName(month) }) });
  const facts = el(
    "dl",
    { class: "facts" },
    i18n("dt", "finance.total"),
    el("dd", { class: "finance-total", text: euros(exported.total_eur || "0.00") }),
    i18n("dt", "finance.lines"),
    el("dd", { text: count(grand.lines) }),
    i18n("dt", "finance.calls"),
    el("dd", { text: count(grand.calls) }),
  );
  const table = totals.length ? totalsTable(totals, grand) : i18n("p", "finance.empty");
  view.replaceChildren(heading, state, facts, table, downloads());
}

function totalsTable(totals, grand) {
  const columns = [
    ["finance.col.authority", null],
    ["finance.col.lines", (row) => count(row.lines)],
    ["finance.col.calls", (row) => count(row.calls)],
    ["finance.col.answered", (row) => count(row.answered_calls)],
    ["finance.col.personnel", (row) => euros(row.personnel_eur)],
    ["finance.col.number", (row) => euros(row.number_eur)],
    ["finance.col.telephony", (row) => euros(row.telephony_eur)],
    ["finance.col.total", (row) => euros(row.total_eur)],
  ];
  const head = el("tr", {}, ...columns.map(([key]) => el("th", { scope: "col", text: t(key) })));
  const rows = totals.map((row) =>
    el(
      "tr",
      {},
      el("th", { scope: "row", text: `${row.authority_name || ""} (${row.authority_id})` }),
      ...columns.slice(1).map(([, shown]) => el("td", { class: "amount", text: shown(row) })),
    ),
  );
  const total = el(
    "tr",
    { class: "grand-total" },
    el("th", { scope: "row", text: t("finance.total") }),
    ...columns.slice(1).map(([, shown]) => el("td", { class: "amount", text: shown(grand) })),
  );
  return el(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "finance-totals-caption" },
    el(
      "table",
      { class: "finance-table" },
      el("caption", { id: "finance-totals-caption", text: t("finance.totals.caption", { month: monthName(month) }) }),
      el("thead", {}, head),
      el("tbody", {}, ...rows),
      el("tfoot", {}, total),
    ),
  );
}

// ---------------------------------------------------------------- downloads
function downloads() {
  const status = el("p", { class: "download-status", id: "finance-download-status", role: "status" });
  const buttons = ["csv", "xlsx"].map((kind) => {
    const button = i18n("button", `finance.download.${kind}`, undefined, { type: "button", class: "button secondary" });
    button.addEventListener("click", () => download(kind, button, status));
    return button;
  });
  return el(
    "section",
    { "aria-labelledby": "finance-download-title" },
    i18n("h2", "finance.download.title", undefined, { id: "finance-download-title" }),
    i18n("p", exported.frozen ? "finance.download.frozen" : "finance.download.provisional", undefined, { class: "hint" }),
    el("div", { class: "buttons" }, ...buttons),
    status,
  );
}

// The file comes from the API on this origin with the token in the Authorization header (never in a URL), as
// bytes also for a closed month (the frozen file, checked against its checksum by the API), and is handed to
// the browser as a download. The presigned S3 links of a frozen export's JSON are not used: they are another
// origin, which this console never reaches.
async function download(kind, button, status) {
  const shown = month;
  button.disabled = true;
  label(status, "finance.download.busy");
  try {
    const blob = await fetchFile(`/exports/${encodeURIComponent(shown)}?format=${kind}`, ACCEPT[kind]);
    const name = `crisisline-${shown}.${kind}`;
    saveFile(blob, name);
    label(status, "finance.download.done", { name });
  } catch (error) {
    status.textContent = problemText(error);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- tariffs
async function loadTariffs() {
  try {
    tariffs = (await call("GET", "/tariffs")).body;
  } catch (error) {
    tariffs = { problem: problemText(error) };
  }
  fillTariffs();
}

function fillTariffs() {
  const body = root.querySelector("#finance-tariffs-body");
  if (!body || !tariffs) return;
  if (tariffs.problem) {
    body.replaceChildren(el("p", { class: "notice error", role: "alert", text: tariffs.problem }));
    return;
  }
  const inForce = (tariffs.in_force || {}).effective_from;
  const versions = [...(tariffs.tariffs || [])].reverse(); // newest first
  const columns = [
    ["finance.tariff.operator_hour", (v) => euros(v.operator_hour)],
    ["finance.tariff.number_day.did", (v) => euros(v.number_day.did)],
    ["finance.tariff.number_day.toll_free", (v) => euros(v.number_day.toll_free)],
    ["finance.tariff.telephony_minute.did", (v) => perMinute(v.telephony_minute.did)],
    ["finance.tariff.telephony_minute.toll_free", (v) => perMinute(v.telephony_minute.toll_free)],
    ["finance.tariff.service_minute", (v) => perMinute(v.service_minute)],
    ["finance.tariff.minimum", (v) => count(v.personnel_minimum_hours)],
    ["finance.tariff.calls", (v) => count(v.calls_per_operator_hour)],
    ["finance.tariff.grace", (v) => count(v.grace_minutes)],
  ];
  const head = el(
    "tr",
    {},
    el("th", { scope: "col", text: t("finance.tariff.from") }),
    ...columns.map(([key]) => el("th", { scope: "col", text: t(key) })),
  );
  const rows = versions.map((version) => {
    const current = version.effective_from === inForce;
    const from = el("th", { scope: "row" }, el("time", { datetime: version.effective_from, text: formatInstant(version.effective_from) }));
    if (current) from.append(el("br"), el("strong", { class: "tag", text: t("finance.tariff.in_force") }));
    return el(
      "tr",
      current ? { class: "in-force" } : {},
      from,
      ...columns.map(([, shown]) => el("td", { class: "amount", text: shown(version) })),
    );
  });
  body.replaceChildren(
    i18n("p", "finance.tariffs.intro", undefined, { class: "hint" }),
    el(
      "div",
      { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "finance-tariffs-caption" },
      el(
        "table",
        { class: "finance-table" },
        el("caption", { id: "finance-tariffs-caption", text: t("finance.tariffs.caption") }),
        el("thead", {}, head),
        el("tbody", {}, ...rows),
      ),
    ),
  );
}

// Per-minute rates have three decimals (0.018): shown as they are, with the currency.
function perMinute(text) {
  const value = Number(text);
  if (!Number.isFinite(value)) return String(text);
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "EUR", maximumFractionDigits: 4 }).format(value);
}
