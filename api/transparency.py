"""The transparency log over HTTP (issue 12 items 3 and 4; ADR 0030, 0033): checkpoints with their
cosignatures, inclusion and consistency proofs, a child's proof file, and witnesses' cosignatures.

Who (api/policy.py, ADR 0033): the log is ledger-wide and its tree heads and proofs are hashes, so
every auditor (of the whole ledger, of a board or of a school) and every board (a witness is run by a
board) reads the checkpoints and proofs; a board posts cosignatures (the signature, by a key in
GAKUSEKI_WITNESS_KEYS, is what authenticates one; the role only keeps the route closed to the rest).
No multi-factor token is needed: a witness runs unattended, and nothing here is a record's content.
A child's proof file carries the stored bytes of the events (their contents) only for an auditor
of the whole ledger; a scoped auditor gets the leaves and proofs, hashes only. Every other role gets
404, as for a route that does not exist.

Sizes are always those of signed checkpoints: a proof against a size the caller makes up would
verify against a tree nobody signed, so it proves nothing to a third party.
"""

from __future__ import annotations

import base64
import contextlib
import time
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from api.context import caller, services
from api.openapi_errors import ERRORS
from api.policy import Target, authorize, viewing_school
from api.problems import ApiProblem
from api.schemas import LAST_POSITION, CosignatureIn
from api.targets import student_target, year_of
from domain import errors, streams
from domain.ledger import Ledger
from domain.storage import events as stored_events
from domain.storage import merkle_log
from domain.storage.merkle_log import StoredCheckpoint
from domain.transparency.leaf import leaf_bytes, leaf_bytes_of_digest
from domain.transparency.merkle import (
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    multiproof_ranges,
    range_hash,
    verify_inclusion,
)
from domain.transparency.note import parse_note
from domain.transparency.proof import (
    MULTIPROOF_FILE_FORMAT,
    PROOF_FILE_FORMAT,
    ProofEntry,
    ProofFile,
    TlogProof,
    proof_entry,
)
from domain.transparency.tiles import KeptTiles, TileReader, proof_tiles
from projections.checkpoints import CheckpointPublisher
from projections.merkle_log import MerkleLog
from projections.store import StaleUpdate

Req = Request[Any, Any, Any]
# Hashes and tree heads: every auditor and every board sees them (api/policy.py).
LOG_HEADS = Target(transparency=True, kind="resource")
TEXT = "text/plain; charset=utf-8"

TreeSize = Annotated[int | None, QueryParameter(
    ge=1, le=LAST_POSITION, description="the tree size of a signed checkpoint (default: the latest); any other "
                                        "size is refused: a proof against a tree nobody signed proves nothing")]


class Cosigned(msgspec.Struct, frozen=True):
    """A witness's cosignature of a checkpoint, as kept."""

    witness: str  # the witness's key name
    key_id: str  # 8 hex digits
    cosigned_at: int  # the time it says it signed, seconds since 1970 (UTC)
    received_at: datetime
    line: str  # the signature line as the witness sent it
    trusted: bool  # its key is in this ledger's GAKUSEKI_WITNESS_KEYS now


class CheckpointOut(msgspec.Struct, frozen=True):
    """A checkpoint the ledger signed, with its witnesses' cosignatures."""

    origin: str
    tree_size: int
    root: str  # base64
    signed_at: datetime
    log_vkey: str  # the key that signs the checkpoints (verify it out of band, e.g. from the board)
    note: str  # the C2SP signed note: the checkpoint, the ledger's signature and every cosignature line
    cosignatures: list[Cosigned]


class InclusionOut(msgspec.Struct, frozen=True):
    """An event's leaf and its inclusion proof in a signed checkpoint (the JSON form of a tlog-proof)."""

    origin: str
    tree_size: int
    index: int  # the leaf index
    position: int
    stream_id: str
    version: int
    topic: str
    state_sha256: str  # hex
    leaf: str  # base64 of the leaf bytes (ADR 0030): SHA-256(0x00 || leaf) is the leaf hash
    hashes: list[str]  # base64, RFC 9162 PATH order
    checkpoint: str  # the signed note with its cosignatures


class ConsistencyOut(msgspec.Struct, frozen=True):
    """The proof that the tree of ``to`` extends the tree of ``from`` (RFC 9162 SUBPROOF), both signed."""

    origin: str
    from_: int = msgspec.field(name="from")
    to: int = 0
    hashes: list[str] = []  # base64
    from_checkpoint: str = ""  # both signed notes, with their cosignatures
    to_checkpoint: str = ""


class CosignatureOut(msgspec.Struct, frozen=True):
    tree_size: int
    witness: str
    key_id: str
    cosigned_at: int
    kept: Literal["new", "already"]  # "already": this key's cosignature of this checkpoint was kept before


def _text_wanted(request: Req) -> bool:
    return request.accept.best_match([MediaType.JSON, MediaType.TEXT], default=MediaType.JSON) == MediaType.TEXT


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _checkpoint(ledger: Ledger, size: int | None, field: str = "tree_size") -> StoredCheckpoint:
    """The signed checkpoint of ``size`` (the latest when None): a size no checkpoint has is refused."""
    return _signed(merkle_log.latest_checkpoint(ledger.storage) if size is None
                   else merkle_log.checkpoint_at(ledger.storage, size), size, field)


def _signed(found: StoredCheckpoint | None, size: int | None, field: str = "tree_size") -> StoredCheckpoint:
    """The checkpoint read for ``size`` (the latest when None), or why there is none."""
    if size is None:
        if found is None:
            raise errors.NotFound("no checkpoint has been signed yet: the log publishes one within seconds of "
                                  "its first events", field=field)
        return found
    if found is None:
        raise ApiProblem(422, "not-a-checkpoint", f"no checkpoint of tree size {size} was signed: ask for the size "
                         "of a signed checkpoint (GET /v1/transparency/checkpoints lists them)", field=field)
    return found


def cosigned_note(ledger: Ledger, checkpoint: StoredCheckpoint) -> str:
    """The signed note with the cosignature line of every witness kept beside it."""
    return checkpoint.note + "".join(c.line for c in merkle_log.cosignatures(ledger.storage, checkpoint.tree_size))


# The nodes of the tiles inclusion proofs were last folded from, in this process (tiles.KeptTiles): the
# tiles above the leaves (one in 65,536 leaves) and the tree's right edge serve every proof.
_KEPT_TILES = KeptTiles(64)


def _reader(ledger: Ledger, size: int, ranges: list[tuple[int, int]], kept: KeptTiles | None = None) -> TileReader:
    """A reader of the tree of ``size`` whose tiles the proof needs are read in one query (those whose
    nodes ``kept`` holds are not read)."""
    wanted = proof_tiles(ranges, size)
    found = merkle_log.read_tiles(ledger.storage, [(level, index) for level, index, width in wanted
                                                   if kept is None or (level, index, width) not in kept])

    def read(level: int, index: int, width: int) -> bytes:
        try:
            return found[(level, index)]
        except KeyError:  # the projection has not stored it: the checkpoint is ahead of the tiles
            raise ApiProblem(503, "tree-not-ready", f"the log's tiles do not reach tree size {size} yet; retry",
                             headers={"Retry-After": "1"}) from None
    return TileReader(size, read, kept)


def _log_vkey(request: Req) -> str:
    signing = services(request.app.state).signing
    return signing.checkpoint_key().vkey


READS = {k: v for k, v in ERRORS.items() if k in (400, 401, 403, 404, 406, 422)}
WRITES = {k: v for k, v in ERRORS.items() if k in (400, 401, 403, 404, 406, 409, 413, 415, 422)}
class TransparencyController(Controller):
    path = "/v1/transparency"
    tags = ["transparency"]
    responses = READS

    @get("/checkpoint", sync_to_thread=True, summary="The latest signed checkpoint with its witnesses' cosignatures",
         description="The ledger signs a C2SP tlog-checkpoint (origin = the ledger id, tree size, root hash) when the "
                     "log has grown, at most every GAKUSEKI_CHECKPOINT_SECONDS; witnesses cosign it. "
                     "`Accept: text/plain` answers the signed note itself (what `gakuseki witness` and other C2SP "
                     "tools read), JSON the same with its parts. `tree_size` names an earlier checkpoint.",
         responses={**READS, 200: ResponseSpec(CheckpointOut, description="JSON, or text/plain: the signed note "
                                               "with every cosignature line", generate_examples=False)})
    def checkpoint(self, request: Req, tree_size: TreeSize = None) -> Response[Any]:
        p, ledger = caller(request), services(request.app.state).ledger
        authorize(p, "log.verify", LOG_HEADS)
        stored = _checkpoint(ledger, tree_size)
        note = cosigned_note(ledger, stored)
        if _text_wanted(request):
            return Response(note, media_type=TEXT)
        witnesses = {(k.name, k.key_id) for k in services(request.app.state).witnesses}
        kept = [Cosigned(c.witness, f"{c.key_id:08x}", c.cosigned_at, c.received_at, c.line,
                         (c.witness, c.key_id) in witnesses)
                for c in merkle_log.cosignatures(ledger.storage, stored.tree_size)]
        origin = parse_note(stored.note).text.split("\n", 1)[0]
        return Response(CheckpointOut(origin, stored.tree_size, _b64(stored.root), stored.signed_at,
                                      _log_vkey(request), note, kept))

    @get("/checkpoints", sync_to_thread=True, summary="The sizes of the signed checkpoints, after a size",
         description="Every checkpoint the ledger signed is kept; this lists their tree sizes in order, "
                     "at most `limit` of them after `after`.")
    def checkpoints(self, request: Req,
                    after: Annotated[int, QueryParameter(ge=-1, le=LAST_POSITION, description="list sizes above this")]
                    = -1,
                    limit: Annotated[int, QueryParameter(ge=1, le=1000, description="at most this many")] = 100,
                    ) -> list[int]:
        p, ledger = caller(request), services(request.app.state).ledger
        authorize(p, "log.verify", LOG_HEADS)
        sizes = []
        for stored in merkle_log.checkpoints(ledger.storage, since=after, page=limit):
            sizes.append(stored.tree_size)
            if len(sizes) >= limit:
                break
        return sizes

    @get("/inclusion", sync_to_thread=True, summary="An event's inclusion proof in a signed checkpoint",
         description="The leaf of the event at log `position` (its fields, its bytes) and the proof that it is in "
                     "the tree of the signed checkpoint of `tree_size` (default: the latest). `Accept: text/plain` "
                     "answers a c2sp.org/tlog-proof@v1 whose `extra` line is the leaf bytes, to keep as a "
                     "`.tlog-proof` file and check offline with `gakuseki verify --proof`.",
         responses={**READS, 200: ResponseSpec(InclusionOut, description="JSON, or text/plain: "
                                               "c2sp.org/tlog-proof@v1 (extra = the leaf bytes)",
                                               generate_examples=False)})
    def inclusion(self, request: Req,
                  position: Annotated[int, QueryParameter(ge=1, le=LAST_POSITION, description="the event's log "
                                                          "position (as GET /v1/log and the histories give it)")],
                  tree_size: TreeSize = None) -> Response[Any]:
        p, ledger = caller(request), services(request.app.state).ledger
        authorize(p, "log.verify", LOG_HEADS)
        # Two statements: the checkpoint, its cosignatures, the leaf's index and the event's row; then its tiles.
        found = merkle_log.look_up_leaf(ledger.storage, position, tree_size)
        stored = _signed(found.checkpoint, tree_size)
        index = found.leaf_index
        if index is None or index >= stored.tree_size:
            raise ApiProblem(422, "position-not-in-tree", f"no event at position {position} is in the tree of the "
                             f"checkpoint of {stored.tree_size} (not recorded, or recorded after it)",
                             field="position")
        if found.event is None:  # the tree names a position the event table no longer has: say so, never hide it
            raise ApiProblem(409, "event-missing", f"the tree holds position {position} but the event table does "
                             "not: run `gakuseki verify`", field="position")
        stream, version, topic, state = found.event
        leaf = leaf_bytes(position, stream if isinstance(stream, UUID) else UUID(str(stream)), version, topic, state)
        ranges = inclusion_ranges(index, stored.tree_size)
        proof = inclusion_proof(index, stored.tree_size, _reader(ledger, stored.tree_size, ranges, _KEPT_TILES).node)
        if not verify_inclusion(index, stored.tree_size, leaf_hash(leaf), proof, stored.root):
            # Kept nodes that no longer agree with the stored tiles (the tree rebuilt otherwise since):
            # forget them, and fold the proof from the stored tiles alone, as it is served without them.
            _KEPT_TILES.clear()
            proof = inclusion_proof(index, stored.tree_size, _reader(ledger, stored.tree_size, ranges).node)
        note = stored.note + found.cosignature_lines
        if _text_wanted(request):
            return Response(TlogProof(index, proof, note, leaf).text, media_type=TEXT)
        entry = proof_entry(index, leaf, proof, None)
        origin = parse_note(stored.note).text.split("\n", 1)[0]
        return Response(InclusionOut(origin, stored.tree_size, index, entry.position, entry.stream_id, entry.version,
                                     entry.topic, entry.state_sha256, entry.leaf, entry.inclusion, note))

    @get("/consistency", sync_to_thread=True, summary="A consistency proof between two signed checkpoints",
         description="The proof (RFC 9162 §2.1.4) that the tree of the checkpoint of `to` (default: the latest) "
                     "extends the tree of the checkpoint of `from`: nothing recorded before was changed or "
                     "removed. What a witness checks before it cosigns.")
    def consistency(self, request: Req,
                    first: Annotated[int, QueryParameter(name="from", ge=1, le=LAST_POSITION,
                                                    description="the tree size of the earlier signed checkpoint")],
                    to: TreeSize = None) -> ConsistencyOut:
        p, ledger = caller(request), services(request.app.state).ledger
        authorize(p, "log.verify", LOG_HEADS)
        older = _checkpoint(ledger, first, "from")
        newer = _checkpoint(ledger, to, "to")
        if older.tree_size > newer.tree_size:
            raise ApiProblem(422, "sizes-out-of-order", f"from ({older.tree_size}) is larger than to "
                             f"({newer.tree_size}): a consistency proof goes from the smaller tree", field="from")
        hashes: list[bytes] = []
        if older.tree_size < newer.tree_size:
            reader = _reader(ledger, newer.tree_size, consistency_ranges(older.tree_size, newer.tree_size))
            hashes = consistency_proof(older.tree_size, newer.tree_size, reader.node)
        origin = parse_note(newer.note).text.split("\n", 1)[0]
        return ConsistencyOut(origin, older.tree_size, newer.tree_size, [_b64(h) for h in hashes],
                              cosigned_note(ledger, older), cosigned_note(ledger, newer))

    @post("/cosignatures", sync_to_thread=True, summary="A witness's cosignature of a signed checkpoint",
          description="A witness (`gakuseki witness`) sends the C2SP cosignature/v1 line it signed over the "
                      "checkpoint of `tree_size`. It is kept only when its key is in GAKUSEKI_WITNESS_KEYS and it "
                      "verifies over the checkpoint this ledger signed of that size; a cosignature over another "
                      "root (a witness shown another tree) is refused. Sending it again is harmless: 200, the first "
                      "one kept stays.",
          responses={**WRITES, 200: ResponseSpec(CosignatureOut, description="This key's cosignature of this "
                                                 "checkpoint was already kept (nothing new)",
                                                 generate_examples=False)})
    def cosign(self, request: Req, data: JSONBody[CosignatureIn]) -> Response[CosignatureOut]:
        svc = services(request.app.state)
        p, ledger = caller(request), svc.ledger
        authorize(p, "log.cosign", LOG_HEADS)
        stored = _checkpoint(ledger, data.tree_size)
        text = parse_note(stored.note).text
        line = data.cosignature if data.cosignature.endswith("\n") else data.cosignature + "\n"
        try:
            note = parse_note(text + "\n" + line)
        except errors.NoteMalformed as e:
            raise ApiProblem(422, "cosignature-malformed", f"not one C2SP signature line: {e}", field="cosignature")
        if len(note.signatures) != 1:
            raise ApiProblem(422, "cosignature-malformed", "send one signature line", field="cosignature")
        signature = note.signatures[0]
        key = next((k for k in svc.witnesses if (k.name, k.key_id) == (signature.name, signature.key_id)), None)
        if key is None:
            raise ApiProblem(422, "unknown-witness", f"no witness key {signature.name}+{signature.key_id:08x} is in "
                             "this ledger's GAKUSEKI_WITNESS_KEYS", field="cosignature")
        timestamp = key.verify(text.encode("utf-8"), signature.data)
        if timestamp is None:
            raise ApiProblem(422, "cosignature-does-not-verify", f"the cosignature of {key.name} does not verify over "
                             f"the checkpoint this ledger signed of tree size {stored.tree_size}: it signs another "
                             "root (the witness was shown another tree) or it was altered", field="cosignature")
        new = merkle_log.keep_cosignature(ledger.storage, stored.tree_size, key.key_id, key.name, timestamp, line)
        out = CosignatureOut(stored.tree_size, key.name, f"{key.key_id:08x}", timestamp, "new" if new else "already")
        return Response(out, status_code=201 if new else 200)


# ---------------------------------------------------------------- a child's proof file


STUDENT_FORMS = ("cumulative-record", "report-card", "health-card", "dental-card")


def student_streams(ledger: Ledger, student_id: str) -> list[Any]:
    """Every stream a child's forms are composed from (projections/forms/student_file.py reads their documents):
    the child's own; each school year's assessments, year record and health examinations; the day
    streams of the marks of every instructional day of the schools' calendars; and the schools, school
    years and classes the child was in."""
    student = ledger.student(student_id)
    sid = student.id
    places = {(p.school_code, year, p.grade, p.class_name) for year, p in student.placements.items()}
    places |= {(p.school_code, year_of(student, p), p.grade, p.class_name) for p in student.classes}
    years = sorted({year for _, year, _, _ in places})
    schools = sorted({p[0] for p in places} | {e.school_code for e in student.enrollments})
    out: list[Any] = [sid]
    for year in years:
        out += [streams.assessments(sid, year), streams.year_record(sid, year), streams.health(sid, year)]
    for code in schools:
        out.append(streams.school(code))
    for code, year in sorted({(code, year) for code, year, _, _ in places}):
        out.append(streams.school_year(code, year))
        out += streams.attendance_days(sid, sorted(ledger.school_year(code, year).days))
    out += [streams.school_class(*place) for place in sorted(places)]
    return list(dict.fromkeys(out))


def proof_file(ledger: Ledger, stream_ids: list[Any], checkpoint: StoredCheckpoint, *, contents: bool,
               subject: dict[str, str], upto: int | None = None, cosigned: bool = True,
               multi: bool = False) -> ProofFile:
    """The events of the streams that are in the checkpoint's tree (and at or before log position
    ``upto``), each with its inclusion proof (``multi``: one multiproof for them all, gakuseki-proof/2);
    the checkpoint with its cosignatures unless not ``cosigned``."""
    size = checkpoint.tree_size
    # the states themselves only when the file carries them; else their SHA-256, hashed by the database
    read = stored_events.in_streams if contents else stored_events.digests_in_streams
    found = [row for row in read(ledger.storage, stream_ids) if upto is None or row[0] <= upto]
    indexes = merkle_log.leaf_indexes_of(ledger.storage, [row[0] for row in found])  # one statement
    leaf = leaf_bytes if contents else leaf_bytes_of_digest
    rows = sorted((indexes[position], leaf(position, stream, version, topic, state), state if contents else b"")
                  for position, stream, version, topic, state in found
                  if position in indexes and indexes[position] < size)
    if multi:
        ranges = multiproof_ranges([index for index, _, _ in rows], size) if rows else []
    else:
        ranges = [r for index, _, _ in rows for r in inclusion_ranges(index, size)]
    reader = _reader(ledger, size, ranges)
    entries: list[ProofEntry] = [
        proof_entry(index, leaf, [] if multi else inclusion_proof(index, size, reader.node),
                    state if contents else None) for index, leaf, state in rows]
    last = merkle_log.position_of(ledger.storage, size - 1) if size else 0
    origin = parse_note(checkpoint.note).text.split("\n", 1)[0]
    note = cosigned_note(ledger, checkpoint) if cosigned else checkpoint.note
    return ProofFile(MULTIPROOF_FILE_FORMAT if multi else PROOF_FILE_FORMAT, origin, note, size,
                     _b64(checkpoint.root), {**subject, "as_of": str(last or 0)}, entries,
                     [_b64(range_hash(a, b, reader.node)) for a, b in ranges] if multi else None)


PACKET_PROOF_WAIT = 30.0  # seconds an export waits at most for the first checkpoint after its hand-over


def packet_proof(ledger: Ledger, student_id: str, position: int, *, tree: MerkleLog,
                 publisher: CheckpointPublisher, wait: float = PACKET_PROOF_WAIT) -> ProofFile:
    """The proof a transfer packet carries (item 6 of issue 12; ADR 0041): the child's events up to the
    hand-over at ``position``, proven by one multiproof in the first signed checkpoint whose tree holds
    the hand-over. Always that checkpoint, as the ledger signed it (no cosignatures, which arrive
    later): the same hand-over gives the same packet.

    No waiting for the poller's cadence: the export brings the tree up to the hand-over itself (the
    Merkle projection's own pages, under its lock, as any runner does) and, when no checkpoint holds
    the hand-over yet, asks the publisher to sign one now (``publish(holding=)``: under the
    publisher's lock, one signer at a time, the fork rule as ever). It waits (503 after ``wait``
    seconds) only while another process holds the tree's lock; a refused tree answers 503 at once."""
    deadline = time.monotonic() + wait
    while True:
        index = merkle_log.leaf_index_of(ledger.storage, position)
        if index is None:
            with contextlib.suppress(StaleUpdate):  # another runner moved the tree first: read on below
                tree.catch_up(stop=position)
            index = merkle_log.leaf_index_of(ledger.storage, position)
        first = next(merkle_log.checkpoints(ledger.storage, since=index, page=1), None) if index is not None else None
        if first is None and index is not None:
            publisher.publish(holding=index)
            first = next(merkle_log.checkpoints(ledger.storage, since=index, page=1), None)
        if first is not None:
            break
        refused = merkle_log.refusal(ledger.storage)
        if refused is not None or time.monotonic() >= deadline:
            raise ApiProblem(503, "checkpoint-pending", "no signed checkpoint holds the hand-over yet" + (
                ": the ledger stopped signing checkpoints (see /health)" if refused else
                ": the ledger signs one within seconds; retry"), headers={"Retry-After": "5"})
        time.sleep(0.05)
    return proof_file(ledger, student_streams(ledger, student_id), first, contents=False,
                      subject={"packet": "transfer", "student_id": student_id}, upto=position, cosigned=False,
                      multi=True)


class StudentProofController(Controller):
    path = "/v1/students/{student_id:str}/proof"
    tags = ["transparency"]
    responses = READS

    @get("/", sync_to_thread=True, summary="The events behind a child's forms, each proven in one signed checkpoint",
         description="The proof file an auditor keeps (`gakuseki-proof/1`, docs in ADR 0033): every event of the "
                     "streams the child's forms (指導要録, 通知表, 健康診断票) are composed from, up to the signed "
                     "checkpoint of `tree_size` (default: the latest), with its leaf and its inclusion proof, and "
                     "the checkpoint with its cosignatures. `subject.as_of` is the log position the checkpoint "
                     "ends at: the forms read with `?as_of=` that position are composed from exactly these "
                     "events. The stored bytes of each event (`state`) are given to an auditor of the whole ledger; "
                     "a scoped auditor gets the leaves and proofs only. Check it offline with "
                     "`gakuseki verify --proof FILE`. The read is recorded in the access log.")
    def student_proof(self, request: Req, student_id: FromPath[str],
                      form: Annotated[str, QueryParameter(
                          pattern="^(cumulative-record|report-card|health-card|dental-card)$",
                          description="the form the file is kept for (informative: every student form reads the "
                                      "same streams)")] = "cumulative-record",
                      tree_size: TreeSize = None) -> ProofFile:
        p, svc = caller(request), services(request.app.state)
        with svc.access.reading(p, "proof.read", request.url.path, student_id):
            target, student = student_target(svc.ledger, student_id)
            authorize(p, "proof.read", target)
            checkpoint = _checkpoint(svc.ledger, tree_size)
            contents = viewing_school(p, "proof.read", target) is None
            return proof_file(svc.ledger, student_streams(svc.ledger, student_id), checkpoint, contents=contents,
                              subject={"form": form, "student_id": str(student.id)})
