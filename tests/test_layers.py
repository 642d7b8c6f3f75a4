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


def project_modules() -> set[str]:
    """The project's own top-level modules and packages (app, config, oauth, views, ...)."""
    found = {p.stem for p in ROOT.glob("*.py")}
    return found | {p.parent.name for p in ROOT.glob("*/__init__.py")}


def test_the_project_modules_are_found():
    assert {"app", "config", "signing", "oauth", "lab", "tracing", "flows", "views", "aws_setup", "local_cognito"} <= (
        project_modules()
    )


def test_oauth_is_the_protocol_only():
    """oauth/ is the bottom layer: it imports no module of this project but its own, and no Flask."""
    above = (project_modules() - {"oauth"}) | {"flask", "werkzeug"}
    for path, names in imports_of("oauth").items():
        assert not names & above, (path, names & above)


def test_signing_is_neutral_ground():
    """The signer (trace ids, the anti-forgery cookie) imports nothing of the project and no Flask."""
    assert not run_time_imports(ROOT / "signing.py") & (project_modules() | {"flask", "werkzeug"})


def test_lab_builds_on_the_protocol_only():
    """lab/ (the words, the doctor's reading of its probes, the pool rules) imports oauth/ and nothing above."""
    for path, names in imports_of("lab").items():
        assert not names & ((project_modules() - {"lab", "oauth"}) | {"flask", "werkzeug"}), path


def test_aws_setup_uses_the_rules_and_the_protocols_paths_only():
    """The Cognito commands share lab/pool_rules.py with the doctor; they import no Flask layer."""
    for path, names in imports_of("aws_setup").items():
        assert not names & ((project_modules() - {"aws_setup", "lab", "oauth"}) | {"flask", "werkzeug"}), path


def test_tracing_imports_nothing_above_it():
    """tracing/ is given what it needs of views/ and config.py at install time (recorder.Wiring):
    it builds on oauth/, lab/ and signing.py only, and only the recorder touches Flask."""
    allowed = {"tracing", "oauth", "lab", "signing"}
    for path, names in imports_of("tracing").items():
        assert not names & (project_modules() - allowed), (path, names & (project_modules() - allowed))
        if not path.endswith("recorder.py"):
            assert not names & {"flask", "werkzeug"}, path


def test_flows_are_free_of_flask_and_build_on_the_layers_below():
    """flows/ (issue 20.1) is given the session, the trace and the client (flows/context.py's Context): it imports
    no Flask and nothing of views/, app.py or config.py, only oauth/, lab/, tracing/ and signing.py."""
    allowed = {"flows", "oauth", "lab", "tracing", "signing"}
    for path, names in imports_of("flows").items():
        assert not names & (project_modules() - allowed), (path, names & (project_modules() - allowed))
        assert not names & {"flask", "werkzeug", "flask_session", "cachelib", "redis"}, path


def test_only_views_and_app_build_on_flows():
    """views/ adapts a request to a flow; nothing below the views imports flows/ (the layers only point down)."""
    for folder in ("oauth", "lab", "tracing", "aws_setup", "attacks", "local_cognito"):
        for path, names in imports_of(folder).items():
            assert "flows" not in names, path


def test_the_attack_lab_runner_talks_to_the_app_over_http_only():
    """attacks/ builds on oauth/, lab/ and tracing/'s redactor and exports; it never reaches into the app (Flask,
    views, settings) or the provider: both are attacked over HTTP, as any client would."""
    for path, names in imports_of("attacks").items():
        assert not names & {"flask", "werkzeug", "views", "flows", "config", "local_cognito", "app"}, path


def test_the_client_side_and_the_local_provider_never_import_each_other():
    client_side = ("oauth", "lab", "tracing", "flows", "views", "attacks")
    for folder in client_side:
        for path, names in imports_of(folder).items():
            assert "local_cognito" not in names, path
    for path, names in imports_of("local_cognito").items():
        assert not names & {*client_side, "config"}, path
