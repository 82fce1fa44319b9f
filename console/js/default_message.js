// The authority's default message: kept ready per language for a line opened by phone at night (the phone uses
// the languages filled in), and offered to the open-line form as a ready message, as incident templates are.
// Everything a person typed reaches the page through value or textContent only.
import { ApiError, call } from "./api.js";
import { LANGUAGES, LIMITS } from "./facts.js";
import { label, t } from "./i18n.js";
import { el, field, i18n, problemText } from "./dom.js";

let saved = null; // { authority_id, message: {lang: text}, changed_at } as last read or saved
let reading = null; // the read under way, shared by the section and the open form's button
const buttons = new Set(); // the open form's buttons, shown while a default message exists

const path = (authorityId) => `/authorities/${encodeURIComponent(authorityId)}/default-message`;

// Read again each time the screen is drawn (someone else may have changed it); one request for both uses.
function read(authorityId, fresh = false) {
  if (fresh || !reading || saved?.authority_id !== authorityId) {
    reading = call("GET", path(authorityId)).then((answer) => {
      saved = answer.body;
      return saved;
    });
  }
  return reading;
}

function announce() {
  for (const button of buttons) {
    if (!button.isConnected) buttons.delete(button);
    else button.hidden = !Object.keys(saved?.message || {}).length;
  }
}

// The section on the authority's screen: one text per language, empty to leave a language out.
export function defaultMessageSection(authorityId) {
  // Announced as they change (aria-live, not role=status: the screen's own notice is its one status).
  const notice = el("p", { class: "notice", "aria-live": "polite", id: "default-message-notice" });
  const general = el("p", { class: "error-message", "aria-live": "assertive", id: "default-message-error" });
  const areas = {};
  const fields = LANGUAGES.map((code) => {
    const area = el("textarea", { rows: 3, maxlength: LIMITS.message, lang: code });
    areas[code] = area;
    return field(`default-message-${code}`, `authority.default.message.${code}`, null, area);
  });
  const button = i18n("button", "authority.default.save", undefined, { type: "submit", class: "button secondary" });
  const form = el("form", { novalidate: true, id: "default-message-form", "aria-labelledby": "default-message-title" }, general, ...fields, button);

  const clearErrors = () => {
    general.textContent = "";
    delete general.dataset.i18n;
    for (const code of LANGUAGES) {
      form.querySelector(`#default-message-${code}-field`).classList.remove("field-error");
      const error = form.querySelector(`#default-message-${code}-error`);
      error.textContent = "";
      delete error.dataset.i18n;
      areas[code].removeAttribute("aria-invalid");
    }
  };
  const fieldError = (code, text, key) => {
    form.querySelector(`#default-message-${code}-field`).classList.add("field-error");
    const error = form.querySelector(`#default-message-${code}-error`);
    if (key) label(error, key);
    else error.textContent = text;
    areas[code].setAttribute("aria-invalid", "true");
  };

  read(authorityId, true)
    .then((current) => {
      for (const code of LANGUAGES) areas[code].value = current.message?.[code] || "";
      announce();
    })
    .catch((error) => {
      general.textContent = problemText(error);
    });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    notice.textContent = "";
    notice.classList.remove("success");
    const message = Object.fromEntries(
      LANGUAGES.map((code) => [code, areas[code].value.trim()]).filter(([, text]) => text),
    );
    if (!Object.keys(message).length) {
      fieldError("nl", null, "authority.default.error.empty");
      areas.nl.focus();
      return;
    }
    button.disabled = true;
    try {
      saved = (await call("PUT", path(authorityId), { body: { message } })).body;
      for (const code of LANGUAGES) areas[code].value = saved.message[code] || "";
      label(notice, "authority.default.saved");
      notice.classList.add("success");
      announce();
    } catch (error) {
      const problems = (error instanceof ApiError && error.code === "validation_error" && error.details?.fields) || [];
      let first = null;
      for (const problem of problems) {
        const code = String(problem.field || "").split(".")[1];
        if (LANGUAGES.includes(code)) {
          fieldError(code, problem.problem || problemText(error));
          first = first || areas[code];
        }
      }
      if (first) first.focus();
      else general.textContent = problemText(error);
    } finally {
      button.disabled = false;
    }
  });

  return el(
    "section",
    { "aria-labelledby": "default-message-title", class: "default-message" },
    i18n("h2", "authority.default.title", undefined, { id: "default-message-title" }),
    i18n("p", "authority.default.hint", undefined, { class: "hint" }),
    notice,
    form,
  );
}

// "Use the default message" in the open-line form: chooses the default message's languages and fills in their
// messages, asking first when it would replace something typed (as a template does). Hidden while there is none.
export function useDefaultMessageButton(authorityId, form) {
  const button = i18n("button", "authority.default.use", undefined, { type: "button", class: "button secondary", hidden: true });
  buttons.add(button);
  read(authorityId).then(announce, () => {}); // the form works without it
  button.addEventListener("click", () => {
    const message = saved?.message || {};
    const areas = LANGUAGES.map((code) => form.querySelector(`#message-${code}`));
    const typed = areas.some((area) => area.value.trim() && area.value !== (message[area.lang] || ""));
    if (typed && !confirm(t("authority.default.replace"))) return;
    for (const code of LANGUAGES) {
      const box = form.querySelector(`#language-${code}`);
      box.checked = code in message;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }
    for (const area of areas) {
      area.value = message[area.lang] || "";
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    form.querySelector(`#message-${Object.keys(message)[0]}`)?.focus();
  });
  return el("div", { class: "field" }, button);
}
