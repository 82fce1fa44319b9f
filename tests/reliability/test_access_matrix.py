"""Part 5 of the reliability proof: who may do what, everywhere. Every endpoint of the template's API × every
role × the caller's own and another authority's resources, plus no token, malformed tokens, a rotated (old)
token and the token of a revoked authority, each against the status the table below expects, with its reason.

An "unexpected allow" is a 2xx where a 401, 403 or 404 was expected: it must never happen. Each endpoint runs in
a fresh backend (moto) through the emulated API Gateway without its authorizer cache (that cache's rotation and
revocation window is tested in tests/test_access.py); refusals run before the changes a role is allowed."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from infra.local import seed, template
from infra.local.stack import forget_cached_state
from tests.billing_support import finance_env
from tests.conftest import TOKEN_KEY, Api, activation_body, authority_body
from tests.d2_support import put_d2, put_entry, put_match
from tests.reliability import figures

__all__ = ["finance_env"]  # fixtures

# `activator`: the own token of a person an authority's agreement names (role authority, naming them).
ROLES = ("admin", "authority", "activator", "finance", "operator", "d2_agent", "d2_coordinator")
OWN, OTHER = "own", "other"
GENT, ANTWERPEN, LEUVEN, MECHELEN = "44021", "11002", "24062", "12025"
# Headers that are not a token the API issued; the full size tries them all.
MALFORMED = [
    "Bearer not-a-token",
    "Basic " + "A" * 43,
    "A" * 43,
    "Bearer " + "A" * 43,
    "Bearer " + "A" * 201,
    "Bearer abc def ghi jkl mno pqr",
    "bearer " + "A" * 43,
    "",
]
MALFORMED = MALFORMED[: figures.size(ci=3, full=len(MALFORMED))]
TOKEN_CASES = (
    "no token",
    *(f"malformed {n + 1}" for n in range(len(MALFORMED))),
    "rotated (old) token",
    "revoked authority's token",
    "removed activator's token",
)


@dataclass(frozen=True)
class Expected:
    """Status per role; for an endpoint with an authority's resource in its path, (own, other)."""

    admin: int | tuple[int, int]
    authority: int | tuple[int, int]
    finance: int | tuple[int, int]
    reason: str
    operator: int | tuple[int, int] = 403  # the call center reads a live line's briefing, and nothing else
    d2_agent: int | tuple[int, int] = 403  # the D2 line's staff: enquiries, and nothing else
    d2_coordinator: int | tuple[int, int] = 403
    activator: int | tuple[int, int] | None = None  # None: as the authority's shared token

    def status(self, role: str, tenant: str | None) -> int:
        value = getattr(self, role)
        if value is None:
            value = self.authority
        if isinstance(value, tuple):
            return value[0] if tenant == OWN else value[1]
        return int(value)


PUBLIC = Expected(
    200, 200, 200, "public: API Gateway calls no authorizer", operator=200, d2_agent=200, d2_coordinator=200
)
D2_COORDINATORS = "lists, candidates and matches are the D2 coordinators' alone"
D2_ONLY = "enquiries are the D2 line's staff's; the activating authority sees aggregate figures only"
D2_COORDINATOR = "links between enquiries and a found person's refusal of disclosure are a D2 coordinator's"
ADMIN_ONLY = "crisis-center work: admin only"
EXPECTED: dict[tuple[str, str], Expected] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/me"): Expected(
        200, 200, 200, "every token says whose it is", operator=200, d2_agent=200, d2_coordinator=200
    ),
    ("GET", "/incident-templates"): Expected(200, 200, 403, "ready messages are for those who open lines"),
    ("POST", "/preview"): Expected(200, 200, 403, "what callers will hear is for those who open lines"),
    ("GET", "/staffing"): Expected(200, 200, 200, "staffing advice for any signed-in role", operator=200),
    ("POST", "/authorities"): Expected(201, 403, 403, ADMIN_ONLY),
    ("GET", "/authorities"): Expected(200, 200, 200, "an authority's list holds itself only"),
    ("GET", "/authorities/{authority_id}"): Expected(
        (200, 200), (200, 404), (200, 200), "another authority does not exist for an authority"
    ),
    ("POST", "/authorities/{authority_id}/token"): Expected((201, 201), (403, 403), (403, 403), ADMIN_ONLY),
    ("POST", "/authorities/{authority_id}/revoke"): Expected((200, 200), (403, 403), (403, 403), ADMIN_ONLY),
    ("POST", "/credentials"): Expected(201, 403, 403, ADMIN_ONLY),
    ("GET", "/credentials"): Expected(200, 403, 403, ADMIN_ONLY),
    ("POST", "/credentials/{credential_id}/revoke"): Expected(200, 403, 403, ADMIN_ONLY),
    **{
        (method, "/authorities/{authority_id}/default-message"): Expected(
            (200, 200), (200, 404), (403, 403), "an authority keeps its own default message; another's does not exist"
        )
        for method in ("GET", "PUT")
    },
    ("GET", "/authorities/{authority_id}/activators"): Expected((200, 200), (403, 403), (403, 403), ADMIN_ONLY),
    ("POST", "/authorities/{authority_id}/activators"): Expected((201, 201), (403, 403), (403, 403), ADMIN_ONLY),
    ("PATCH", "/authorities/{authority_id}/activators/{activator_id}"): Expected(
        (200, 200), (403, 403), (403, 403), ADMIN_ONLY
    ),
    ("DELETE", "/authorities/{authority_id}/activators/{activator_id}"): Expected(
        (200, 200), (403, 403), (403, 403), ADMIN_ONLY
    ),
    ("POST", "/authorities/{authority_id}/activators/{activator_id}/token"): Expected(
        (201, 201), (403, 403), (403, 403), ADMIN_ONLY
    ),
    ("PUT", "/authorities/{authority_id}/activators/{activator_id}/pin"): Expected(
        (200, 200), (403, 403), (403, 403), ADMIN_ONLY
    ),
    ("PUT", "/me/pin"): Expected(
        403, 403, 403, "an activator changes their own PIN; the shared token has none", activator=200
    ),
    ("POST", "/numbers"): Expected(201, 403, 403, ADMIN_ONLY),
    ("GET", "/numbers"): Expected(200, 403, 403, ADMIN_ONLY),
    ("PATCH", "/numbers/{number}"): Expected(200, 403, 403, ADMIN_ONLY),
    ("DELETE", "/numbers/{number}"): Expected(200, 403, 403, ADMIN_ONLY),
    ("POST", "/activations"): Expected(
        403,
        201,
        403,
        "only an authority opens its own line (its activator, after its shared token opened it: already live)",
        activator=409,
    ),
    ("GET", "/activations"): Expected(200, 200, 403, "an authority lists its own lines; finance reads exports"),
    **{
        (method, path): Expected(
            (200, 200),
            (200, 404),
            (403, 403),
            "another authority's line does not exist for an authority; finance reads exports",
        )
        for method, path in [
            ("GET", "/activations/{activation_id}"),
            ("PATCH", "/activations/{activation_id}"),
            ("POST", "/activations/{activation_id}/close"),
            ("GET", "/activations/{activation_id}/audit"),
        ]
    },
    ("GET", "/activations/{activation_id}/briefing"): Expected(
        (200, 200),
        (200, 404),
        (403, 403),
        "operators read any live line's briefing; another authority's line does not exist for an authority",
        operator=(200, 200),
    ),
    ("PUT", "/activations/{activation_id}/briefing"): Expected(
        (200, 200), (200, 404), (403, 403), "a line's authority and the crisis center write its briefing"
    ),
    **{
        ("GET", path): Expected(
            (200, 200),
            (200, 404),
            (403, 403),
            "a line's authority, the crisis center and, while it is live, the operators read its figures",
            operator=(200, 200),
        )
        for path in ("/activations/{activation_id}/figures", "/activations/{activation_id}/advice")
    },
    ("POST", "/activations/{activation_id}/enquiries"): Expected(
        (403, 403), (403, 403), (403, 403), D2_ONLY, d2_agent=(201, 201), d2_coordinator=(201, 201)
    ),
    ("GET", "/activations/{activation_id}/enquiries"): Expected(
        (403, 403), (403, 403), (403, 403), D2_ONLY, d2_agent=(200, 200), d2_coordinator=(200, 200)
    ),
    ("GET", "/activations/{activation_id}/enquiries/similar"): Expected(
        (403, 403), (403, 403), (403, 403), D2_ONLY, d2_agent=(200, 200), d2_coordinator=(200, 200)
    ),
    ("GET", "/activations/{activation_id}/enquiries/{reference}"): Expected(
        (403, 403), (403, 403), (403, 403), D2_ONLY, d2_agent=(200, 200), d2_coordinator=(200, 200)
    ),
    ("GET", "/activations/{activation_id}/d2/audit/verify"): Expected(
        (200, 200),
        (403, 403),
        (403, 403),
        "the D2 chain is checked by its coordinator and the crisis center",
        d2_coordinator=(200, 200),
    ),
    ("GET", "/activations/{activation_id}/report"): Expected(
        (200, 200), (200, 404), (403, 403), "a line's authority and the crisis center read its after-action report"
    ),
    ("GET", "/activations/{activation_id}/d2/figures"): Expected(
        (200, 200),
        (200, 404),
        (403, 403),
        "the activating authority sees the D2 line's aggregate figures only, its own",
        d2_coordinator=(200, 200),
    ),
    ("GET", "/activations/{activation_id}/d2/export"): Expected(
        (403, 403), (403, 403), (403, 403), "the FPS Public Health's coordinator exports", d2_coordinator=(200, 200)
    ),
    **{
        (method, "/activations/{activation_id}/d2/retention"): Expected(
            (403, 403), (403, 403), (403, 403), "retention is the data controller's", d2_coordinator=(200, 200)
        )
        for method in ("GET", "POST")
    },
    ("GET", "/activations/{activation_id}/enquiries/{reference}/related"): Expected(
        (403, 403), (403, 403), (403, 403), D2_COORDINATOR, d2_coordinator=(200, 200)
    ),
    ("POST", "/activations/{activation_id}/persons/{person_id}/links"): Expected(
        (403, 403), (403, 403), (403, 403), D2_COORDINATOR, d2_coordinator=(201, 201)
    ),
    ("DELETE", "/activations/{activation_id}/persons/{person_id}/links/{other_person_id}"): Expected(
        (403, 403), (403, 403), (403, 403), D2_COORDINATOR, d2_coordinator=(204, 204)
    ),
    ("GET", "/activations/{activation_id}/callbacks"): Expected(
        (403, 403), (403, 403), (403, 403), D2_ONLY, d2_agent=(200, 200), d2_coordinator=(200, 200)
    ),
    ("POST", "/activations/{activation_id}/callbacks/{callback_id}/done"): Expected(
        (403, 403), (403, 403), (403, 403), D2_ONLY, d2_agent=(201, 201), d2_coordinator=(201, 201)
    ),
    ("POST", "/activations/{activation_id}/entries/{entry_id}/disclosure"): Expected(
        (403, 403), (403, 403), (403, 403), D2_COORDINATOR, d2_coordinator=(200, 200)
    ),
    ("POST", "/activations/{activation_id}/lists"): Expected(
        (403, 403),
        (403, 403),
        (403, 403),
        "lists are the D2 coordinators'; an empty file is refused (tests/test_d2_lists_api.py uploads real ones)",
        d2_coordinator=(422, 422),
    ),
    ("GET", "/activations/{activation_id}/enquiries/{reference}/candidates"): Expected(
        (403, 403), (403, 403), (403, 403), D2_COORDINATORS, d2_coordinator=(200, 200)
    ),
    ("GET", "/activations/{activation_id}/matches"): Expected(
        (403, 403), (403, 403), (403, 403), D2_COORDINATORS, d2_coordinator=(200, 200)
    ),
    **{
        ("POST", path): Expected(
            (403, 403),
            (403, 403),
            (403, 403),
            f"{D2_COORDINATORS}; no body or match here (tests/test_d2_matches.py drives them)",
            d2_coordinator=(422, 422),
        )
        for path in (
            "/activations/{activation_id}/matches",
            "/activations/{activation_id}/matches/{match_id}/confirm",
            "/activations/{activation_id}/matches/{match_id}/reject",
        )
    },
    ("GET", "/exports/{month}"): Expected(200, 403, 200, "costs are for finance and the crisis center"),
    ("GET", "/tariffs"): Expected(200, 403, 200, "costs are for finance and the crisis center"),
    ("PUT", "/tariffs"): Expected(201, 403, 403, "prices are set by the crisis center"),
    ("GET", "/unattributed"): Expected(200, 403, 403, "contact records that matched no line: admin only"),
}


@dataclass
class World:
    """One endpoint's fresh backend: a token of each role, two authorities' resources, a rotated-away token
    and a revoked authority's token."""

    api: Api
    tokens: dict[str, str]
    resources: dict[str, dict[str, str]]  # own / other → path parameter values
    rotated: str
    revoked: str
    removed: str  # a removed activator's token


ACTIVATOR = {"name": "Mathias De Clercq", "function": "burgemeester", "phone": "+32475123456", "language": "nl"}
PIN = "482915"
ENQUIRY = {
    "sought": {"given_names": "Marie", "family_name": "Peeters"},
    "enquirer": {
        "name": "Jan Peeters",
        "phone": "+32470998877",
        "relationship": "brother",
        "language": "nl",
        "callback_consent": True,
    },
}
OTHER_PERSON = "0ther0person"
_unique = itertools.count(1)
VALID_BODIES: dict[tuple[str, str], Callable[[int], Any]] = {
    ("POST", "/authorities"): lambda n: authority_body(f"{90000 + n}", f"Gemeente {n}"),
    ("POST", "/credentials"): lambda n: {"role": "finance", "label": "Finance team"},
    ("POST", "/authorities/{authority_id}/activators"): lambda n: ACTIVATOR,
    ("PUT", "/authorities/{authority_id}/default-message"): lambda n: {"message": {"nl": f"Blijf binnen ({n})."}},
    ("PATCH", "/authorities/{authority_id}/activators/{activator_id}"): lambda n: {"function": "schepen"},
    ("PUT", "/authorities/{authority_id}/activators/{activator_id}/pin"): lambda n: {"pin": "736251"},
    ("PUT", "/me/pin"): lambda n: {"current_pin": PIN, "new_pin": "736251"},
    ("POST", "/activations/{activation_id}/enquiries"): lambda n: ENQUIRY,
    ("POST", "/activations/{activation_id}/d2/retention"): lambda n: {"days": 30 + n, "reason": "Inquiry"},
    ("POST", "/activations/{activation_id}/persons/{person_id}/links"): lambda n: {"person_id": OTHER_PERSON},
    # no_answer keeps the callback due: the agent's and the coordinator's reports both find it.
    ("POST", "/activations/{activation_id}/callbacks/{callback_id}/done"): lambda n: {"outcome": "no_answer"},
    ("POST", "/activations/{activation_id}/entries/{entry_id}/disclosure"): lambda n: {"refused": True},
    ("POST", "/numbers"): lambda n: {"number": f"+3278{n:07d}", "kind": "did"},
    ("POST", "/activations"): lambda n: activation_body(),
    ("POST", "/preview"): lambda n: {"languages": ["nl"], "message": {"nl": "Blijf binnen."}},
    ("PATCH", "/activations/{activation_id}"): lambda n: {"operators": 3},
    ("PATCH", "/numbers/{number}"): lambda n: {"kind": "toll_free"},
    ("PUT", "/activations/{activation_id}/briefing"): lambda n: {
        "items": {"nl": [{"question": "Mag ik naar buiten?", "answer": "Nee."}]}
    },
    ("PUT", "/tariffs"): lambda n: {
        "effective_from": f"{2900 + n}-01-01",
        "operator_hour": "50.00",
        "service_minute": "0.018",
        "number_day": {"did": "0.10", "toll_free": "0.45"},
        "telephony_minute": {"did": "0.01", "toll_free": "0.04"},
        "personnel_minimum_hours": "4",
        "calls_per_operator_hour": 12,
    },
}


def _body(route: template.ApiRoute) -> Any:
    """A valid body, new each time (an enrolment, a number or a tariff version is added once)."""
    factory = VALID_BODIES.get((route.method, route.path))
    return factory(next(_unique)) if factory else None


@pytest.fixture
def world_for(finance_env: None) -> Iterator[Callable[[template.ApiRoute], Any]]:
    @contextlib.contextmanager
    def _world(route: template.ApiRoute) -> Iterator[World]:
        with mock_aws():
            forget_cached_state()
            seed.provision(TOKEN_KEY)
            api = Api(cache_seconds=0)
            admin = seed.admin_credential()

            def ok(method: str, path: str, token: str, body: Any = None) -> Any:
                answer = api.call(method, path, token, body)
                assert answer.status in (200, 201), (method, path, answer.status, answer.error_code)
                return answer.body

            issued = ok("POST", "/credentials", admin, {"role": "finance", "label": "Finance team"})
            finance = issued["token"]
            operator = ok("POST", "/credentials", admin, {"role": "operator", "label": "Call center"})["token"]
            d2_agent = ok("POST", "/credentials", admin, {"role": "d2_agent", "label": "Els Janssens"})["token"]
            d2_coordinator = ok("POST", "/credentials", admin, {"role": "d2_coordinator", "label": "Karel"})["token"]
            gent = ok("POST", "/authorities", admin, authority_body(GENT, "Stad Gent"))["token"]
            antwerpen = ok("POST", "/authorities", admin, authority_body(ANTWERPEN, "Stad Antwerpen"))["token"]
            rotated = ok("POST", "/authorities", admin, authority_body(LEUVEN, "Stad Leuven"))["token"]
            ok("POST", f"/authorities/{LEUVEN}/token", admin)
            revoked = ok("POST", "/authorities", admin, authority_body(MECHELEN, "Stad Mechelen"))["token"]
            ok("POST", f"/authorities/{MECHELEN}/revoke", admin)
            activator_ids, activator = {}, ""
            for authority_id in (GENT, ANTWERPEN, GENT):
                added = ok("POST", f"/authorities/{authority_id}/activators", admin, ACTIVATOR)["id"]
                activator_ids.setdefault(authority_id, added)
                ok("PUT", f"/authorities/{authority_id}/activators/{added}/pin", admin, {"pin": PIN})
                activator = (
                    activator or ok("POST", f"/authorities/{authority_id}/activators/{added}/token", admin)["token"]
                )
            removed = ok("POST", f"/authorities/{GENT}/activators/{added}/token", admin)["token"]
            ok("DELETE", f"/authorities/{GENT}/activators/{added}", admin)
            # The number is the free one below; the credential is finance's, revoked last (allowed cases run last).
            resources = {
                OWN: {
                    "authority_id": GENT,
                    "month": time.strftime("%Y-%m"),
                    "number": "+3280012345",
                    "credential_id": issued["id"],
                    "activator_id": activator_ids[GENT],
                },
                OTHER: {
                    "authority_id": ANTWERPEN,
                    "month": time.strftime("%Y-%m"),
                    "activator_id": activator_ids[ANTWERPEN],
                },
            }
            if "{activation_id}" in route.path:  # lines only where the path names one (else: free to open)
                for tenant, token, number in ((OWN, gent, "+3280012345"), (OTHER, antwerpen, "+3280012346")):
                    ok("POST", "/numbers", admin, {"number": number, "kind": "toll_free"})
                    resources[tenant]["activation_id"] = ok("POST", "/activations", token, activation_body())["id"]
                    if "{reference}" in route.path:  # an enquiry the agent recorded on each line
                        path = f"/activations/{resources[tenant]['activation_id']}/enquiries"
                        resources[tenant]["reference"] = ok("POST", path, d2_agent, ENQUIRY)["reference"]
                    if any(f"{{{name}}}" in route.path for name in ("person_id", "callback_id", "entry_id")):
                        resources[tenant].update(
                            _d2_resources(ok, resources[tenant]["activation_id"], d2_agent, d2_coordinator)
                        )
            else:
                ok("POST", "/numbers", admin, {"number": "+3280012345", "kind": "toll_free"})
            tokens = {
                "admin": admin,
                "authority": gent,
                "activator": activator,
                "finance": finance,
                "operator": operator,
                "d2_agent": d2_agent,
                "d2_coordinator": d2_coordinator,
            }
            yield World(api, tokens, resources, rotated, revoked, removed)
        forget_cached_state()

    yield _world


def _d2_resources(ok: Callable[..., Any], activation_id: str, agent: str, coordinator: str) -> dict[str, str]:
    """An enquiry the agent recorded, a second person linked to its person, and a confirmed match of a list entry
    (written as the list and match parts write them) that makes a callback due."""
    recorded = ok("POST", f"/activations/{activation_id}/enquiries", agent, ENQUIRY)
    put_d2(activation_id, f"PERSON#{OTHER_PERSON}", {"id": OTHER_PERSON, "given_names": "M.", "family_name": "Peeters"})
    ok(
        "POST",
        f"/activations/{activation_id}/persons/{recorded['person_id']}/links",
        coordinator,
        {"person_id": OTHER_PERSON},
    )
    put_entry(activation_id, "uzg-1", "hospitalised", "UZ Gent")
    put_match(activation_id, "m-1", recorded, "uzg-1")
    return {
        "person_id": recorded["person_id"],
        "other_person_id": OTHER_PERSON,
        "callback_id": f"news-{recorded['id']}-m-1",
        "entry_id": "uzg-1",
    }


@dataclass(frozen=True)
class Case:
    route: template.ApiRoute
    who: str  # a role, or one of TOKEN_CASES
    tenant: str | None
    expected: int
    reason: str

    @property
    def label(self) -> str:
        tenant = f", {self.tenant} tenant" if self.tenant else ""
        return f"{self.route.method} {self.route.path} as {self.who}{tenant}"


def _cases(route: template.ApiRoute) -> list[Case]:
    expected = EXPECTED[(route.method, route.path)]
    tenants: list[str | None] = (
        [OWN, OTHER] if "{authority_id}" in route.path or "{activation_id}" in route.path else [None]
    )
    cases = [
        Case(route, role, tenant, expected.status(role, tenant), expected.reason)
        for role in ROLES
        for tenant in tenants
    ]
    for who in TOKEN_CASES:
        status, reason = (200, expected.reason) if not route.authorized else (401, "no valid token: the authorizer")
        cases.append(Case(route, who, tenants[0], status, reason))
    # Refusals first: they change nothing, and an allowed rotation, revocation or close must not change them.
    # A conflict last: it follows the allowed change that causes it (a second line while one is live).
    return sorted(cases, key=lambda case: 2 if case.expected == 409 else 200 <= case.expected < 300)


def _path(route: template.ApiRoute, values: dict[str, str]) -> str:
    path = route.path
    for name, value in values.items():
        path = path.replace(f"{{{name}}}", value)
    queries = {
        "/unattributed": "?month=" + values["month"],
        "/staffing": "?calls_per_hour=400&handle_seconds=240&answer_within_seconds=60&service_level=0.8",
        "/activations/{activation_id}/enquiries/similar": "?given_names=Marie&family_name=Peeters",
    }
    return path + queries.get(route.path, "")


def _headers(world: World, who: str) -> dict[str, str]:
    if who in world.tokens:
        return {"Authorization": f"Bearer {world.tokens[who]}"}
    if who == "no token":
        return {}
    if who == "rotated (old) token":
        return {"Authorization": f"Bearer {world.rotated}"}
    if who == "revoked authority's token":
        return {"Authorization": f"Bearer {world.revoked}"}
    if who == "removed activator's token":
        return {"Authorization": f"Bearer {world.removed}"}
    return {"Authorization": MALFORMED[int(who.rsplit(" ", 1)[1]) - 1]}


def test_every_endpoint_role_and_tenant_gets_the_expected_status(world_for: Callable[[template.ApiRoute], Any]) -> None:
    started = time.monotonic()
    routes = template.api_routes()
    assert {(route.method, route.path) for route in routes} == set(EXPECTED), (
        "every endpoint of the template's API needs its row in EXPECTED"
    )
    mismatches: list[str] = []
    unexpected_allows: list[str] = []
    role_cases = token_cases = 0
    for route in routes:
        with world_for(route) as world:
            for case in _cases(route):
                tenant = world.resources[case.tenant or OWN]
                answer = world.api.call(
                    route.method, _path(route, tenant), None, _body(route), headers=_headers(world, case.who)
                )
                role_cases += case.who in ROLES
                token_cases += case.who not in ROLES
                if answer.status == case.expected:
                    continue
                line = (
                    f"{case.label}: {answer.status} {answer.error_code or ''}, expected {case.expected} ({case.reason})"
                )
                if 200 <= answer.status < 300 and case.expected in (401, 403, 404):
                    unexpected_allows.append(line)
                else:
                    mismatches.append(line)

    text = (
        f"{role_cases} endpoint×role×tenant cases over {len(routes)} endpoints and {token_cases} with no, "
        f"malformed, rotated or revoked tokens: unexpected allows {len(unexpected_allows)}, "
        f"mismatches {len(mismatches)}"
    )
    print(f"\n5. access matrix: {text} ({time.monotonic() - started:.1f} s)")
    for line in [*unexpected_allows, *mismatches]:
        print("  " + line)
    figures.record("5", text, ok=not unexpected_allows and not mismatches)
    assert unexpected_allows == []
    assert mismatches == []
