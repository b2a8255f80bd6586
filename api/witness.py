"""`gakuseki witness`: a board (or anyone) cosigns the ledger's checkpoints with its own key (ADR 0033).

Each round: fetch the latest signed checkpoint (GET /v1/transparency/checkpoint), and a consistency
proof from the last checkpoint this witness cosigned (GET /v1/transparency/consistency); verify the
ledger's signature and the proof (domain/transparency/witness.py); cosign (C2SP cosignature/v1);
post the cosignature (POST /v1/transparency/cosignatures); then save the state file. A refusal (a
fork, an inconsistent proof, a smaller tree, a bad signature) is said on stderr, nothing is cosigned
and the state file is left as it was. Network failures and 5xx answers are transient: ``--once``
reports them with exit status 3, the loop logs them, backs off and tries again; it never exits on them.

Files:
- the witness key: a note signer key (skey) ``PRIVATE+KEY+<name>+<hex key ID>+base64(0x04 || seed)``,
  mode 0600, as golang.org/x/mod/sumdb/note writes them, with type 0x04 (cosignature/v1); its
  verifier key (vkey) is what the ledger lists in GAKUSEKI_WITNESS_KEYS;
- the state: JSON of ``WitnessState``, written whole and put in place at once.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import errors
from domain.transparency.note import COSIGNATURE_V1, NoteKey, NoteSigner, key_id
from domain.transparency.witness import WitnessState, witness

log = logging.getLogger("gakuseki.witness")

__all__ = ["Transient", "WitnessClient", "generate_key", "load_key", "load_state", "round_once", "run", "save_state"]

_SKEY_PREFIX = "PRIVATE+KEY+"
MAX_BACKOFF = 300.0


class Transient(Exception):
    """The ledger could not be reached or answered 5xx: try again later."""


# ---------------------------------------------------------------- the key and the state, on disk


def _write_whole(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write beside the file, then put it in place at once (mode 0600): nobody reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            try:
                os.link(tmp, path)  # fails if the file exists, even one made a moment ago
            except FileExistsError:
                raise ValueError(f"{path} already exists: refusing to replace a witness key")
        else:
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    os.chmod(path, 0o600)


def generate_key(path: Path | str, name: str) -> NoteSigner:
    """A new cosignature/v1 key named ``name``, written to ``path`` as a note skey (mode 0600, never replaced)."""
    private = Ed25519PrivateKey.generate()
    signer = NoteSigner(name, private, COSIGNATURE_V1)  # refuses a name with a space or '+'
    seed = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    material = base64.b64encode(bytes([COSIGNATURE_V1]) + seed).decode("ascii")
    skey = f"{_SKEY_PREFIX}{name}+{signer.key.key_id:08x}+{material}\n"
    _write_whole(Path(path), skey.encode("ascii"), exclusive=True)
    return signer


def load_key(path: Path | str) -> NoteSigner:
    """The witness key in a note skey file (ValueError naming the file when it is not one)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ValueError(f"no witness key at {path}: make one with `gakuseki witness-key --name NAME --key {path}`")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a note signer key")
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise ValueError(f"{path} can be read by others (mode {path.stat().st_mode & 0o777:o}): chmod 600 it")
    parts = text.removeprefix(_SKEY_PREFIX).split("+", 2) if text.startswith(_SKEY_PREFIX) else []
    if len(parts) != 3:
        raise ValueError(f"{path} is not a note signer key (PRIVATE+KEY+<name>+<key ID>+<key>)")
    name, hex_id, material = parts
    try:
        raw = base64.b64decode(material, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{path}: the key is not base64")
    if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
        raise ValueError(f"{path}: a witness key is a cosignature/v1 (type 0x04) Ed25519 key")
    signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(raw[1:]), COSIGNATURE_V1)
    if f"{key_id(name, COSIGNATURE_V1, signer.key.public_key):08x}" != hex_id:
        raise ValueError(f"{path}: the key ID {hex_id} is not the one of its name and key")
    return signer


def load_state(path: Path | str) -> WitnessState | None:
    """The last checkpoint cosigned (None before the first)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return msgspec.json.decode(path.read_bytes(), type=WitnessState)
    except msgspec.DecodeError as e:
        raise ValueError(f"{path} is not a witness state file: {e}")


def save_state(path: Path | str, state: WitnessState) -> None:
    _write_whole(Path(path), msgspec.json.format(msgspec.json.encode(state), indent=2) + b"\n")


# ---------------------------------------------------------------- the ledger, over HTTP


class Refused(Exception):
    """The ledger refused the cosignature (4xx): said on stderr, like a refusal of the witness's own."""


@dataclass
class WitnessClient:
    """The three transparency routes a witness uses (standard library HTTP: no dependency of its own)."""

    url: str  # the ledger's base URL, e.g. http://127.0.0.1:8000
    token: str | None = None
    timeout: float = 10.0

    def _request(self, method: str, path: str, accept: str, body: dict[str, Any] | None = None) -> bytes:
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url.rstrip("/") + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:500]
            if e.code >= 500 or e.code == 429:
                raise Transient(f"{method} {path}: {e.code} {detail}")
            raise Refused(f"{method} {path}: {e.code} {detail}")
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            raise Transient(f"{method} {path}: {e}")

    def checkpoint(self) -> str:
        return self._request("GET", "/v1/transparency/checkpoint", "text/plain").decode("utf-8")

    def consistency(self, first: int, second: int) -> list[bytes]:
        query = urllib.parse.urlencode({"from": first, "to": second})
        body = json.loads(self._request("GET", f"/v1/transparency/consistency?{query}", "application/json"))
        return [base64.b64decode(h) for h in body["hashes"]]

    def post_cosignature(self, tree_size: int, line: str) -> None:
        self._request("POST", "/v1/transparency/cosignatures", "application/json",
                      {"tree_size": tree_size, "cosignature": line})


# ---------------------------------------------------------------- one round, and the loop


def round_once(client: WitnessClient, log_key: NoteKey, signer: NoteSigner, state_path: Path | str,
               now: int | None = None) -> str:
    """One round: what happened, in a sentence. Refusals raise CheckpointRefused (or Refused from the
    ledger), network trouble Transient; the state file changes only after the ledger took the cosignature."""
    previous = load_state(state_path)
    note = client.checkpoint()
    size = _size_of(note)
    proof: list[bytes] = []
    if previous is not None and 0 < previous.size < size:
        proof = client.consistency(previous.size, size)
    state, signature = witness(previous, note, proof, log_key, signer, int(time.time()) if now is None else now)
    if signature is None:
        return f"checkpoint {state.size} of {state.origin} already cosigned: nothing new"
    client.post_cosignature(state.size, signature.line)
    save_state(state_path, state)
    grown = f" (from {previous.size})" if previous is not None else " (first checkpoint seen)"
    return f"cosigned checkpoint {state.size} of {state.origin}{grown}"


def _size_of(note: str) -> int:
    """The tree size line of a checkpoint note, read before its signature is checked (only to ask
    for the consistency proof; judge() checks everything)."""
    lines = note.split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        raise errors.NoteMalformed("the ledger's answer is not a checkpoint note")
    return int(lines[1])


def run(client: WitnessClient, log_key: NoteKey, signer: NoteSigner, state_path: Path | str, *,
        once: bool, interval: float = 60.0, stop: threading.Event | None = None) -> int:
    """``once``: one round; exit 0 (cosigned or nothing new), 1 (refused), 3 (the ledger unreachable).
    Otherwise a round every ``interval`` seconds until ``stop``: transient failures back off (doubling up
    to MAX_BACKOFF) and are retried; refusals are said each round and never cosigned."""
    stop = stop or threading.Event()
    backoff = interval
    while True:
        try:
            print(f"gakuseki witness: {round_once(client, log_key, signer, state_path)}", flush=True)
            backoff, status = interval, 0
        except (errors.CheckpointRefused, Refused) as e:
            print(f"gakuseki witness: REFUSED, not cosigned ({type(e).__name__}): {e}", file=sys.stderr, flush=True)
            backoff, status = interval, 1
        except Transient as e:
            backoff = min(MAX_BACKOFF, backoff * 2) if not once else interval
            print(f"gakuseki witness: the ledger did not answer ({e}); retrying in {backoff:g} s",
                  file=sys.stderr, flush=True)
            status = 3
        except Exception as e:  # a loop that runs for years logs what it did not foresee and carries on
            if once:
                raise
            log.exception("witness round failed")
            backoff, status = min(MAX_BACKOFF, backoff * 2), 3
            print(f"gakuseki witness: round failed ({type(e).__name__}: {e}); retrying in {backoff:g} s",
                  file=sys.stderr, flush=True)
        if once:
            return status
        if stop.wait(backoff):
            return 0
