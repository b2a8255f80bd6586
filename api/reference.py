"""The API reference a person reads: the OpenAPI document laid out as one HTML page, on the server.

/schema serves the document itself (JSON; YAML beside it) for tools; /schema/reference is the same
document as a page for a registrar's developer, an auditor or a board's integrator, readable on a
school network that lets nothing out: no script, no viewer, no font or style sheet from elsewhere.
It links only to its own anchors and to /schema/openapi.json and /schema/openapi.yaml, and its one
inline style sheet is allowed by its hash like every printable page (api/security.py; ADR 0037).
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

METHODS = ("get", "put", "post", "patch", "delete")
_env = Environment(loader=PackageLoader("api", "templates"), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def anchor(kind: str, *parts: str) -> str:
    """An id for a page anchor: letters, digits and hyphens only."""
    text = "-".join(parts)
    return kind + "-" + "".join(c if c.isalnum() and c.isascii() else "-" for c in text).strip("-")


def type_of(schema: Any) -> dict[str, Any]:
    """A schema as a reader sees it: ``text`` (string (date), integer 1–6, array of …) and ``ref`` (the
    component it names, to link to)."""
    if not isinstance(schema, dict) or not schema:
        return {"text": "any JSON", "ref": None}
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return {"text": name, "ref": name}
    for key, word in (("oneOf", "one of"), ("anyOf", "any of")):
        if key in schema:
            branches = [type_of(s) for s in schema[key]]
            refs = [b["ref"] for b in branches if b["ref"]]
            return {"text": " | ".join(b["text"] for b in branches) if len(branches) > 1 else branches[0]["text"],
                    "ref": refs[0] if len(refs) == 1 else None, "word": word}
    kind = schema.get("type", "")
    kind = " | ".join(kind) if isinstance(kind, list) else kind
    if kind == "array":
        item = type_of(schema.get("items", {}))
        return {"text": f"array of {item['text']}" + _bounds(schema, "minItems", "maxItems", " items"),
                "ref": item["ref"]}
    if kind == "object" and "properties" not in schema:
        values = schema.get("additionalProperties")
        if isinstance(values, dict) and values:
            return {"text": f"object of {type_of(values)['text']}", "ref": type_of(values)["ref"]}
        return {"text": "object", "ref": None}
    text = kind or "any JSON"
    if schema.get("format"):
        text += f" ({schema['format']})"
    if "enum" in schema:
        text += ": " + ", ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    text += _bounds(schema, "minimum", "maximum", "")
    text += _bounds(schema, "minLength", "maxLength", " characters")
    if schema.get("pattern"):
        text += f", matching {schema['pattern']}"
    return {"text": text, "ref": None}


def _bounds(schema: dict[str, Any], low: str, high: str, unit: str) -> str:
    lo, hi = (_number(schema.get(k)) for k in (low, high))
    if lo is None and hi is None:
        return ""
    if lo is not None and hi is not None:
        return f", {lo}–{hi}{unit}"
    return f", at least {lo}{unit}" if lo is not None else f", at most {hi}{unit}"


def _number(value: Any) -> Any:
    """2000.0 as 2000 (Litestar writes a parameter's bounds as floats)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _example(node: dict[str, Any], document: dict[str, Any]) -> str | None:
    """The first example of a media type or of the schema it names, as indented JSON."""
    examples = node.get("examples")
    if isinstance(examples, dict) and examples:  # a media type's named examples
        first = next(iter(examples.values()))
        return _json(first.get("value") if isinstance(first, dict) else first)
    if "example" in node:
        return _json(node["example"])
    schema = node.get("schema", node)
    if isinstance(schema, dict) and "$ref" in schema:
        schema = document.get("components", {}).get("schemas", {}).get(schema["$ref"].rsplit("/", 1)[-1], {})
    found = schema.get("examples") if isinstance(schema, dict) else None
    return _json(found[0]) if isinstance(found, list) and found else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _content(content: dict[str, Any], document: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"media_type": media_type, "type": type_of(node.get("schema", {})),
             "description": (node.get("schema") or {}).get("description", ""),
             "example": _example(node, document)} for media_type, node in (content or {}).items()]


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation of the document, grouped by its first tag, in the document's order."""
    out = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody") or {}
            out.append({
                "id": anchor("op", method, path), "method": method.upper(), "path": path,
                "tag": (op.get("tags") or ["other"])[0], "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "secured": op.get("security", document.get("security")) != [{}],
                "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                "type": type_of(p.get("schema", {})), "description": p.get("description", "")}
                               for p in op.get("parameters", [])],
                "body": _content(body.get("content", {}), document),
                "responses": [{"status": status, "description": r.get("description", ""),
                               "headers": sorted(r.get("headers") or {}),
                               "content": _content(r.get("content", {}), document)}
                              for status, r in op.get("responses", {}).items()],
            })
    return out


def components(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every named schema with its fields: name, type, whether required, what it means."""
    out = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        out.append({"id": anchor("schema", name), "name": name, "description": schema.get("description", ""),
                    "closed": schema.get("additionalProperties") is False,
                    "fields": [{"name": field, "type": type_of(prop), "required": field in required,
                                "description": prop.get("description", "") if isinstance(prop, dict) else ""}
                               for field, prop in (schema.get("properties") or {}).items()],
                    "type": None if "properties" in schema else type_of(schema),
                    "example": _json(schema["examples"][0]) if schema.get("examples") else None})
    return out


def render_page(document: dict[str, Any], json_href: str, yaml_href: str) -> bytes:
    """The page of one OpenAPI document: a pure function of it (the same document, the same bytes)."""
    ops = operations(document)
    tags = list(dict.fromkeys(op["tag"] for op in ops))
    page = _env.get_template("api_reference.html").render(
        info=document.get("info", {}), tags=tags, operations=ops, schemas=components(document),
        schema_anchor=lambda name: anchor("schema", name), json_href=json_href, yaml_href=yaml_href,
        security=document.get("components", {}).get("securitySchemes", {}))
    return page.encode()


class ReferencePlugin(OpenAPIRenderPlugin):
    """Serves the page at /schema/reference (a path of the OpenAPI router; Litestar's own handler)."""

    def __init__(self, path: str = "/reference") -> None:
        super().__init__(path=path)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        root = request.url.path.rsplit("/", 1)[0]  # /schema
        return render_page(openapi_schema, f"{root}/openapi.json", f"{root}/openapi.yaml")
