// The D2 coordinator's lists and review: upload a list of victims and survivors (its rows taken, the rows not taken
// with their reasons), read an enquiry's candidates and propose one, and confirm or reject the matches another
// coordinator proposed (four eyes). Sources, references and reasons reach the page through textContent only.
import { ApiError, call } from "./api.js";
import { formatInstant, label, t } from "./i18n.js";
import { el, field, i18n, problemText } from "./dom.js";

const CSV = "text/csv";
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const GRADES = ["A", "B", "C"];

// The API's own words for a refusal it explains (a bad file, no D2 line), else the console's sentence.
function apiMessage(error) {
  return error instanceof ApiError && error.status && error.message ? error.message : problemText(error);
}

function live(id) {
  return el("p", { id, class: "visually-hidden", role: "status", "aria-live": "polite" });
}

function announce(region, key, args) {
  // Emptied first, so the same sentence twice is read twice.
  region.textContent = "";
  setTimeout(() => label(region, key, args), 50);
}

function table(captionKey, columns, rows, attributes = {}) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: "admin-table d2-table", ...attributes },
      i18n("caption", captionKey),
      el("thead", {}, el("tr", {}, ...columns.map((key) => i18n("th", key, undefined, { scope: "col" })))),
      el("tbody", {}, ...rows),
    ),
  );
}

function setFieldError(box, control, text) {
  const error = box.querySelector(".error-message");
  error.textContent = text || "";
  delete error.dataset.i18n;
  box.classList.toggle("field-error", Boolean(text));
  if (text) control.setAttribute("aria-invalid", "true");
  else control.removeAttribute("aria-invalid");
}

// ---------------------------------------------------------------- list upload
export function renderLists(section, activationId) {
  const source = el("input", { type: "text", autocomplete: "off", spellcheck: "false", maxlength: 80 });
  const file = el("input", { type: "file", accept: ".csv,.xlsx" });
  const sourceBox = field("d2c-lists-source", "d2c.lists.source", "d2c.lists.source.hint", source);
  const fileBox = field("d2c-lists-file", "d2c.lists.file", "d2c.lists.file.hint", file);
  const button = i18n("button", "d2c.lists.button", undefined, { type: "submit", class: "button" });
  const problem = el("p", { id: "d2c-lists-problem", class: "notice error", role: "alert" });
  const form = el("form", { novalidate: true, class: "d2-upload", "aria-labelledby": "d2c-lists-title" }, sourceBox, fileBox, button, problem);
  const result = el("div", { id: "d2c-lists-result" });
  const region = live("d2c-lists-live");
  section.replaceChildren(
    i18n("h2", "d2c.lists.title", undefined, { id: "d2c-lists-title" }),
    i18n("p", "d2c.lists.intro", undefined, { class: "hint" }),
    form,
    region,
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    const named = source.value.trim();
    const chosen = file.files && file.files[0];
    const type = chosen ? mediaType(chosen) : null;
    setFieldError(sourceBox, source, named ? "" : t("d2c.lists.source.empty"));
    setFieldError(fileBox, file, !chosen ? t("d2c.lists.file.empty") : type ? "" : t("d2c.lists.file.type"));
    if (!named) return source.focus();
    if (!chosen || !type) return file.focus();
    button.disabled = true;
    announce(region, "d2c.lists.busy");
    try {
      const answer = await call("POST", `/activations/${encodeURIComponent(activationId)}/lists?source=${encodeURIComponent(named)}`, {
        raw: chosen,
        headers: { "Content-Type": type },
      });
      showUpload(result, named, answer.body);
      announce(region, "d2c.lists.announce", { rows: answer.body.rows, rejected: answer.body.rejected.length });
      result.querySelector("h3")?.focus();
    } catch (error) {
      const fields = (error instanceof ApiError && error.details && error.details.fields) || [];
      const aboutSource = fields.find((one) => String(one.field || "").endsWith("source"));
      if (aboutSource) {
        setFieldError(sourceBox, source, aboutSource.problem || apiMessage(error));
        source.focus();
      } else if (error instanceof ApiError && error.code === "invalid_list") {
        setFieldError(fileBox, file, apiMessage(error));
        file.focus();
      } else {
        problem.textContent = apiMessage(error);
      }
    } finally {
      button.disabled = false;
    }
  });
}

function mediaType(chosen) {
  const name = chosen.name.toLowerCase();
  if (name.endsWith(".xlsx")) return XLSX;
  if (name.endsWith(".csv")) return CSV;
  return null;
}

function showUpload(result, source, answer) {
  const rejected = answer.rejected || [];
  const rows = rejected.map((one) => el("tr", {}, el("td", { text: String(one.line) }), el("td", { text: one.reason })));
  result.replaceChildren(
    el(
      "div",
      { class: "d2-upload-result" },
      i18n("h3", "d2c.lists.done.title", { source }, { tabindex: "-1" }),
      i18n("p", "d2c.lists.rows", { rows: answer.rows }),
      i18n("p", `d2c.lists.scoring.${answer.scoring === "pending" ? "pending" : "done"}`),
      rejected.length
        ? table("d2c.lists.rejected.caption", ["d2c.lists.column.line", "d2c.lists.column.reason"], rows)
        : i18n("p", "d2c.lists.rejected.none", undefined, { class: "hint" }),
    ),
  );
}

// ---------------------------------------------------------------- review queue and candidates
export function renderReview(section, activationId) {
  const base = `/activations/${encodeURIComponent(activationId)}`;
  const region = live("d2c-review-live");
  const queue = el("div", { id: "d2c-queue" });
  const candidates = el("div", { id: "d2c-candidates" });
  const chooser = el("select", {});
  const typed = el("input", { type: "text", autocomplete: "off", spellcheck: "false", maxlength: 20 });
  const chooserBox = field("d2c-review-enquiry", "d2c.review.choose", null, chooser);
  const typedBox = field("d2c-review-reference", "d2c.review.reference", "d2c.review.reference.hint", typed);
  const finder = el(
    "form",
    { novalidate: true, class: "d2-search", "aria-labelledby": "d2c-review-for-title" },
    chooserBox,
    typedBox,
    i18n("button", "d2c.review.show", undefined, { type: "submit", class: "button secondary" }),
  );
  let me = null;
  let shownReference = null;
  section.replaceChildren(
    i18n("h2", "d2c.review.title", undefined, { id: "d2c-review-title" }),
    i18n("p", "d2c.review.intro", undefined, { class: "hint" }),
    region,
    i18n("h3", "d2c.review.queue.title", undefined, { id: "d2c-queue-title", tabindex: "-1" }),
    queue,
    i18n("h3", "d2c.review.for.title", undefined, { id: "d2c-review-for-title" }),
    finder,
    candidates,
  );

  async function fillChooser() {
    chooser.replaceChildren(i18n("option", "d2c.review.choose.none", undefined, { value: "" }));
    try {
      const answer = await call("GET", `${base}/enquiries?status=open`);
      for (const one of answer.body.enquiries) {
        const name = [one.sought.given_names, one.sought.family_name].filter(Boolean).join(" ");
        chooser.append(el("option", { value: one.reference, text: `${one.reference} – ${name}` }));
      }
    } catch {
      // The reference can still be typed.
    }
  }

  async function fillQueue() {
    try {
      const answer = await call("GET", `${base}/matches?status=proposed`);
      const items = answer.body.items;
      if (!items.length) {
        queue.replaceChildren(i18n("p", "d2c.review.queue.none", undefined, { class: "hint" }));
        return;
      }
      const columns = ["d2c.review.column.enquiry", "d2c.review.column.row", "d2c.review.column.proposed", "d2c.review.column.decision"];
      queue.replaceChildren(table("d2c.review.queue.caption", columns, items.map(queueRow)));
    } catch (error) {
      queue.replaceChildren(el("p", { class: "notice error", role: "status", text: problemText(error) }));
    }
  }

  function queueRow(match) {
    const by = (match.proposed_by && match.proposed_by.label) || "";
    const own = me && match.proposed_by && match.proposed_by.credential_id === me.credential_id;
    const note = el("p", { id: `d2c-match-${match.id}-note`, class: "hint d2-review-note" });
    if (own) label(note, "d2c.review.own");
    const confirm = actionButton("d2c.review.confirm", match.reference, note.id);
    const reject = actionButton("d2c.review.reject", match.reference, note.id);
    confirm.addEventListener("click", () => decide(match, "confirm", note));
    reject.addEventListener("click", () => decide(match, "reject", note));
    const row = [match.source, match.source_ref].filter(Boolean).join(" · ") || match.entry_id;
    return el(
      "tr",
      {},
      el("th", { scope: "row", class: "d2-ref", text: match.reference }),
      el("td", { text: row }),
      el(
        "td",
        {},
        el("span", { text: by }),
        match.proposed_at ? el("br") : null,
        match.proposed_at ? el("time", { datetime: match.proposed_at, text: formatInstant(match.proposed_at) }) : null,
      ),
      el("td", {}, el("div", { class: "d2-review-actions" }, confirm, reject), note),
    );
  }

  function actionButton(key, reference, describedBy) {
    // The visible word, and for a screen reader also the enquiry it acts on.
    return el(
      "button",
      { type: "button", class: "button secondary", "aria-describedby": describedBy },
      i18n("span", key),
      i18n("span", "d2c.review.for", { reference }, { class: "visually-hidden" }),
    );
  }

  async function decide(match, action, note) {
    try {
      await call("POST", `${base}/matches/${encodeURIComponent(match.id)}/${action}`);
      await fillQueue();
      announce(region, action === "confirm" ? "d2c.review.confirmed" : "d2c.review.rejected", { reference: match.reference });
      document.getElementById("d2c-queue-title")?.focus();
      if (shownReference) await showCandidates(shownReference, false);
    } catch (error) {
      const key =
        error instanceof ApiError && error.code === "four_eyes_required"
          ? "d2c.review.four_eyes"
          : error instanceof ApiError && error.code === "match_decided"
            ? "d2c.review.decided"
            : null;
      if (key === "d2c.review.decided") {
        await fillQueue();
        announce(region, key);
        document.getElementById("d2c-queue-title")?.focus();
        return;
      }
      note.classList.add("error-message");
      note.setAttribute("role", "alert");
      if (key) label(note, key);
      else note.textContent = problemText(error);
    }
  }

  async function showCandidates(reference, focus = true) {
    shownReference = reference;
    try {
      const answer = await call("GET", `${base}/enquiries/${encodeURIComponent(reference)}/candidates`);
      const items = answer.body.items;
      const heading = i18n("h4", "d2c.review.candidates.title", { reference }, { id: "d2c-candidates-title", tabindex: "-1" });
      const columns = [
        "d2c.review.column.row",
        "d2c.review.column.grade",
        "d2c.review.column.score",
        "d2c.review.column.agreed",
        "d2c.review.column.differs",
        "d2c.review.column.action",
      ];
      candidates.replaceChildren(
        heading,
        items.length
          ? table("d2c.review.candidates.caption", columns, items.map((one) => candidateRow(reference, one)), {
              "aria-describedby": "d2c-candidates-title",
            })
          : i18n("p", "d2c.review.candidates.none", undefined, { class: "hint" }),
      );
      if (focus) heading.focus();
    } catch (error) {
      const key =
        error instanceof ApiError && error.status === 404
          ? "d2.search.none"
          : error instanceof ApiError && error.code === "reference_mistyped"
            ? "d2.search.mistyped"
            : null;
      candidates.replaceChildren(key ? i18n("p", key, undefined, { class: "notice warning", role: "alert" }) : el("p", { class: "notice error", role: "alert", text: problemText(error) }));
    }
  }

  function candidateRow(reference, candidate) {
    const note = el("p", { id: `d2c-candidate-${candidate.entry_id}-note`, class: "hint d2-review-note" });
    const button = actionButton("d2c.review.propose", reference, note.id);
    button.addEventListener("click", async () => {
      try {
        await call("POST", `${base}/matches`, { body: { reference, entry_id: candidate.entry_id } });
        await fillQueue();
        announce(region, "d2c.review.proposed", { reference });
        document.getElementById("d2c-queue-title")?.focus();
      } catch (error) {
        note.classList.add("error-message");
        note.setAttribute("role", "alert");
        if (error instanceof ApiError && error.code === "match_exists") {
          label(note, "d2c.review.exists", { statusKey: `d2c.review.status.${error.details.status || "proposed"}` });
        } else {
          note.textContent = problemText(error);
        }
      }
    });
    const grade = GRADES.includes(candidate.grade) ? candidate.grade : "C";
    const where = [candidate.source, candidate.source_ref].filter(Boolean).join(" · ");
    return el(
      "tr",
      {},
      el("th", { scope: "row" }, el("span", { text: where }), candidate.location ? el("br") : null, candidate.location ? el("span", { class: "hint", text: candidate.location }) : null),
      el("td", {}, el("strong", { class: `d2-grade d2-grade-${grade}`, text: grade }), " ", i18n("span", `d2c.review.grade.${grade}`)),
      el("td", { text: Number(candidate.score).toFixed(2) }),
      el("td", {}, evidence(candidate.agreed)),
      el("td", {}, evidence(candidate.differs)),
      el("td", {}, button, note),
    );
  }

  finder.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reference = typed.value.trim() || chooser.value;
    setFieldError(typedBox, typed, reference ? "" : t("d2c.review.reference.empty"));
    if (!reference) return typed.focus();
    await showCandidates(reference);
  });

  (async () => {
    try {
      me = (await call("GET", "/me")).body;
    } catch {
      me = null;
    }
    await Promise.all([fillQueue(), fillChooser()]);
  })();
}

// The engine's evidence ("birth date", "family name (spelling)") in the chosen language where the console knows it.
function evidence(labels) {
  if (!labels || !labels.length) return el("span", { text: "–" });
  return el(
    "ul",
    { class: "d2-evidence" },
    ...labels.map((one) => {
      const key = `d2c.review.evidence.${String(one).replace(/[^a-z]+/gi, "_").replace(/^_|_$/g, "")}`;
      const text = t(key);
      return el("li", { text: text === key ? one : text });
    }),
  );
}
