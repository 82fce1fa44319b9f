// The operator's screen: the briefing of one live line, read again every 3 seconds (If-None-Match: a 304 when
// nothing changed), with what changed since the last view marked and announced. The activation comes from the
// URL (?activationId=…, the contact attribute Amazon Connect's flow sets) or is pasted; the token never is.
import { ApiError, call } from "./api.js";
import { LANGUAGES } from "./facts.js";
import { formatInstant, label, t } from "./i18n.js";
import { el, i18n, problemText } from "./dom.js";

export const PARAMETER = "activationId"; // the contact attribute of infra/connect/crisis-line.json
const POLL_MS = 3000;
// An activation id is a UUID; anything else is refused before it reaches the API or the URL.
const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let root = null;
let activationId = null;
let sheet = null;
let etag = null;
let changed = new Set(); // parts changed at the last change: "reason", "message.nl", "items.en", …
let timer = null;
let ended = null; // a key that says why the briefing is no longer shown

export async function show(container) {
  stop();
  root = container;
  sheet = null;
  etag = null;
  changed = new Set();
  ended = null;
  const fromUrl = new URLSearchParams(location.search).get(PARAMETER);
  if (fromUrl && ID_PATTERN.test(fromUrl.trim())) {
    await open(fromUrl.trim());
  } else {
    renderChooser(fromUrl ? "operator.id.error" : null);
  }
}

export function relabel() {
  if (!root || !sheet) return;
  for (const time of root.querySelectorAll("time[datetime]")) time.textContent = formatInstant(time.dateTime);
}

function stop() {
  if (timer) clearTimeout(timer);
  timer = null;
}

// ---------------------------------------------------------------- without an id: paste one
function renderChooser(errorKey) {
  const input = el("input", {
    type: "text",
    id: "operator-id",
    autocomplete: "off",
    spellcheck: "false",
    autocapitalize: "off",
    required: true,
    "aria-describedby": "operator-id-hint operator-id-error",
  });
  const error = el("p", { id: "operator-id-error", class: "error-message", "aria-live": "assertive" });
  const box = el(
    "div",
    { class: "field", id: "operator-id-field" },
    i18n("label", "operator.id", undefined, { for: "operator-id" }),
    i18n("p", "operator.id.hint", undefined, { id: "operator-id-hint", class: "hint" }),
    error,
    input,
  );
  const showError = (key) => {
    if (key) label(error, key);
    box.classList.toggle("field-error", Boolean(key));
    if (key) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  const form = el(
    "form",
    { novalidate: true, id: "operator-id-form", "aria-labelledby": "operator-choose-title" },
    box,
    i18n("button", "operator.id.button", undefined, { type: "submit", class: "button" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = input.value.trim();
    if (!ID_PATTERN.test(typed)) {
      showError(typed ? "operator.id.error" : "operator.id.empty");
      input.focus();
      return;
    }
    // The id (never the token) goes into the address, so a reload or a bookmark opens the same briefing.
    const url = new URL(location.href);
    url.searchParams.set(PARAMETER, typed);
    history.replaceState(null, "", url);
    await open(typed);
    document.getElementById("operator-title")?.focus();
  });
  root.replaceChildren(
    i18n("h1", "operator.choose.title", undefined, { id: "operator-choose-title", tabindex: "-1" }),
    i18n("p", "operator.choose.intro", undefined, { class: "lead" }),
    form,
  );
  if (errorKey) showError(errorKey);
}

// ---------------------------------------------------------------- the briefing
async function open(id) {
  activationId = id;
  root.setAttribute("aria-busy", "true");
  root.replaceChildren(
    i18n("h1", "operator.title", undefined, { id: "operator-title", tabindex: "-1" }),
    el("p", { id: "operator-announce", class: "visually-hidden", "aria-live": "polite", role: "status" }),
    el("div", { id: "operator-sheet" }),
  );
  await poll(true);
  root.removeAttribute("aria-busy");
}

async function poll(first = false) {
  stop();
  const section = root && root.querySelector("#operator-sheet");
  if (!section || !section.isConnected) return; // signed out, or another screen: polling ends
  try {
    const headers = etag ? { "If-None-Match": etag } : {};
    const answer = await call("GET", `/activations/${encodeURIComponent(activationId)}/briefing`, { headers });
    const before = sheet;
    sheet = answer.body;
    etag = answer.etag;
    if (before) {
      changed = differences(before, sheet);
      if (changed.size) announce(changed);
    }
    renderSheet();
  } catch (error) {
    if (error instanceof ApiError && error.status === 304) {
      // nothing changed: nothing to draw
    } else if (error instanceof ApiError && error.status === 404) {
      ended = first ? "operator.closed.unknown" : "operator.closed";
      renderEnded();
      return;
    } else if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      ended = "operator.refused";
      renderEnded();
      return;
    } else {
      showTrouble(problemText(error));
    }
  }
  if (root.querySelector("#operator-sheet")?.isConnected) timer = setTimeout(() => poll(), POLL_MS);
}

// What differs between two sheets, part by part, in the order the page shows them.
function differences(before, after) {
  const found = new Set();
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  for (const name of ["number", "reason", "d2", "operators"]) {
    if (!same(before[name], after[name])) found.add(name);
  }
  for (const code of after.languages || []) {
    if (!same((before.message || {})[code], (after.message || {})[code])) found.add(`message.${code}`);
    if (!same((before.items || {})[code], (after.items || {})[code])) found.add(`items.${code}`);
  }
  if (!same(before.languages, after.languages)) found.add("languages");
  return found;
}

function partName(part) {
  const [kind, code] = part.split(".");
  return t(`operator.part.${kind}`, code ? { language: code } : {});
}

function announce(parts) {
  const box = root.querySelector("#operator-announce");
  if (!box) return;
  const sentence = t("operator.changed", { parts: [...parts].map(partName).join(", ") });
  box.textContent = "";
  // A new text node after the region is emptied is what screen readers announce.
  setTimeout(() => {
    box.textContent = sentence;
  }, 50);
}

function showTrouble(text) {
  const section = root.querySelector("#operator-sheet");
  let trouble = root.querySelector("#operator-trouble");
  if (!trouble) {
    trouble = el("p", { id: "operator-trouble", class: "notice warning", role: "status" });
    section.before(trouble);
  }
  trouble.textContent = t("operator.trouble", { problem: text });
}

function mark(part) {
  return changed.has(part) ? i18n("strong", "operator.changed.mark", undefined, { class: "changed-mark" }) : null;
}

function changedClass(part) {
  return changed.has(part) ? "changed" : null;
}

function renderSheet() {
  const section = root.querySelector("#operator-sheet");
  root.querySelector("#operator-trouble")?.remove();
  const languages = sheet.languages || [];
  const facts = el(
    "dl",
    { class: "facts" },
    i18n("dt", "operator.number"),
    el("dd", { class: changedClass("number") }, el("span", { class: "briefing-number", text: sheet.number }), mark("number")),
    i18n("dt", "operator.reason"),
    el("dd", { class: changedClass("reason") }, el("span", { text: sheet.reason }), mark("reason")),
    i18n("dt", "operator.since"),
    el("dd", {}, el("time", { datetime: sheet.opened_at, text: formatInstant(sheet.opened_at) })),
    i18n("dt", "operator.authority"),
    el("dd", { text: sheet.authority_name || sheet.authority_id }),
    i18n("dt", "operator.d2"),
    el("dd", { class: changedClass("d2") }, i18n("span", sheet.d2 ? "answer.yes" : "answer.no"), mark("d2")),
    i18n("dt", "operator.operators"),
    el("dd", { class: changedClass("operators") }, el("span", { text: String(sheet.operators) }), mark("operators")),
    i18n("dt", "operator.languages"),
    el(
      "dd",
      { class: changedClass("languages") },
      el("span", { text: languages.map((code) => languageName(code)).join(", ") }),
      mark("languages"),
    ),
  );
  const messages = el(
    "section",
    { "aria-labelledby": "operator-messages-title" },
    i18n("h2", "operator.messages", undefined, { id: "operator-messages-title" }),
    ...languages.map((code) =>
      el(
        "div",
        { class: ["briefing-part", changedClass(`message.${code}`)].filter(Boolean).join(" ") },
        el("h3", {}, i18n("span", "operator.message.in", { languageKey: `language.name.${code}` }), " ", mark(`message.${code}`)),
        el("p", { class: "briefing-message", lang: code, text: (sheet.message || {})[code] || "" }),
      ),
    ),
  );
  const answers = el(
    "section",
    { "aria-labelledby": "operator-items-title" },
    i18n("h2", "operator.items", undefined, { id: "operator-items-title" }),
    ...languages.map((code) => itemsOf(code)),
  );
  section.replaceChildren(facts, messages, answers);
}

function languageName(code) {
  return LANGUAGES.includes(code) ? t(`language.name.${code}`) : code;
}

function itemsOf(code) {
  const items = (sheet.items || {})[code] || [];
  const part = `items.${code}`;
  const list = items.length
    ? el(
        "dl",
        { class: "briefing-items", lang: code },
        ...items.flatMap((item) => [el("dt", { text: item.question }), el("dd", { text: item.answer })]),
      )
    : i18n("p", "operator.items.none", undefined, { class: "hint" });
  return el(
    "div",
    { class: ["briefing-part", changedClass(part)].filter(Boolean).join(" ") },
    el("h3", {}, i18n("span", "operator.items.in", { languageKey: `language.name.${code}` }), " ", mark(part)),
    list,
  );
}

function renderEnded() {
  stop();
  const section = root.querySelector("#operator-sheet");
  if (!section) return;
  root.querySelector("#operator-trouble")?.remove();
  const notice = i18n("p", ended, undefined, { class: "notice warning", role: "status", id: "operator-ended" });
  const again = i18n("button", "operator.other", undefined, { type: "button", class: "button secondary" });
  again.addEventListener("click", () => {
    const url = new URL(location.href);
    url.searchParams.delete(PARAMETER);
    history.replaceState(null, "", url);
    sheet = null;
    etag = null;
    changed = new Set();
    renderChooser(null);
    document.getElementById("operator-id")?.focus();
  });
  section.replaceChildren(notice, again);
}
