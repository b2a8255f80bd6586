"""Security headers on every answer (OWASP ASVS 5.0 L2; ADR 0022).

One rule for every answer the server sends (a route's, a problem+json, a 404 of no route, /health,
/schema), so no route can forget it:
- ``X-Content-Type-Options: nosniff``;
- ``Cache-Control: no-store``: most answers carry a child's data, and a shared staff-room PC or a
  proxy must keep none of them; the few that carry none (/health, /schema) lose nothing by it;
- ``Referrer-Policy: no-referrer`` (a URL names a student id);
- ``Content-Security-Policy``: nothing may be loaded and no page may frame the answer; an HTML page
  (the printable forms, the API reference at /schema/reference) may use exactly its own inline style
  sheets, allowed by their SHA-256.
The HTML body is held until it is complete to hash its style sheets (the pages are small and never
streamed).

It also writes the operator's line per request (``request_lines``, set by `gakuseki serve`:
api/request_lines.py, ADR 0046), where it sees every answer begin.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from litestar import Litestar

from api.request_lines import RequestLines

LOCKED = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.S | re.I)
FIXED = {b"x-content-type-options": b"nosniff", b"cache-control": b"no-store", b"referrer-policy": b"no-referrer"}


def page_policy(page: bytes) -> str:
    """The policy of an HTML page: nothing but its own inline style sheets, by hash."""
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(css).digest()).decode() + "'"
                     for css in STYLE.findall(page)})
    return LOCKED + (f"; style-src {' '.join(hashes)}" if hashes else "")


def _headers(start: dict[str, Any], policy: str) -> dict[str, Any]:
    named = {**FIXED, b"content-security-policy": policy.encode()}
    kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in named]
    return {**start, "headers": [*kept, *named.items()]}


class SecuredLitestar(Litestar):
    """Litestar, with the headers above added to every HTTP answer it sends, and each request's line written
    to ``request_lines`` when it is set."""

    request_lines: RequestLines | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        held: dict[str, Any] = {}
        body: list[bytes] = []
        lines = self.request_lines

        async def secured(message: Any) -> None:
            if message["type"] == "http.response.start":
                if lines is not None:
                    held["started"] = True
                    lines.write(scope, message["status"])
                kind = dict((k.lower(), v) for k, v in message.get("headers", [])).get(b"content-type", b"")
                if kind.startswith(b"text/html"):
                    held["start"] = message  # sent with the body, once its style sheets are hashed
                    return
                await send(_headers(message, LOCKED))
            elif message["type"] == "http.response.body" and "start" in held:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                page = b"".join(body)
                await send(_headers(held.pop("start"), page_policy(page)))
                await send({"type": "http.response.body", "body": page, "more_body": False})
            else:
                await send(message)

        if lines is None:
            await super().__call__(scope, receive, secured)
            return
        try:
            await super().__call__(scope, receive, secured)
        except BaseException:
            if "started" not in held:  # uvicorn answers 500 itself, and its access log named it
                lines.write(scope, 500)
            raise
