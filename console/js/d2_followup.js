// The D2 coordinator's follow-up: enquiries from different relatives that may be about the same person (the
// matching engine's evidence; the coordinator links or unlinks them, nothing is linked automatically), and the
// relatives to call back (what to say in their language; a death passed to the police victim assistance service,
// never told by the line). Everything a person typed (names, notes, what to say) reaches the page through
// textContent only.
import { ApiError, call } from "./api.js";
import { formatInstant, label, t } from "./i18n.js";
import { el, field, group, i18n, problemText } from "./dom.js";

const OUTCOMES = ["reached", "no_answer", "wrong_number"];
const KINDS = ["news", "interim", "police_victim_assistance"];

function base(activationId) {
  return `/activations/${encodeURIComponent(activationId)}`;
}

// A region that reads out what just happened (a link made, a callback recorded) to a screen reader.
function announcer(id) {
  return el("p", { id, class: "notice d2-announce", role: "status", "aria-live": "polite" });
}

function announce(region, key, args) {
  label(region, key, args);
}

function fieldError(box, input, key) {
  const error = box.querySelector(".error-message");
  if (key) label(error, key);
  else {
    error.textContent = "";
    delete error.dataset.i18n;
  }
  box.classList.toggle("field-error", Boolean(key));
  if (input) {
    if (key) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}

// ---------------------------------------------------------------- related enquiries
// The engine's evidence ("birth year (one off)") as a key of the texts: d2c.related.evidence.birth_year_one_off.
function evidence(labels) {
  if (!labels.length) return [el("span", { text: "–" })];
  return labels.flatMap((one, index) => {
    const key = `d2c.related.evidence.${String(one).toLowerCase().replace(/[^a-z]+/g, "_").replace(/^_|_$/g, "")}`;
    const shown = t(key) === key ? el("span", { text: String(one) }) : i18n("span", key);
    return index ? [", ", shown] : [shown];
  });
}

export function renderRelated(section, activationId) {
  const input = el("input", { type: "text", autocomplete: "off", spellcheck: "false", maxlength: 20, autocapitalize: "characters" });
  const box = field("d2c-related-reference", "d2c.related.reference", "d2c.related.reference.hint", input);
  const form = el(
    "form",
    { novalidate: true, class: "d2-search", "aria-labelledby": "d2c-related-title" },
    box,
    i18n("button", "d2c.related.show", undefined, { type: "submit", class: "button secondary" }),
  );
  const status = announcer("d2c-related-status");
  const result = el("div", { id: "d2c-related-result" });
  section.replaceChildren(
    i18n("h2", "d2c.related.title", undefined, { id: "d2c-related-title" }),
    i18n("p", "d2c.related.intro", undefined, { class: "hint" }),
    form,
    status,
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = input.value.trim();
    status.textContent = "";
    delete status.dataset.i18n;
    if (!typed) {
      fieldError(box, input, "d2c.related.reference.empty");
      result.replaceChildren();
      input.focus();
      return;
    }
    await showRelated(activationId, typed, { box, input, status, result });
  });
}

async function showRelated(activationId, typed, parts, focusReference = null) {
  const { box, input, status, result } = parts;
  let enquiry;
  let items;
  try {
    enquiry = (await call("GET", `${base(activationId)}/enquiries/${encodeURIComponent(typed)}`)).body;
    items = (await call("GET", `${base(activationId)}/enquiries/${encodeURIComponent(enquiry.reference)}/related`)).body.items;
  } catch (error) {
    const key =
      error instanceof ApiError && error.status === 404
        ? "d2c.related.reference.none"
        : error instanceof ApiError && error.code === "reference_mistyped"
          ? "d2c.related.reference.mistyped"
          : null;
    if (key) {
      fieldError(box, input, key);
      input.focus();
      result.replaceChildren();
    } else {
      fieldError(box, input, null);
      result.replaceChildren(el("p", { class: "notice error", text: problemText(error) }));
    }
    return;
  }
  fieldError(box, input, null);
  const sought = enquiry.sought || {};
  const name = `${sought.given_names || ""} ${sought.family_name || ""}`.trim();
  if (!items.length) {
    result.replaceChildren(i18n("p", "d2c.related.none", { reference: enquiry.reference, name }, { class: "hint" }));
    return;
  }
  const refresh = (reference) => showRelated(activationId, enquiry.reference, parts, reference);
  const rows = items.map((item) => {
    const linked = Boolean(item.linked);
    const action = i18n("button", linked ? "d2c.related.unlink" : "d2c.related.link", { reference: item.reference }, {
      type: "button",
      class: linked ? "button secondary" : "button",
      "data-reference": item.reference,
    });
    action.addEventListener("click", async () => {
      action.disabled = true;
      try {
        if (linked) {
          await call("DELETE", `${base(activationId)}/persons/${encodeURIComponent(enquiry.person_id)}/links/${encodeURIComponent(item.person_id)}`);
        } else {
          await call("POST", `${base(activationId)}/persons/${encodeURIComponent(enquiry.person_id)}/links`, {
            body: { person_id: item.person_id },
          });
        }
        await refresh(item.reference);
        announce(status, linked ? "d2c.related.unlinked" : "d2c.related.linked", {
          reference: enquiry.reference,
          other: item.reference,
        });
      } catch (error) {
        action.disabled = false;
        status.textContent = problemText(error);
        delete status.dataset.i18n;
      }
    });
    return el(
      "tr",
      {},
      el("th", { scope: "row", class: "d2-ref", text: item.reference }),
      i18n("td", `d2c.related.grade.${item.grade}`),
      el("td", {}, ...evidence(item.agreed || [])),
      el("td", {}, ...evidence(item.differs || [])),
      i18n("td", linked ? "d2c.related.is_linked" : "d2c.related.not_linked", undefined, { class: linked ? "d2-linked" : null }),
      el("td", {}, action),
    );
  });
  result.replaceChildren(
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { class: "admin-table d2-table d2-related" },
        i18n("caption", "d2c.related.caption", { reference: enquiry.reference, name }),
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ...["reference", "grade", "agreed", "differs", "linked", "action"].map((column) =>
              i18n("th", `d2c.related.column.${column}`, undefined, { scope: "col" }),
            ),
          ),
        ),
        el("tbody", {}, ...rows),
      ),
    ),
  );
  if (focusReference) result.querySelector(`button[data-reference="${CSS.escape(focusReference)}"]`)?.focus();
}

// ---------------------------------------------------------------- callbacks
export function renderCallbacks(section, activationId) {
  const choice = group("d2c-callbacks-status", "d2c.callbacks.show", null, [
    { type: "radio", id: "d2c-callbacks-due", value: "due", key: "d2c.callbacks.due", checked: true },
    { type: "radio", id: "d2c-callbacks-done", value: "done", key: "d2c.callbacks.done" },
  ]);
  choice.classList.add("d2-callbacks-choice");
  const status = announcer("d2c-callbacks-status-live");
  const list = el("div", { id: "d2c-callbacks-list" });
  section.replaceChildren(
    i18n("h2", "d2c.callbacks.title", undefined, { id: "d2c-callbacks-title" }),
    i18n("p", "d2c.callbacks.intro", undefined, { class: "hint" }),
    choice,
    status,
    list,
  );
  const shown = () => choice.querySelector("input:checked").value;
  const refresh = () => fillCallbacks(activationId, shown(), list, status, refresh);
  for (const radio of choice.querySelectorAll("input")) {
    radio.addEventListener("change", () => {
      status.textContent = "";
      delete status.dataset.i18n;
      refresh();
    });
  }
  return refresh();
}

async function fillCallbacks(activationId, which, list, status, refresh) {
  let items;
  try {
    items = (await call("GET", `${base(activationId)}/callbacks?status=${which}`)).body.items;
  } catch (error) {
    list.replaceChildren(el("p", { class: "notice error", text: problemText(error) }));
    return;
  }
  if (!items.length) {
    list.replaceChildren(i18n("p", `d2c.callbacks.none.${which}`, undefined, { class: "hint" }));
    return;
  }
  const shown = items.map((item, index) =>
    which === "due" ? dueTask(activationId, item, index, status, refresh) : doneCallback(item, index),
  );
  list.replaceChildren(el("ul", { class: "d2-callbacks" }, ...shown.map((one) => el("li", {}, one))));
}

function kindOf(item) {
  return KINDS.includes(item.kind) ? item.kind : "news";
}

function heading(item, id) {
  return el(
    "h3",
    { id, tabindex: "-1" },
    el("span", { class: "d2-ref", text: item.reference }),
    " ",
    i18n("span", `d2c.callbacks.kind.${kindOf(item)}`, undefined, { class: `d2-kind d2-kind-${kindOf(item)}` }),
  );
}

function enquirerFacts(item, police) {
  const enquirer = item.enquirer || {};
  const phone = police
    ? el("dd", { text: enquirer.phone })
    : el("dd", {}, el("a", { href: `tel:${enquirer.phone}`, text: enquirer.phone }));
  return [
    i18n("dt", "d2c.callbacks.enquirer"),
    el("dd", { text: enquirer.name }),
    i18n("dt", "d2c.callbacks.language"),
    i18n("dd", `language.name.${enquirer.language}`),
    i18n("dt", "d2c.callbacks.phone"),
    phone,
  ];
}

function dueTask(activationId, item, index, status, refresh) {
  const id = `d2c-callback-${index}`;
  const police = item.kind === "police_victim_assistance";
  const facts = el("dl", { class: "facts" }, ...enquirerFacts(item, police));
  if (item.due_since) {
    facts.append(
      i18n("dt", "d2c.callbacks.due_since"),
      el(
        "dd",
        {},
        el("time", { datetime: item.due_since, text: formatInstant(item.due_since) }),
        item.overdue ? " " : null,
        item.overdue ? i18n("strong", "d2c.callbacks.overdue", undefined, { class: "d2-overdue" }) : null,
      ),
    );
  }
  const lang = (item.enquirer || {}).language;
  const say = el(
    "div",
    { class: "d2-say" },
    i18n("p", police ? "d2c.callbacks.say.police" : "d2c.callbacks.say", undefined, { class: "d2-say-label", id: `${id}-say` }),
    el("blockquote", { lang: lang || null, "aria-labelledby": `${id}-say`, text: item.say || "" }),
  );
  const parts = [heading(item, id), facts];
  if (police) parts.push(i18n("p", "d2c.callbacks.police", undefined, { class: "notice warning d2-police" }));
  parts.push(say);
  if (item.entry_id) parts.push(disclosure(activationId, item, id, status, refresh));
  parts.push(doneForm(activationId, item, id, police, status, refresh));
  return el("article", { class: `d2-callback${police ? " d2-callback-police" : ""}`, "aria-labelledby": id }, ...parts);
}

// The found person's refusal that their whereabouts be told (the ICRC rule), where the coordinator is about to
// pass them on.
function disclosure(activationId, item, id, status, refresh) {
  const refused = Boolean(item.disclosure_refused);
  const button = i18n("button", refused ? "d2c.callbacks.disclosure.allow" : "d2c.callbacks.disclosure.refuse", undefined, {
    type: "button",
    class: "button secondary",
  });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await call("POST", `${base(activationId)}/entries/${encodeURIComponent(item.entry_id)}/disclosure`, {
        body: { refused: !refused },
      });
      await refresh();
      announce(status, refused ? "d2c.callbacks.disclosure.allowed" : "d2c.callbacks.disclosure.refused", {
        reference: item.reference,
      });
    } catch (error) {
      button.disabled = false;
      status.textContent = problemText(error);
      delete status.dataset.i18n;
    }
  });
  return el(
    "div",
    { class: "d2-disclosure" },
    i18n("p", refused ? "d2c.callbacks.disclosure.is_refused" : "d2c.callbacks.disclosure.may_tell", undefined, { id: `${id}-disclosure` }),
    button,
  );
}

function doneForm(activationId, item, id, police, status, refresh) {
  const choices = group(
    `${id}-outcome`,
    police ? "d2c.callbacks.outcome.police" : "d2c.callbacks.outcome",
    police ? null : "d2c.callbacks.outcome.hint",
    OUTCOMES.filter((one) => !police || one === "reached").map((one) => ({
      type: "radio",
      id: `${id}-outcome-${one}`,
      value: one,
      key: police && one === "reached" ? "d2c.callbacks.outcome.passed_on" : `d2c.callbacks.outcome.${one}`,
    })),
  );
  const note = el("textarea", { rows: 2, maxlength: 1000 });
  const noteBox = field(`${id}-note`, "d2c.callbacks.note", "d2c.callbacks.note.hint", note);
  const submit = i18n("button", "d2c.callbacks.record", { reference: item.reference }, { type: "submit", class: "button" });
  const form = el("form", { novalidate: true, class: "d2-done", "aria-labelledby": id }, choices, noteBox, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = choices.querySelector("input:checked");
    if (!chosen) {
      fieldError(choices, null, "d2c.callbacks.outcome.missing");
      choices.querySelector("input")?.focus();
      return;
    }
    fieldError(choices, null, null);
    const body = { outcome: chosen.value };
    if (note.value.trim()) body.note = note.value.trim();
    submit.disabled = true;
    try {
      await call("POST", `${base(activationId)}/callbacks/${encodeURIComponent(item.id)}/done`, { body });
      await refresh();
      const said = police && chosen.value === "reached" ? "passed_on" : chosen.value;
      announce(status, `d2c.callbacks.recorded.${said}`, { reference: item.reference });
      status.setAttribute("tabindex", "-1");
      status.focus();
    } catch (error) {
      submit.disabled = false;
      const error_ = choices.querySelector(".error-message");
      error_.textContent = problemText(error);
      delete error_.dataset.i18n;
      choices.classList.add("field-error");
    }
  });
  return form;
}

function doneCallback(item, index) {
  const id = `d2c-done-${index}`;
  const facts = el("dl", { class: "facts" }, ...enquirerFacts(item, true));
  const outcome = OUTCOMES.includes(item.outcome) ? item.outcome : "reached";
  const passedOn = item.kind === "police_victim_assistance" && outcome === "reached";
  facts.append(
    i18n("dt", "d2c.callbacks.outcome"),
    i18n("dd", passedOn ? "d2c.callbacks.outcome.passed_on" : `d2c.callbacks.outcome.${outcome}`),
  );
  if (item.note) facts.append(i18n("dt", "d2c.callbacks.note"), el("dd", { text: item.note }));
  facts.append(
    i18n("dt", "d2c.callbacks.done_by"),
    el("dd", { text: (item.done_by || {}).label || "" }),
    i18n("dt", "d2c.callbacks.done_at"),
    el("dd", {}, el("time", { datetime: item.done_at, text: formatInstant(item.done_at) })),
  );
  return el("article", { class: "d2-callback d2-callback-done", "aria-labelledby": id }, heading(item, id), facts);
}
