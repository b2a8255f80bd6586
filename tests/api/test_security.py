"""Every answer carries the security headers: JSON, HTML, problem+json, /health, /schema (ADR 0022)."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

from tests.api.conftest import YEAR, Api

LOCKED = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def assert_secured(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"].startswith(LOCKED)


def test_json_problem_health_and_schema_answers_carry_the_headers(world: Api) -> None:
    student = world.schools["A"].students[0]
    principal = world.auth("principal")
    answers = {
        "json": world.get(f"/v1/students/{student}", principal),
        "write": world.post(f"/v1/students/{student}/assessments", {
            "year": YEAR, "subject": "japanese", "term": 1, "assessed_on": "2026-07-17",
            "viewpoints": {"knowledge": "A", "thinking": "B", "attitude": "B"}}, principal),
        "401": world.get(f"/v1/students/{student}", {}),
        "404 of a route": world.get("/v1/no-such-route", principal),
        "404 of a record": world.get("/v1/students/00000000-0000-4000-8000-000000000000", principal),
        "400": world.post(f"/v1/students/{student}/assessments", {"year": YEAR}, principal),
        "422": world.post(f"/v1/students/{student}/assessments", {
            "year": YEAR, "subject": "no-such-subject", "term": 1, "assessed_on": "2026-07-17",
            "viewpoints": {"knowledge": "A", "thinking": "B", "attitude": "B"}}, principal),
        "health": world.client.get("/health"),
        "schema": world.client.get("/schema"),
        "openapi.json": world.client.get("/schema/openapi.json"),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {"json": 200, "write": 201, "401": 401, "404 of a route": 404, "404 of a record": 404,
                        "400": 400, "422": 422, "health": 200, "schema": 200, "openapi.json": 200}
    for name, response in answers.items():
        assert_secured(response)
        assert response.headers["content-security-policy"] == LOCKED, name
    for name in ("401", "404 of a route", "404 of a record", "400", "422"):
        assert answers[name].headers["content-type"] == "application/problem+json", name


def test_the_schema_is_served_as_the_document_not_a_page_that_loads_scripts_from_elsewhere(world: Api) -> None:
    for path in ("/schema", "/schema/openapi.json", "/schema/openapi.yaml"):
        response = world.client.get(path)
        assert response.status_code == 200, path
        assert not response.headers["content-type"].startswith("text/html"), path
    assert world.client.get("/schema").json()["info"]["title"] == "Gakuseki ledger API"


@pytest.mark.parametrize("form", ["cumulative-record", "health-card"])
def test_a_printable_page_allows_only_its_own_style_sheets_and_no_framing(world: Api, form: str) -> None:
    student = world.schools["A"].students[0]
    response = world.get(f"/v1/students/{student}/forms/{form}",
                         {**world.auth("principal"), "Accept": "text/html"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert_secured(response)
    policy = response.headers["content-security-policy"]
    styles = re.findall(r"<style>(.*?)</style>", response.text, re.S)
    assert styles
    hashes = " ".join(sorted({"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
                              for s in styles}))
    assert policy == f"{LOCKED}; style-src {hashes}"
    assert "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy


def test_an_html_page_of_another_school_is_refused_with_the_headers_too(world: Api) -> None:
    student = world.schools["A"].students[0]
    response = world.get(f"/v1/students/{student}/forms/cumulative-record",
                         {**world.auth("principal", school=world.schools["B"].code), "Accept": "text/html"})
    assert response.status_code == 404
    assert_secured(response)
