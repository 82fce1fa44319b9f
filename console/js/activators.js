// The people an authority's agreement names as allowed to activate its line. For the crisis centre (a section
// of its screen): choose an authority, list its activators, add, change and remove them, issue each their own
// token (shown once) and set their PIN for the phone. For an activator signed in with their own token (a
// section of the authority's screen): change their PIN. Typed text reaches the page through textContent or
// value only; a PIN is never shown, kept or logged.
import { call } from "./api.js";
import { LANGUAGES } from "./facts.js";
import { formatInstant, label, t } from "./i18n.js";
import { el, field, i18n, problemText } from "./dom.js";

const FIELDS = ["name", "function", "phone", "language"];
let chosen = null; // the authority whose activators are shown
let people = [];
let editing = null; // the activator being changed, else null: the form adds one

function button(key, args, kind = "") {
  return i18n("button", key, args, { type: "button", class: `button ${kind}`.trim() });
}

function textInput(attributes = {}) {
  return el("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attributes });
}

function pinInput() {
  // A PIN is typed, never shown: digits only, and the browser offers no saved value.
  return el("input", {
    type: "password",
    inputmode: "numeric",
    autocomplete: "new-password",
    pattern: "[0-9]{6,8}",
    minlength: "6",
    maxlength: "8",
    class: "pin-input",
  });
}

// Clears a form's errors, then shows each { id, text | key } next to its field; the first one is focused.
function showErrors(form, problems) {
  for (const error of form.querySelectorAll(".error-message")) {
    error.textContent = "";
    delete error.dataset.i18n;
  }
  for (const one of form.querySelectorAll(".field-error")) one.classList.remove("field-error");
  for (const one of form.querySelectorAll("[aria-invalid]")) one.removeAttribute("aria-invalid");
  for (const problem of problems) {
    const box = form.querySelector(`#${problem.id}-field`);
    if (!box) continue;
    box.classList.add("field-error");
    const error = box.querySelector(".error-message");
    if (problem.key) label(error, problem.key, problem.args);
    else error.textContent = problem.text;
    const control = form.querySelector(`#${problem.id}`);
    if (control) control.setAttribute("aria-invalid", "true");
  }
  const first = problems.length ? form.querySelector(`#${problems[0].id}`) : null;
  if (first) first.focus();
}

// An API refusal placed at the field it names (`ids`: the API's field → the control's id), else at `fallbackId`.
function apiProblems(error, ids, fallbackId) {
  const fields = (error.details && error.details.fields) || [];
  if (!fields.length) return [{ id: fallbackId, text: problemText(error) }];
  return fields.map((one) => ({ id: ids[String(one.field || "")] || fallbackId, text: one.problem || problemText(error) }));
}

function say(key, args, kind = "success") {
  const box = document.getElementById("activators-notice");
  box.className = `notice ${kind}`;
  label(box, key, args);
  box.focus();
}

// ---------------------------------------------------------------- the crisis centre's section
export function section() {
  const picker = el("select", {});
  picker.addEventListener("change", () => choose(picker.value));
  const language = el("select", {});
  for (const code of LANGUAGES) language.append(i18n("option", `language.name.${code}`, undefined, { value: code }));
  const form = el(
    "form",
    { id: "activator-form", novalidate: true, "aria-labelledby": "activator-form-title" },
    i18n("h3", "activators.add.title", undefined, { id: "activator-form-title" }),
    field("activator-name", "activators.name", null, textInput({ autocomplete: "off" })),
    field("activator-function", "activators.function", "activators.function.hint", textInput()),
    field("activator-phone", "activators.phone", "activators.phone.hint", textInput({ type: "tel", inputmode: "tel" })),
    field("activator-language", "activators.language", null, language),
    el(
      "div",
      { class: "buttons" },
      i18n("button", "activators.add", undefined, { type: "submit", class: "button", id: "activator-submit" }),
      button("activators.cancel", undefined, "secondary"),
    ),
  );
  const cancel = form.querySelector("button.secondary");
  cancel.hidden = true;
  cancel.addEventListener("click", () => edit(null));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(form);
  });
  return el(
    "section",
    { "aria-labelledby": "activators-title", class: "activators-section" },
    i18n("h2", "activators.title", undefined, { id: "activators-title" }),
    i18n("p", "activators.lead", undefined, { class: "hint" }),
    el("div", { class: "notice", role: "status", id: "activators-notice", tabindex: "-1" }),
    field("activators-authority", "activators.authority", null, picker),
    el("div", { id: "activators-box" }),
    el("div", { id: "activator-token" }),
    el("div", { id: "activator-pin" }),
    form,
  );
}

// Fills the authority picker from the enrolled authorities (still enrolled only) and shows the first one's.
export async function load() {
  const picker = document.getElementById("activators-authority");
  if (!picker) return;
  try {
    const authorities = ((await call("GET", "/authorities")).body.authorities || []).filter((one) => !one.revoked_at);
    picker.replaceChildren(...authorities.map((one) => el("option", { value: one.id, text: `${one.name} (${one.id})` })));
    if (chosen && authorities.some((one) => one.id === chosen)) picker.value = chosen;
    if (authorities.length) await choose(picker.value);
    else document.getElementById("activators-box").replaceChildren(i18n("p", "activators.no.authority"));
  } catch (error) {
    document.getElementById("activators-box").replaceChildren(el("p", { class: "notice error", role: "alert", text: problemText(error) }));
  }
}

export function relabel() {
  fill();
}

async function choose(authorityId) {
  chosen = authorityId;
  edit(null);
  document.getElementById("activator-token").replaceChildren();
  document.getElementById("activator-pin").replaceChildren();
  await reload();
}

async function reload() {
  try {
    people = (await call("GET", `/authorities/${encodeURIComponent(chosen)}/activators`)).body.activators || [];
    fill();
  } catch (error) {
    document.getElementById("activators-box").replaceChildren(el("p", { class: "notice error", role: "alert", text: problemText(error) }));
  }
}

function path(one, suffix = "") {
  return `/authorities/${encodeURIComponent(chosen)}/activators/${encodeURIComponent(one.id)}${suffix}`;
}

function fill() {
  const box = document.getElementById("activators-box");
  if (!box) return;
  if (!people.length) {
    box.replaceChildren(i18n("p", "activators.none"));
    return;
  }
  const grid = el(
    "table",
    { class: "admin-table", id: "activators-table" },
    i18n("caption", "activators.caption"),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ...["activators.name", "activators.function", "activators.phone", "activators.language", "activators.credentials", "activators.actions"].map(
          (key) => i18n("th", key, undefined, { scope: "col" }),
        ),
      ),
    ),
  );
  const body = el("tbody", {});
  for (const one of people) {
    const change = button("activators.change", { name: one.name }, "secondary");
    change.addEventListener("click", () => edit(one));
    const issue = button("activators.issue", { name: one.name }, "secondary");
    issue.addEventListener("click", () => issueToken(one, issue));
    const pin = button("activators.pin.set", { name: one.name }, "secondary");
    pin.addEventListener("click", () => pinForm(one));
    const remove = button("activators.remove", { name: one.name }, "warning");
    remove.addEventListener("click", () => askRemove(one, remove));
    const credentials = el(
      "td",
      {},
      el("div", {}, one.token_issued_at ? i18n("span", "activators.token.since", { when: formatInstant(one.token_issued_at) }) : i18n("span", "activators.token.none")),
      el("div", {}, i18n("span", one.pin_set ? "activators.pin.yes" : "activators.pin.no")),
      one.pin_locked_until ? el("div", {}, i18n("span", "activators.pin.locked", { when: formatInstant(one.pin_locked_until) })) : null,
    );
    body.append(
      el(
        "tr",
        {},
        el("th", { scope: "row", text: one.name }),
        el("td", { text: one.function }),
        el("td", { class: "phone", text: one.phone }),
        el("td", { text: t(`language.name.${one.language}`) }),
        credentials,
        el("td", {}, el("div", { class: "buttons activator-actions" }, change, issue, pin, remove)),
      ),
    );
  }
  grid.append(body);
  box.replaceChildren(grid);
}

// The form adds an activator, or, with `one`, changes that one.
function edit(one) {
  editing = one;
  const form = document.getElementById("activator-form");
  if (!form) return;
  showErrors(form, []);
  label(form.querySelector("#activator-form-title"), one ? "activators.change.title" : "activators.add.title", one ? { name: one.name } : undefined);
  label(form.querySelector("#activator-submit"), one ? "activators.save" : "activators.add");
  form.querySelector("button.secondary").hidden = !one;
  for (const name of FIELDS) {
    const control = form.querySelector(`#activator-${name}`);
    control.value = one ? one[name] : name === "language" ? LANGUAGES[0] : "";
  }
  if (one) form.querySelector("#activator-name").focus();
}

async function save(form) {
  const values = Object.fromEntries(FIELDS.map((name) => [name, form.querySelector(`#activator-${name}`).value.trim()]));
  const missing = ["name", "function", "phone"].filter((name) => !values[name]);
  if (missing.length) {
    showErrors(form, missing.map((name) => ({ id: `activator-${name}`, key: `activators.${name}.missing` })));
    return;
  }
  const submit = form.querySelector("#activator-submit");
  submit.disabled = true;
  try {
    if (editing) {
      const changed = Object.fromEntries(FIELDS.filter((name) => values[name] !== editing[name]).map((name) => [name, values[name]]));
      if (Object.keys(changed).length) await call("PATCH", path(editing), { body: changed });
      say("activators.changed", { name: values.name });
    } else {
      await call("POST", `/authorities/${encodeURIComponent(chosen)}/activators`, { body: values });
      say("activators.added", { name: values.name });
    }
    edit(null);
    await reload();
  } catch (error) {
    const ids = Object.fromEntries(FIELDS.map((name) => [name, `activator-${name}`]));
    showErrors(form, apiProblems(error, ids, "activator-name"));
  } finally {
    submit.disabled = false;
  }
}

async function issueToken(one, control) {
  control.disabled = true;
  try {
    const issued = (await call("POST", path(one, "/token"))).body;
    tokenBox(document.getElementById("activator-token"), one.name, issued.token);
    await reload();
  } catch (error) {
    say("activators.failed", { problem: problemText(error) }, "error");
  } finally {
    control.disabled = false;
  }
}

// The activator's token, shown once in a box to copy it from.
function tokenBox(container, name, value) {
  const input = el("input", { type: "text", readonly: true, spellcheck: "false", class: "token-value" });
  input.value = value;
  const status = el("p", { class: "copy-status", "aria-live": "polite" });
  const copy = button("admin.token.copy", undefined, "secondary");
  copy.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(value);
      label(status, "admin.token.copied");
    } catch {
      label(status, "admin.token.select");
    }
  });
  const done = button("admin.token.done", undefined, "secondary");
  done.addEventListener("click", () => container.replaceChildren());
  container.replaceChildren(
    el(
      "div",
      { class: "token-box", role: "region", "aria-labelledby": "activator-token-title" },
      i18n("h3", "activators.token.title", { name }, { id: "activator-token-title" }),
      i18n("p", "admin.token.once", undefined, { class: "token-once" }),
      field("activator-token-value", "admin.token.label", null, input),
      el("div", { class: "buttons" }, copy, done),
      status,
    ),
  );
  input.focus();
  input.select();
}

function pinForm(one) {
  const container = document.getElementById("activator-pin");
  const form = el(
    "form",
    { novalidate: true, class: "token-box", "aria-labelledby": "activator-pin-title" },
    i18n("h3", "activators.pin.title", { name: one.name }, { id: "activator-pin-title" }),
    field("activator-pin-value", "activators.pin.label", "activators.pin.hint", pinInput()),
    el(
      "div",
      { class: "buttons" },
      i18n("button", "activators.pin.save", { name: one.name }, { type: "submit", class: "button" }),
      button("activators.cancel", undefined, "secondary"),
    ),
  );
  form.querySelector("button.secondary").addEventListener("click", () => container.replaceChildren());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = form.querySelector("#activator-pin-value");
    if (!/^[0-9]{6,8}$/.test(input.value)) {
      showErrors(form, [{ id: "activator-pin-value", key: "activators.pin.form" }]);
      return;
    }
    try {
      await call("PUT", path(one, "/pin"), { body: { pin: input.value } });
      container.replaceChildren();
      say("activators.pin.done", { name: one.name });
      await reload();
    } catch (error) {
      const easy = error.code === "validation_error";
      showErrors(form, [easy ? { id: "activator-pin-value", key: "activators.mine.easy" } : { id: "activator-pin-value", text: problemText(error) }]);
    } finally {
      input.value = "";
    }
  });
  container.replaceChildren(form);
  form.querySelector("#activator-pin-value").focus();
}

function askRemove(one, control) {
  const row = control.closest("td");
  const yes = button("activators.remove.yes", { name: one.name }, "warning");
  const no = button("activators.remove.no", undefined, "secondary");
  const question = el("div", { role: "group", "aria-labelledby": `remove-${one.id}` }, i18n("p", "activators.remove.question", { name: one.name }, { id: `remove-${one.id}` }), el("div", { class: "buttons" }, yes, no));
  no.addEventListener("click", () => fill());
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    try {
      await call("DELETE", path(one));
      say("activators.removed", { name: one.name });
      await reload();
    } catch (error) {
      say("activators.failed", { problem: problemText(error) }, "error");
      yes.disabled = false;
    }
  });
  row.replaceChildren(question);
  no.focus();
}

// ---------------------------------------------------------------- an activator's own PIN
// A refused change of one's PIN, in the console's words, at the field it is about.
function myPinProblem(error) {
  if (error.code === "pin_locked") return { id: "my-pin-current", key: "activators.mine.locked" };
  if (error.code === "wrong_pin") return { id: "my-pin-current", key: "activators.mine.wrong", args: { tries: error.details.tries_left } };
  // The form's digits were checked here: a 422 on the new PIN means it is too easy to guess.
  if (error.code === "validation_error") return { id: "my-pin-new", key: "activators.mine.easy" };
  return { id: "my-pin-current", text: problemText(error) };
}

export function myPinSection() {
  const form = el(
    "form",
    { id: "my-pin-form", novalidate: true, "aria-labelledby": "my-pin-title" },
    field("my-pin-current", "activators.mine.current", null, pinInput()),
    field("my-pin-new", "activators.mine.new", "activators.pin.hint", pinInput()),
    field("my-pin-again", "activators.mine.again", null, pinInput()),
    el("div", { class: "buttons" }, i18n("button", "activators.mine.save", undefined, { type: "submit", class: "button" })),
  );
  const status = el("p", { class: "notice", role: "status", id: "my-pin-status", tabindex: "-1", hidden: true });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [current, fresh, again] = ["current", "new", "again"].map((name) => form.querySelector(`#my-pin-${name}`));
    const problems = [];
    if (!/^[0-9]{6,8}$/.test(current.value)) problems.push({ id: "my-pin-current", key: "activators.pin.form" });
    if (!/^[0-9]{6,8}$/.test(fresh.value)) problems.push({ id: "my-pin-new", key: "activators.pin.form" });
    else if (fresh.value !== again.value) problems.push({ id: "my-pin-again", key: "activators.mine.differ" });
    showErrors(form, problems);
    if (problems.length) return;
    try {
      await call("PUT", "/me/pin", { body: { current_pin: current.value, new_pin: fresh.value } });
      status.hidden = false;
      label(status, "activators.mine.done");
      status.focus();
    } catch (error) {
      showErrors(form, [myPinProblem(error)]);
    } finally {
      for (const one of [current, fresh, again]) one.value = "";
    }
  });
  return el(
    "section",
    { "aria-labelledby": "my-pin-title", class: "activators-section" },
    i18n("h2", "activators.mine.title", undefined, { id: "my-pin-title" }),
    i18n("p", "activators.mine.lead", undefined, { class: "hint" }),
    status,
    form,
  );
}
