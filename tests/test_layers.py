"""The layers README's "How it is built" draws, checked from the source: what each folder imports at run time."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def run_time_imports(path: Path) -> set[str]:
    """Top-level names a module imports when it runs (imports under `if TYPE_CHECKING:` do not count)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def imports_of(folder: str) -> dict[str, set[str]]:
    return {str(p.relative_to(ROOT)): run_time_imports(p) for p in sorted((ROOT / folder).rglob("*.py"))}


def test_run_time_imports_skip_type_checking_blocks(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import flask\nimport json\n")
    assert run_time_imports(module) == {"typing", "json"}
    module.write_text("def f():\n    from oauth import tokens\n")
    assert run_time_imports(module) == {"oauth"}  # an import inside a function still counts


def test_oauth_is_the_protocol_only():
    for path, names in imports_of("oauth").items():
        assert not names & {"flask", "werkzeug", "lab", "views", "tracing", "config", "local_cognito"}, path


def test_lab_builds_on_the_protocol_only():
    for path, names in imports_of("lab").items():
        assert not names & {"flask", "werkzeug", "tracing", "views", "config", "local_cognito"}, path


def test_only_the_recorder_in_tracing_touches_flask_and_views():
    for path, names in imports_of("tracing").items():
        if not path.endswith("recorder.py"):
            assert not names & {"flask", "werkzeug", "views", "config", "local_cognito"}, path


def test_the_attack_lab_runner_talks_to_the_app_over_http_only():
    """attacks/ builds on oauth/, lab/ and tracing/'s redactor and exports; it never reaches into the app (Flask,
    views, settings) or the provider: both are attacked over HTTP, as any client would."""
    for path, names in imports_of("attacks").items():
        assert not names & {"flask", "werkzeug", "views", "config", "local_cognito", "app"}, path


def test_the_client_side_and_the_local_provider_never_import_each_other():
    client_side = ("oauth", "lab", "tracing", "views", "attacks")
    for folder in client_side:
        for path, names in imports_of(folder).items():
            assert "local_cognito" not in names, path
    for path, names in imports_of("local_cognito").items():
        assert not names & {*client_side, "config"}, path
