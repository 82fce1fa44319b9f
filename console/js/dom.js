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
