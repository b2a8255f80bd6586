"""Strict input (ADR 0023): every integer bounded, bodies decoded strictly, JSON in, an answer the
caller accepts out; each refusal a 4xx problem naming the field and the rule, nothing recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import VIEWPOINTS, A, Api, problem_of
from tests.api.test_openapi import api_operations, document, resolve  # noqa: F401  (the module's fixture)
from tests.builders import YEAR, identity

HUGE = 36223882420064571392  # more than a 64-bit integer holds


# ---------------------------------------------------------------- bounds

@pytest.mark.parametrize("route", ["/v1/access-log", "/v1/log"])
def test_a_position_larger_than_any_log_is_400_out_of_range_naming_it(world: Api, route: str) -> None:
    problem = problem_of(world.get(f"{route}?after={HUGE}", world.auth("auditor")), 400)
    assert (problem["rule"], problem["field"]) == ("out-of-range", "after")


def test_a_wait_for_beyond_any_position_is_400_out_of_range(world: Api) -> None:
    sid = world.schools["A"].students[0]
    problem = problem_of(world.get(f"/v1/students/{sid}/forms/health-card?wait_for={HUGE}",
                                   world.auth("principal")), 400)
    assert (problem["rule"], problem["field"]) == ("out-of-range", "wait_for")


@pytest.mark.parametrize(("path", "field"), [
    (f"/v1/schools/{A}/years/{HUGE}/classes/1/1/roster", "year"),
    (f"/v1/schools/{A}/years/{YEAR}/classes/{HUGE}/1/roster", "grade"),
    (f"/v1/schools/{A}/years/1999/long-absence", "year"),
])
def test_an_integer_of_a_path_outside_its_bounds_is_400_out_of_range(world: Api, path: str, field: str) -> None:
    problem = problem_of(world.get(path, world.auth("principal")), 400)
    assert (problem["rule"], problem["field"]) == ("out-of-range", field)


def _admission(klass_name: str, **overrides: Any) -> dict[str, Any]:
    return {"school_code": A, "year": YEAR, "grade": 1, "class_name": klass_name, "number": 30,
            "identity": identity(40), "admitted_on": "2026-04-06", "admission_kind": "entrance", **overrides}


@pytest.mark.parametrize(("overrides", "field"), [
    ({"year": HUGE}, "year"),
    ({"grade": HUGE}, "grade"),
    ({"number": 100}, "number"),
    ({"number": -HUGE}, "number"),
])
def test_an_integer_of_a_body_outside_its_bounds_is_400_out_of_range_and_records_nothing(
        world: Api, overrides: dict[str, Any], field: str) -> None:
    klass = world.fresh_class(A, students=0)
    before = world.ledger.position()
    problem = problem_of(world.post("/v1/students", _admission(klass.name, **overrides), world.auth("registrar")), 400)
    assert (problem["rule"], problem["field"]) == ("out-of-range", field)
    assert world.ledger.position() == before


def test_a_huge_integer_inside_a_value_record_is_400_out_of_range(world: Api) -> None:
    body = {"terms": [{"number": HUGE, "starts_on": "2031-04-07", "ends_on": "2031-07-20"}],
            "instructional_days": ["2031-04-07"]}
    problem = problem_of(world.put(f"/v1/schools/{A}/years/2031/calendar", body, world.auth("principal")), 400)
    assert (problem["rule"], problem["field"]) == ("out-of-range", "terms[0].number")


def _integers(doc: dict[str, Any], node: dict[str, Any], where: str,
              seen: frozenset[str] = frozenset()) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every integer schema reachable from ``node`` (through $ref, properties, items, unions)."""
    if "$ref" in node:
        if node["$ref"] in seen:
            return
        seen = seen | {node["$ref"]}
        node = resolve(doc, node)
    if node.get("type") == "integer":
        yield where, node
    for name, child in (node.get("properties") or {}).items():
        yield from _integers(doc, child, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _integers(doc, node[key], f"{where}[]", seen)
    for key in ("oneOf", "anyOf", "allOf"):
        for child in node.get(key) or []:
            yield from _integers(doc, child, where, seen)


def test_every_integer_of_a_path_query_or_body_has_bounds_in_the_openapi(document: dict[str, Any]) -> None:  # noqa: F811
    found = []
    for path, method, operation in api_operations(document):
        for parameter in operation.get("parameters") or []:
            found += _integers(document, parameter.get("schema") or {}, f"{method} {path} {parameter['name']}")
        body = ((operation.get("requestBody") or {}).get("content") or {}).get("application/json")
        if body:
            found += _integers(document, body["schema"], f"{method} {path} body")
    assert len(found) > 20
    unbounded = [where for where, schema in found if "minimum" not in schema or "maximum" not in schema]
    assert not unbounded, unbounded


# ---------------------------------------------------------------- strict types

@pytest.mark.parametrize(("route", "body", "field"), [
    ("/assessments", {"year": str(YEAR), "subject": "japanese", "viewpoints": VIEWPOINTS,
                      "assessed_on": "2026-07-15", "term": 1}, "year"),
    ("/assessments", {"year": YEAR, "subject": "japanese", "viewpoints": VIEWPOINTS,
                      "assessed_on": "2026-07-15", "term": "1"}, "term"),
    ("/returns", {"on": "2026-06-01", "number": "1"}, "number"),
    ("/dental-exams", {"year": YEAR, "examined_on": "2026-05-01",
                       "examination": {"jaw": "0", "bite": 0, "plaque": 1, "gums": 0, "teeth": {}}},
     "examination.jaw"),
    ("/leaves", {"on": "2026-05-11", "reason": 1}, "reason"),
])
def test_a_number_sent_as_a_string_or_a_string_as_a_number_is_400_and_records_nothing(
        world: Api, route: str, body: dict[str, Any], field: str) -> None:
    sid = world.fresh_class(A).students[0]
    before = world.ledger.position()
    problem = problem_of(world.post(f"/v1/students/{sid}{route}", body, world.auth("principal")), 400)
    assert (problem["rule"], problem["field"]) == ("invalid-request", field)
    assert problem["errors"][0]["message"].startswith("Expected `")
    assert world.ledger.position() == before


def test_a_roll_with_a_string_year_is_refused_and_the_same_roll_with_the_integer_is_recorded(world: Api) -> None:
    klass = world.fresh_class(A)
    body = {"school_code": A, "year": str(YEAR), "grade": 1, "class_name": klass.name, "date": "2026-04-07",
            "marks": [{"student_id": s, "code": "present"} for s in klass.students]}
    before = world.ledger.position()
    problem = problem_of(world.post("/v1/attendance-rolls", body, world.auth("principal")), 400)
    assert problem["field"] == "year"
    assert world.ledger.position() == before
    assert world.post("/v1/attendance-rolls", {**body, "year": YEAR}, world.auth("principal")).status_code == 201


# ---------------------------------------------------------------- media types

@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml",
                                          None])
def test_a_body_that_is_not_declared_json_is_415_and_records_nothing(world: Api, content_type: str | None) -> None:
    sid = world.fresh_class(A).students[0]
    before = world.ledger.position()
    headers = {**world.auth("registrar"), **({"content-type": content_type} if content_type else {})}
    response = world.client.post(f"/v1/students/{sid}/leaves", content=b'{"on": "2026-05-11", "reason": "r"}',
                                 headers=headers)
    problem = problem_of(response, 415)
    assert (problem["rule"], problem["field"]) == ("unsupported-media-type", "Content-Type")
    assert world.ledger.position() == before


def test_a_json_body_with_a_charset_is_read(world: Api) -> None:
    sid = world.fresh_class(A).students[0]
    body = '{"on": "2026-05-11", "reason": "療養"}'.encode()
    response = world.client.post(f"/v1/students/{sid}/leaves", content=body,
                                 headers={**world.auth("registrar"), "content-type": "application/json; charset=utf-8"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("accept", ["text/plain", "text/html", "application/xml", "image/png"])
def test_an_accept_a_json_route_cannot_answer_is_406(world: Api, accept: str) -> None:
    sid = world.schools["A"].students[0]
    response = world.client.get(f"/v1/students/{sid}", headers={**world.auth("principal"), "Accept": accept})
    problem = problem_of(response, 406)
    assert (problem["rule"], problem["field"]) == ("not-acceptable", "Accept")


def test_a_write_with_an_accept_it_cannot_answer_is_406_and_records_nothing(world: Api) -> None:
    sid = world.fresh_class(A).students[0]
    before = world.ledger.position()
    response = world.client.post(f"/v1/students/{sid}/leaves", json={"on": "2026-05-11", "reason": "療養"},
                                 headers={**world.auth("registrar"), "Accept": "text/csv"})
    problem_of(response, 406)
    assert world.ledger.position() == before


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/problem+json", "application/*",
                                    "text/html;q=0.5, application/json"])
def test_json_any_type_no_accept_or_problem_json_are_answered(world: Api, accept: str | None) -> None:
    sid = world.schools["A"].students[0]
    headers = {**world.auth("principal"), **({"Accept": accept} if accept else {})}
    response = world.client.get(f"/v1/students/{sid}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("accept", ["text/csv", "application/xml", "image/png", "text/plain"])
def test_a_form_answers_html_json_and_pdf_but_not_another_type(world: Api, accept: str) -> None:
    path = f"/v1/schools/{A}/years/{YEAR}/classes/1/1/roster"
    principal = world.auth("principal")
    for asked in ("text/html", "application/json", "application/pdf"):
        assert world.client.get(path, headers={**principal, "Accept": asked}).headers["content-type"] \
            .startswith(asked)
    problem = problem_of(world.client.get(path, headers={**principal, "Accept": accept}), 406)
    assert (problem["rule"], problem["field"]) == ("not-acceptable", "Accept")


@pytest.mark.parametrize("value", ["xml", "PDF", "", "csv"])
def test_a_form_format_other_than_json_html_or_pdf_is_refused_naming_the_field(world: Api, value: str) -> None:
    path = f"/v1/schools/{A}/years/{YEAR}/classes/1/1/roster?format={value}"
    problem = problem_of(world.client.get(path, headers=world.auth("principal")), 400)
    assert problem["field"] == "format"


def test_a_form_format_query_stands_in_for_accept(world: Api) -> None:
    path = f"/v1/schools/{A}/years/{YEAR}/classes/1/1/roster"
    principal = {**world.auth("principal"), "Accept": "application/json"}
    for value, media_type in (("pdf", "application/pdf"), ("html", "text/html"), ("json", "application/json")):
        assert world.client.get(f"{path}?format={value}", headers=principal).headers["content-type"] \
            .startswith(media_type)


def test_a_number_without_a_fraction_is_an_integer_as_json_schema_says(world: Api) -> None:
    klass = world.fresh_class(A)
    body = {"school_code": A, "year": float(YEAR), "grade": 1.0, "class_name": klass.name, "date": "2026-04-07",
            "marks": [{"student_id": s, "code": "present"} for s in klass.students]}
    assert world.post("/v1/attendance-rolls", body, world.auth("principal")).status_code == 201
    problem = problem_of(world.post("/v1/attendance-rolls", {**body, "grade": 1.5}, world.auth("principal")), 400)
    optional = {"year": YEAR, "subject": "japanese", "viewpoints": VIEWPOINTS, "assessed_on": "2026-07-15", "term": 1.0}
    assert world.post(f"/v1/students/{klass.students[0]}/assessments", optional,
                      world.auth("principal")).status_code == 201  # an optional integer too
    assert problem["field"] == "grade"


@pytest.mark.parametrize("content_type", ["application/json", None])
@pytest.mark.parametrize("content", [b"", b"  \r\n"])
def test_a_write_without_a_body_is_400_naming_the_body_and_records_nothing(world: Api, content_type: str | None,
                                                                           content: bytes) -> None:
    sid = world.fresh_class(A).students[0]
    before = world.ledger.position()
    headers = {**world.auth("registrar"), **({"content-type": content_type} if content_type else {})}
    for path in (f"/v1/students/{sid}/leaves", "/v1/attendance-rolls", "/v1/transfer-packets"):
        problem = problem_of(world.client.post(path, content=content, headers=headers), 400)
        assert (problem["rule"], problem["field"]) == ("invalid-request", "body"), problem
        assert "no body" in problem["detail"]
    assert world.ledger.position() == before


@pytest.mark.parametrize(("content", "content_type"), [(b"", "application/json"), (b"{}", "text/plain"),
                                                       (b"not json", "application/json"), (b"[]", "application/json")])
def test_a_write_without_a_token_is_401_whatever_its_body(world: Api, content: bytes, content_type: str) -> None:
    before = world.ledger.position()
    for path in ("/v1/attendance-rolls", "/v1/transfer-packets", "/v1/students"):
        response = world.client.post(path, content=content, headers={"content-type": content_type})
        assert problem_of(response, 401)["rule"] == "not-authenticated"
    response = world.client.get("/v1/students/x/forms/cumulative-record", headers={"accept": "image/png"})
    assert problem_of(response, 401)["rule"] == "not-authenticated"
    assert world.ledger.position() == before
