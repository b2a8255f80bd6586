"""The OpenAPI is complete for a reader (issue 13 item 5): every operation described, every read with its
shape and an example, every form with its three media types, and the shapes true of real answers."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest

from api.openapi_docs import DESCRIPTIONS, EXAMPLES
from tests.api.conftest import DENTAL, HEALTH, VIEWPOINTS, YEAR, A, Api

METHODS = ("get", "put", "post", "patch", "delete")
FORM_MEDIA = {"application/json", "text/html", "application/pdf"}


@pytest.fixture(scope="module")
def document(sqlite_world: Api) -> dict[str, Any]:
    response = sqlite_world.client.get("/schema/openapi.json")
    assert response.status_code == 200
    served: dict[str, Any] = response.json()
    return served


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, item[method]) for path, item in document["paths"].items()
            for method in METHODS if method in item]


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = document["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


def test_every_operation_has_a_description_beyond_its_summary(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        description = op.get("description", "").strip()
        assert description, f"{method.upper()} {path} has no description"
        assert description != op.get("summary", "").strip(), f"{method.upper()} {path}"
    described = {(m, p) for p, m, _ in operations(document)}
    assert set(DESCRIPTIONS) <= described, f"described but not served: {set(DESCRIPTIONS) - described}"


def test_every_read_documents_a_schema_and_an_example_that_fits_it(document: dict[str, Any]) -> None:
    reads = [(p, op) for p, m, op in operations(document) if m == "get"]
    assert len(reads) >= 14
    for path, op in reads:
        ok = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        assert ok, path
        for status, response in ok.items():
            media = response["content"]["application/json"]
            assert media.get("schema"), f"GET {path} {status} has no schema"
            examples = list(media.get("examples", {}).values())
            assert examples, f"GET {path} {status} has no example"
            check = validator(document, media["schema"])
            for example in examples:
                errors = [f"{e.instance_path}: {e.message}" for e in check.iter_errors(example["value"])]
                assert not errors, f"GET {path}: {errors[:5]}"
    assert set(EXAMPLES) <= {p for p, _ in reads}


def test_every_form_answers_a_typed_json_shape_html_and_pdf(document: dict[str, Any]) -> None:
    forms = [(p, op) for p, m, op in operations(document) if m == "get" and "forms" in op.get("tags", [])]
    assert len(forms) == 7  # 名簿, 出席簿, 指導要録, 通知表, 健康診断票 (一般, 歯), 長期欠席
    for path, op in forms:
        content = op["responses"]["200"]["content"]
        assert set(content) >= FORM_MEDIA, path
        shape = resolve(document, content["application/json"]["schema"])
        assert shape.get("type") == "object", path
        assert shape.get("properties"), f"{path}: the JSON shape is an empty object"
        assert shape.get("required"), path


def _written(response: httpx.Response) -> int:
    assert response.status_code == 201, response.text
    position: int = response.json()["position"]
    return position


def test_real_answers_of_every_read_fit_the_documented_shapes(document: dict[str, Any], world: Api) -> None:
    """Each read, on a class with a roll, an assessment, a year record and both examinations recorded."""
    klass = world.fresh_class(A, grade=3, students=2)
    sid = klass.students[0]
    principal = world.auth("principal")
    _written(world.post("/v1/attendance-rolls", {
        "school_code": A, "year": YEAR, "grade": 3, "class_name": klass.name, "date": "2026-04-07",
        "marks": [{"student_id": sid, "code": "late", "reason": "通院"},
                  {"student_id": klass.students[1], "code": "absent_illness"}]}, principal))
    _written(world.post(f"/v1/students/{sid}/assessments", {
        "year": YEAR, "subject": "japanese", "term": 1, "assessed_on": "2026-07-17", "viewpoints": VIEWPOINTS,
        "rating": 3}, principal))
    _written(world.post(f"/v1/students/{sid}/health-exams", {
        "year": YEAR, "examination": {**HEALTH, "heart_ecg": ""}, "examined_on": "2026-05-01"}, principal))
    last = _written(world.post(f"/v1/students/{sid}/dental-exams", {
        "year": YEAR, "examination": DENTAL, "examined_on": "2026-05-01"}, principal))
    auditor = world.auth("auditor", None)
    klass_path = f"/v1/schools/{A}/years/{YEAR}/classes/3/{klass.name}"
    reads = {
        "/health": (world.client.get("/health"), None),
        "/v1/students/{student_id}": (world.get(f"/v1/students/{sid}", principal), None),
        "/v1/students/{student_id}/history": (world.get(f"/v1/students/{sid}/history", principal), None),
        "/v1/log": (world.get("/v1/log?after=0&limit=5", auditor), None),
        "/v1/access-log": (world.get(f"/v1/access-log?student_id={sid}", auditor), None),
        "/v1/schools/{school_code}/years/{year}/classes/{grade}/{name}/roster":
            (world.get(f"{klass_path}/roster?wait_for={last}", principal), None),
        "/v1/schools/{school_code}/years/{year}/classes/{grade}/{name}/attendance-register":
            (world.get(f"{klass_path}/attendance-register?month=2026-04&wait_for={last}", principal), None),
        "/v1/students/{student_id}/forms/cumulative-record":
            (world.get(f"/v1/students/{sid}/forms/cumulative-record?wait_for={last}", principal), None),
        "/v1/students/{student_id}/forms/report-card":
            (world.get(f"/v1/students/{sid}/forms/report-card?year={YEAR}&term=1&wait_for={last}", principal), None),
        "/v1/students/{student_id}/forms/health-card":
            (world.get(f"/v1/students/{sid}/forms/health-card?wait_for={last}", principal), None),
        "/v1/students/{student_id}/forms/dental-card":
            (world.get(f"/v1/students/{sid}/forms/dental-card?wait_for={last}", principal), None),
        "/v1/schools/{school_code}/years/{year}/long-absence":
            (world.get(f"/v1/schools/{A}/years/{YEAR}/long-absence?wait_for={last}", principal), None),
        "/v1/boards/{board_code}/settings": (world.get(f"/v1/boards/{world.schools['A'].board}/settings",
                                                       principal), None),
        "/v1/schools/{school_code}/years/{year}/alerts":
            (world.get(f"/v1/schools/{A}/years/{YEAR}/alerts?wait_for={last}", principal), None),
    }
    for path, (response, _) in reads.items():
        assert response.status_code == 200, f"{path}: {response.text}"
        schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        errors = [f"{e.instance_path}: {e.message}" for e in validator(document, schema).iter_errors(response.json())]
        assert not errors, f"{path}: {errors[:5]}"
