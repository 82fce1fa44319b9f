// Every text of the console comes from console/i18n/<language>.json. Elements name their text with
// data-i18n="key" (and data-i18n-args='{"name": "..."}' for the values put into it); each is set with textContent.
import { LANGUAGES } from "./facts.js";

const LANGUAGE_KEY = "crisisline.console.language";
let texts = {};
let current = "en";

export function chosenLanguage() {
  const remembered = localStorage.getItem(LANGUAGE_KEY);
  if (LANGUAGES.includes(remembered)) return remembered;
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const base = String(tag).slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

export function language() {
  return current;
}

export async function useLanguage(code, remember = false) {
  const answer = await fetch(`i18n/${code}.json`, { cache: "no-cache" });
  texts = await answer.json();
  current = code;
  document.documentElement.lang = code;
  if (remember) localStorage.setItem(LANGUAGE_KEY, code);
  translate(document);
}

// The text of `key` with {placeholders} filled from `args`. An argument named fooKey is itself a key: {foo}
// becomes its text in the current language.
export function t(key, args = {}) {
  const text = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
  const values = { ...args };
  for (const [name, value] of Object.entries(args)) {
    if (name.endsWith("Key")) values[name.slice(0, -3)] = t(value);
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// Sets `element`'s text to `key` now and after every change of language.
export function label(element, key, args) {
  element.dataset.i18n = key;
  if (args) element.dataset.i18nArgs = JSON.stringify(args);
  else delete element.dataset.i18nArgs;
  element.textContent = t(key, args);
  return element;
}

export function translate(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    const args = element.dataset.i18nArgs ? JSON.parse(element.dataset.i18nArgs) : {};
    element.textContent = t(element.dataset.i18n, args);
  }
}

// Dates, times, money and counts as they are written in Belgium: day before month, 24-hour clock, euros with a
// decimal comma in Dutch, French and German (English as written in the United Kingdom, also day first).
const LOCALES = { nl: "nl-BE", fr: "fr-BE", de: "de-BE", en: "en-GB" };

export function locale() {
  return LOCALES[current] || "en-GB";
}

export function formatInstant(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "long", timeStyle: "short" }).format(when);
}
