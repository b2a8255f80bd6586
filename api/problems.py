"""Every error the API gives, as RFC 9457 problem+json, mapped in this one place.

``type`` is a stable relative URI naming the rule (``/problems/year-is-sealed``); ``field`` and
``rule`` say which input broke which rule. Domain refusals keep their rule code from
domain/errors.py, so the same refusal reads the same from the CLI, the tests and the API.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from psycopg_pool import PoolTimeout

from domain import errors

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("gakuseki.api")
RETRY_SOON = {"Retry-After": "1"}


class FieldProblem(msgspec.Struct, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    """RFC 9457 problem details, with the field and rule of a refused input."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    rule: str | None = None
    field: str | None = None
    errors: list[FieldProblem] | None = None


class ApiProblem(Exception):
    """A refusal decided in the API layer (authentication, idempotency, request shape)."""

    def __init__(self, status: int, rule: str, detail: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.rule, self.detail, self.field = status, rule, detail, field
        self.headers = headers or {}


def _title(rule: str) -> str:
    return rule.replace("-", " ").capitalize()


def problem(status: int, rule: str, detail: str, request: Request[Any, Any, Any] | None = None, *,
            field: str | None = None, problems: list[FieldProblem] | None = None,
            headers: dict[str, str] | None = None) -> Response[Problem]:
    body = Problem(type=f"/problems/{rule}", title=_title(rule), status=status, detail=detail,
                   instance=request.url.path if request else "", rule=rule, field=field, errors=problems)
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def status_of(error: errors.LedgerError) -> int:
    if isinstance(error, errors.NotFound):
        return 404
    if isinstance(error, errors.ConcurrencyConflict | errors.PossibleDuplicate):
        return 409
    return 422


def on_ledger_error(request: Request[Any, Any, Any], exc: errors.LedgerError) -> Response[Problem]:
    if isinstance(exc, errors.StoreUnavailable):
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
        return problem(503, exc.rule, exc.message, request, headers=RETRY_SOON)
    return problem(status_of(exc), exc.rule, exc.message, request, field=exc.field)


def on_store_lost(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """The database was lost before the request saved anything (a read, an Idempotency-Key's claim):
    a transient failure, answered 503 with Retry-After and logged in one line, not as a crash."""
    log.warning("%s %s: the ledger's database could not be reached (%s: %s)", request.method, request.url.path,
                type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "")
    return problem(503, "store-unavailable",
                   "the ledger's database cannot be reached; nothing was recorded by this request: send it again "
                   "in a moment", request, headers=RETRY_SOON)


def on_api_problem(request: Request[Any, Any, Any], exc: ApiProblem) -> Response[Problem]:
    return problem(exc.status, exc.rule, exc.detail, request, field=exc.field, headers=exc.headers)


# msgspec names an unknown or missing field in its message; Litestar's key is the object holding it.
_NAMED_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `(?P<name>[^`]+)`")
# Litestar names a missing query, header or path parameter only in its detail.
_MISSING_PARAMETER = re.compile(r"^Missing required \w+ parameter '(?P<name>[^']+)'")
# A number outside the bounds of its field (msgspec: "Expected `int` <= 2100").
_OUT_OF_RANGE = re.compile(r"^Expected `(?:int|float|decimal)` [<>]=? ")


def on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    found = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "body").removeprefix("$.") or "body"
            message = str(item.get("message", ""))
            named = _NAMED_FIELD.match(message)
            if named:
                key = named["name"] if key in ("data", "body") else f"{key}.{named['name']}"
            found.append(FieldProblem(key, message))
    detail = exc.detail or "the request does not match its schema"
    missing = _MISSING_PARAMETER.match(detail)
    first = found[0].field if found else missing["name"] if missing else None
    rule = "out-of-range" if found and _OUT_OF_RANGE.match(found[0].message) else "invalid-request"
    return problem(400, rule, detail, request, field=first, problems=found or None)


def on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    rules = {401: "not-authenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
             406: "not-acceptable", 413: "request-too-large", 415: "unsupported-media-type"}
    if isinstance(exc, NotFoundException):
        return problem(404, "not-found", "no such resource", request)
    if isinstance(exc, NotAuthorizedException | PermissionDeniedException):
        return problem(exc.status_code, rules[exc.status_code], exc.detail, request, headers=exc.headers)
    rule = rules.get(exc.status_code, "bad-request" if exc.status_code < 500 else "server-error")
    return problem(exc.status_code, rule, exc.detail, request, headers=exc.headers)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "server-error",
                   "the ledger could not answer; nothing was recorded by this request", request)


HANDLERS: dict[type[Exception] | int, Any] = {
    errors.LedgerError: on_ledger_error,
    OperationalError: on_store_lost,  # the library's, raised for psycopg's and sqlite3's
    InterfaceError: on_store_lost,
    psycopg.OperationalError: on_store_lost,
    psycopg.InterfaceError: on_store_lost,
    PoolTimeout: on_store_lost,  # no connection to be had in time: the database is away
    ApiProblem: on_api_problem,
    ValidationException: on_validation,
    HTTPException: on_http,
    Exception: on_unexpected,
}
