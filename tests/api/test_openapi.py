"""The OpenAPI document is the contract (PRODUCT.md §5): served, complete, and true of every operation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import msgspec
import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from api.schemas import EXAMPLES
from domain.backend import Backend
from domain.ledger import Ledger

PROBLEM = "application/problem+json"
WRITE_ERRORS = {"400", "401", "403", "404", "409", "413", "422"}
READ_ERRORS = {"400", "401", "403", "404"}
METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The OpenAPI document exactly as the running app serves it."""
    folder: Path = tmp_path_factory.mktemp("openapi")
    backend = Backend.from_url(f"sqlite:///{folder}/ledger.sqlite3")
    key = DevKey.load_or_create(folder / "dev-key.pem")
    ledger = Ledger.open(backend)
    app = create_app(ledger, backend, Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE))
    with TestClient(app=app) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/")
    served: dict[str, Any] = response.json()
    return served


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def api_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, m, op in operations(document) if p.startswith("/v1/")]


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/components/schemas/")
        node = document["components"]["schemas"][name]
    return node


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A JSON Schema validator for one schema of the document, its $refs resolved within the document."""
    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


def test_the_document_is_served_as_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"]
    assert document["info"]["version"]
    assert {"/v1/students", "/v1/attendance-rolls", "/v1/log", "/health"} <= set(document["paths"])


def test_it_declares_bearer_jwt_security_for_everything_but_health(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert document["security"] == [{"bearer": []}]
    assert document["paths"]["/health"]["get"]["security"] == [{}]
    for path, method, op in api_operations(document):
        assert op.get("security", document["security"]) == [{"bearer": []}], f"{method} {path}"


def test_every_operation_has_a_summary_and_a_unique_id(document: dict[str, Any]) -> None:
    ids = []
    for path, method, op in operations(document):
        if path.startswith("/schema"):
            continue
        assert op.get("summary", "").strip(), f"{method.upper()} {path} has no summary"
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids))


def test_every_error_status_is_documented_as_problem_json(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status"} <= set(problem["required"])
    assert {"detail", "instance", "rule", "field", "errors"} <= set(problem["properties"])
    for path, method, op in api_operations(document):
        expected = READ_ERRORS if method == "get" else WRITE_ERRORS
        responses = op["responses"]
        assert expected <= set(responses), f"{method.upper()} {path} documents {sorted(responses)}"
        for status, response in responses.items():
            if int(status) >= 400:
                content = response["content"]
                assert list(content) == [PROBLEM], f"{method.upper()} {path} {status}: {list(content)}"
                assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
                assert response["description"]


# Writes that answer otherwise, and why: a bulk advancement reports each child (200, a report, idempotent
# child by child); an import answers 201 the first time and 200 with the first admission after that
# (the packet is its own idempotency key); a witness's cosignature likewise (the first one of a key stays).
OTHER_WRITES = {"/v1/schools/{school_code}/years/{year}/advancements": ({"200"}, "Advancements"),
                "/v1/transfer-packets": ({"200", "201"}, "Recorded"),
                "/v1/transparency/cosignatures": ({"200", "201"}, "CosignatureOut")}


def test_writes_document_what_they_answer_and_their_headers(document: dict[str, Any]) -> None:
    for path, method, op in api_operations(document):
        if method == "get":
            continue
        ok = {s for s in op["responses"] if s.startswith("2")}
        expected, body = OTHER_WRITES.get(path, ({"200", "201"} if method == "put" else {"201"}, "Recorded"))
        assert ok == expected, f"{method.upper()} {path}: {sorted(ok)}"
        for status in ok:
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{body}"}
        headers = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) == (path not in OTHER_WRITES), f"{method.upper()} {path}"
        if path in OTHER_WRITES:
            continue
        assert headers["Idempotency-Key"]["required"] is False
        student_write = path.startswith("/v1/students/{student_id}/") and "students" in op["tags"]
        assert ("If-Match" in headers) == student_write, f"{method.upper()} {path}"
    summary = document["paths"]["/v1/students/{student_id}"]["get"]["responses"]["200"]
    assert "ETag" in summary["headers"]
    admitted = document["paths"]["/v1/students"]["post"]["responses"]["201"]["links"]
    assert {link["parameters"]["student_id"] for link in admitted.values()} == {"$response.body#/stream_id"}


def test_health_documents_its_503(document: dict[str, Any]) -> None:
    responses = document["paths"]["/health"]["get"]["responses"]
    assert responses["503"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Health"}


def test_header_patterns_match_what_the_server_accepts(document: dict[str, Any]) -> None:
    admit = {p["name"]: p["schema"] for p in document["paths"]["/v1/students"]["post"]["parameters"]}
    key = validator(document, admit["Idempotency-Key"])
    assert all(key.is_valid(v) for v in ("roll-2026-04-07-1-1", "x" * 200))
    assert not any(key.is_valid(v) for v in ("x" * 201, "tab\there", ""))
    leave = document["paths"]["/v1/students/{student_id}/leaves"]["post"]["parameters"]
    if_match = validator(document, next(p["schema"] for p in leave if p["name"] == "If-Match"))
    assert all(if_match.is_valid(v) for v in ('"3"', 'W/"3"', "3"))
    assert not any(if_match.is_valid(v) for v in ('"abc"', "*x", "W/abc", '"-1"'))


def test_request_bodies_refuse_unknown_fields_and_have_valid_examples(document: dict[str, Any]) -> None:
    named = {t.__name__: t for t in EXAMPLES}
    for path, method, op in api_operations(document):
        if method == "get":
            assert "requestBody" not in op
            continue
        body = op["requestBody"]["content"]["application/json"]["schema"]
        schema = resolve(document, body)
        assert schema["additionalProperties"] is False, f"{method.upper()} {path}"
        examples = schema.get("examples")
        assert examples, f"{method.upper()} {path} has no request example"
        check = validator(document, body)
        for example in examples:
            errors = [e.message for e in check.iter_errors(example)]
            assert not errors, f"{method.upper()} {path}: {errors}"
            msgspec.convert(example, named[schema["title"]])  # and the server decodes it


def test_decimals_are_documented_as_msgspec_reads_them(document: dict[str, Any]) -> None:
    exam = document["components"]["schemas"]["HealthExamination"]
    height = validator(document, exam["properties"]["height_cm"])
    assert all(height.is_valid(v) for v in ("117.2", 117.2, 117))
    assert not any(height.is_valid(v) for v in ("", "tall", None))


def test_the_year_record_and_the_health_examination_document_their_added_items(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    record, exam = schemas["YearRecord"]["properties"], schemas["HealthExamination"]["properties"]
    assert record["foreign_language_activities"]["type"] == "string"  # 外国語活動の記録 (小3–4)
    assert exam["urine_other"]["type"] == "string"  # 尿 その他の検査
    assert exam["remarks"]["type"] == "string"  # 備考
    assert {"foreign_language_activities"}.isdisjoint(schemas["YearRecord"].get("required", []))
    assert {"urine_other", "remarks"}.isdisjoint(schemas["HealthExamination"].get("required", []))
