"""Schemathesis fuzzes the API against its own OpenAPI document, over real HTTP, with every
check it has but two (no 5xx; status codes, content types, headers and bodies as documented;
Allow headers; missing headers; authentication not ignored; resources available after creation,
gone after deletion). Runs as an admin (who may call every route), anonymously (everything but
log-in must be a clean 401), and statefully: chains of calls that feed one answer's ids into the
next request.

Left out: ``positive_data_acceptance`` and ``negative_data_rejection``. The first wants every
request the document allows to succeed, but business rules the document cannot state refuse
some with 422 (a date in the future, a year outside the books, a weak password, a commune
required by a report); the second wants unknown query parameters refused, which the API ignores
as HTTP APIs commonly do. Both fail at random, depending on what the fuzzer draws."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.app.conftest import asset_payload

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
STEPS = int(os.environ.get("FUZZ_STEPS", "8"))
NOT_CHECKED = [checks.positive_data_acceptance, checks.negative_data_rejection]


@pytest.fixture
def api_schema(live_server):
    return schemathesis.openapi.from_url(f"{live_server}/schema/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def admin_headers(live_server):
    """An admin made through the CLI (its own process), logged in over HTTP."""
    username, password = f"fuzz-{uuid.uuid4().hex[:8]}", "fuzz-password-1"
    subprocess.run(
        [sys.executable, "-m", "api", "create-user", "--username", username, "--role", "admin", "--password", password],
        check=True,
        capture_output=True,
    )
    token = httpx.post(f"{live_server}/api/auth/login", json={"username": username, "password": password}).json()[
        "token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    # Something to find, so that id and tag paths reach real rows too.
    httpx.post(f"{live_server}/api/assets", json=asset_payload(), headers=headers).raise_for_status()
    return headers


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_as_admin(case, admin_headers):
    if case.path == "/api/auth/logout":
        return  # would end the session that the other examples use; covered in test_access
    case.call_and_validate(headers=admin_headers, excluded_checks=NOT_CHECKED)


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_anonymous(case):
    response = case.call_and_validate(excluded_checks=NOT_CHECKED)
    # OPTIONS (sent to probe unsupported methods) answers 204 without a body, by design.
    if case.path not in ("/api/auth/login", "/api/health") and case.method.upper() != "OPTIONS":
        # 415: a body sent as anything but application/json is refused before the caller is asked for.
        assert response.status_code in (400, 401, 404, 405, 415), (case.path, response.status_code)


def test_api_statefully(api_schema, admin_headers):
    """Sequences: what one call creates (a line, an allocation, a contract, a device...) is what the
    next call reads, changes or pays, every answer checked as above."""
    # Log-out would end the session that the other steps use (covered in test_access).
    machine = api_schema.exclude(path="/api/auth/logout").as_state_machine()

    class AsAdmin(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case):
            return {"headers": admin_headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=NOT_CHECKED,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    AsAdmin.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
