"""What a request may send and ask for, judged before its handler runs (ADR 0023).

- A body is JSON (``Content-Type: application/json``, or a ``+json`` type): anything else is 415.
- A body is decoded strictly against its Struct: ``"year": "2026"`` is not the integer the schema
  says (400 naming the field); a number without a fraction (``3.0``) is an integer, as JSON Schema
  has it. Path and query parameters are text by nature and must parse as their declared type;
  every integer, wherever it comes from, has bounds (api/schemas.py).
- ``Accept`` must name something the route answers: JSON (and problem+json for refusals) on every
  route, the printable page (``text/html``) and the PDF (``application/pdf``, ADR 0035) on the forms
  as well, ``text/plain`` (C2SP signed notes and proofs) on the transparency routes; anything else
  is 406. A missing ``Accept`` or ``*/*`` takes JSON. A form's ``format`` query (``json``, ``html`` or
  ``pdf``, for a link) stands in for ``Accept``; any other value is 400. The dashboards answer JSON and
  their page (``text/html``, ``format`` ``json`` or ``html``; ADR 0043).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import MediaType, Request
from litestar.exceptions import ValidationException

from api.context import caller
from api.problems import MEDIA_TYPE, ApiProblem

JSON_ANSWERS = (MediaType.JSON, MEDIA_TYPE)
PDF = "application/pdf"
FORM_ANSWERS = (*JSON_ANSWERS, MediaType.HTML, PDF)
DASHBOARD_ANSWERS = (*JSON_ANSWERS, MediaType.HTML)  # a dashboard: JSON or its page (no PDF)
NOTE_ANSWERS = (*JSON_ANSWERS, MediaType.TEXT)  # the transparency log: C2SP notes and proofs are text
# What a form's ``format`` query asks for, in place of Accept (a link cannot send a header).
FORMATS = {"json": MediaType.JSON.value, "html": MediaType.HTML.value, "pdf": PDF}
DASHBOARD_FORMATS = {"json": MediaType.JSON.value, "html": MediaType.HTML.value}


def form_media_type(request: Request[Any, Any, Any]) -> str:
    """What a form is answered as: ``format`` if given, else the best match of Accept (JSON by default)."""
    asked = request.query_params.get("format")
    if asked is not None:
        return FORMATS[asked]
    return request.accept.best_match([MediaType.JSON.value, MediaType.HTML.value, PDF],
                                     default=MediaType.JSON.value) or MediaType.JSON.value


def dashboard_media_type(request: Request[Any, Any, Any]) -> str:
    """What a dashboard is answered as: ``format`` if given, else the best match of Accept (JSON by default)."""
    asked = request.query_params.get("format")
    if asked is not None:
        return DASHBOARD_FORMATS[asked]
    return request.accept.best_match([MediaType.JSON.value, MediaType.HTML.value],
                                     default=MediaType.JSON.value) or MediaType.JSON.value


async def judge_request(request: Request[Any, Any, Any]) -> Any:
    """The before-request hook of the app: refuse what the route cannot answer or read (None: go on)."""
    path = request.scope.get("root_path", "") + request.scope["path"]  # what request.url.path is, unparsed
    if not path.startswith("/v1/") and path != "/health":  # the OpenAPI pages are Litestar's own
        return None
    if path != "/health":
        caller(request)  # who asks comes first: an unauthenticated request learns nothing of what a route takes
    handler = request.route_handler
    tags = handler.resolve_tags() or ()
    form, dashboard = "forms" in tags, "dashboards" in tags
    offered = FORM_ANSWERS if form else DASHBOARD_ANSWERS if dashboard else NOTE_ANSWERS if "transparency" in tags \
        else JSON_ANSWERS
    formats = FORMATS if form else DASHBOARD_FORMATS
    asked = request.query_params.get("format") if form or dashboard else None
    if asked is not None and asked not in formats:
        raise ApiProblem(400, "invalid-request", f"format is one of {', '.join(formats)}, not {asked!r}",
                         field="format")
    accept = request.headers.get("accept", "").strip()
    # An Accept of exactly one offered type, or */*, matches without parsing it (what most clients send)
    if asked is None and accept and accept != "*/*" and accept not in offered \
            and request.accept.best_match(list(offered)) is None:
        raise ApiProblem(406, "not-acceptable", f"this route answers {', '.join(offered)}; Accept names none of them",
                         field="Accept")
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None or request.method not in ("POST", "PUT", "PATCH"):
        return None
    body = await request.body()
    if not body.strip():  # every write here takes a document; Litestar would name its own parameter ('data')
        raise ApiProblem(400, "invalid-request", "the request has no body: this route takes a JSON document",
                         field="body")
    content_type = request.headers.get("content-type")
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type != MediaType.JSON and not (media_type.startswith("application/") and media_type.endswith("+json")):
        raise ApiProblem(415, "unsupported-media-type", "a request body is JSON: send Content-Type: application/json",
                         field="Content-Type")
    try:
        try:
            msgspec.json.decode(body, type=data.annotation, strict=True)
        except msgspec.ValidationError as e:
            if not re.match(r"Expected `int( \| null)?`, got `float`", str(e)):
                raise
            # JSON Schema counts 3.0 as an integer: a number without a fraction is one; a string never.
            msgspec.convert(_integral(msgspec.json.decode(body)), data.annotation, strict=True)
    except msgspec.ValidationError as e:
        message, _, at = str(e).partition(" - at `")
        key = at.rstrip("`").removeprefix("$").removeprefix(".")
        raise ValidationException(detail="the request does not match its schema",
                                  extra=[{"key": key, "message": message, "source": "body"}]) from None
    except msgspec.DecodeError:
        return None  # malformed JSON: Litestar's own reading of it refuses it (400)
    return None


def _integral(value: Any) -> Any:
    """The decoded JSON with every number that has no fraction as an int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def document_integer(schema: Any, info: msgspec.inspect.Type) -> None:
    """Put an integer field's bounds on the integer itself in the OpenAPI (Litestar puts those of an
    optional integer beside its ``oneOf`` and drops a bound of 0)."""
    types = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    ints = [t.type if isinstance(t, msgspec.inspect.Metadata) else t for t in types]
    bounds = next((t for t in ints if isinstance(t, msgspec.inspect.IntType)), None)
    if bounds is None:
        return
    branches = [s for s in schema.one_of or [] if getattr(s, "type", None) == "integer"] or [schema]
    for branch in branches:
        branch.minimum, branch.maximum = bounds.ge, bounds.le
    if schema.one_of:
        schema.minimum = schema.maximum = None


def document_parameter(schema: Any) -> None:
    """The same for an optional integer of a path or query (its bounds beside the ``oneOf``)."""
    branches = [s for s in schema.one_of or [] if getattr(s, "type", None) == "integer"]
    for branch in branches:
        branch.minimum, branch.maximum = schema.minimum, schema.maximum
    if branches:
        schema.minimum = schema.maximum = None


def document_dashboard(operation: Any) -> None:
    """A dashboard's operation in the OpenAPI: JSON and its page, and the ``format`` query."""
    from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Parameter, Schema

    ok = (operation.responses or {}).get("200")
    if ok is not None and getattr(ok, "content", None) is not None:
        ok.content[MediaType.HTML.value] = OpenAPIMediaType(schema=Schema(
            type=OpenAPIType.STRING, description="the page (Japanese, charts as inline SVG, no script), from the JSON"))
    operation.parameters = [*(operation.parameters or []), Parameter(
        name="format", param_in="query", required=False,
        schema=Schema(type=OpenAPIType.STRING, enum=list(DASHBOARD_FORMATS)),
        description="json or html: stands in for Accept (for a link); anything else is 400")]


def document_form(operation: Any) -> None:
    """A form's operation in the OpenAPI: its three media types and the ``format`` query."""
    from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Parameter, Schema

    ok = (operation.responses or {}).get("200")
    if ok is not None and getattr(ok, "content", None) is not None:
        ok.content[MediaType.HTML.value] = OpenAPIMediaType(schema=Schema(
            type=OpenAPIType.STRING, description="the printable page (A4), laid out from the JSON"))
        ok.content[PDF] = OpenAPIMediaType(schema=Schema(
            type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY,
            description="the form as a PDF (A4, fonts embedded, text searchable; the same bytes for the same "
                        "form and point in time); Content-Disposition names the file"))
    operation.parameters = [*(operation.parameters or []), Parameter(
        name="format", param_in="query", required=False,
        schema=Schema(type=OpenAPIType.STRING, enum=list(FORMATS)),
        description="json, html or pdf: stands in for Accept (for a link); anything else is 400")]
