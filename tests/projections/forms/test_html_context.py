"""The forms' Jinja2 context calls macros, plain functions and built-in methods at once (ADR 0060): what a
template renders is what Jinja2's own ``Context.call`` renders."""

from __future__ import annotations

from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, pass_context
from jinja2.runtime import Context

from projections.forms import html

TEMPLATE = """{% macro m(x, y="?") %}<{{ x }}|{{ y }}>{{ caller() if caller is defined else "" }}{% endmacro -%}
{{ m("&") }}{{ m("a", y="<b>") }}{% autoescape false %}{{ kind(m("&")) }}{% endautoescape %}
{% call m("c") %}[{{ f("<") }}]{% endcall %}{{ d.get("k") }}{{ d.get("none", "&") }}
{% for i in range(2) %}{{ m(i) }}{{ g() }}{{ ctx() }}{% endfor %}{{ s(iter(())) is undefined }}"""


def _render(env: Environment) -> str:
    def f(x: str) -> str:
        return x * 2

    @pass_context
    def ctx(context: Context) -> str:
        return str(context.get("i"))

    def s(it: Any) -> Any:
        return next(it)  # a StopIteration: Jinja2 answers undefined

    env.loader = DictLoader({"t.html": TEMPLATE})
    return env.get_template("t.html").render(f=f, g=lambda: "<g>", ctx=ctx, s=s, d={"k": "<v>"}, iter=iter,
                                              kind=lambda v: type(v).__name__)


def test_a_template_renders_what_jinja2s_own_context_renders() -> None:
    ours = html._Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    theirs = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    assert ours.context_class is html._Context
    rendered = _render(ours)
    assert rendered == _render(theirs)
    # a macro called where autoescape is off answers text, not markup: Jinja2 gives it the eval context
    assert rendered.startswith("<&amp;|?><a|&lt;b&gt;>str<c|?>[&lt;&lt;]")
