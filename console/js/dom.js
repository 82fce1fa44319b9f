// Building blocks every screen uses: elements built from attributes and children (text only ever through
// textContent, never as markup), labelled elements, and an API refusal as a sentence for a person.

import { ApiError } from "./api.js";
import { label, t } from "./i18n.js";

// An element with its attributes (`text` sets its text, `i18n` labels it from the texts, true is a bare
// attribute, false, null and undefined leave it out) and its children (null, undefined and false left out).
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") element.textContent = value;
    else if (name === "i18n") label(element, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

// An element whose text is the text `key` in the chosen language (and follows a change of language).
export function i18n(tag, key, args, attributes = {}) {
  return label(el(tag, attributes), key, args);
}

// What went wrong, for a person: the console's own words for a known error code, else the API's message.
export function problemText(error) {
  if (!(error instanceof ApiError) || error.status === 0) return t("error.unreachable");
  const known = `error.${error.code}`;
  const text = t(known);
  return text === known ? error.message : text;
}

// A labelled field: label, hint, the error next to the field, then the control (GOV.UK's order).
export function field(id, labelKey, hintKey, control, labelArgs) {
  const hint = hintKey ? i18n("p", hintKey, undefined, { id: `${id}-hint`, class: "hint" }) : null;
  const error = el("p", { id: `${id}-error`, class: "error-message" });
  control.id = id;
  control.setAttribute("aria-describedby", [hint ? `${id}-hint` : "", `${id}-error`].join(" ").trim());
  return el(
    "div",
    { class: "field", id: `${id}-field` },
    i18n("label", labelKey, labelArgs, { for: id }),
    hint,
    error,
    control,
  );
}

// A group of radios or checkboxes with its legend; the error sits under the legend.
export function group(id, legendKey, hintKey, options) {
  const hint = hintKey ? i18n("p", hintKey, undefined, { id: `${id}-hint`, class: "hint" }) : null;
  const fieldset = el(
    "fieldset",
    { class: "field", id: `${id}-field`, "aria-describedby": [hint ? `${id}-hint` : "", `${id}-error`].join(" ").trim() },
    i18n("legend", legendKey),
    hint,
    el("p", { id: `${id}-error`, class: "error-message" }),
  );
  for (const option of options) {
    const input = el("input", { type: option.type, id: option.id, name: id, value: option.value });
    input.checked = Boolean(option.checked);
    fieldset.append(el("div", { class: "choice" }, input, i18n("label", option.key, undefined, { for: option.id })));
  }
  return fieldset;
}

// Hands a downloaded file to the browser under `name`.
export function saveFile(blob, name) {
  const link = el("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}
