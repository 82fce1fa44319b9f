// The D2 agent's screen: the intake of a relative's enquiry during the call (opened from the call with the
// activation and the contact in the address: ?activationId=…&contactId=…), a warning of enquiries already recorded
// about someone alike while the agent types, the reference read back for the phone, and the agent's own enquiries.
// Everything a person typed reaches the page through textContent or value only.
import { ApiError, call } from "./api.js";
import { LANGUAGES } from "./facts.js";
import { formatInstant, label, t } from "./i18n.js";
import { el, field, group, i18n, problemText } from "./dom.js";

export const ACTIVATION_PARAMETER = "activationId"; // the contact attribute the flow sets, as for operators
export const CONTACT_PARAMETER = "contactId"; // Amazon Connect's ContactId of the call
const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONTACT_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
const SIMILAR_DELAY_MS = 400;

// ---------------------------------------------------------------- reading a reference back on the phone
// The usual spelling alphabet of each language (the reference's alphabet has no I, L, O, S, U, V, B or Z).
const SPELLING = {
  en: {
    pattern: (letter, word) => `${letter} as in ${word}`,
    words: { A: "Alfa", C: "Charlie", D: "Delta", E: "Echo", F: "Foxtrot", G: "Golf", H: "Hotel", J: "Juliett",
      K: "Kilo", M: "Mike", N: "November", P: "Papa", Q: "Quebec", R: "Romeo", T: "Tango", W: "Whiskey",
      X: "X-ray", Y: "Yankee", 3: "three", 4: "four", 6: "six", 7: "seven", 9: "nine" },
  },
  nl: {
    pattern: (letter, word) => `${letter} van ${word}`,
    words: { A: "Anton", C: "Cornelis", D: "Dirk", E: "Eduard", F: "Ferdinand", G: "Gerard", H: "Hendrik", J: "Jan",
      K: "Karel", M: "Maria", N: "Nico", P: "Pieter", Q: "Quotiënt", R: "Rudolf", T: "Teunis", W: "Willem",
      X: "Xantippe", Y: "Ypsilon", 3: "drie", 4: "vier", 6: "zes", 7: "zeven", 9: "negen" },
  },
  fr: {
    pattern: (letter, word) => `${letter} comme ${word}`,
    words: { A: "Anatole", C: "Célestin", D: "Désiré", E: "Eugène", F: "François", G: "Gaston", H: "Henri",
      J: "Joseph", K: "Kléber", M: "Marcel", N: "Nicolas", P: "Pierre", Q: "Quintal", R: "Raoul", T: "Thérèse",
      W: "William", X: "Xavier", Y: "Yvonne", 3: "trois", 4: "quatre", 6: "six", 7: "sept", 9: "neuf" },
  },
  de: {
    pattern: (letter, word) => `${letter} wie ${word}`,
    words: { A: "Anton", C: "Cäsar", D: "Dora", E: "Emil", F: "Friedrich", G: "Gustav", H: "Heinrich", J: "Julius",
      K: "Kaufmann", M: "Martha", N: "Nordpol", P: "Paula", Q: "Quelle", R: "Richard", T: "Theodor", W: "Wilhelm",
      X: "Xanthippe", Y: "Ypsilon", 3: "drei", 4: "vier", 6: "sechs", 7: "sieben", 9: "neun" },
  },
};

// "K7MD-4QX" → ["K as in Kilo", "7 (seven)", …] in the enquirer's language.
export function spelled(reference, code) {
  const alphabet = SPELLING[code] || SPELLING.en;
  return [...reference.replace(/[^0-9A-Z]/g, "")].map((character) => {
    const word = alphabet.words[character];
    if (!word) return character;
    return /[0-9]/.test(character) ? `${character} (${word})` : alphabet.pattern(character, word);
  });
}

// ---------------------------------------------------------------- the screen
let root = null;
let activationId = null;
let contactId = null;

export async function show(container) {
  root = container;
  const params = new URLSearchParams(location.search);
  const fromUrl = (params.get(ACTIVATION_PARAMETER) || "").trim();
  const contact = (params.get(CONTACT_PARAMETER) || "").trim();
  contactId = CONTACT_PATTERN.test(contact) ? contact : null;
  if (ID_PATTERN.test(fromUrl)) await open(fromUrl);
  else renderChooser(root, fromUrl ? "d2.activation.error" : null, (id) => open(id));
}

export function relabel() {
  if (!root) return;
  for (const time of root.querySelectorAll("time[datetime]")) time.textContent = formatInstant(time.dateTime);
}

// Without an activation in the address: a field to paste it; the id (never the token) then goes into the address.
export function renderChooser(container, errorKey, opened) {
  const input = el("input", { type: "text", autocomplete: "off", spellcheck: "false", autocapitalize: "off" });
  const box = field("d2-activation", "d2.activation", "d2.activation.hint", input);
  const error = box.querySelector(".error-message");
  error.setAttribute("aria-live", "assertive");
  const showError = (key) => {
    if (key) label(error, key);
    box.classList.toggle("field-error", Boolean(key));
    if (key) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  const form = el(
    "form",
    { novalidate: true, "aria-labelledby": "d2-choose-title" },
    box,
    i18n("button", "d2.activation.button", undefined, { type: "submit", class: "button" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = input.value.trim();
    if (!ID_PATTERN.test(typed)) {
      showError(typed ? "d2.activation.error" : "d2.activation.empty");
      input.focus();
      return;
    }
    const url = new URL(location.href);
    url.searchParams.set(ACTIVATION_PARAMETER, typed);
    history.replaceState(null, "", url);
    await opened(typed);
  });
  container.replaceChildren(
    i18n("h1", "d2.choose.title", undefined, { id: "d2-choose-title", tabindex: "-1" }),
    i18n("p", "d2.choose.intro", undefined, { class: "lead" }),
    form,
  );
  if (errorKey) showError(errorKey);
}

async function open(id) {
  activationId = id;
  const intake = el("section", { id: "d2-intake", "aria-labelledby": "d2-intake-title" });
  const mine = el("section", { id: "d2-mine", "aria-labelledby": "d2-mine-title" });
  root.replaceChildren(intake, mine);
  intakeForm(intake, { activationId: id, contactId, onRecorded: () => fillOwn(mine) });
  document.getElementById("d2-intake-title")?.focus();
  await fillOwn(mine);
}

// ---------------------------------------------------------------- the intake form (also the coordinator's)
const SOUGHT_TEXT = ["given_names", "family_name"];
const SOUGHT_MORE = ["municipality", "nationality"];
const SOUGHT_LONG = ["description", "last_seen"];

function textInput(attributes = {}) {
  return el("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attributes });
}

function errorSummary() {
  return el(
    "div",
    { class: "error-summary", tabindex: "-1", hidden: true, role: "alert", "aria-labelledby": "d2-error-summary-title" },
    i18n("h2", "error.summary", undefined, { id: "d2-error-summary-title" }),
    el("ul", {}),
  );
}

// A birth date as a Belgian types it (14/03/1987, 03/1987, 1987) in the API's form (1987-03-14, 1987-03, 1987);
// anything else is sent as typed, for the API to say what is wrong next to the field.
export function birthDate(typed) {
  const text = typed.trim();
  let found = text.match(/^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/);
  if (found) return `${found[3]}-${found[2].padStart(2, "0")}-${found[1].padStart(2, "0")}`;
  found = text.match(/^(\d{1,2})[/.-](\d{4})$/);
  if (found) return `${found[2]}-${found[1].padStart(2, "0")}`;
  return text;
}

// The intake form in `container`: `onRecorded(enquiry)` after an enquiry is recorded.
export function intakeForm(container, { activationId: activation, contactId: contact, onRecorded, heading = "h1" }) {
  const ids = (name) => `d2-${name.replace(/[._]/g, "-")}`;
  const summary = errorSummary();
  const form = el("form", { novalidate: true, id: "d2-intake-form", "aria-labelledby": "d2-intake-title" });
  const similar = el("p", { id: "d2-similar", class: "notice warning", role: "status", "aria-live": "polite" });
  const sought = el("fieldset", { class: "d2-part" }, i18n("legend", "d2.sought.title", undefined, { class: "d2-legend" }));
  for (const name of SOUGHT_TEXT) {
    sought.append(field(ids(`sought.${name}`), `d2.sought.${name}`, null, textInput({ maxlength: 200 })));
  }
  sought.append(
    field(ids("sought.birth_date"), "d2.sought.birth_date", "d2.sought.birth_date.hint", textInput({ maxlength: 10, inputmode: "numeric" })),
    field(ids("sought.age"), "d2.sought.age", "d2.sought.age.hint", el("input", { type: "number", min: 0, max: 120, step: 1, inputmode: "numeric" })),
    group(ids("sought.sex"), "d2.sought.sex", null, [
      { type: "radio", id: "d2-sex-f", value: "f", key: "d2.sex.f" },
      { type: "radio", id: "d2-sex-m", value: "m", key: "d2.sex.m" },
      { type: "radio", id: "d2-sex-x", value: "x", key: "d2.sex.x" },
      { type: "radio", id: "d2-sex-unknown", value: "", key: "d2.sex.unknown", checked: true },
    ]),
  );
  for (const name of SOUGHT_MORE) {
    sought.append(field(ids(`sought.${name}`), `d2.sought.${name}`, null, textInput({ maxlength: 200 })));
  }
  for (const name of SOUGHT_LONG) {
    sought.append(field(ids(`sought.${name}`), `d2.sought.${name}`, `d2.sought.${name}.hint`, el("textarea", { rows: 3, maxlength: 1000 })));
  }
  const languageSelect = el("select", {});
  for (const code of LANGUAGES) languageSelect.append(i18n("option", `language.name.${code}`, undefined, { value: code }));
  const enquirer = el(
    "fieldset",
    { class: "d2-part" },
    i18n("legend", "d2.enquirer.title", undefined, { class: "d2-legend" }),
    field(ids("enquirer.name"), "d2.enquirer.name", null, textInput({ maxlength: 200 })),
    field(ids("enquirer.phone"), "d2.enquirer.phone", "d2.enquirer.phone.hint", el("input", { type: "tel", autocomplete: "off", maxlength: 20 })),
    field(ids("enquirer.relationship"), "d2.enquirer.relationship", "d2.enquirer.relationship.hint", textInput({ maxlength: 200 })),
    field(ids("enquirer.language"), "d2.enquirer.language", null, languageSelect),
    group(ids("enquirer.callback_consent"), "d2.enquirer.callback_consent", "d2.enquirer.callback_consent.hint", [
      { type: "radio", id: "d2-consent-yes", value: "yes", key: "answer.yes" },
      { type: "radio", id: "d2-consent-no", value: "no", key: "answer.no" },
    ]),
  );
  const contactLine = contact
    ? el("p", { class: "hint", id: "d2-contact" }, i18n("span", "d2.contact"), " ", el("span", { class: "d2-contact-id", text: contact }))
    : null;
  const submit = i18n("button", "d2.record", undefined, { type: "submit", class: "button" });
  form.append(sought, enquirer, el("div", { class: "buttons" }, submit));
  container.replaceChildren(
    i18n(heading, "d2.intake.title", undefined, { id: "d2-intake-title", tabindex: "-1" }),
    i18n("p", "d2.intake.intro", undefined, { class: "lead" }),
    contactLine,
    summary,
    similar,
    form,
  );
  const value = (name) => form.querySelector(`#${ids(name)}`).value.trim();

  // Enquiries already recorded about someone alike, asked again a moment after the agent stops typing.
  let timer = null;
  let asked = 0;
  const askSimilar = async () => {
    const family = value("sought.family_name");
    if (!family) {
      similar.textContent = "";
      return;
    }
    const query = new URLSearchParams({ family_name: family });
    if (value("sought.given_names")) query.set("given_names", value("sought.given_names"));
    const born = birthDate(value("sought.birth_date"));
    if (/^\d{4}(-\d{2}(-\d{2})?)?$/.test(born)) query.set("birth_date", born);
    const mine = ++asked;
    try {
      const answer = await call("GET", `/activations/${encodeURIComponent(activation)}/enquiries/similar?${query}`);
      if (mine !== asked) return;
      showSimilar(similar, answer.body);
    } catch {
      if (mine === asked) similar.textContent = ""; // a warning that cannot be had is no reason to stop the intake
    }
  };
  for (const name of ["sought.given_names", "sought.family_name", "sought.birth_date"]) {
    form.querySelector(`#${ids(name)}`).addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(askSimilar, SIMILAR_DELAY_MS);
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const consent = form.querySelector("input[name=d2-enquirer-callback-consent]:checked");
    const problems = [];
    for (const name of ["sought.given_names", "sought.family_name", "enquirer.name", "enquirer.phone", "enquirer.relationship"]) {
      if (!value(name)) problems.push({ id: ids(name), key: `d2.missing.${name.split(".")[1]}` });
    }
    if (!consent) problems.push({ id: "d2-consent-yes", fieldId: ids("enquirer.callback_consent"), key: "d2.missing.callback_consent" });
    if (problems.length) {
      showErrors(form, summary, problems);
      return;
    }
    const soughtBody = { given_names: value("sought.given_names"), family_name: value("sought.family_name") };
    if (value("sought.birth_date")) soughtBody.birth_date = birthDate(value("sought.birth_date"));
    if (value("sought.age")) soughtBody.age = Number(value("sought.age"));
    const sex = form.querySelector("input[name=d2-sought-sex]:checked");
    if (sex && sex.value) soughtBody.sex = sex.value;
    for (const name of [...SOUGHT_MORE, ...SOUGHT_LONG]) {
      if (value(`sought.${name}`)) soughtBody[name] = value(`sought.${name}`);
    }
    const body = {
      sought: soughtBody,
      enquirer: {
        name: value("enquirer.name"),
        phone: value("enquirer.phone").replace(/[\s./()-]/g, ""),
        relationship: value("enquirer.relationship"),
        language: languageSelect.value,
        callback_consent: consent.value === "yes",
      },
    };
    if (contact) body.contact_id = contact;
    submit.disabled = true;
    try {
      const answer = await call("POST", `/activations/${encodeURIComponent(activation)}/enquiries`, { body });
      showErrors(form, summary, []);
      renderRecorded(container, heading, answer.body, () =>
        intakeForm(container, { activationId: activation, contactId: null, onRecorded, heading }),
      );
      if (onRecorded) await onRecorded(answer.body);
    } catch (error) {
      showErrors(form, summary, apiProblems(error, ids));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function showSimilar(box, found) {
  if (!found.count) {
    box.textContent = "";
    delete box.dataset.i18n;
    return;
  }
  const references = (found.items || []).map((item) => (item.grade ? `${item.reference} (${item.grade})` : item.reference));
  label(box, found.count === 1 ? "d2.similar.one" : "d2.similar.many", { count: found.count });
  if (references.length) {
    box.append(" ", el("span", { text: t("d2.similar.yours", { references: references.join(", ") }) }));
  }
}

// Field problems from a 422's details.fields, each next to its field where one matches.
function apiProblems(error, ids) {
  const fields = (error instanceof ApiError && error.details && error.details.fields) || [];
  if (error.code === "no_d2_line") return [{ key: "d2.error.no_d2_line" }];
  if (error.code !== "validation_error" || !fields.length) return [{ text: problemText(error) }];
  return fields.map((one) => {
    const path = String(one.field || "").replace(/^body\.?/, "");
    const id = ids(path);
    const known = document.getElementById(id) || document.getElementById(`${id}-field`);
    return known ? { id, text: one.problem } : { text: `${path}: ${one.problem}` };
  });
}

// Each problem next to its field and in the summary at the top, with a link to the field.
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
    const box = form.querySelector(`#${problem.fieldId || problem.id}-field`);
    const target = form.querySelector(`#${problem.id}`) || (box && box.querySelector("input, select, textarea"));
    const text = problem.text || t(problem.key, problem.args);
    if (box && target) {
      box.classList.add("field-error");
      const error = box.querySelector(".error-message");
      if (problem.key) label(error, problem.key, problem.args);
      else error.textContent = text;
      if (target.matches("input:not([type=radio]), textarea, select")) target.setAttribute("aria-invalid", "true");
      const link = el("a", { href: `#${target.id}`, text });
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

// After saving: the reference, large, grouped and spelled in the enquirer's language, and "New enquiry".
function renderRecorded(container, heading, enquiry, again) {
  const code = enquiry.enquirer && SPELLING[enquiry.enquirer.language] ? enquiry.enquirer.language : "en";
  const grouped = enquiry.reference.replace("-", " ");
  const button = i18n("button", "d2.new", undefined, { type: "button", class: "button" });
  button.addEventListener("click", () => {
    again();
    document.getElementById("d2-intake-title")?.focus();
  });
  container.replaceChildren(
    i18n(heading, "d2.recorded.title", undefined, { id: "d2-intake-title", tabindex: "-1" }),
    el(
      "div",
      { class: "number-panel d2-reference-panel" },
      i18n("p", "d2.recorded.reference", undefined, { class: "number-label", id: "d2-reference-label" }),
      el("p", { class: "number d2-reference", id: "d2-reference", "aria-describedby": "d2-reference-label", text: grouped }),
      i18n("p", "d2.recorded.spelled", { languageKey: `language.name.${code}` }, { class: "number-label" }),
      el("ol", { class: "d2-spelled", lang: code }, ...spelled(enquiry.reference, code).map((one) => el("li", { text: one }))),
    ),
    i18n("p", "d2.recorded.next", undefined, { class: "lead" }),
    button,
  );
  document.getElementById("d2-intake-title")?.focus();
}

// ---------------------------------------------------------------- the agent's own enquiries
async function fillOwn(section) {
  const search = textInput({ maxlength: 20, autocapitalize: "characters" });
  const result = el("div", { id: "d2-search-result", "aria-live": "polite" });
  const form = el(
    "form",
    { novalidate: true, class: "d2-search", role: "search", "aria-label": t("d2.search.title") },
    field("d2-search", "d2.search", "d2.search.hint", search),
    i18n("button", "d2.search.button", undefined, { type: "submit", class: "button secondary" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await findReference(activationId, search.value, result);
  });
  const table = el("div", { id: "d2-own" });
  section.replaceChildren(i18n("h2", "d2.mine.title", undefined, { id: "d2-mine-title" }), form, result, table);
  try {
    const answer = await call("GET", `/activations/${encodeURIComponent(activationId)}/enquiries`);
    table.replaceChildren(enquiryTable(answer.body.enquiries, "d2.mine.caption", "d2.mine.none"));
  } catch (error) {
    table.replaceChildren(el("p", { class: "notice error", role: "status", text: problemText(error) }));
  }
}

// One enquiry by its reference as typed (case, spaces and dashes do not matter), shown in `result`.
export async function findReference(activation, typed, result, shown = enquiryDetails) {
  const reference = typed.trim();
  if (!reference) {
    result.replaceChildren(i18n("p", "d2.search.empty", undefined, { class: "notice warning" }));
    return;
  }
  try {
    const answer = await call("GET", `/activations/${encodeURIComponent(activation)}/enquiries/${encodeURIComponent(reference)}`);
    result.replaceChildren(shown(answer.body));
  } catch (error) {
    const key = !(error instanceof ApiError)
      ? null
      : error.status === 404
        ? "d2.search.none"
        : error.code === "reference_mistyped"
          ? "d2.search.mistyped"
          : null;
    const notice = key ? i18n("p", key, undefined, { class: "notice warning" }) : el("p", { class: "notice warning", text: problemText(error) });
    result.replaceChildren(notice);
  }
}

export function statusText(status) {
  return t(`d2.status.${status}`);
}

export function enquiryTable(enquiries, captionKey, noneKey, onOpen) {
  if (!enquiries.length) return i18n("p", noneKey, undefined, { class: "hint" });
  const rows = enquiries.map((enquiry) => {
    const reference = onOpen
      ? el("button", { type: "button", class: "link-button", text: enquiry.reference })
      : el("span", { text: enquiry.reference });
    if (onOpen) reference.addEventListener("click", () => onOpen(enquiry));
    return el(
      "tr",
      {},
      el("th", { scope: "row", class: "d2-ref" }, reference),
      el("td", { text: `${enquiry.sought.given_names} ${enquiry.sought.family_name}` }),
      el("td", { text: statusText(enquiry.status) }),
      el("td", {}, el("time", { datetime: enquiry.recorded_at, text: formatInstant(enquiry.recorded_at) })),
    );
  });
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: "admin-table d2-table" },
      i18n("caption", captionKey),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          i18n("th", "d2.column.reference", undefined, { scope: "col" }),
          i18n("th", "d2.column.sought", undefined, { scope: "col" }),
          i18n("th", "d2.column.status", undefined, { scope: "col" }),
          i18n("th", "d2.column.recorded", undefined, { scope: "col" }),
        ),
      ),
      el("tbody", {}, ...rows),
    ),
  );
}

// An enquiry's details, as the API shows them to the signed-in role.
export function enquiryDetails(enquiry) {
  const sought = enquiry.sought || {};
  const enquirer = enquiry.enquirer || {};
  const pairs = [
    ["d2.column.reference", enquiry.reference],
    ["d2.column.status", statusText(enquiry.status)],
    ["d2.sought.given_names", sought.given_names],
    ["d2.sought.family_name", sought.family_name],
    ["d2.sought.birth_date", sought.birth_date],
    ["d2.sought.age", sought.age === undefined ? undefined : String(sought.age)],
    ["d2.sought.sex", sought.sex ? t(`d2.sex.${sought.sex}`) : undefined],
    ["d2.sought.municipality", sought.municipality],
    ["d2.sought.nationality", sought.nationality],
    ["d2.sought.description", sought.description],
    ["d2.sought.last_seen", sought.last_seen],
    ["d2.details.enquirer_name", enquirer.name],
    ["d2.enquirer.phone", enquirer.phone],
    ["d2.enquirer.relationship", enquirer.relationship],
    ["d2.enquirer.language", enquirer.language ? t(`language.name.${enquirer.language}`) : undefined],
    ["d2.enquirer.callback_consent", t(enquirer.callback_consent ? "answer.yes" : "answer.no")],
    ["d2.details.recorded_by", (enquiry.recorded_by || {}).label],
  ];
  const list = el("dl", { class: "facts d2-details" });
  for (const [key, text] of pairs) {
    if (text === undefined || text === null || text === "") continue;
    list.append(i18n("dt", key), el("dd", { text }));
  }
  list.append(i18n("dt", "d2.column.recorded"), el("dd", {}, el("time", { datetime: enquiry.recorded_at, text: formatInstant(enquiry.recorded_at) })));
  return el(
    "article",
    { class: "d2-enquiry", "aria-labelledby": `d2-enquiry-${enquiry.id}` },
    el("h3", { id: `d2-enquiry-${enquiry.id}` }, i18n("span", "d2.details.title"), " ", el("span", { text: enquiry.reference })),
    list,
  );
}
