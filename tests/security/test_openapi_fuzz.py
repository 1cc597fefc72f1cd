"""schemathesis against the hub's own OpenAPI document (/api/v1/openapi.json), in process
over WSGI: for every operation, valid and invalid requests generated from the document must
never get a server error (5xx), and every documented answer must match its schema.

Random codes and tokens only reach the "not found" answers, so a third run per operation
("known") puts a real service, office, free slot and booking token into the generated
requests, which then reach the hold, confirm and cancel logic.

Bounded for CI: a fixed number of examples per operation and run, derandomized (the same
inputs every run), a per-example deadline, no shrinking phase."""

from __future__ import annotations

from datetime import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from hub.api.openapi import document
from tests.booking.test_api import travel_to

EXAMPLES = 25  # per operation and run: 8 operations × 3 runs × 25 ≈ 600 requests
CHECKS = [not_a_server_error, response_schema_conformance]
OPERATIONS = sorted(f"{method.upper()} {path}" for path, methods in document()["paths"].items()
                    for method in methods)
SERVICE, OFFICE = "dowod-osobisty", "ratusz"


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def known(client):
    """Real values from the demo catalogue: free slots and a held booking's token, on a plain
    Wednesday (the app fixture resets the clock afterwards)."""
    travel_to(datetime(2027, 1, 13, 9, 58))
    slots = client.get(f"/api/v1/services/{SERVICE}/offices/{OFFICE}/slots").json["slots"]
    assert slots
    held = client.post("/api/v1/bookings", json={
        "service": SERVICE, "office": OFFICE, "starts_at": slots[0]["starts_at"],
        "name": "Jan Kowalski", "phone": "601 234 567"})
    assert held.status_code == 201, held.json
    return {"starts": [s["starts_at"] for s in slots[1:12]],
            "path": {"code": SERVICE, "office": OFFICE, "token": held.json["token"]}}


def _strategy(operation, mode: str, known: dict):
    if mode != "known":
        return operation.as_strategy(generation_mode=GenerationMode(mode))
    names = {p["name"] for p in operation.definition.raw.get("parameters", [])
             if p.get("in") == "path"}
    cases = operation.as_strategy(
        path_parameters={k: v for k, v in known["path"].items() if k in names} or None)

    def real_booking(pair):
        case, starts_at = pair
        if isinstance(case.body, dict) and "service" in case.body:
            case.body.update(service=SERVICE, office=OFFICE, starts_at=starts_at)
        return case

    return st.tuples(cases, st.sampled_from(known["starts"])).map(real_booking)


@pytest.mark.parametrize("mode", ["positive", "negative", "known"],
                         ids=["valid", "invalid", "known"])
@pytest.mark.parametrize("label", OPERATIONS)
def test_api_never_fails_and_matches_its_document(api_schema, known, label, mode):
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]
    has_inputs = operation.definition.raw.get("requestBody") or "{" in path
    if mode != "positive" and not has_inputs:
        pytest.skip("no body or path parameter to make invalid or real")

    @given(case=_strategy(operation, mode, known))
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=2000, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(checks=CHECKS)

    run()
