"""The HTTP application: the v1 API over one ledger, its OpenAPI at /schema, and /health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import msgspec
import msgspec.inspect
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import (
    Components,
    Link,
    OpenAPIHeader,
    OpenAPIType,
    Parameter,
    Reference,
    Schema,
    SecurityScheme,
)

from api.access_log import AccessLog
from api.alerts import AcknowledgementController, AlertController
from api.auth import Verifier
from api.boards import BoardController
from api.context import Services
from api.dashboards import DashboardController
from api.feeds import HistoryController, LogController
from api.forms import FormController
from api.handovers import AdvancementController, HandoverController
from api.idempotency import RETENTION, Keys
from api.keys import LedgerKey
from api.negotiation import (
    document_dashboard,
    document_form,
    document_integer,
    document_parameter,
    judge_request,
)
from api.openapi_docs import describe, read_response
from api.packets import PacketExportController, PacketImportController
from api.problems import HANDLERS
from api.records import RecordController, RollController
from api.reference import ReferencePlugin
from api.schemas import EXAMPLES
from api.schools import SchoolController
from api.security import SecuredLitestar
from api.student_forms import LongAbsenceController, StudentFormController
from api.students import StudentController
from api.transparency import StudentProofController, TransparencyController
from api.writer import Writer
from api.writes import IDEMPOTENCY_KEY_PATTERN, IF_MATCH_PATTERN, Recorded
from domain.backend import Backend
from domain.ledger import Ledger
from domain.signing import TrustList
from domain.storage import merkle_log
from domain.transparency.note import NoteKey
from projections import runner_for
from projections.checkpoints import EVERY
from projections.forms import Forms
from projections.runner import Background

log = logging.getLogger("gakuseki")

STALL_AFTER = 60.0  # seconds a projection may stand still behind the log before /health says so
# Threads for the synchronous handlers: as many as the closed-loop clients the bench runs (32), so that
# concurrent writes can wait for one group commit together (the default pool: cores + 4)
HANDLER_THREADS = 32
MAX_BODY = 256 * 1024  # a class roll of 45 is about 10 KB; a calendar about 8 KB


class ProjectionStatus(msgspec.Struct, frozen=True):
    projection: str
    position: int  # the log position its read model has applied
    head: int  # the ledger's last position
    lag: int  # events of the log not yet applied (of any type)
    stalled: bool = False  # behind, and not moved for STALL_AFTER while an unapplied event waited as long


class Health(msgspec.Struct, frozen=True):
    # "ok"; "stalled" when a projection stopped advancing (503); "refused" when the ledger refused to sign a
    # checkpoint of its Merkle log (503, ADR 0030); "unavailable": no ledger (503)
    status: str
    backend: str  # "sqlite" or "postgresql"
    position: int | None  # log position of the last recorded event
    detail: str = ""
    projections: list[ProjectionStatus] = []


def create_app(ledger: Ledger, backend: Backend, verifier: Verifier | None = None, *,
               run_projections: bool = False, signing: LedgerKey | None = None,
               trust: TrustList | None = None, witnesses: Sequence[NoteKey] = (), stall_after: float = STALL_AFTER,
               idempotency_retention: timedelta = RETENTION, sweep_every: float | None = None,
               checkpoint_seconds: float = EVERY, raise_alerts: bool = True) -> SecuredLitestar:
    """The app over one ledger; ``run_projections`` polls the read models in a thread of the server
    (the embedded default; a PostgreSQL deployment runs `gakuseki projections run` instead).
    ``signing`` signs the transfer packets it issues (a key of its own for this process when not
    given) and ``trust`` lists whose packets it imports (always its own); ``witnesses`` are the keys whose
    cosignatures of its checkpoints it keeps (ADR 0033). Idempotency keys are kept for
    ``idempotency_retention`` and swept in a thread of the server (ADR 0022). Where the server runs
    the projections it also keeps the Merkle log and signs its checkpoints with ``signing``, at most
    every ``checkpoint_seconds`` (ADR 0030), and runs the alert process (ADR 0042) unless ``raise_alerts`` is
    False (a test that counts the log's events runs it by hand)."""
    signing = signing or LedgerKey.of("gakuseki-dev", Ed25519PrivateKey.generate())
    trust = (trust or TrustList({})).merged(signing.trust())
    signer = signing.checkpoint_signer() if run_projections else None
    runner = runner_for(ledger, backend, signer, checkpoint_seconds)
    runner.raise_alerts = raise_alerts
    stopping: list[Background] = []
    keys = Keys(ledger, idempotency_retention)
    writer = Writer(ledger.group_commit)  # runs the async write routes' writes (ADR 0054); started at the first write
    @get("/health", sync_to_thread=True, summary="Is the ledger reachable, and how far is its log?",
         tags=["operations"], security=[{}],
         responses={503: ResponseSpec(Health, generate_examples=False, description="The ledger cannot be read, "
                                      "a projection has stopped advancing while the log grows, or the ledger "
                                      "refused to sign a checkpoint of its Merkle log (named in detail)")})
    def health() -> Response[Health]:
        try:
            position = ledger.position()
        except Exception as e:  # the one place an unreachable database is reported, not raised
            return Response(Health("unavailable", backend.kind, None, type(e).__name__), status_code=503)
        try:
            projections = [ProjectionStatus(**row) for row in runner.status(stall_after)]
        except Exception:  # read models not migrated or unreachable: the ledger itself still answers
            projections = []
        details = []
        try:
            refused = merkle_log.refusal(ledger.storage)
        except Exception:  # not migrated yet: nothing was signed, nothing refused
            refused = None
        if refused is not None:  # the poller stopped signing checkpoints: the tree does not extend the last one
            details.append(f"merkle_log: signing refused at {refused.tree_size} leaves after the checkpoint of "
                           f"{refused.checkpoint_size} ({refused.refused_at.isoformat()}): {refused.reason}")
        stalled = [p.projection for p in projections if p.stalled]
        if stalled:  # the forms no longer change: in-server poller or `projections run` stopped (ADR 0022)
            details.append(f"not advancing for {stall_after:g} s while the log grows: {', '.join(stalled)}")
        if details:
            status = "refused" if refused is not None else "stalled"
            return Response(Health(status, backend.kind, position, "; ".join(details), projections), status_code=503)
        return Response(Health("ok", backend.kind, position, projections=projections))

    def start(_: Any = None) -> None:
        if run_projections:
            for name in runner.upgrade():  # documents of an older shape: built again by the poller
                log.warning("read model %s was built by another version of its projection: rebuilding", name)
            stopping.append(runner.run_in_background())
        if verifier is not None:
            stopping.append(Background(*keys.sweep_in_background(sweep_every)))
            stopping.append(Background(*keys.heartbeat_in_background()))  # after the writer stops (close)

    async def handler_threads(_: Any = None) -> None:
        # The synchronous handlers run in the event loop's default executor, which Python sizes by the
        # machine's cores (6 threads on 2). Writes wait for their group commit in those threads, so
        # that size capped a group commit at 6 writes whatever the number of clients (ADR 0040).
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(HANDLER_THREADS, thread_name_prefix="gakuseki-handler"))

    def close(_: Any = None) -> None:
        writer.stop()  # what is queued is run first, before the ledger closes under it
        for poller in stopping:
            poller.stop()  # before the ledger closes under it
        ledger.close()

    state: dict[str, Any] = {}
    if verifier is not None:
        state["services"] = Services(ledger, backend, verifier, keys, AccessLog(ledger),
                                     Forms(runner, clock=ledger.now), signing, trust, tuple(witnesses), writer)
    openapi = OpenAPIConfig(
        title="Gakuseki ledger API",
        version="1.0.0",
        description="The official student register (公簿) as an event ledger. Every error is RFC 9457 "
                    "problem+json; writes accept Idempotency-Key; student writes accept If-Match.",
        path="/schema",
        components=Components(security_schemes={"bearer": SecurityScheme(
            type="http", scheme="bearer", bearer_format="JWT",
            description="A JWT from the jurisdiction's identity provider (or `gakuseki token` in development): "
                        "sub = staff id, roles = [{role, school|board, classes, subjects}], amr with 'mfa' for "
                        "sensitive reads.")}),
        security=[{"bearer": []}],
        # The document itself, not a viewer page that loads scripts from a CDN into the register's
        # origin: every page it serves allows only its own content (api/security.py, ADR 0022); the
        # reader's page is laid out on the server and loads nothing (api/reference.py, ADR 0037).
        render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"]), YamlRenderPlugin(), ReferencePlugin()],
    )
    handlers: list[Any] = [health]
    if verifier is not None:
        handlers += [SchoolController, StudentController, RollController, RecordController, HistoryController,
                     LogController, FormController, StudentFormController, LongAbsenceController,
                     HandoverController, AdvancementController, PacketExportController, PacketImportController,
                     TransparencyController, StudentProofController, BoardController, AlertController,
                     AcknowledgementController, DashboardController]
    app = SecuredLitestar(route_handlers=handlers, on_startup=[handler_threads, start], on_shutdown=[close],
                          openapi_config=openapi,
                          exception_handlers=HANDLERS, request_max_body_size=MAX_BODY, state=_state(state),
                          before_request=judge_request)
    _document(app)
    return app


UNCHANGED = ResponseSpec(Recorded, generate_examples=False,
                         description="Nothing to record: the details are already as sent (events 0, stream_id empty)")
IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key", param_in="header", required=False,
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=200, pattern=IDEMPOTENCY_KEY_PATTERN,
                  examples=["roll-2026-04-07-1-1"]),
    description="Send the same key again (same body) to get the first response back with nothing recorded "
                "twice; 409 while the first is still in flight, 422 when the key was used for another body. "
                "A refused request (any 4xx) does not use up its key: nothing of it is kept.")
IF_MATCH = Parameter(
    name="If-Match", param_in="header", required=False,
    schema=Schema(type=OpenAPIType.STRING, pattern=IF_MATCH_PATTERN, examples=['"3"']),
    description="The student version this change expects (the ETag of GET /v1/students/{student_id}); "
                "409 when the record has moved on.")
ETAG = OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING), description="The student version, for If-Match")
# msgspec decodes a Decimal from a JSON number or a numeric string; Litestar documents any string.
DECIMAL = Schema(one_of=[Schema(type=OpenAPIType.NUMBER),
                         Schema(type=OpenAPIType.STRING, pattern=r"^-?[0-9]+(\.[0-9]+)?$")], examples=["132.4"])


def _document(app: Litestar) -> None:
    """Complete the OpenAPI from what the handlers really answer and accept.

    Litestar does not read ``responses`` from a Controller, so each handler gets its controller's error
    responses unless it declares its own; a PUT answers 200 when there is nothing to record (api/writes.py);
    writes take Idempotency-Key, student writes If-Match (api/writes.py); the summary sends an ETag; request
    bodies refuse unknown fields and take decimals as msgspec decodes them.
    """
    bodies: list[Any] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            fn = getattr(handler.fn, "func", handler.fn)  # sync_to_thread wraps the bound method
            declared = getattr(getattr(fn, "__self__", None), "responses", None)  # its Controller's
            responses = dict(handler.responses or declared or {})
            if "PUT" in handler.http_methods and handler.status_code == 201:
                responses.setdefault(200, UNCHANGED)
            if "GET" in handler.http_methods and (shape := read_response(route.path)) is not None:
                responses[200] = shape  # a form's typed shape, not "any object" (api/openapi_docs.py)
            handler.responses = responses or None
            if "data" in handler.parsed_fn_signature.parameters:
                bodies.append(handler.parsed_fn_signature.parameters["data"].annotation)
    if app.openapi_config is None:
        return
    schema = app.openapi_schema
    for path, item in (schema.paths or {}).items():
        for method in ("put", "post", "get"):
            operation = getattr(item, method, None)
            if operation is None or not path.startswith("/v1/"):
                continue
            if method == "get":
                if "forms" in (operation.tags or ()):
                    document_form(operation)  # JSON, HTML and PDF (ADR 0035)
                if "dashboards" in (operation.tags or ()):
                    document_dashboard(operation)  # JSON and HTML (ADR 0043)
                if path == "/v1/students/{student_id}" and operation.responses and "200" in operation.responses:
                    ok = operation.responses["200"]
                    if not isinstance(ok, Reference):
                        ok.headers = {"ETag": ETAG}
                continue
            if path == "/v1/students" and operation.responses and "201" in operation.responses:
                created = operation.responses["201"]
                if not isinstance(created, Reference):  # an admission's stream is the new student's id
                    created.links = {
                        name: Link(operation_ref=f"#/paths/{target.replace('/', '~1')}/get",
                                   parameters={"student_id": "$response.body#/stream_id"},
                                   description=f"The admitted student: {name.lower()}")
                        for name, target in (("Summary", "/v1/students/{student_id}"),
                                             ("History", "/v1/students/{student_id}/history"))}
            # The packet is its own idempotency key; a bulk advancement is idempotent child by child.
            extra = [] if path in NATURALLY_IDEMPOTENT else [IDEMPOTENCY_KEY]
            if method == "post" and path.startswith("/v1/students/{student_id}/") \
                    and "students" in (operation.tags or ()):
                extra.append(IF_MATCH)
            operation.parameters = [*(operation.parameters or []), *extra]
        for operation in (getattr(item, m, None) for m in ("get", "put", "post")):
            for parameter in (operation.parameters or []) if operation else []:
                if isinstance(parameter, Parameter) and isinstance(parameter.schema, Schema):
                    document_parameter(parameter.schema)
    describe(schema)  # each operation's description, each read's example (api/openapi_docs.py)
    components = {s.title: s for s in (schema.components.schemas or {}).values() if isinstance(s, Schema)}
    for struct in _structs(msgspec.inspect.multi_type_info(bodies)):
        component = components.get(struct.cls.__name__)
        if component is None:
            continue
        if struct.cls in EXAMPLES:
            component.examples = [EXAMPLES[struct.cls]]
        if struct.forbid_unknown_fields:
            component.additional_properties = False
        for f in struct.fields:
            if isinstance(f.type, msgspec.inspect.DecimalType) and component.properties:
                component.properties[f.encode_name] = DECIMAL
            elif isinstance(prop := (component.properties or {}).get(f.encode_name), Schema):
                document_integer(prop, f.type)


# A witness's cosignature too: a key's first cosignature of a checkpoint is kept, a repeat answers 200.
NATURALLY_IDEMPOTENT = frozenset({"/v1/transfer-packets", "/v1/schools/{school_code}/years/{year}/advancements",
                                  "/v1/transparency/cosignatures"})


def _structs(types: Any, seen: set[type] | None = None) -> Iterator[msgspec.inspect.StructType]:
    """Every Struct type reachable from the given msgspec type infos."""
    seen = set() if seen is None else seen
    for t in types if isinstance(types, tuple | list) else (types,):
        if isinstance(t, msgspec.inspect.StructType):
            if t.cls in seen:
                continue
            seen.add(t.cls)
            yield t
            yield from _structs(tuple(f.type for f in t.fields), seen)
        elif isinstance(t, msgspec.inspect.Type):
            yield from _structs(tuple(v for name in t.__struct_fields__
                                      if isinstance(v := getattr(t, name), msgspec.inspect.Type | tuple)), seen)


def _state(values: dict[str, Any]) -> Any:
    from litestar.datastructures import State

    return State(values)
