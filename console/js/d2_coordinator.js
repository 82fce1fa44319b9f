// The D2 coordinator's screen: the activation's enquiries (all agents'), filtered by status or found by reference,
// each one's details; list upload and the review queue (d2_review.js); related enquiries and callbacks
// (d2_followup.js); the same intake form as the agents'. Everything a person typed reaches the page through
// textContent only.
import { call } from "./api.js";
import { formatInstant, t } from "./i18n.js";
import { el, field, i18n, problemText } from "./dom.js";
import {
  ACTIVATION_PARAMETER,
  CONTACT_PARAMETER,
  enquiryDetails,
  enquiryTable,
  findReference,
  intakeForm,
  renderChooser,
} from "./d2_agent.js";
import { renderCallbacks, renderRelated } from "./d2_followup.js";
import { renderLists, renderReview } from "./d2_review.js";

const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES = ["open", "matched", "closed", "deceased"];

let root = null;
let activationId = null;

export async function show(container) {
  root = container;
  const params = new URLSearchParams(location.search);
  const fromUrl = (params.get(ACTIVATION_PARAMETER) || "").trim();
  if (ID_PATTERN.test(fromUrl)) await open(fromUrl, params.get(CONTACT_PARAMETER));
  else renderChooser(root, fromUrl ? "d2.activation.error" : null, (id) => open(id, null));
}

export function relabel() {
  if (!root) return;
  for (const time of root.querySelectorAll("time[datetime]")) time.textContent = formatInstant(time.dateTime);
}

async function open(id, contact) {
  activationId = id;
  const enquiries = el("section", { id: "d2c-enquiries", "aria-labelledby": "d2c-enquiries-title" });
  const intake = el("section", { id: "d2-intake", class: "d2-coordinator-intake", "aria-labelledby": "d2-intake-title" });
  const lists = el("section", { id: "d2c-lists", "aria-labelledby": "d2c-lists-title" });
  const review = el("section", { id: "d2c-review", "aria-labelledby": "d2c-review-title" });
  const related = el("section", { id: "d2c-related", "aria-labelledby": "d2c-related-title" });
  const callbacks = el("section", { id: "d2c-callbacks", "aria-labelledby": "d2c-callbacks-title" });
  root.replaceChildren(
    i18n("h1", "d2c.title", undefined, { id: "d2c-title", tabindex: "-1" }),
    enquiries,
    lists,
    review,
    related,
    callbacks,
    intake,
  );
  renderRelated(related, id);
  const contactId = contact && /^[A-Za-z0-9-]{1,64}$/.test(contact) ? contact : null;
  // The intake's heading is an h2 here: the coordinator's own title leads the screen.
  intakeForm(intake, { activationId: id, contactId, heading: "h2", onRecorded: () => fillEnquiries(enquiries) });
  renderLists(lists, id);
  renderReview(review, id);
  document.getElementById("d2c-title")?.focus();
  await Promise.all([fillEnquiries(enquiries), renderCallbacks(callbacks, id)]);
}

async function fillEnquiries(section, status = "") {
  const select = el("select", {});
  select.append(i18n("option", "d2c.filter.all", undefined, { value: "" }));
  for (const one of STATUSES) select.append(i18n("option", `d2.status.${one}`, undefined, { value: one }));
  select.value = status;
  const filter = el(
    "form",
    { novalidate: true, class: "d2-filter", "aria-label": t("d2c.filter.title") },
    field("d2c-status", "d2c.filter", null, select),
    i18n("button", "d2c.filter.button", undefined, { type: "submit", class: "button secondary" }),
  );
  const search = el("input", { type: "text", autocomplete: "off", spellcheck: "false", maxlength: 20 });
  const details = el("div", { id: "d2c-details", "aria-live": "polite" });
  const finder = el(
    "form",
    { novalidate: true, class: "d2-search", role: "search", "aria-label": t("d2.search.title") },
    field("d2-search", "d2.search", "d2.search.hint", search),
    i18n("button", "d2.search.button", undefined, { type: "submit", class: "button secondary" }),
  );
  const table = el("div", { id: "d2c-list" });
  filter.addEventListener("submit", async (event) => {
    event.preventDefault();
    await fillEnquiries(section, select.value);
    section.querySelector("#d2c-status")?.focus();
  });
  finder.addEventListener("submit", async (event) => {
    event.preventDefault();
    await findReference(activationId, search.value, details);
  });
  section.replaceChildren(i18n("h2", "d2c.enquiries.title", undefined, { id: "d2c-enquiries-title" }), filter, finder, details, table);
  const query = status ? `?status=${encodeURIComponent(status)}` : "";
  try {
    const answer = await call("GET", `/activations/${encodeURIComponent(activationId)}/enquiries${query}`);
    table.replaceChildren(
      enquiryTable(answer.body.enquiries, "d2c.enquiries.caption", "d2c.enquiries.none", (enquiry) => {
        details.replaceChildren(enquiryDetails(enquiry));
        details.querySelector("h3")?.setAttribute("tabindex", "-1");
        details.querySelector("h3")?.focus();
      }),
    );
  } catch (error) {
    table.replaceChildren(el("p", { class: "notice error", role: "status", text: problemText(error) }));
  }
}
