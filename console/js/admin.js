// The crisis centre's screen: every live line at a glance (refreshed every 15 s), authorities, the pool of
// numbers and credentials. Everything a person typed reaches the page through textContent or value only.
import * as activators from "./activators.js";
import { call } from "./api.js";
import { LANGUAGES } from "./facts.js";
import { formatInstant, label, locale, t } from "./i18n.js";
import { el, field, group, i18n, problemText } from "./dom.js";

const REFRESH_MS = 15000;
let root = null;
let timer = null;
let lines = [];
let authorities = [];
let numbers = [];
let credentials = [];
let confirmAction = null; // what the confirmation dialog does once confirmed

export async function show(container) {
  root = container;
  root.replaceChildren(
    i18n("h1", "admin.title", undefined, { id: "admin-title", tabindex: "-1" }),
    el("div", { class: "notice", role: "status", id: "admin-notice", tabindex: "-1" }),
    linesSection(),
    authoritiesSection(),
    activators.section(),
    numbersSection(),
    credentialsSection(),
    confirmDialog(),
  );
  await Promise.all([loadLines(), loadAuthorities(), loadNumbers(), loadCredentials(), activators.load()]);
  if (timer) clearInterval(timer);
  timer = setInterval(() => {
    if (!root || !root.isConnected || !document.getElementById("lines-table")) {
      clearInterval(timer); // signed out, or another screen: stop asking
      timer = null;
      return;
    }
    loadLines();
  }, REFRESH_MS);
}

// After a change of language: the data-i18n texts are already translated; the tables are drawn again.
export function relabel() {
  if (!root) return;
  fillLines();
  fillAuthorities();
  fillNumbers();
  fillCredentials();
  activators.relabel();
}

function textInput(attributes = {}) {
  return el("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attributes });
}

function button(key, args, kind = "") {
  return i18n("button", key, args, { type: "button", class: `button ${kind}`.trim() });
}

// Clears a form's errors, then shows each problem next to its field (the first one focused).
function showErrors(form, problems) {
  for (const error of form.querySelectorAll(".error-message")) {
    error.textContent = "";
    delete error.dataset.i18n;
  }
  for (const one of form.querySelectorAll(".field-error")) one.classList.remove("field-error");
  for (const one of form.querySelectorAll("[aria-invalid]")) one.removeAttribute("aria-invalid");
  for (const problem of problems) {
    const box = form.querySelector(`#${problem.id}-field`) || form.querySelector(".form-error");
    const target = form.querySelector(`#${problem.id}`);
    if (box) box.classList.add("field-error");
    const error = box && (box.querySelector(".error-message") || box);
    if (error) {
      if (problem.key) label(error, problem.key, problem.args);
      else error.textContent = problem.text;
    }
    if (target && target.matches("input, select")) target.setAttribute("aria-invalid", "true");
  }
  const first = problems.length ? form.querySelector(`#${problems[0].id}`) : null;
  if (first) first.focus();
}

// A 422's fields, each placed at the field of `ids` it names (by its dotted path), else at the form's first.
function apiProblems(error, ids, fallbackId) {
  const fields = (error.details && error.details.fields) || [];
  if (error.code !== "validation_error" || !fields.length) return [{ id: fallbackId, text: problemText(error) }];
  return fields.map((one) => {
    const path = String(one.field || "").replace(/^body\.?/, "");
    const id = ids[path] || ids[path.split(".")[0]] || fallbackId;
    return { id, text: one.problem || problemText(error) };
  });
}

function notice(key, args, kind = "success") {
  const box = document.getElementById("admin-notice");
  box.className = `notice ${kind}`;
  label(box, key, args);
}

function failed(box, error) {
  box.replaceChildren(el("p", { class: "notice error", role: "alert", text: problemText(error) }));
}

function time(iso) {
  return iso ? el("time", { datetime: iso, text: formatInstant(iso) }) : el("span", { text: "—" });
}

function table(id, captionKey, headKeys) {
  return el(
    "table",
    { id, class: "admin-table" },
    i18n("caption", captionKey),
    el("thead", {}, el("tr", {}, ...headKeys.map((key) => i18n("th", key, undefined, { scope: "col" })))),
    el("tbody", {}),
  );
}

// A token shown once: a read-only box to copy it from, a copy button and a plain "shown once" note.
function tokenBox(container, titleKey, args, tokenValue) {
  const input = el("input", { type: "text", readonly: true, spellcheck: "false", class: "token-value" });
  input.value = tokenValue;
  const status = el("p", { class: "copy-status", "aria-live": "polite" });
  const copy = button("admin.token.copy", undefined, "secondary");
  copy.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(tokenValue);
      label(status, "admin.token.copied");
    } catch {
      label(status, "admin.token.select");
    }
  });
  const done = button("admin.token.done", undefined, "secondary");
  done.addEventListener("click", () => container.replaceChildren());
  const box = el(
    "div",
    { class: "token-box", role: "region", "aria-labelledby": `${container.id}-title` },
    i18n("h3", titleKey, args, { id: `${container.id}-title` }),
    i18n("p", "admin.token.once", undefined, { class: "token-once" }),
    field(`${container.id}-value`, "admin.token.label", null, input),
    el("div", { class: "buttons" }, copy, done),
    status,
  );
  container.replaceChildren(box);
  input.focus();
  input.select();
}

function confirmDialog() {
  const dialog = el(
    "dialog",
    { id: "admin-confirm", "aria-labelledby": "admin-confirm-title", "aria-describedby": "admin-confirm-text" },
    el("h2", { id: "admin-confirm-title" }),
    el("p", { id: "admin-confirm-text" }),
    el("p", { class: "error-message", id: "admin-confirm-error", role: "alert" }),
  );
  const yes = el("button", { type: "button", class: "button warning", id: "admin-confirm-yes" });
  const no = button("admin.confirm.no", undefined, "secondary");
  dialog.append(el("div", { class: "buttons" }, yes, no));
  no.addEventListener("click", () => dialog.close());
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    try {
      await confirmAction();
      dialog.close();
    } catch (error) {
      dialog.querySelector("#admin-confirm-error").textContent = problemText(error);
    } finally {
      yes.disabled = false;
    }
  });
  return dialog;
}

// Asks before an irreversible step, naming what it is about (texts with {name}); `action` runs on yes.
function confirm(prefix, name, action) {
  const dialog = document.getElementById("admin-confirm");
  label(dialog.querySelector("#admin-confirm-title"), `${prefix}.title`, { name });
  label(dialog.querySelector("#admin-confirm-text"), `${prefix}.text`, { name });
  label(dialog.querySelector("#admin-confirm-yes"), `${prefix}.yes`, { name });
  dialog.querySelector("#admin-confirm-error").textContent = "";
  confirmAction = action;
  dialog.showModal();
  dialog.querySelector("button.secondary").focus();
}

// ---------------------------------------------------------------- live lines
function linesSection() {
  return el(
    "section",
    { "aria-labelledby": "lines-title" },
    i18n("h2", "admin.lines.title", undefined, { id: "lines-title" }),
    i18n("p", "admin.lines.hint", undefined, { class: "hint" }),
    el("div", { id: "lines-box" }),
  );
}

async function loadLines() {
  const box = document.getElementById("lines-box");
  if (!box) return;
  try {
    lines = (await call("GET", "/activations?status=live")).body.activations || [];
    fillLines();
  } catch (error) {
    failed(box, error);
  }
}

function fillLines() {
  const box = document.getElementById("lines-box");
  if (!box) return;
  if (!lines.length) {
    box.replaceChildren(i18n("p", "admin.lines.none", undefined, { id: "lines-table" }));
    return;
  }
  const grid = table("lines-table", "admin.lines.caption", [
    "admin.col.authority",
    "admin.col.number",
    "admin.col.since",
    "admin.col.operators",
    "admin.col.calls",
  ]);
  const body = grid.querySelector("tbody");
  for (const line of lines) {
    const calls = Number(line.calls_this_hour || 0);
    const capacity = Number(line.capacity_per_hour || 0);
    const textId = `calls-${line.id}`;
    const over = capacity > 0 && calls > capacity;
    const meter = el("meter", {
      min: 0,
      max: Math.max(capacity, calls, 1),
      value: calls,
      high: capacity * 0.8 || undefined,
      optimum: 0,
      "aria-labelledby": textId,
      class: "load",
    });
    body.append(
      el(
        "tr",
        {},
        el("th", { scope: "row", text: line.authority_name || line.authority_id }),
        el("td", { class: "phone", text: line.number }),
        el("td", {}, time(line.opened_at)),
        el("td", { text: String(line.operators) }),
        el(
          "td",
          { class: over ? "over" : null },
          i18n("span", over ? "admin.calls.over" : "admin.calls", { calls, capacity }, { id: textId }),
          meter,
        ),
      ),
    );
  }
  box.replaceChildren(grid, i18n("p", "admin.lines.refreshed", { when: formatTime(new Date()) }, { class: "hint" }));
}

function formatTime(when) {
  return new Intl.DateTimeFormat(locale(), { timeStyle: "medium" }).format(when);
}

// ---------------------------------------------------------------- authorities
function authoritiesSection() {
  const form = el("form", { novalidate: true, id: "enrol-form", "aria-labelledby": "enrol-title" });
  const id = textInput({ inputmode: "numeric", maxlength: 5, required: true, pattern: "[0-9]{5}" });
  const name = textInput({ maxlength: 200, required: true });
  const languages = group(
    "enrol-languages",
    "admin.enrol.languages",
    null,
    LANGUAGES.map((code) => ({
      type: "checkbox",
      id: `enrol-language-${code}`,
      value: code,
      key: `language.name.${code}`,
    })),
  );
  const agreement = textInput({ maxlength: 100, required: true });
  const signed = el("input", { type: "date", required: true });
  const billing = textInput({ maxlength: 100, required: true });
  const email = el("input", { type: "email", maxlength: 254, autocomplete: "off", required: true });
  const kind = group("enrol-kind", "admin.enrol.kind", null, [
    { type: "radio", id: "enrol-kind-toll_free", value: "toll_free", key: "kind.toll_free.choice", checked: true },
    { type: "radio", id: "enrol-kind-did", value: "did", key: "kind.did.choice" },
  ]);
  const submit = i18n("button", "admin.enrol.button", undefined, { type: "submit", class: "button" });
  form.append(
    field("enrol-id", "admin.enrol.id", "admin.enrol.id.hint", id),
    field("enrol-name", "admin.enrol.name", null, name),
    languages,
    field("enrol-agreement", "admin.enrol.agreement", null, agreement),
    field("enrol-signed", "admin.enrol.signed", "admin.enrol.signed.hint", signed),
    field("enrol-billing", "admin.enrol.billing", null, billing),
    field("enrol-email", "admin.enrol.email", null, email),
    kind,
    submit,
  );
  const tokenArea = el("div", { id: "authority-token" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      id: id.value.trim(),
      name: name.value.trim(),
      languages: LANGUAGES.filter((code) => form.querySelector(`#enrol-language-${code}`).checked),
      agreement: { reference: agreement.value.trim(), signed_on: signed.value },
      billing: { reference: billing.value.trim(), email: email.value.trim() },
      number_kind: form.querySelector("#enrol-kind-did").checked ? "did" : "toll_free",
    };
    const problems = [];
    if (!/^[0-9]{5}$/.test(body.id)) problems.push({ id: "enrol-id", key: "admin.error.nis" });
    if (!body.name) problems.push({ id: "enrol-name", key: "admin.error.required" });
    if (!body.languages.length) problems.push({ id: "enrol-language-nl", key: "error.languages.empty" });
    if (!body.agreement.reference) problems.push({ id: "enrol-agreement", key: "admin.error.required" });
    if (!body.agreement.signed_on) problems.push({ id: "enrol-signed", key: "admin.error.date" });
    if (!body.billing.reference) problems.push({ id: "enrol-billing", key: "admin.error.required" });
    if (!body.billing.email) problems.push({ id: "enrol-email", key: "admin.error.required" });
    showErrors(form, problems.map((one) => (one.id === "enrol-language-nl" ? { ...one, id: "enrol-languages" } : one)));
    if (problems.length) return;
    submit.disabled = true;
    try {
      const enrolled = (await call("POST", "/authorities", { body })).body;
      form.reset();
      showErrors(form, []);
      tokenBox(tokenArea, "admin.token.enrolled", { name: enrolled.name }, enrolled.token);
      await loadAuthorities();
    } catch (error) {
      const ids = {
        id: "enrol-id",
        name: "enrol-name",
        languages: "enrol-languages",
        "agreement.reference": "enrol-agreement",
        "agreement.signed_on": "enrol-signed",
        "billing.reference": "enrol-billing",
        "billing.email": "enrol-email",
        number_kind: "enrol-kind",
      };
      showErrors(form, apiProblems(error, ids, error.code === "authority_exists" ? "enrol-id" : "enrol-name"));
    } finally {
      submit.disabled = false;
    }
  });
  return el(
    "section",
    { "aria-labelledby": "authorities-title" },
    i18n("h2", "admin.authorities.title", undefined, { id: "authorities-title" }),
    el("div", { id: "authorities-box" }),
    el("div", { id: "rotated-token" }),
    i18n("h3", "admin.enrol.title", undefined, { id: "enrol-title" }),
    form,
    tokenArea,
  );
}

async function loadAuthorities() {
  try {
    authorities = (await call("GET", "/authorities")).body.authorities || [];
    fillAuthorities();
  } catch (error) {
    failed(document.getElementById("authorities-box"), error);
  }
}

function fillAuthorities() {
  const box = document.getElementById("authorities-box");
  if (!box) return;
  if (!authorities.length) {
    box.replaceChildren(i18n("p", "admin.authorities.none"));
    return;
  }
  const grid = table("authorities-table", "admin.authorities.caption", [
    "admin.col.authority",
    "admin.col.nis",
    "admin.col.languages",
    "admin.col.state",
    "admin.col.actions",
  ]);
  const body = grid.querySelector("tbody");
  for (const one of authorities) {
    const actions = el("td", { class: "actions" });
    if (!one.revoked_at) {
      const rotate = button("admin.rotate", { name: one.name }, "secondary");
      rotate.addEventListener("click", async () => {
        rotate.disabled = true;
        try {
          const rotated = (await call("POST", `/authorities/${encodeURIComponent(one.id)}/token`)).body;
          tokenBox(document.getElementById("rotated-token"), "admin.token.rotated", { name: one.name }, rotated.token);
        } catch (error) {
          notice("admin.failed", { problem: problemText(error) }, "error");
        } finally {
          rotate.disabled = false;
        }
      });
      const revoke = button("admin.revoke", { name: one.name }, "warning");
      revoke.addEventListener("click", () =>
        confirm("admin.revoke.confirm", one.name, async () => {
          await call("POST", `/authorities/${encodeURIComponent(one.id)}/revoke`);
          notice("admin.revoked", { name: one.name });
          document.getElementById("rotated-token").replaceChildren();
          await loadAuthorities();
          document.getElementById("admin-notice").focus();
        }),
      );
      actions.append(rotate, " ", revoke);
    }
    body.append(
      el(
        "tr",
        {},
        el("th", { scope: "row", text: one.name }),
        el("td", { text: one.id }),
        el("td", { text: (one.languages || []).map((code) => t(`language.name.${code}`)).join(", ") }),
        el(
          "td",
          {},
          one.revoked_at
            ? i18n("span", "admin.state.revoked", { when: formatInstant(one.revoked_at) })
            : i18n("span", one.live_activation_id ? "admin.state.live" : "admin.state.enrolled"),
        ),
        actions,
      ),
    );
  }
  box.replaceChildren(grid);
}

// ---------------------------------------------------------------- the pool of numbers
function numbersSection() {
  const form = el("form", { novalidate: true, id: "number-form", "aria-labelledby": "number-add-title" });
  const number = textInput({ inputmode: "tel", maxlength: 16, required: true, class: "phone" });
  const kind = group("number-kind", "admin.number.kind", null, [
    { type: "radio", id: "number-kind-toll_free", value: "toll_free", key: "kind.toll_free", checked: true },
    { type: "radio", id: "number-kind-did", value: "did", key: "kind.did" },
  ]);
  const submit = i18n("button", "admin.number.add", undefined, { type: "submit", class: "button" });
  form.append(field("pool-number", "admin.number.label", "admin.number.hint", number), kind, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { number: number.value.replace(/[\s./-]/g, ""), kind: form.querySelector("#number-kind-did").checked ? "did" : "toll_free" };
    if (!/^\+[1-9][0-9]{6,14}$/.test(body.number)) {
      showErrors(form, [{ id: "pool-number", key: "admin.error.number" }]);
      return;
    }
    showErrors(form, []);
    submit.disabled = true;
    try {
      await call("POST", "/numbers", { body });
      form.reset();
      notice("admin.number.added", { number: body.number });
      await loadNumbers();
    } catch (error) {
      showErrors(form, apiProblems(error, { number: "pool-number", kind: "number-kind" }, "pool-number"));
    } finally {
      submit.disabled = false;
    }
  });
  return el(
    "section",
    { "aria-labelledby": "numbers-title" },
    i18n("h2", "admin.numbers.title", undefined, { id: "numbers-title" }),
    el("div", { id: "numbers-box" }),
    i18n("h3", "admin.number.add.title", undefined, { id: "number-add-title" }),
    form,
  );
}

async function loadNumbers() {
  try {
    numbers = (await call("GET", "/numbers")).body.numbers || [];
    fillNumbers();
  } catch (error) {
    failed(document.getElementById("numbers-box"), error);
  }
}

function fillNumbers() {
  const box = document.getElementById("numbers-box");
  if (!box) return;
  if (!numbers.length) {
    box.replaceChildren(i18n("p", "admin.numbers.none"));
    return;
  }
  const grid = table("numbers-table", "admin.numbers.caption", [
    "admin.col.number",
    "admin.col.kind",
    "admin.col.state",
    "admin.col.actions",
  ]);
  const body = grid.querySelector("tbody");
  for (const one of numbers) {
    const actions = el("td", { class: "actions" });
    const error = el("p", { class: "error-message", id: `remove-error-${one.number.slice(1)}` });
    if (one.state === "free") {
      const remove = button("admin.number.remove", { number: one.number }, "secondary");
      remove.setAttribute("aria-describedby", error.id);
      remove.addEventListener("click", async () => {
        remove.disabled = true;
        error.textContent = "";
        try {
          // E.164 as the path takes it: the leading + stays literal (API Gateway does not decode %2B there).
          await call("DELETE", `/numbers/${encodeURIComponent(one.number).replace(/^%2B/, "+")}`);
          notice("admin.number.removed", { number: one.number });
          await loadNumbers();
          document.getElementById("admin-notice").focus();
        } catch (failure) {
          error.textContent = problemText(failure);
          remove.disabled = false;
        }
      });
      actions.append(error, remove);
    }
    const state =
      one.state === "cooling_down"
        ? i18n("span", "admin.number.cooling", { when: formatInstant(one.free_from) })
        : i18n("span", `admin.number.${one.state}`);
    body.append(
      el(
        "tr",
        {},
        el("th", { scope: "row", class: "phone", text: one.number }),
        i18n("td", `kind.${one.kind}`),
        el("td", {}, state),
        actions,
      ),
    );
  }
  box.replaceChildren(grid);
}

// ---------------------------------------------------------------- credentials
function credentialsSection() {
  const form = el("form", { novalidate: true, id: "credential-form", "aria-labelledby": "credential-issue-title" });
  const role = el(
    "select",
    { required: true },
    ...["operator", "finance", "admin"].map((value) => i18n("option", `role.${value}`, undefined, { value })),
  );
  const name = textInput({ maxlength: 200, required: true });
  const submit = i18n("button", "admin.credential.issue", undefined, { type: "submit", class: "button" });
  const tokenArea = el("div", { id: "credential-token" });
  form.append(
    field("credential-role", "admin.credential.role", "admin.credential.role.hint", role),
    field("credential-label", "admin.credential.label", "admin.credential.label.hint", name),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { role: role.value, label: name.value.trim() };
    if (!body.label) {
      showErrors(form, [{ id: "credential-label", key: "admin.error.required" }]);
      return;
    }
    showErrors(form, []);
    submit.disabled = true;
    try {
      const issued = (await call("POST", "/credentials", { body })).body;
      form.reset();
      tokenBox(tokenArea, "admin.token.issued", { name: issued.label, roleKey: `role.${issued.role}` }, issued.token);
      await loadCredentials();
    } catch (error) {
      showErrors(form, apiProblems(error, { role: "credential-role", label: "credential-label" }, "credential-label"));
    } finally {
      submit.disabled = false;
    }
  });
  return el(
    "section",
    { "aria-labelledby": "credentials-title" },
    i18n("h2", "admin.credentials.title", undefined, { id: "credentials-title" }),
    el("div", { id: "credentials-box" }),
    i18n("h3", "admin.credential.issue.title", undefined, { id: "credential-issue-title" }),
    form,
    tokenArea,
  );
}

async function loadCredentials() {
  try {
    credentials = (await call("GET", "/credentials")).body.credentials || [];
    fillCredentials();
  } catch (error) {
    failed(document.getElementById("credentials-box"), error);
  }
}

function fillCredentials() {
  const box = document.getElementById("credentials-box");
  if (!box) return;
  const grid = table("credentials-table", "admin.credentials.caption", [
    "admin.col.label",
    "admin.col.role",
    "admin.col.created",
    "admin.col.state",
    "admin.col.actions",
  ]);
  const body = grid.querySelector("tbody");
  for (const one of credentials) {
    const name = one.label || one.id;
    const actions = el("td", { class: "actions" });
    if (!one.revoked_at && one.role !== "authority") {
      const revoke = button("admin.revoke", { name }, "warning");
      revoke.addEventListener("click", () =>
        confirm("admin.credential.confirm", name, async () => {
          await call("POST", `/credentials/${encodeURIComponent(one.id)}/revoke`);
          notice("admin.revoked", { name });
          await loadCredentials();
          document.getElementById("admin-notice").focus();
        }),
      );
      actions.append(revoke);
    }
    body.append(
      el(
        "tr",
        {},
        el("th", { scope: "row", text: name }),
        i18n("td", `role.${one.role}`),
        el("td", {}, time(one.created_at)),
        el(
          "td",
          {},
          one.revoked_at
            ? i18n("span", "admin.state.revoked", { when: formatInstant(one.revoked_at) })
            : i18n("span", "admin.state.active"),
        ),
        actions,
      ),
    );
  }
  box.replaceChildren(grid);
}
