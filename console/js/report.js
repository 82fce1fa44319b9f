// A line's after-action report, as a PDF or one HTML page: fetched with the token in the Authorization header
// (never in a URL) and handed to the browser as a download, as finance's exports are.
import { fetchFile } from "./api.js";
import { label } from "./i18n.js";
import { el, i18n, problemText, saveFile } from "./dom.js";

const ACCEPT = { pdf: "application/pdf", html: "text/html" };

// `closed`: { number, closed } of a line that has closed (the hint names it); none for the live line.
export function reportSection(activationId, closed) {
  const status = el("p", { class: "download-status", id: "report-status", "aria-live": "polite" });
  const buttons = ["pdf", "html"].map((kind) => {
    const button = i18n("button", `report.download.${kind}`, undefined, { type: "button", class: "button secondary" });
    button.addEventListener("click", () => download(activationId, kind, button, status));
    return button;
  });
  return el(
    "section",
    { "aria-labelledby": "report-title" },
    i18n("h2", "report.title", undefined, { id: "report-title" }),
    closed ? i18n("p", "report.hint.closed", closed, { class: "hint" }) : i18n("p", "report.hint", undefined, { class: "hint" }),
    el("div", { class: "buttons" }, ...buttons),
    status,
  );
}

async function download(activationId, kind, button, status) {
  button.disabled = true;
  label(status, "report.busy");
  try {
    const blob = await fetchFile(`/activations/${encodeURIComponent(activationId)}/report?format=${kind}`, ACCEPT[kind]);
    const name = `crisisline-report-${activationId}.${kind}`;
    saveFile(blob, name);
    label(status, "report.done", { name });
  } catch (error) {
    status.textContent = problemText(error);
  } finally {
    button.disabled = false;
  }
}
