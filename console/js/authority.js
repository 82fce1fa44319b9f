// The authority's screen: open the crisis line; once it is live, its number, changes, closing and audit trail.
// Everything a person typed reaches the page through textContent or value only.
import { myPinSection } from "./activators.js";
import { ApiError, call } from "./api.js";
import { LANGUAGES, LIMITS } from "./facts.js";
import { formatInstant, label, language, t } from "./i18n.js";
import { el, field, group, i18n, problemText } from "./dom.js";
import { defaultMessageSection, useDefaultMessageButton } from "./default_message.js";
import { adviceBox, figuresSection } from "./figures.js";
import { reportSection } from "./report.js";

let root = null;
let me = null;
let authority = null;
let live = null; // the live activation, with its etag
let audit = [];
let lastClosed = null; // the authority's most recently closed line, whose after-action report it may download
let pendingNotice = null; // { key, args, kind } shown once by the next render

export async function show(container, who) {
  // An activator signed in with their own token also changes their PIN, below the line's screen.
  root = who.activator_id ? el("div") : container;
  me = who;
  if (who.activator_id) container.replaceChildren(root, myPinSection());
  await load();
}

// After a change of language: the data-i18n texts are already translated; dates and the audit are redrawn.
export function relabel() {
  if (!root) return;
  for (const time of root.querySelectorAll("time[datetime]")) time.textContent = formatInstant(time.dateTime);
  const list = root.querySelector("#audit-list");
  if (list) fillAudit(list);
  const templates = root.querySelector("#template");
  if (templates) fillTemplates(templates);
}

function operatorsControl(value) {
  const input = el("input", {
    type: "number",
    inputmode: "numeric",
    min: LIMITS.operatorsMin,
    max: LIMITS.operatorsMax,
    step: 1,
    required: true,
  });
  input.value = String(value);
  return input;
}

// "4 operators answer about 48 calls an hour", kept up to date as the number changes.
function capacityLine(input) {
  const output = el("p", { class: "capacity", "aria-live": "polite", id: `${input.id}-capacity` });
  const update = () => {
    const operators = Number(input.value);
    if (Number.isInteger(operators) && operators >= LIMITS.operatorsMin && operators <= LIMITS.operatorsMax) {
      label(output, operators === 1 ? "capacity.one" : "capacity.many", {
        operators,
        calls: operators * me.calls_per_operator_hour,
      });
    } else {
      label(output, "capacity.none", { max: LIMITS.operatorsMax });
    }
  };
  input.addEventListener("input", update);
  update();
  return output;
}

function messageFields(languages, messages, idPrefix) {
  const wrap = el("div", { class: "messages" });
  for (const code of LANGUAGES) {
    const area = el("textarea", { rows: 4, maxlength: LIMITS.message, lang: code, required: true });
    area.value = messages[code] || "";
    const one = field(`${idPrefix}-${code}`, `field.message.${code}`, "field.message.hint", area);
    one.dataset.language = code;
    one.hidden = !languages.includes(code);
    wrap.append(one);
  }
  return wrap;
}

function errorSummary() {
  return el(
    "div",
    { class: "error-summary", tabindex: "-1", hidden: true, role: "alert", "aria-labelledby": "error-summary-title" },
    i18n("h2", "error.summary", undefined, { id: "error-summary-title" }),
    el("ul", {}),
  );
}

// Shows each problem next to its field and in the summary at the top (with a link to the field).
function showErrors(form, summary, problems) {
  for (const error of form.querySelectorAll(".error-message")) {
    error.textContent = "";
    delete error.dataset.i18n;
  }
  for (const one of form.querySelectorAll(".field-error")) one.classList.remove("field-error");
  for (const one of form.querySelectorAll("[aria-invalid]")) one.removeAttribute("aria-invalid");
  const list = summary.querySelector("ul");
  list.replaceChildren();
  summary.hidden = problems.length === 0;
  for (const problem of problems) {
    const target = problem.id ? form.querySelector(`#${problem.id}`) : null;
    const text = problem.text || t(problem.key, problem.args);
    if (target) {
      const fieldBox = form.querySelector(`#${problem.id}-field`) || target.closest(".field");
      if (fieldBox) {
        fieldBox.classList.add("field-error");
        const error = fieldBox.querySelector(".error-message");
        if (problem.key) label(error, problem.key, problem.args);
        else error.textContent = text;
      }
      if (target.matches("input, textarea, select")) target.setAttribute("aria-invalid", "true");
      const link = el("a", { href: `#${problem.id}`, text });
      link.addEventListener("click", (event) => {
        event.preventDefault();
        target.focus();
      });
      list.append(el("li", {}, link));
    } else {
      list.append(el("li", { text }));
    }
  }
  if (problems.length) summary.focus();
}

function noticeBox() {
  const box = el("div", { class: "notice", role: "status", id: "notice" });
  if (pendingNotice) {
    label(box, pendingNotice.key, pendingNotice.args);
    box.classList.add(pendingNotice.kind || "success");
    pendingNotice = null;
  }
  return box;
}

// Field problems from a 422's details.fields, each placed next to its field where one matches.
function apiProblems(error, prefix) {
  const fields = (error.details && error.details.fields) || [];
  if (error.code !== "validation_error" || !fields.length) return [{ text: problemText(error) }];
  return fields.map((one) => {
    const path = String(one.field || "").replace(/^body\.?/, "");
    const [name, sub] = path.split(".");
    const ids = {
      reason: "reason",
      languages: "languages",
      operators: `${prefix}operators`,
      message: sub ? `${prefix}message-${sub}` : null,
    };
    return { id: ids[name] || null, text: one.problem || problemText(error) };
  });
}

// ---------------------------------------------------------------- load and choose the view
async function load() {
  root.setAttribute("aria-busy", "true");
  try {
    const [mine, lines] = await Promise.all([
      call("GET", `/authorities/${encodeURIComponent(me.authority_id)}`),
      call("GET", "/activations?status=live"),
    ]);
    authority = mine.body;
    const current = (lines.body.activations || [])[0];
    if (current) {
      const [one, trail] = await Promise.all([
        call("GET", `/activations/${encodeURIComponent(current.id)}`),
        call("GET", `/activations/${encodeURIComponent(current.id)}/audit`),
      ]);
      live = { ...one.body, etag: one.etag || `"${one.body.revision ?? 0}"` };
      audit = trail.body.entries || [];
      renderLive();
    } else {
      live = null;
      audit = [];
      // A list that cannot be read leaves the form as it is, without the last line's report.
      const closed = (await call("GET", "/activations?status=closed").catch(() => ({ body: {} }))).body.activations || [];
      lastClosed = closed.sort((a, b) => String(b.closed_at).localeCompare(String(a.closed_at)))[0] || null;
      renderOpenForm();
    }
  } catch (error) {
    root.replaceChildren(i18n("h1", "authority.title"), el("p", { class: "notice error", role: "alert", text: problemText(error) }));
  } finally {
    root.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------- opening the line
function renderOpenForm() {
  const enrolled = authority.languages || [];
  const summary = errorSummary();
  const reason = el("input", { type: "text", maxlength: LIMITS.reason, autocomplete: "off", required: true });
  const languages = group(
    "languages",
    "field.languages",
    "field.languages.hint",
    LANGUAGES.map((code) => ({
      type: "checkbox",
      id: `language-${code}`,
      value: code,
      key: `language.name.${code}`,
      checked: enrolled.includes(code),
    })),
  );
  const messages = messageFields(enrolled, {}, "message");
  const defaults = defaultMessageSection(authority.id);
  const templateField = templateChooser(() => checkedLanguages(form));
  const d2 = group("victim-information", "field.d2", "field.d2.hint", [
    { type: "radio", id: "d2-no", value: "no", key: "answer.no", checked: true },
    { type: "radio", id: "d2-yes", value: "yes", key: "answer.yes" },
  ]);
  const preferred = authority.number_kind || "toll_free";
  const kind = group("number-kind", "field.kind", null, [
    { type: "radio", id: "kind-toll_free", value: "toll_free", key: "kind.toll_free.choice", checked: preferred === "toll_free" },
    { type: "radio", id: "kind-did", value: "did", key: "kind.did.choice", checked: preferred === "did" },
  ]);
  const operators = operatorsControl(4);
  const operatorsField = field("operators", "field.operators", "field.operators.hint", operators);
  operatorsField.append(capacityLine(operators));
  const button = i18n("button", "authority.open.button", undefined, { type: "submit", class: "button warning" });
  const form = el(
    "form",
    { novalidate: true, id: "open-form", "aria-labelledby": "open-title" },
    field("reason", "field.reason", "field.reason.hint", reason),
    languages,
    templateField,
    messages,
    d2,
    operatorsField,
    kind,
    button,
  );
  const heard = previewSection("open", () => {
    const chosen = checkedLanguages(form);
    return {
      languages: chosen,
      message: Object.fromEntries(chosen.map((code) => [code, form.querySelector(`#message-${code}`).value.trim()])),
      victim_information: form.querySelector("#d2-yes").checked,
    };
  });
  templateField.after(useDefaultMessageButton(authority.id, form));
  languages.addEventListener("change", () => {
    const chosen = checkedLanguages(form);
    for (const box of messages.children) box.hidden = !chosen.includes(box.dataset.language);
  });

  // One Idempotency-Key per request as filled in: a second click (or a retry after a lost answer) sends the
  // same key and opens nothing more; changing the form makes it a new request.
  let key = null;
  form.addEventListener("input", () => {
    key = null;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = checkedLanguages(form);
    const body = {
      reason: reason.value.trim(),
      languages: chosen,
      message: Object.fromEntries(chosen.map((code) => [code, form.querySelector(`#message-${code}`).value.trim()])),
      victim_information: form.querySelector("#d2-yes").checked,
      operators: Number(operators.value),
      number_kind: form.querySelector("#kind-did").checked ? "did" : "toll_free",
    };
    const problems = validate(body, "");
    showErrors(form, summary, problems);
    if (problems.length) return;
    if (!key) key = crypto.randomUUID();
    button.disabled = true;
    try {
      const opened = await call("POST", "/activations", { body, headers: { "Idempotency-Key": key } });
      pendingNotice = { key: "authority.opened", args: { number: opened.body.number } };
      await load();
      document.getElementById("live-title")?.focus();
    } catch (error) {
      showErrors(form, summary, apiProblems(error, ""));
    } finally {
      button.disabled = false;
    }
  });

  root.replaceChildren(
    i18n("h1", "authority.open.title", undefined, { id: "open-title", tabindex: "-1" }),
    i18n("p", "authority.open.intro", { name: authority.name }, { class: "lead" }),
    noticeBox(),
    summary,
    form,
    heard,
    defaults,
    ...(lastClosed ? [reportSection(lastClosed.id, { number: lastClosed.number, closed: formatInstant(lastClosed.closed_at) })] : []),
  );
}

function checkedLanguages(form) {
  return LANGUAGES.filter((code) => form.querySelector(`#language-${code}`)?.checked);
}

function validate(body, prefix) {
  const problems = [];
  if ("reason" in body && !body.reason) problems.push({ id: "reason", key: "error.reason.empty" });
  if ("languages" in body && !body.languages.length) {
    problems.push({ id: "language-nl", key: "error.languages.empty" });
  }
  for (const [code, text] of Object.entries(body.message || {})) {
    if (!text) {
      problems.push({ id: `${prefix}message-${code}`, key: `error.message.empty.${code}` });
    }
  }
  const operators = body.operators;
  if (!Number.isInteger(operators) || operators < LIMITS.operatorsMin || operators > LIMITS.operatorsMax) {
    problems.push({ id: `${prefix}operators`, key: "error.operators", args: { max: LIMITS.operatorsMax } });
  }
  return problems; // the languages' error sits in their fieldset; the summary's link goes to the first box
}

// ---------------------------------------------------------------- the live line
function renderLive() {
  const copyStatus = el("p", { class: "copy-status", "aria-live": "polite", id: "copy-status" });
  const copy = i18n("button", "live.copy", undefined, { type: "button", class: "button secondary" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(live.number);
      label(copyStatus, "live.copied", { number: live.number });
    } catch {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById("live-number"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      label(copyStatus, "live.copy.select");
    }
  });
  const opened = el("time", { datetime: live.opened_at, text: formatInstant(live.opened_at) });
  const facts = el(
    "dl",
    { class: "facts" },
    i18n("dt", "live.since"),
    el("dd", {}, opened),
    i18n("dt", "live.kind"),
    i18n("dd", `kind.${live.number_kind || "toll_free"}`),
    i18n("dt", "live.languages"),
    el("dd", {}, ...live.languages.flatMap((code, index) => [index ? ", " : "", i18n("span", `language.name.${code}`)])),
    i18n("dt", "live.d2"),
    i18n("dd", live.victim_information ? "answer.yes" : "answer.no"),
    i18n("dt", "field.reason"),
    el("dd", { text: live.reason }),
  );

  root.replaceChildren(
    i18n("h1", "live.title", undefined, { id: "live-title", tabindex: "-1" }),
    noticeBox(),
    el(
      "section",
      { class: "number-panel", "aria-labelledby": "number-label" },
      i18n("p", "live.number", undefined, { id: "number-label", class: "number-label" }),
      el("p", { class: "number", id: "live-number", text: live.number }),
      copy,
      copyStatus,
    ),
    facts,
    changeSection(),
    figuresSection(live.id),
    previewSection("live", () => ({
      languages: live.languages,
      message: Object.fromEntries(
        live.languages.map((code) => [code, document.getElementById(`change-message-${code}`).value.trim()]),
      ),
      victim_information: Boolean(live.victim_information),
    })),
    briefingSection(),
    defaultMessageSection(live.authority_id || me.authority_id),
    closeSection(),
    auditSection(),
    reportSection(live.id),
  );
}

function changeSection() {
  const summary = errorSummary();
  const messages = messageFields(live.languages, live.message || {}, "change-message");
  const operators = operatorsControl(live.operators);
  const operatorsField = field("change-operators", "field.operators", "field.operators.hint", operators);
  operatorsField.append(capacityLine(operators));
  // "Apply advice" puts the advised number in the field and saves it as any change (only what changed is sent).
  operatorsField.append(adviceBox(live.id, operators, () => form.requestSubmit()));
  const button = i18n("button", "live.save", undefined, { type: "submit", class: "button" });
  const form = el("form", { novalidate: true, id: "change-form", "aria-labelledby": "change-title" }, messages, operatorsField, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = Object.fromEntries(
      live.languages.map((code) => [code, form.querySelector(`#change-message-${code}`).value.trim()]),
    );
    const body = { message, operators: Number(operators.value) };
    const problems = validate(body, "change-");
    showErrors(form, summary, problems);
    if (problems.length) return;
    // Only what changed is sent, so the audit trail records what the person changed.
    if (live.languages.every((code) => message[code] === (live.message || {})[code])) delete body.message;
    if (body.operators === live.operators) delete body.operators;
    if (!Object.keys(body).length) {
      label(form.closest("section").querySelector(".notice") || summary, "live.unchanged");
      return;
    }
    button.disabled = true;
    try {
      await call("PATCH", `/activations/${encodeURIComponent(live.id)}`, { body, headers: { "If-Match": live.etag } });
      pendingNotice = { key: "live.saved" };
      await load();
      document.getElementById("notice")?.focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        pendingNotice = { key: "live.conflict", kind: "warning" };
        await load();
        document.getElementById("notice")?.focus();
      } else {
        showErrors(form, summary, apiProblems(error, "change-"));
      }
    } finally {
      button.disabled = false;
    }
  });
  return el(
    "section",
    { "aria-labelledby": "change-title" },
    i18n("h2", "live.change.title", undefined, { id: "change-title" }),
    el("p", { class: "notice", role: "status" }),
    summary,
    form,
  );
}

function closeSection() {
  const dialog = el(
    "dialog",
    { id: "close-dialog", "aria-labelledby": "close-dialog-title", "aria-describedby": "close-dialog-text" },
    i18n("h2", "close.confirm.title", { number: live.number }, { id: "close-dialog-title" }),
    i18n("p", "close.confirm.text", { number: live.number }, { id: "close-dialog-text" }),
    el("p", { class: "error-message", id: "close-error", role: "alert" }),
  );
  const confirm = i18n("button", "close.confirm.yes", { number: live.number }, { type: "button", class: "button warning" });
  const cancel = i18n("button", "close.confirm.no", undefined, { type: "button", class: "button secondary" });
  dialog.append(el("div", { class: "buttons" }, confirm, cancel));
  const open = i18n("button", "close.button", undefined, { type: "button", class: "button warning" });
  open.addEventListener("click", () => {
    dialog.querySelector("#close-error").textContent = "";
    dialog.showModal();
    cancel.focus();
  });
  cancel.addEventListener("click", () => dialog.close());
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      const closed = await call("POST", `/activations/${encodeURIComponent(live.id)}/close`);
      dialog.close();
      pendingNotice = { key: "close.done", args: { number: closed.body.number } };
      await load();
      document.getElementById("open-title")?.focus();
    } catch (error) {
      dialog.querySelector("#close-error").textContent = problemText(error);
    } finally {
      confirm.disabled = false;
    }
  });
  return el(
    "section",
    { "aria-labelledby": "close-title" },
    i18n("h2", "close.title", undefined, { id: "close-title" }),
    i18n("p", "close.hint"),
    open,
    dialog,
  );
}

function auditSection() {
  const list = el("ol", { id: "audit-list", class: "audit" });
  fillAudit(list);
  return el("section", { "aria-labelledby": "audit-title" }, i18n("h2", "audit.title", undefined, { id: "audit-title" }), list);
}

function showValue(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return t(value ? "answer.yes" : "answer.no");
  if (Array.isArray(value)) return value.map((one) => (LANGUAGES.includes(one) ? t(`language.name.${one}`) : showValue(one))).join(", ");
  if (typeof value === "object") {
    return Object.entries(value)
      .map(([name, one]) => t("audit.pair", { name: LANGUAGES.includes(name) ? t(`language.name.${name}`) : name, value: showValue(one) }))
      .join(" · ");
  }
  return String(value);
}

function fillAudit(list) {
  list.replaceChildren();
  for (const entry of audit) {
    const actor = entry.actor || {};
    const item = el(
      "li",
      {},
      el("p", { class: "audit-head" },
        el("time", { datetime: entry.at, text: formatInstant(entry.at) }),
        " — ",
        el("span", { text: t(`audit.action.${entry.action}`) === `audit.action.${entry.action}` ? entry.action : t(`audit.action.${entry.action}`) }),
        " ",
        el("span", { text: whoDid(actor) }),
      ),
    );
    const changes = entry.action === "update" ? Object.entries(entry.changes || {}) : [];
    if (changes.length) {
      const details = el("ul", { class: "audit-changes" });
      for (const [name, change] of changes) {
        const known = `audit.field.${name}`;
        const fieldName = t(known) === known ? name : t(known);
        let before = change && typeof change === "object" && "before" in change ? change.before : undefined;
        let after = change && typeof change === "object" && "after" in change ? change.after : change;
        if (isPlain(before) && isPlain(after)) {
          // A message per language: only the languages whose text changed.
          const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
            (name) => before[name] !== after[name],
          );
          before = Object.fromEntries(changed.map((name) => [name, before[name]]));
          after = Object.fromEntries(changed.map((name) => [name, after[name]]));
        }
        details.append(el("li", { text: t("audit.change", { field: fieldName, before: showValue(before), after: showValue(after) }) }));
      }
      item.append(details);
    }
    list.append(item);
  }
  if (!audit.length) list.append(el("li", { text: t("audit.empty") }));
}

function isPlain(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function whoDid(actor) {
  if (actor.role === "authority" && actor.authority_id === me.authority_id) return t("audit.by.you");
  if (actor.role === "admin") return t("audit.by.centre");
  return t("audit.by", { roleKey: `role.${actor.role}` });
}

// ---------------------------------------------------------------- ready messages for common incidents
let templateList = null; // GET /incident-templates, read once per page

function fillTemplates(select) {
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: t("authority.template.none") }));
  for (const one of templateList || []) {
    select.append(el("option", { value: one.id, text: one.title[language()] || one.title.en }));
  }
  select.value = chosen;
}

// "Start from a template": fills each chosen language's message, after asking before it replaces typed text.
function templateChooser(chosenLanguages) {
  const select = el("select", {});
  const box = field("template", "authority.template.label", "authority.template.hint", select);
  const ready = templateList ? Promise.resolve() : call("GET", "/incident-templates").then((answer) => {
    templateList = answer.body.templates || [];
  });
  ready.then(() => fillTemplates(select)).catch(() => {
    box.hidden = true; // the form works without them
  });
  select.addEventListener("change", () => {
    const one = (templateList || []).find((template) => template.id === select.value);
    if (!one) return;
    const areas = chosenLanguages().map((code) => root.querySelector(`#message-${code}`));
    const typed = areas.some((area) => area.value.trim() && !Object.values(one.message).includes(area.value));
    if (typed && !confirm(t("authority.template.replace"))) {
      select.value = "";
      return;
    }
    for (const area of areas) {
      area.value = one.message[area.lang] || "";
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });
  return box;
}

// ---------------------------------------------------------------- what callers will hear
// Asked of the API on demand (POST /preview), so the order and the words are the contact flow's.
function previewSection(prefix, draft) {
  const output = el("div", { id: `${prefix}-preview`, class: "preview", "aria-live": "polite" });
  const problem = el("p", { class: "error-message", id: `${prefix}-preview-error` });
  const button = i18n("button", "authority.preview.button", undefined, {
    type: "button",
    class: "button secondary",
    "aria-describedby": `${prefix}-preview-error`,
  });
  button.addEventListener("click", async () => {
    problem.textContent = "";
    button.disabled = true;
    try {
      const answer = await call("POST", "/preview", { body: draft() });
      output.replaceChildren();
      for (const [code, parts] of Object.entries(answer.body.languages)) {
        const list = el("ol", { class: "heard" });
        for (const part of parts) list.append(el("li", { lang: part.language, text: part.text }));
        output.append(i18n("h3", `authority.preview.for.${code}`), list);
      }
    } catch (error) {
      output.replaceChildren();
      problem.textContent = error instanceof ApiError && error.code === "validation_error"
        ? t("authority.preview.incomplete")
        : problemText(error);
    } finally {
      button.disabled = false;
    }
  });
  return el(
    "section",
    { "aria-labelledby": `${prefix}-preview-title`, class: "preview-section" },
    i18n("h2", "authority.preview.title", undefined, { id: `${prefix}-preview-title` }),
    i18n("p", "authority.preview.hint", undefined, { class: "hint" }),
    problem,
    button,
    output,
  );
}

// ---------------------------------------------------------------- the operators' questions and answers
function briefingSection() {
  const summary = errorSummary();
  const notice = el("p", { class: "notice", role: "status", id: "briefing-notice" });
  const form = el("form", { novalidate: true, id: "briefing-form", "aria-labelledby": "briefing-title" });
  let sheet = null;
  let etag = null;

  function pairRow(code, index, pair) {
    const id = `qa-${code}-${index}`;
    const args = { number: index + 1, languageKey: `language.name.${code}` };
    const question = el("input", { type: "text", maxlength: 300, lang: code, autocomplete: "off", "data-role": "question" });
    question.value = pair.question || "";
    const answer = el("textarea", { rows: 2, maxlength: 2000, lang: code, "data-role": "answer" });
    answer.value = pair.answer || "";
    const remove = i18n("button", "authority.briefing.remove", args, { type: "button", class: "button secondary" });
    const row = el(
      "div",
      { class: "qa-pair", "data-language": code },
      field(`${id}-q`, "authority.briefing.question", null, question, args),
      field(`${id}-a`, "authority.briefing.answer", null, answer, args),
      remove,
    );
    remove.addEventListener("click", () => {
      const items = collect();
      items[code].splice(index, 1);
      draw(items);
      form.querySelector(`#add-${code}`)?.focus();
    });
    return row;
  }

  function collect() {
    const items = {};
    for (const code of live.languages) {
      items[code] = [...form.querySelectorAll(`.qa-pair[data-language="${code}"]`)].map((row) => ({
        question: row.querySelector('[data-role="question"]').value.trim(),
        answer: row.querySelector('[data-role="answer"]').value.trim(),
      }));
    }
    return items;
  }

  function draw(items) {
    const groups = live.languages.map((code) => {
      const fieldset = el("fieldset", { class: "field qa-language" }, i18n("legend", `authority.briefing.in.${code}`));
      (items[code] || []).forEach((pair, index) => fieldset.append(pairRow(code, index, pair)));
      const add = i18n("button", `authority.briefing.add.${code}`, undefined, {
        type: "button",
        class: "button secondary",
        id: `add-${code}`,
      });
      add.addEventListener("click", () => {
        const now = collect();
        now[code].push({ question: "", answer: "" });
        draw(now);
        form.querySelector(`#qa-${code}-${now[code].length - 1}-q`)?.focus();
      });
      fieldset.append(add);
      return fieldset;
    });
    const save = i18n("button", "authority.briefing.save", undefined, { type: "submit", class: "button" });
    form.replaceChildren(...groups, save);
  }

  async function reload() {
    const answer = await call("GET", `/activations/${encodeURIComponent(live.id)}/briefing`);
    sheet = answer.body;
    etag = answer.etag;
    draw(sheet.items || {});
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const items = collect();
    const problems = [];
    for (const code of live.languages) {
      items[code].forEach((pair, index) => {
        if (!pair.question) problems.push({ id: `qa-${code}-${index}-q`, key: "authority.briefing.error.question", args: { number: index + 1, languageKey: `language.name.${code}` } });
        if (!pair.answer) problems.push({ id: `qa-${code}-${index}-a`, key: "authority.briefing.error.answer", args: { number: index + 1, languageKey: `language.name.${code}` } });
      });
    }
    showErrors(form, summary, problems);
    if (problems.length) return;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await call("PUT", `/activations/${encodeURIComponent(live.id)}/briefing`, {
        body: { items },
        headers: etag ? { "If-Match": etag } : {},
      });
      sheet = answer.body;
      etag = answer.etag;
      draw(sheet.items || {});
      label(notice, "authority.briefing.saved");
      notice.className = "notice success";
      notice.focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        await reload();
        label(notice, "authority.briefing.conflict");
        notice.className = "notice warning";
        notice.focus();
      } else {
        button.disabled = false;
        showErrors(form, summary, [{ text: problemText(error) }]);
      }
    }
  });

  reload().catch((error) => {
    notice.textContent = problemText(error);
    notice.className = "notice error";
  });
  notice.tabIndex = -1;
  return el(
    "section",
    { "aria-labelledby": "briefing-title" },
    i18n("h2", "authority.briefing.title", undefined, { id: "briefing-title" }),
    i18n("p", "authority.briefing.hint", undefined, { class: "hint" }),
    notice,
    summary,
    form,
  );
}
