"""The operator's line per request: `gakuseki serve` writes uvicorn's access-log line itself (ADR 0046)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter

from api.request_lines import RequestLines
from api.security import SecuredLitestar
from tests.api.conftest import Api, uvicorn_serving


@contextmanager
def uvicorn_with_its_access_log(app: SecuredLitestar, log: io.StringIO) -> Iterator[str]:
    """The app served by uvicorn with uvicorn's own access log on, its lines (uncoloured) into ``log``."""
    handler = logging.StreamHandler(log)
    handler.setFormatter(AccessFormatter(LOGGING_CONFIG["formatters"]["access"]["fmt"], use_colors=False))
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        with uvicorn_serving(app, log_level="info", access_log=True, log_config=None) as url:
            yield url
    finally:
        access.removeHandler(handler)
        access.setLevel(level)


def test_each_request_gets_the_line_uvicorns_access_log_writes_for_it(sqlite_world: Api) -> None:
    app = sqlite_world.client.app
    assert isinstance(app, SecuredLitestar)
    ours, theirs = io.StringIO(), io.StringIO()
    app.request_lines = RequestLines(ours)
    try:
        with uvicorn_with_its_access_log(app, theirs) as url, httpx.Client(base_url=url) as client:
            assert client.get("/health").status_code == 200
            assert client.get("/v1/no-such-route?year=2026&q=%22x%22").status_code == 404
            assert client.get("/v1/students/00000000-0000-0000-0000-000000000000").status_code == 401  # no token
            assert client.get("/schema/reference").status_code == 200  # an HTML page, held to hash its styles
    finally:
        app.request_lines = None
    lines = ours.getvalue().splitlines()
    assert lines == theirs.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("INFO:     127.0.0.1:")
    assert lines[0].endswith(' - "GET /health HTTP/1.1" 200 OK')
    assert lines[1].endswith('"GET /v1/no-such-route?year=2026&q=%22x%22 HTTP/1.1" 404 Not Found')
    assert lines[2].endswith(" 401 Unauthorized")


def test_without_request_lines_the_app_writes_none(sqlite_world: Api) -> None:
    assert sqlite_world.client.app.request_lines is None
    assert sqlite_world.client.get("/health").status_code == 200
