"""The layers docs/how-it-is-built.md draws, checked from the source: what each folder imports at run time."""

from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

import pytest

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


# -- the drawing in docs/how-it-is-built.md is the imports ------------------------------------------------

BUILT = ROOT / "docs" / "how-it-is-built.md"


def _unit(cell: str) -> str:
    """`views/` -> views, `config.py` -> config."""
    return cell.strip().strip("`").removesuffix("/").removesuffix(".py")


def drawn_layers() -> dict[str, tuple[set[str], str]]:
    """The table under the drawing: each folder (or module), what it imports of the project, and its Flask."""
    table = BUILT.read_text().split("<!-- test: layers -->\n", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| (`[^`]+`) \| (.+?) \| (.+?) \|$", table, re.M)
    return {
        _unit(name): ({_unit(c) for c in re.findall(r"`[^`]+`", imports)}, flask.strip())
        for name, imports, flask in rows
    }


def _imports_and_flask(unit: str) -> tuple[set[str], set[str]]:
    """What `unit` imports of the project (itself excluded), and which of its modules import Flask or Werkzeug."""
    found = imports_of(unit) if (ROOT / unit).is_dir() else {f"{unit}.py": run_time_imports(ROOT / f"{unit}.py")}
    names = set().union(*found.values())
    flask = {path for path, each in found.items() if each & {"flask", "werkzeug"}}
    return (names & project_modules()) - {unit}, flask


def test_the_drawn_layers_are_the_imports():
    """Issue 20's "Done when": the layers drawn are the layers the code has. An import the table does not show
    fails, and so does one it shows that the code no longer has: change the code or the drawing, never neither."""
    drawn = drawn_layers()
    assert {"views", "flows", "attacks", "tracing", "lab", "oauth", "aws_setup", "signing", "config"} <= set(drawn)
    for unit, (imports, flask) in drawn.items():
        actual, flask_users = _imports_and_flask(unit)
        assert actual == imports, (unit, "imports", actual, "drawn", imports)
        if flask == "no":
            assert flask_users == set(), (unit, flask_users)
        elif flask.startswith("yes"):
            assert flask_users, unit
        else:  # "`recorder.py` only"
            assert {Path(p).name for p in flask_users} == {_unit(c) + ".py" for c in re.findall(r"`[^`]+`", flask)}


def test_the_table_reader_reads_the_drawing_as_written():
    drawn = drawn_layers()
    assert drawn["oauth"] == (set(), "no")
    assert drawn["tracing"][1] == "`recorder.py` only"
    assert "flows" in drawn["views"][0] and "views" not in drawn["flows"][0]


def module_list() -> dict[str, str]:
    """The module-by-module list, by section: a line at column 0 opens one (`oauth/`, `app.py`), indented ones go on."""
    block = BUILT.read_text().split("Module by module:\n\n```\n", 1)[1].split("```", 1)[0]
    sections: dict[str, str] = {}
    current = ""
    for line in block.splitlines():
        if line and not line[0].isspace():
            current = line.split()[0]
            sections[current] = ""
        sections[current] += line + "\n"
    return sections


def source_files(base: Path) -> list[Path]:
    """The .py files under `base` that are the project's own (no virtualenv, node packages or caches)."""
    found = []
    for folder, subfolders, files in os.walk(base):
        subfolders[:] = [d for d in subfolders if d not in (".venv", "node_modules", ".git", "__pycache__")]
        found += [Path(folder) / f for f in files if f.endswith(".py")]
    return found


def test_the_module_list_names_every_module_and_only_modules_that_exist():
    sections = module_list()
    assert {f.name for f in ROOT.glob("*.py")} <= set(sections), set(sections)
    for folder in ("oauth", "flows", "tracing", "lab", "attacks", "views", "aws_setup"):
        text = sections[f"{folder}/"]
        stems = {p.stem for p in (ROOT / folder).glob("*.py")} - {"__init__"}
        unnamed = [s for s in sorted(stems) if not re.search(rf"(?<![\w/]){s}(\.py)?(?![\w/])", text)]
        assert unnamed == [], (folder, unnamed)
    for section, text in sections.items():
        base = ROOT / section.rstrip("/") if section.endswith("/") else ROOT
        names = {p.name for p in source_files(base)}
        for name in re.findall(r"(?<![\w/.])(\w+\.py)\b", text):
            assert name in names or (ROOT / name).exists(), (section, name)


def test_the_list_reader_finds_a_missing_module(tmp_path, monkeypatch):
    stale = tmp_path / "how-it-is-built.md"
    listed = BUILT.read_text()
    stale.write_text(listed.replace("  keys.py           every session key", "  session_keys.py   every key"))
    monkeypatch.setattr(sys.modules[__name__], "BUILT", stale)
    with pytest.raises(AssertionError, match="keys"):
        test_the_module_list_names_every_module_and_only_modules_that_exist()


# -- what the design note says must stay true ---------------------------------------------------------------


def _sources(*folders: str) -> dict[str, str]:
    files = [p for f in folders for p in ((ROOT / f).rglob("*.py") if (ROOT / f).is_dir() else [ROOT / f])]
    return {str(p.relative_to(ROOT)): p.read_text() for p in files}


def test_tokens_are_verified_through_the_presets_only():
    """One verification policy: the rules for ID and access tokens are built in oauth/presets.py and nowhere else
    (a new place that verifies a token picks a preset); only oauth/ uses the JOSE library."""
    client_side = _sources("views", "flows", "lab", "tracing", "attacks", "aws_setup", "oauth", "app.py", "cli.py")
    builders = [p for p, text in client_side.items() if re.search(r"\b(?:IdTokenRules|AccessTokenRules)\(", text)]
    assert builders == ["oauth/presets.py"]
    jose = [p for p, text in client_side.items() if re.search(r"^\s*(?:from|import) jose\b", text, re.M)]
    assert jose and all(p.startswith("oauth/") for p in jose), jose


def test_pages_carry_no_inline_script_no_handler_attribute_and_no_html_from_strings():
    """The strict CSP holds only while no page needs an exception: ES modules from static/, data in data-*
    attributes, text through textContent (the app's pages and the local provider's)."""
    templates = [*ROOT.glob("templates/*.html"), *ROOT.glob("local_cognito/templates/*.html")]
    scripts = [*ROOT.glob("static/*.js"), *ROOT.glob("local_cognito/static/*.js")]
    assert templates and scripts
    inline = [p.name for p in templates if re.search(r"<script(?![^>]*\bsrc=)", p.read_text())]
    handlers = [p.name for p in templates if re.search(r"<[^>]*\son[a-z]+\s*=", p.read_text())]
    from_strings = re.compile(r"\.(?:innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write")
    html = [p.name for p in scripts if from_strings.search(p.read_text())]
    assert (inline, handlers, html) == ([], [], [])
