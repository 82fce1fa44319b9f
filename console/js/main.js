// The console's shell: language, sign-in, sign-out, and the screen for the signed-in role.
import { ApiError, call, forgetToken, keepToken, token } from "./api.js";
import { chosenLanguage, label, language, useLanguage } from "./i18n.js";

// One module per role, each exporting show(container, me) and, optionally, relabel() after a change of
// language. Roles without a module yet get the plain "signed in as" screen.
const SCREENS = {
  authority: "./authority.js",
  admin: "./admin.js",
  finance: "./finance.js",
  operator: "./operator.js",
  d2_agent: "./d2_agent.js",
  d2_coordinator: "./d2_coordinator.js",
};

const signIn = document.getElementById("sign-in");
const form = document.getElementById("sign-in-form");
const field = document.getElementById("token");
const tokenError = document.getElementById("token-error");
const screen = document.getElementById("screen");
const who = document.getElementById("who");
const signOutButton = document.getElementById("sign-out");
const languagePicker = document.getElementById("language");
let shown = null;

function showTokenError(key) {
  if (key) label(tokenError, key);
  else {
    delete tokenError.dataset.i18n;
    tokenError.textContent = "";
  }
  document.getElementById("token-field").classList.toggle("field-error", Boolean(key));
  field.setAttribute("aria-invalid", key ? "true" : "false");
}

function showSignIn() {
  shown = null;
  screen.hidden = true;
  screen.replaceChildren();
  who.hidden = true;
  signOutButton.hidden = true;
  signIn.hidden = false;
}

function whoText(me) {
  const name = me.authority_name || me.label || me.credential_id;
  return { name, roleKey: `role.${me.role}` };
}

async function showRole(me) {
  signIn.hidden = true;
  screen.hidden = false;
  screen.replaceChildren();
  label(who, "signin.as", whoText(me));
  who.hidden = false;
  signOutButton.hidden = false;
  const module = SCREENS[me.role];
  if (module) {
    shown = await import(module);
    await shown.show(screen, me);
  } else {
    shown = null;
    const heading = label(document.createElement("h1"), "signin.welcome");
    const line = label(document.createElement("p"), "signin.as", whoText(me));
    const next = label(document.createElement("p"), "signin.elsewhere");
    screen.append(heading, line, next);
  }
}

async function start(bearer) {
  const me = (await call("GET", "/me", { bearer })).body;
  keepToken(bearer);
  await showRole(me);
  return me;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const typed = field.value.trim();
  if (!typed) {
    showTokenError("signin.error.empty");
    field.focus();
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await start(typed);
    field.value = "";
    showTokenError(null);
    document.getElementById("main").focus();
  } catch (error) {
    forgetToken();
    showSignIn();
    const refused = error instanceof ApiError && (error.status === 401 || error.status === 403);
    showTokenError(refused ? "signin.error.refused" : "error.unreachable");
    field.focus();
  } finally {
    button.disabled = false;
  }
});

export function signOut(reasonKey) {
  forgetToken();
  field.value = "";
  showSignIn();
  showTokenError(reasonKey || null);
  field.focus();
}

signOutButton.addEventListener("click", () => signOut());

languagePicker.addEventListener("change", async () => {
  await useLanguage(languagePicker.value, true);
  if (shown && shown.relabel) shown.relabel();
});

async function boot() {
  const code = chosenLanguage();
  languagePicker.value = code;
  await useLanguage(code);
  const kept = token();
  if (kept) {
    try {
      await start(kept);
    } catch {
      signOut("signin.error.ended");
    }
  }
  document.body.dataset.ready = language();
}

boot();
