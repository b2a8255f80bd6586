"""The API reference page (/schema/reference) is read offline: laid out on the server from the OpenAPI
document, it loads nothing from another host, and every link it has is the app's own (ADR 0037)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.auth import Verifier
from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
from api.reference import anchor, type_of
from domain.backend import Backend
from domain.ledger import Ledger

URL_ATTRIBUTES = {"src", "href", "srcset", "action", "formaction", "data", "poster", "background", "content"}


class References(HTMLParser):
    """Every URL a page names: in attributes, in its style sheets (url(), @import), and every tag it uses."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.ids: set[str] = set()
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if value and name in URL_ATTRIBUTES and not (tag == "meta" and name == "content"):
                self.urls.append(value)
            if value and name == "style":
                self.urls += css_urls(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
            self.urls += css_urls(data)


def css_urls(css: str) -> list[str]:
    return [*re.findall(r"url\(\s*['\"]?([^'\")]+)", css), *re.findall(r"@import\s+['\"]([^'\"]+)", css)]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:  # type: ignore[type-arg]
    folder: Path = tmp_path_factory.mktemp("reference")
    backend = Backend.from_url(f"sqlite:///{folder}/ledger.sqlite3")
    key = DevKey.load_or_create(folder / "dev-key.pem")
    app = create_app(Ledger.open(backend), backend, Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE))
    with TestClient(app=app) as served:
        yield served


@pytest.fixture(scope="module")
def page(client: TestClient) -> References:  # type: ignore[type-arg]
    response = client.get("/schema/reference", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parsed = References()
    parsed.feed(response.text)
    parsed.close()
    return parsed


def test_the_page_runs_no_script_and_embeds_nothing(page: References) -> None:
    assert not page.tags & {"script", "iframe", "object", "embed", "img", "link", "base", "form"}


def test_the_page_names_no_other_host_and_every_link_of_its_own_is_served(
        client: TestClient, page: References) -> None:  # type: ignore[type-arg]
    assert page.urls, "the page links to its document"
    for url in page.urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), f"{url} names another host"
        if url.startswith("#"):
            assert url[1:] in page.ids, f"{url} points at no anchor of the page"
        else:
            assert client.get(url).status_code == 200, url
    served = {u for u in page.urls if not u.startswith("#")}
    assert {"/schema/openapi.json", "/schema/openapi.yaml"} <= served


def test_the_page_lists_every_operation_and_every_schema_of_the_document(
        client: TestClient, page: References) -> None:  # type: ignore[type-arg]
    document = client.get("/schema/openapi.json").json()
    for path, item in document["paths"].items():
        for method in ("get", "put", "post", "patch", "delete"):
            if method in item:
                assert anchor("op", method, path) in page.ids, f"{method.upper()} {path}"
                assert f"#{anchor('op', method, path)}" in page.urls
    for name in document["components"]["schemas"]:
        assert anchor("schema", name) in page.ids, name


def test_its_policy_allows_its_own_style_sheet_and_nothing_else(
        client: TestClient, page: References) -> None:  # type: ignore[type-arg]
    policy = client.get("/schema/reference").headers["content-security-policy"]
    (css,) = page.styles
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert policy.startswith("default-src 'none'; frame-ancestors 'none'")
    assert policy.endswith(f"style-src 'sha256-{digest}'")
    assert "script-src" not in policy


def test_the_page_shows_an_operations_parameters_body_responses_and_examples(
        client: TestClient) -> None:  # type: ignore[type-arg]
    text = client.get("/schema/reference").text
    admit = text[text.index('id="op-post--v1-students"'):]
    admit = admit[:admit.index("</section>")]
    for expected in ("Idempotency-Key", "application/json", "AdmissionIn", "201", "422",
                     "application/problem+json", "B131220000013"):
        assert expected in admit, expected


def test_a_schema_reads_as_its_type_bounds_and_the_component_it_names() -> None:
    assert type_of({"type": "integer", "minimum": 1, "maximum": 6}) == {"text": "integer, 1–6", "ref": None}
    assert type_of({"type": "integer", "minimum": 2000.0, "maximum": 2100.0})["text"] == "integer, 2000–2100"
    assert type_of({"$ref": "#/components/schemas/RollMark"}) == {"text": "RollMark", "ref": "RollMark"}
    assert type_of({"type": "array", "items": {"$ref": "#/components/schemas/RollMark"}, "maxItems": 60}) == {
        "text": "array of RollMark, at most 60 items", "ref": "RollMark"}
    assert type_of({"type": "string", "format": "date"})["text"] == "string (date)"
    assert type_of({"type": "string", "enum": ["json", "html"]})["text"] == 'string: "json", "html"'
    assert type_of({})["text"] == "any JSON"
