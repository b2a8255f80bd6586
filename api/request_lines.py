"""The operator's line per HTTP request on stdout, as uvicorn's access log writes it (ADR 0046).

``INFO:     127.0.0.1:52144 - "POST /v1/students/…/assessments HTTP/1.1" 201 Created``: the client's
address (after uvicorn's proxy headers), the request line and the answer's status, written when the
answer starts. uvicorn's access log went through the logging module for every request (a record, a
copy of it, two formatters, the handler's lock): 13 % of the server's Python time on an assessment
POST. `gakuseki serve` turns uvicorn's off and writes the same line here, with an f-string and one
write. The line is plain (uvicorn colours its own on a terminal); an answer uvicorn makes itself
because the app raised before it began one (its 500) is written here as uvicorn would, 500.
"""

from __future__ import annotations

import http
from typing import Any, TextIO

from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

PHRASES = {s.value: s.phrase for s in http.HTTPStatus}

def line(scope: Any, status: int) -> str:
    """The line uvicorn's access log writes for this request and status (its AccessFormatter, uncoloured)."""
    return (f'INFO:     {get_client_addr(scope)} - "{scope["method"]} {get_path_with_query_string(scope)} '
            f'HTTP/{scope["http_version"]}" {status} {PHRASES.get(status, "")}\n')


class RequestLines:
    """Writes each HTTP request's line to ``out`` when its answer starts (or when the app fails before it)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, scope: Any, status: int) -> None:
        self.out.write(line(scope, status))
        self.out.flush()  # one line at a time, as the logging handler did: the operator reads it as it comes
