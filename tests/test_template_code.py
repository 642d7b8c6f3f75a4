"""app.py's SharedTemplateCode: every app of a process shares its compiled templates, and a template whose
source changed is compiled again (never an old page from a stale cache)."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader

from app import SharedTemplateCode


def test_compiled_once_shared_and_recompiled_when_the_source_changes(tmp_path):
    cache = SharedTemplateCode()
    page = tmp_path / "page.html"
    page.write_text("first {{ x }}")
    compiled: list[str] = []

    class Counting(Environment):
        def _parse(self, source, name, filename):
            compiled.append(source)
            return super()._parse(source, name, filename)

    def render() -> str:
        env = Counting(loader=FileSystemLoader(tmp_path), bytecode_cache=cache)  # a new app's environment
        return env.get_template("page.html").render(x=1)

    assert render() == "first 1" and render() == "first 1"
    assert compiled == ["first {{ x }}"]  # the second environment used the first one's code
    page.write_text("second {{ x }}")
    assert render() == "second 1"  # the checksum of the new source: compiled again
    assert len(compiled) == 2
