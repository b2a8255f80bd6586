"""The error responses every endpoint documents in the OpenAPI (all problem+json)."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from api.problems import MEDIA_TYPE, Problem


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=Problem, description=description, media_type=MEDIA_TYPE,
                        generate_examples=False)


ERRORS = {
    400: _spec("The request does not match its schema (unknown field, wrong type, a number out of its bounds: "
               "rule out-of-range); `field` names it"),
    401: _spec("No valid bearer token, or the record needs a multi-factor token"),
    403: _spec("You can see the record, but none of your roles may do this"),
    404: _spec("No such record, or it is outside your duty (the same answer)"),
    406: _spec("Accept names nothing this route answers (JSON; the forms also text/html)"),
    409: _spec("Concurrent change, expected version mismatch, or the same Idempotency-Key still in flight"),
    413: _spec("The request body is larger than the ledger accepts"),
    415: _spec("The request body is not JSON (Content-Type: application/json)"),
    422: _spec("A rule of the register refuses it (`rule` and `field` say which); nothing was recorded"),
}
READ_ERRORS = {k: v for k, v in ERRORS.items() if k in (400, 401, 403, 404, 406)}
FORM_ERRORS = {
    **READ_ERRORS,
    422: _spec("wait_for names a log position not recorded yet"),
    503: _spec("The read models did not reach wait_for within 5 s (Retry-After says when to try again)"),
}
ALERT_ERRORS = {
    **FORM_ERRORS,
    422: _spec("as_of or wait_for names a log position not recorded yet, or a class is named by grade or class_name "
               "alone (rule class-needs-grade-and-name)"),
}
