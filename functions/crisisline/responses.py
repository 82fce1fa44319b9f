"""What the API answers on success: the shape of each body, for the API's document. A route names its model
(`rest.responses(200, model="Activation")`) and `python -m infra.openapi` puts the models in the document.

The routes answer the plain dicts their logic returns, as they are: these models describe them and are never
used to build or check an answer at run time, so a field is never dropped, reshaped or refused on its way out,
and no function serving requests imports this module (creating the classes would add to every cold start).
tests/test_openapi.py sends real requests and checks every answer against the document, so a field added to an
answer without being described here fails a test.

A field that some answers leave out has a default (`None`); one that is always there, if sometimes null, has
none. Instants are ISO 8601 text in UTC; money is decimal text in euros, never a JSON number."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crisisline.models import Language, NumberKind, Role


class Health(BaseModel):
    status: Literal["ok"]


class Me(BaseModel):
    """Who the bearer of the token is, as its credential says: what the console shows after sign-in."""

    role: Role
    credential_id: str
    label: str | None = Field(default=None, description="who holds the credential")
    authority_id: str | None = Field(default=None, description="the authority it acts for (role authority)")
    authority_name: str | None = Field(default=None, description="that authority's name (role authority)")
    activator_id: str | None = Field(default=None, description="the activator whose own token it is (role authority)")
    calls_per_operator_hour: int | None = Field(
        default=None, description="the calls one operator answers an hour by the tariff in force (role authority)"
    )


class IncidentTemplate(BaseModel):
    """A ready message for a common incident, to start from when opening a line."""

    id: str
    number: int = Field(description="its number on the phone menu, from 1")
    title: dict[Language, str]
    message: dict[Language, str]


class IncidentTemplateList(BaseModel):
    templates: list[IncidentTemplate]


class HeardPart(BaseModel):
    part: str = Field(
        description="the contact flow's step that says it (greeting-nl, menu-fr, message, ask-queue, "
        "hold-on, offer-callback)"
    )
    language: Language = Field(description="the language of the voice that says it")
    text: str


class Preview(BaseModel):
    """What a caller who picks each language hears, in the order the contact flow plays it."""

    languages: dict[Language, list[HeardPart]]


class StaffingPrediction(BaseModel):
    """What a number of operators gives the hour: shares from 0 to 1, to four decimals; seconds to one."""

    operators: int
    stable: bool = Field(
        description="false when callers who never hang up arrive faster than these operators answer them: the "
        "queue grows without end, and the figures are null"
    )
    service_level: float | None = Field(description="share of all callers answered within the time aimed at")
    waiting_probability: float | None = Field(description="share of callers who wait at all")
    abandonment_probability: float | None = Field(
        description="share of callers who hang up while waiting (Erlang A); null for Erlang C"
    )
    mean_wait_seconds: float | None = Field(description="mean wait over all callers, those answered at once included")
    occupancy: float = Field(description="share of the operators' time spent on calls")
    note: str | None = Field(default=None, description="why the figures are null, when they are")


class StaffingAdvice(BaseModel):
    """How many operators the hour needs, and what one fewer and one more would give."""

    model: Literal["erlang_c", "erlang_a"] = Field(
        description="erlang_c: callers wait as long as it takes; erlang_a: they hang up after their patience"
    )
    load_erlangs: float = Field(description="the work arriving: operators busy all the hour if nobody waited")
    operators: int = Field(description="the fewest operators that reach the service level aimed at")
    needed: StaffingPrediction
    one_fewer: StaffingPrediction | None = Field(description="null when the advice is one operator")
    one_more: StaffingPrediction


class FiguresBucket(BaseModel):
    """A line's figures over one quarter hour, one UTC hour, or its whole life (`start` to `end`, UTC)."""

    start: str = Field(json_schema_extra={"format": "date-time"})
    end: str = Field(json_schema_extra={"format": "date-time"})
    calls_offered: int = Field(description="callers who picked a queue (hours: routing's count at once)")
    calls_answered: int = Field(description="inbound calls an operator took (contact records)")
    abandoned_in_queue: int = Field(description="inbound calls queued that no operator took")
    callbacks_offered: int = Field(description="callers offered a callback (overflow)")
    callbacks_completed: int = Field(description="callbacks an operator took")
    d2_share: float | None = Field(description="share of the queued calls queued on D2; null when none queued")
    wait_median_seconds: int | None = Field(description="median queue wait (nearest rank)")
    wait_p90_seconds: int | None = Field(description="90th percentile of the queue wait (nearest rank)")
    handle_mean_seconds: float | None = Field(description="mean time an operator spent on a call")
    operators: int = Field(description="operators in force at the end of the bucket (or now)")
    capacity_per_hour: int = Field(description="operators x the tariff's calls per operator-hour in force then")
    routed: int | None = Field(description="routing's count (hours and totals; null in quarter hours)")


class LineFigures(BaseModel):
    """A line's figures since it opened; contact records add to them a minute or two after each call ends."""

    quarter_hours: list[FiguresBucket]
    hours: list[FiguresBucket]
    totals: FiguresBucket


class LineAdviceInputs(BaseModel):
    model_config = ConfigDict(extra="allow")

    quarter_hours_used: int
    calls_per_hour: float = Field(description="the forecast: the busier of the last hour and its last half hour")
    handle_seconds: float | None
    service_level_target: float
    answer_within_seconds: int
    patience_seconds: int | None
    model: Literal["erlang_c", "erlang_a"]
    operator_hour: str = Field(description="the tariff's operator-hour in force (decimal text)")


class LineAdvice(BaseModel):
    """The operators the next hour needs for the center's service target, against those in force."""

    activation_id: str
    inputs: LineAdviceInputs
    operators_in_force: int
    recommended_operators: int
    predicted_service_level: float | None = Field(description="for the recommended operators; null without calls")
    service_level_in_force: float | None = Field(default=None, description="for the operators in force")
    cost_difference_per_hour: str = Field(
        description="(recommended - in force) x operator-hour, decimal text (negative: a saving)"
    )
    reason: Literal["forecast", "no_calls"]
    explanation: str


# ---------------------------------------------------------------------- authorities and credentials
class AgreementShown(BaseModel):
    reference: str
    signed_on: str = Field(description="YYYY-MM-DD", json_schema_extra={"format": "date"})


class BillingShown(BaseModel):
    reference: str
    email: str


class Authority(BaseModel):
    """An authority as the API shows it: never its token nor the token's hash."""

    id: str = Field(description="NIS code of the municipality or province")
    name: str
    languages: list[Language]
    agreement: AgreementShown
    billing: BillingShown
    enrolled_at: str
    number_kind: NumberKind | None = Field(
        default=None, description="its activations' kind of number unless they ask otherwise; absent: toll_free"
    )
    live_activation_id: str | None = Field(default=None, description="its live activation, while one is live")
    revoked_at: str | None = Field(default=None, description="when its enrolment ended")


class DefaultMessage(BaseModel):
    """The message an authority keeps ready per language (empty until one is saved)."""

    authority_id: str
    message: dict[Language, str] = Field(description="per language; the languages of a line opened by phone")
    changed_at: str | None = Field(default=None, description="when it was last saved")


class Activator(BaseModel):
    """A person the authority's agreement names as allowed to activate its line: never their token or PIN."""

    id: str
    authority_id: str
    name: str
    function: str
    phone: str = Field(description="E.164")
    language: Language
    created_at: str
    changed_at: str | None = None
    token_issued_at: str | None = Field(default=None, description="when their current token was issued; null: none")
    pin_set: bool = Field(description="whether a PIN for the phone is set (the PIN itself is never shown)")
    pin_locked_until: str | None = Field(default=None, description="three wrong PINs: refused until then")
    number: int | None = Field(
        default=None,
        description="in the authority's list: the activator number they key on the activation phone line, with "
        "the authority's NIS code, when their own number is not recognised",
    )


class RemovedActivator(Activator):
    removed_at: str


class ActivatorList(BaseModel):
    activators: list[Activator]


class ActivatorToken(BaseModel):
    """An activator's own token (role authority, naming the activator), shown here once and never again."""

    authority_id: str
    activator_id: str
    credential_id: str
    token: str
    issued_at: str


class PinChanged(BaseModel):
    activator_id: str
    pin_set: bool


class EnrolledAuthority(Authority):
    """The authority just enrolled, with its token: shown here once, and never again."""

    token: str
    activators: list[Activator] | None = Field(default=None, description="the activators enrolled with it")


class AuthorityList(BaseModel):
    authorities: list[Authority]


class RotatedToken(BaseModel):
    """An authority's new token, shown once; the old one no longer resolves."""

    authority_id: str
    token: str
    rotated_at: str


class Credential(BaseModel):
    """A credential as the API lists it: never its token nor the token's hash."""

    id: str
    role: Role
    label: str | None = Field(description="who holds it; an authority's is its name")
    created_at: str | None
    authority_id: str | None = Field(description="the authority it belongs to (role authority)")
    revoked_at: str | None = Field(description="when its token stopped resolving; null while it works")


class IssuedCredential(Credential):
    """The credential just issued, with its token: shown here once, and never again."""

    token: str
    credential_id: str = Field(description="the same as id")


class CredentialList(BaseModel):
    credentials: list[Credential]


# ---------------------------------------------------------------------- pool numbers
class PoolNumber(BaseModel):
    number: str = Field(description="E.164")
    kind: NumberKind
    state: Literal["free", "live", "cooling_down"] = Field(
        description="live while an activation holds it; cooling_down after a release, until free_from"
    )
    activation_id: str | None = Field(default=None, description="the live activation holding it")
    authority_id: str | None = Field(default=None, description="the authority of that activation")
    free_from: str | None = Field(default=None, description="while cooling_down: when it may be claimed again")


class RemovedNumber(BaseModel):
    number: str
    kind: NumberKind
    state: Literal["removed"]
    removed_at: str


class NumberList(BaseModel):
    numbers: list[PoolNumber]


# ---------------------------------------------------------------------- activations
class OperatorTimelineEntry(BaseModel):
    at: str = Field(description="from when")
    operators: int


class Actor(BaseModel):
    role: Role
    credential_id: str
    authority_id: str | None = None
    name: str | None = Field(
        default=None, description="the activator's name, or the token's label (the authority's, the admin's)"
    )
    activator_id: str | None = Field(default=None, description="the activator whose own token acted")


class Activation(BaseModel):
    """An authority's crisis line, live or closed."""

    id: str
    authority_id: str
    authority_name: str | None = None
    status: Literal["live", "closed"]
    revision: int | None = Field(
        default=None,
        description="0 when opened, one more with every change and with "
        "the close; sent as the ETag (absent on lines opened "
        "before activations carried one: read it as 0)",
    )
    reason: str
    languages: list[Language]
    message: dict[Language, str] = Field(description="what callers hear, per language the line offers")
    victim_information: bool = Field(description="a D2 line for victims' relatives")
    operators: int
    operator_timeline: list[OperatorTimelineEntry] | None = Field(
        default=None, description="every number of operators and from when, in time order: personnel is billed from it"
    )
    number: str = Field(description="the pool number callers dial (E.164)")
    number_kind: NumberKind | None = Field(
        default=None, description="absent on lines opened before it was chosen: toll_free"
    )
    requested_at: str
    opened_at: str
    closed_at: str | None = None
    opened_by: Actor | None = Field(default=None, description="who opened it (absent on older lines)")
    channel: Literal["api", "console", "phone"] | None = Field(
        default=None, description="how it was opened (absent on older lines)"
    )
    idempotency_key: str | None = Field(default=None, description="the Idempotency-Key that opened it")
    calls_this_hour: int | None = Field(
        default=None,
        description="admin, live lines only: callers who picked a queue in this UTC hour, as routing counts them",
    )
    capacity_per_hour: int | None = Field(
        default=None,
        description="admin, live lines only: operators x calls per operator-hour of the tariff in force; a call "
        "beyond it this hour is offered a callback",
    )


class ActivationList(BaseModel):
    activations: list[Activation]


class AuditEntry(BaseModel):
    """Who changed what, when."""

    subject: str = Field(description="what changed: activation#<id>")
    entry: str
    at: str
    action: str = Field(description="open, update, close, briefing")
    actor: Actor
    channel: Literal["api", "console", "phone"] | None = Field(
        default=None, description="how the change came: the API, the console, the phone (absent on older entries)"
    )
    changes: dict[str, object] = Field(
        description="open: the line as opened, with its number and number_kind; update: each field changed, "
        "with its before and after; close: closed_at and the number released; "
        "briefing: items, before and after"
    )


class AuditEntries(BaseModel):
    entries: list[AuditEntry]


class BriefingPair(BaseModel):
    question: str
    answer: str


class Briefing(BaseModel):
    """The operators' sheet: the line as callers hear it and the answers to give, never billing, tokens or the
    audit trail."""

    activation_id: str
    status: Literal["live", "closed"]
    authority_id: str
    authority_name: str | None
    number: str = Field(description="the pool number callers dial (E.164)")
    reason: str
    opened_at: str
    languages: list[Language]
    message: dict[Language, str] = Field(description="what callers hear, per language the line offers")
    d2: bool = Field(description="a D2 line for victims' relatives is open (victim_information)")
    operators: int
    items: dict[Language, list[BriefingPair]] = Field(
        description="per language the line offers (each present, possibly empty), the questions and answers"
    )
    revision: int = Field(description="the briefing's: 0 before the first change, one more with each")
    updated_at: str | None = Field(description="when the briefing last changed; null before the first change")
    activation_revision: int = Field(description="the line's revision (see Activation), the ETag's second part")


# ---------------------------------------------------------------------- tariffs
class RatesPerKind(BaseModel):
    did: str
    toll_free: str


class TariffVersion(BaseModel):
    """One version of the tariffs, in force from effective_from until the next version's."""

    effective_from: str
    currency: Literal["EUR"]
    operator_hour: str
    number_day: RatesPerKind
    telephony_minute: RatesPerKind
    service_minute: str
    personnel_minimum_hours: str
    calls_per_operator_hour: int
    grace_minutes: int = Field(description="a line closed within this many minutes with no answered call is not billed")
    created_at: str | None = Field(default=None, description="when it was added (absent on the defaults)")


class Tariffs(BaseModel):
    tariffs: list[TariffVersion] = Field(description="every version, oldest first")
    in_force: TariffVersion


# ---------------------------------------------------------------------- the export
class _Sums(BaseModel):
    lines: int
    voided_lines: int
    live_seconds: int
    calls: int
    d2_calls: int
    answered_calls: int
    call_seconds: int
    operator_seconds: int
    minimum_top_up_seconds: int
    personnel_eur: str
    number_eur: str
    telephony_eur: str
    total_eur: str


class GrandTotal(_Sums):
    """Every line summed: the month's total."""


class AuthorityTotal(_Sums):
    authority_id: str
    authority_name: str


class ExportLine(BaseModel):
    """One activation in one month, or one adjustment for a late contact record. The fields after total_eur
    may be absent from a month frozen before they existed."""

    month: str
    authority_id: str
    authority_name: str
    activation_id: str
    number: str
    opened_at: str
    closed_at: str | None
    live_seconds: int
    calls: int
    d2_calls: int
    answered_calls: int
    call_seconds: int
    operator_seconds: int
    personnel_eur: str
    number_eur: str
    telephony_eur: str
    total_eur: str
    line: Literal["activation", "adjustment"] | None = None
    adjusts_month: str | None = Field(default=None, description="the frozen month an adjustment line corrects")
    minimum_top_up_seconds: int | None = None
    number_kind: NumberKind | None = None
    opened_at_brussels: str | None = None
    closed_at_brussels: str | None = None
    billing: str | None = Field(default=None, description='"billed", or "voided: <why>" with every amount 0.00')
    opened_by: str | None = Field(
        default=None, description="who opened the line: the activator's name, or the token's label (the authority's)"
    )
    channel: str | None = Field(default=None, description="how it was opened: api, console or phone")


class FrozenFiles(BaseModel):
    csv: str
    xlsx: str
    json_: str = Field(alias="json")


class Downloads(BaseModel):
    csv: str
    xlsx: str


class Export(BaseModel):
    """A month's cost export: provisional while the month runs or a line is live, frozen once it is closed."""

    month: str
    currency: Literal["EUR"]
    provisional: bool
    frozen: bool
    generated_at: str
    columns: list[str] = Field(description="the lines' fields in the order of the CSV and XLSX columns")
    lines: list[ExportLine]
    totals: list[AuthorityTotal] = Field(description="per authority")
    grand_total: GrandTotal
    total_eur: str
    frozen_at: str | None = Field(default=None, description="once frozen")
    sha256: FrozenFiles | None = Field(default=None, description="once frozen: each frozen file's SHA-256")
    download: Downloads | None = Field(default=None, description="once frozen: a short-lived link to each file")


# ---------------------------------------------------------------------- unattributed contact records
class UnattributedContact(BaseModel):
    """A contact record that matched no activation, or was set aside for review: kept, never billed."""

    # A record kept for review carries what it carried when it was set aside, which may be more than this.
    model_config = ConfigDict(extra="allow")

    contact_id: str
    unattributed_month: str
    reason: str = Field(description="why it was not billed (no_activation, unreadable, …)")
    last_update: str | None = None
    initiated_at: str | None = None
    initiation_method: str | None = None
    system_number: str | None = Field(default=None, description="the number dialled (never the caller's)")
    activation_attribute: str | None = None
    record: str | None = Field(default=None, description="the contact record as JSON, without the caller's number")
    metered_at: str | None = None
    arrived_at: str | None = None
    problem: str | None = None
    version_of: str | None = Field(default=None, description="the counted contact this version was kept beside")
    calls: int | None = None
    d2_calls: int | None = None
    answered_calls: int | None = None
    abandoned_calls: int | None = None
    call_seconds: int | None = None
    queue_seconds: int | None = None


class UnattributedContacts(BaseModel):
    month: str
    contacts: list[UnattributedContact]


# ---------------------------------------------------------------------- D2: victim information
class SoughtPersonShown(BaseModel):
    """The person a relative asks about, as recorded; fields not given are left out."""

    given_names: str
    family_name: str
    birth_date: str | None = Field(default=None, description="YYYY, YYYY-MM or YYYY-MM-DD")
    age: int | None = None
    sex: Literal["f", "m", "x"] | None = None
    municipality: str | None = None
    nationality: str | None = None
    description: str | None = None
    last_seen: str | None = None


class EnquirerShown(BaseModel):
    name: str
    phone: str = Field(description="E.164; shown to the D2 line's staff only")
    relationship: str
    language: Language
    callback_consent: bool


class RecordedBy(BaseModel):
    credential_id: str
    label: str


class Enquiry(BaseModel):
    """A relative's enquiry as the D2 role reading it may see it (a d2_agent never sees `deceased`)."""

    id: str
    reference: str = Field(description="read out to the relative, e.g. K7MD-4QX")
    activation_id: str
    status: Literal["open", "matched", "closed", "deceased"]
    person_id: str = Field(description="the sought person recorded with this enquiry")
    sought: SoughtPersonShown
    enquirer: EnquirerShown
    contact_id: str | None
    recorded_at: str
    recorded_by: RecordedBy


class EnquiryList(BaseModel):
    enquiries: list[Enquiry]


class SimilarEnquiry(BaseModel):
    reference: str
    grade: Literal["A", "B", "C"] | None = Field(
        default=None, description="A strong, B probable, C possible; for a d2_coordinator only"
    )


class SimilarEnquiries(BaseModel):
    """Enquiries already recorded about someone like the person typed: how many, and the references a role may
    see (a d2_agent its own only)."""

    count: int
    items: list[SimilarEnquiry]


class D2AuditVerification(BaseModel):
    """The activation's D2 audit chain walked entry by entry."""

    entries: int
    intact: bool
    first_broken: int | None = Field(description="the sequence number of the first entry that does not check out")


Count = int | Literal["<5"]


class D2HourFigure(BaseModel):
    hour: str = Field(description="the UTC hour's start, YYYY-MM-DDTHH:00:00Z")
    enquiries: Count


class D2Figures(BaseModel):
    """The activation's D2 line in counts only; every count from 1 to 4 is shown as "<5"."""

    activation_id: str
    enquiries: Count
    enquiries_per_hour: list[D2HourFigure]
    persons_sought: Count = Field(description="distinct persons asked about; linked persons count once")
    matched: Count = Field(description="persons with a confirmed match")
    callbacks_done: Count
    enquiries_with_news: Count
    median_seconds_to_first_news: int | None = Field(description="null while fewer than 5 enquiries had news")
    as_of: str | None
    purged: bool = Field(description="true: the D2 data was erased and these figures come from the archive")


class D2Retention(BaseModel):
    """How long after the activation closes its D2 data is kept before the daily purge erases it."""

    activation_id: str
    days: int
    default_days: int
    closed_at: str | None
    purge_after: str | None = Field(description="null while the activation is live")
    extended: bool
    reason: str | None
    extended_at: str | None


# ---------------------------------------------------------------------- D2: related enquiries and callbacks
class RelatedEnquiry(BaseModel):
    """Another enquiry that may be about the same person, with the matching engine's evidence."""

    reference: str
    person_id: str
    grade: Literal["A", "B", "C"] = Field(description="A strong, B probable, C possible")
    score: float
    agreed: list[str]
    differs: list[str]
    linked: bool = Field(description="a coordinator linked the two persons as one")


class RelatedEnquiries(BaseModel):
    items: list[RelatedEnquiry]


class PersonLink(BaseModel):
    person_id: str
    other_person_id: str
    linked_by: RecordedBy
    linked_at: str


class CallbackEnquirer(BaseModel):
    name: str
    phone: str = Field(description="E.164; shown to the D2 line's staff only")
    language: Language


class Callback(BaseModel):
    """A relative to call back (due) or a callback reported (done)."""

    id: str = Field(description="the task's id, for reporting it done")
    kind: Literal["news", "interim", "police_victim_assistance"]
    reference: str
    enquiry_id: str
    enquirer: CallbackEnquirer
    say: str | None = Field(default=None, description="due: what to tell the enquirer, in their language")
    due_since: str | None = None
    overdue: bool | None = Field(default=None, description="due for more than an hour")
    entry_id: str | None = Field(
        default=None, description="due news of a hospital or reception centre: the list entry it comes from"
    )
    disclosure_refused: bool | None = Field(
        default=None, description="the found person refused that their whereabouts be told (then `say` tells none)"
    )
    callback_id: str | None = Field(default=None, description="done: the report's id")
    outcome: Literal["reached", "no_answer", "wrong_number"] | None = None
    note: str | None = None
    done_by: RecordedBy | None = None
    done_at: str | None = None


class Callbacks(BaseModel):
    items: list[Callback]


class CallbackDone(BaseModel):
    callback_id: str
    task_id: str
    enquiry_id: str
    reference: str
    kind: Literal["news", "interim", "police_victim_assistance"]
    outcome: Literal["reached", "no_answer", "wrong_number"]
    note: str | None = None
    done_by: RecordedBy
    done_at: str


class EntryDisclosure(BaseModel):
    """A list entry after its found person's choice on disclosure was recorded."""

    entry_id: str
    disclosure_refused: bool
    updated_at: str
    list_id: str | None = None
    source: str | None = None
    source_ref: str | None = None
    given_names: str | None = None
    family_name: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    status: str | None = None
    location: str | None = None


class RejectedRow(BaseModel):
    line: int = Field(description="the row's line in the file; the header is line 1")
    reason: str


class ListUpload(BaseModel):
    """An uploaded list: its rows stored (new or updated by source_ref) and the rows not taken."""

    list_id: str
    rows: int
    rejected: list[RejectedRow]
    scoring: Literal["done", "pending"] = Field(description="pending: a large list is scored just after the answer")


class Candidate(BaseModel):
    """A list row that may be the enquiry's sought person."""

    entry_id: str
    source: str
    source_ref: str
    grade: Literal["A", "B", "C"] = Field(description="A strong, B probable, C possible")
    score: float = Field(ge=0, le=1)
    agreed: list[str]
    differs: list[str]
    status: str | None
    location: str | None


class CandidateList(BaseModel):
    items: list[Candidate]


class Match(BaseModel):
    """A match between an enquiry and a list row: proposed by one coordinator, confirmed by another or rejected."""

    id: str
    reference: str
    enquiry_id: str
    person_id: str
    entry_id: str
    source: str | None = Field(description="the list row's source (UZ Brussel)")
    source_ref: str | None = Field(description="the reference the source's list gives the row")
    status: Literal["proposed", "confirmed", "rejected"]
    proposed_by: RecordedBy
    proposed_at: str
    decided_by: RecordedBy | None
    decided_at: str | None


class MatchList(BaseModel):
    items: list[Match]
