"""``[tool.pyingot]``: defaults, inference, every error message, ``init``, the reference."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pyingot import cli
from pyingot.config import (
    KEYS,
    TOOL,
    DataPatterns,
    EntryPoint,
    ModulePatterns,
    ProjectConfig,
    ProjectMetadata,
    PythonSpec,
    init_project,
    load_project,
    reference_markdown,
)
from pyingot.config.toml import value as _toml
from pyingot.distribution.selection import ExtensionSelection
from pyingot.errors import PyingotError
from pyingot.glibc import GlibcVersion
from pyingot.patterns import module_matches
from tests.building import ROOT

HELLO = """
[project]
name = "hello"
version = "1.0"

[project.scripts]
hello = "hello.cli:main"
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in the project directory, so messages name plain ``pyproject.toml``."""
    monkeypatch.chdir(tmp_path)


def write(toml: str, *files: str) -> None:
    Path("pyproject.toml").write_text(textwrap.dedent(toml))
    for name in files:
        path = Path(name)
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")


def load(toml: str, *files: str) -> ProjectConfig:
    write(toml, *files)
    return load_project(Path("."))


def error(toml: str, *files: str) -> PyingotError:
    write(toml, *files)
    with pytest.raises(PyingotError) as e:
        load_project(Path("."))
    return e.value


def tool(body: str) -> str:
    """HELLO plus a ``[tool.pyingot]`` table."""
    return HELLO + "\n[tool.pyingot]\n" + textwrap.dedent(body)


# --------------------------------------------------------------------------- defaults, inference


def test_defaults_with_a_single_script(tmp_path: Path) -> None:
    cfg = load(HELLO, "src/")
    assert cfg.pyproject == Path("pyproject.toml")
    assert cfg.root == tmp_path.resolve()
    assert cfg.name == "hello"
    assert cfg.entry == EntryPoint(
        "function",
        origin='[project.scripts] hello = "hello.cli:main"',
        module="hello.cli",
        function="main",
    )
    assert cfg.python == PythonSpec("version", "3.11", minor=11)
    assert cfg.sources == (tmp_path.resolve() / "src",)
    assert cfg.optimize == 0
    assert cfg.keep_sources == "no-stdlib"
    assert cfg.stdlib == "reachable"
    assert cfg.extensions == ExtensionSelection()
    assert cfg.modules == ModulePatterns()
    assert cfg.data == DataPatterns(("**",), ("**/*.pyi", "**/py.typed"))


def test_without_src_the_project_directory_holds_the_modules(tmp_path: Path) -> None:
    assert load(HELLO).sources == (tmp_path.resolve(),)


def test_documented_defaults_are_the_loaded_defaults() -> None:
    cfg = load(HELLO)
    assert str(cfg.python) == "3.11"  # no requires-python: the oldest pyingot picks
    loaded = {
        (TOOL, "glibc"): str(cfg.glibc),
        (TOOL, "optimize"): cfg.optimize,
        (f"{TOOL}.extensions", "policy"): cfg.extensions.policy,
        (f"{TOOL}.extensions", "include"): cfg.extensions.include,
        (f"{TOOL}.extensions", "exclude"): cfg.extensions.exclude,
        (f"{TOOL}.modules", "include"): cfg.modules.include,
        (f"{TOOL}.modules", "exclude"): cfg.modules.exclude,
        (f"{TOOL}.data", "include"): cfg.data.include,
        (f"{TOOL}.data", "exclude"): cfg.data.exclude,
        (f"{TOOL}.dependencies", "project"): cfg.dependencies.from_project,
        (f"{TOOL}.dependencies", "wheels"): cfg.dependencies.wheels,
        (f"{TOOL}.dependencies", "on-disk"): cfg.dependencies.on_disk,
        (f"{TOOL}.dependencies", "data-on-disk"): cfg.dependencies.data_on_disk,
    }
    constant = {(k.table, k.name): k.default for k in KEYS if not k.inferred}
    assert constant == loaded


def test_no_scripts_means_python_like_with_the_whole_stdlib() -> None:
    cfg = load('[project]\nname = "py"\n')
    assert cfg.entry == EntryPoint(
        "python", origin="no [tool.pyingot] entry and no [project.scripts]"
    )
    assert str(cfg.entry) == "python"
    assert cfg.stdlib == "all"
    assert cfg.link_extensions == "all"  # whoever runs it may import any module
    assert cfg.keep_sources is True  # and read any module's source


@pytest.mark.parametrize("value", [True, False, "no-stdlib"])
def test_keep_sources_takes_a_boolean_or_no_stdlib(value: object) -> None:
    line = f"keep-sources = {_toml(value)}\n"
    assert load(HELLO + "[tool.pyingot]\n" + line).keep_sources == value
    assert load('[tool.pyingot]\nname = "py"\n' + line).keep_sources == value


def test_an_application_links_what_it_imports_at_start_up() -> None:
    assert load(HELLO).link_extensions == "start-up"
    py = '[tool.pyingot]\nname = "py"\n[tool.pyingot.extensions]\nlink = "start-up"\n'
    assert load(py).link_extensions == "start-up"


def test_explicit_stdlib_wins_over_the_python_like_default() -> None:
    assert load('[tool.pyingot]\nname = "py"\nstdlib = "reachable"\n').stdlib == "reachable"


def test_several_scripts_need_an_entry() -> None:
    e = error(HELLO + 'hello-admin = "hello.admin:main"\n')
    assert e.message == (
        "pyproject.toml: [project.scripts] has 2 entries (hello, hello-admin): "
        "set [tool.pyingot] entry to choose one"
    )
    assert e.hint == (
        'for example entry = "hello.cli:main", '
        'or entry = "python" for an executable that behaves like python'
    )


def test_entry_chooses_among_several_scripts() -> None:
    cfg = load(HELLO + 'hello-admin = "hello.admin:main"\n[tool.pyingot]\nentry = "python"\n')
    assert cfg.entry.kind == "python"
    assert cfg.entry.origin == '[tool.pyingot] entry = "python"'


def test_dynamic_scripts_cannot_be_read() -> None:
    e = error('[project]\nname = "hello"\ndynamic = ["scripts"]\n')
    assert e.message == (
        "pyproject.toml: [project] scripts is dynamic, so pyingot cannot read it: "
        "set [tool.pyingot] entry"
    )


def test_a_console_script_must_name_a_function() -> None:
    e = error('[project]\nname = "hello"\n[project.scripts]\nhello = "hello.cli"\n')
    assert e.message == (
        "pyproject.toml: [project.scripts] hello = \"hello.cli\": must be a 'module:function' "
        "reference"
    )


def test_a_console_script_is_checked_like_an_entry() -> None:
    e = error('[project]\nname = "hello"\n[project.scripts]\nhello = "hello.cli:"\n')
    assert e.message == (
        "pyproject.toml: [project.scripts] hello = \"hello.cli:\": function name missing after ':'"
    )


def test_a_project_without_tool_pyingot_table_gets_every_default() -> None:
    assert load(HELLO).name == "hello"


def test_path_may_be_the_directory_or_the_file(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text(HELLO)
    by_dir = load_project(Path("proj"))
    by_file = load_project(Path("proj/pyproject.toml"))
    assert by_dir == by_file
    assert by_dir.pyproject == Path("proj/pyproject.toml")
    assert by_dir.root == tmp_path.resolve() / "proj"


def test_messages_name_the_file_as_the_user_named_it(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text(tool("optimize = 3\n"))
    with pytest.raises(PyingotError) as e:
        load_project(Path("proj"))
    assert e.value.message == "proj/pyproject.toml: [tool.pyingot] optimize = 3: must be 0, 1 or 2"


def test_project_metadata_is_read_with_the_settings() -> None:
    cfg = load(
        HELLO.replace('version = "1.0"', 'version = "1.0"\ndescription = "Says hello"').replace(
            "[project.scripts]", 'dependencies = ["six>=1"]\n[project.scripts]'
        )
        + '[project.gui-scripts]\nhello-gui = "hello.gui:main"\n'
        + '[project.entry-points."hello.plugins"]\nb = "hello.b:B"\na = "hello.a:A"\n'
    )
    assert cfg.metadata == ProjectMetadata(
        "hello",
        "1.0",
        "Says hello",
        ("six>=1",),
        (
            ("console_scripts", (("hello", "hello.cli:main"),)),
            ("gui_scripts", (("hello-gui", "hello.gui:main"),)),
            ("hello.plugins", (("a", "hello.a:A"), ("b", "hello.b:B"))),
        ),
    )


def test_no_metadata_without_a_version() -> None:
    assert load('[project]\nname = "hello"\n').metadata is None


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[project]\nname = "a"\nversion = 1\n', "[project] version = 1: must be a string"),
        (
            '[project]\nname = "a"\n[project.entry-points.x]\ny = 1\n',
            "[project.entry-points.x] y = 1: must be a string",
        ),
        (
            '[project]\nname = "a"\n[project.gui-scripts]\ng = 1\n',
            "[project.gui-scripts] g = 1: must be a string",
        ),
    ],
)
def test_project_fields_are_checked_once(toml: str, message: str) -> None:
    assert error(toml).message == f"pyproject.toml: {message}"


# --------------------------------------------------------------------------- entry points


@pytest.mark.parametrize(
    ("text", "kind", "module", "function", "script"),
    [
        ("hello.cli:main", "function", "hello.cli", "main", None),
        ("hello.cli:App.run", "function", "hello.cli", "App.run", None),
        ("hello", "module", "hello", None, None),
        ("hello.server", "module", "hello.server", None, None),
        ("run.py", "script", None, None, Path("run.py")),
        ("scripts/run.py", "script", None, None, Path("scripts/run.py")),
        ("./scripts/../scripts/run.py", "script", None, None, Path("scripts/run.py")),
        ("bin/hello", "script", None, None, Path("bin/hello")),
        ("python", "python", None, None, None),
    ],
)
def test_entry_forms(
    text: str, kind: str, module: str | None, function: str | None, script: Path | None
) -> None:
    cfg = load(tool(f'entry = "{text}"\n'), "run.py", "scripts/run.py", "bin/hello")
    assert cfg.entry == EntryPoint(
        kind,  # type: ignore[arg-type]
        origin=f'[tool.pyingot] entry = "{text}"',
        module=module,
        function=function,
        script=script,
    )


@pytest.mark.parametrize(
    "text", ["hello.cli:main", "hello.cli:App.run", "hello", "scripts/run.py", "python"]
)
def test_an_entry_point_prints_as_written(text: str) -> None:
    assert str(load(tool(f'entry = "{text}"\n'), "scripts/run.py").entry) == text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("hello.cli:", "function name missing after ':'"),
        (":main", "module name missing before ':'"),
        ("hello-cli:main", "'hello-cli' is not a valid module name"),
        ("hello.cli:main()", "'main()' is not a valid function name"),
        ("hello.cli:main:run", "'main:run' is not a valid function name"),
        ("hello cli", "not a module, a 'module:function' reference or a script path"),
        ("import", "not a module, a 'module:function' reference or a script path"),
        ("missing.py", "no such file in the project"),
        ("scripts/", "no such file in the project"),
        ("/usr/bin/run.py", "must be a path relative to the project directory"),
        ("../outside.py", "must be a file inside the project directory"),
        ("scripts\\\\run.py", "use '/' to separate directories"),
    ],
)
def test_entry_errors(text: str, problem: str, tmp_path: Path) -> None:
    (tmp_path.parent / "outside.py").write_text("")
    e = error(tool(f'entry = "{text}"\n'), "scripts/run.py")
    assert e.message == f'pyproject.toml: [tool.pyingot] entry = "{text}": {problem}'


def test_entry_point_parts_must_agree() -> None:
    with pytest.raises(ValueError, match="inconsistent"):
        EntryPoint("module", origin="test")


# --------------------------------------------------------------------------- keys and types


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("optimize = 3", "[tool.pyingot] optimize = 3: must be 0, 1 or 2"),
        ("optimize = true", "[tool.pyingot] optimize = true: must be 0, 1 or 2"),
        ('optimize = "2"', '[tool.pyingot] optimize = "2": must be 0, 1 or 2'),
        (
            'keep-sources = "yes"',
            '[tool.pyingot] keep-sources = "yes": must be true, false or "no-stdlib"',
        ),
        ("keep-sources = 1", '[tool.pyingot] keep-sources = 1: must be true, false or "no-stdlib"'),
        ('stdlib = "some"', '[tool.pyingot] stdlib = "some": must be "reachable" or "all"'),
        ("name = 3", "[tool.pyingot] name = 3: must be a string"),
        ("entry = ['a:b']", '[tool.pyingot] entry = ["a:b"]: must be a string'),
        ('sources = "src"', '[tool.pyingot] sources = "src": must be an array of strings'),
        (
            'sources = ["src", 3]',
            '[tool.pyingot] sources = ["src", 3]: must be an array of strings',
        ),
        ("sources = []", "[tool.pyingot] sources = []: must name at least one directory"),
        ('sources = ["lib"]', '[tool.pyingot] sources: "lib" is not a directory'),
        ('sources = ["/src"]', '[tool.pyingot] sources: "/src" is absolute'),
        ('sources = ["src", "./src"]', '[tool.pyingot] sources: "./src" is listed twice'),
        ('extensions = "all"', '[tool.pyingot] extensions = "all": must be a table'),
        (
            'name = "a/b"',
            "[tool.pyingot] name = \"a/b\": must be a file name: letters, digits, '.', '_', "
            "'-' and '+', starting with a letter or a digit",
        ),
        (
            'name = "-x"',
            '[tool.pyingot] name = "-x": must be a file name: letters, digits, '
            "'.', '_', '-' and '+', starting with a letter or a digit",
        ),
    ],
)
def test_value_errors(line: str, message: str) -> None:
    assert error(tool(line + "\n"), "src/").message == f"pyproject.toml: {message}"


def test_name_is_required_without_a_project_name() -> None:
    e = error('[tool.pyingot]\nentry = "python"\n')
    assert e.message == (
        "pyproject.toml: [tool.pyingot] name is not set and there is no [project] name "
        "to default to"
    )
    assert e.hint == 'set the executable\'s name under [tool.pyingot]: name = "myapp"'


def test_a_project_name_that_is_no_file_name_asks_for_a_tool_name() -> None:
    e = error('[project]\nname = "my app"\n')
    assert e.message.startswith('pyproject.toml: [project] name = "my app": must be a file name')
    assert e.hint == "set another name under [tool.pyingot]"


def test_tool_name_wins_over_project_name() -> None:
    assert load(tool('name = "hi"\n')).name == "hi"


def test_tables_of_the_wrong_type() -> None:
    assert error("tool = 3\n").message == "pyproject.toml: tool = 3: must be a table"
    assert (
        error("[tool]\npyingot = 3\n").message
        == "pyproject.toml: [tool] pyingot = 3: must be a table"
    )
    assert (
        error('[project]\nname = "a"\nscripts = ["a:b"]\n').message
        == 'pyproject.toml: [project] scripts = ["a:b"]: must be a table'
    )


def test_non_string_console_script() -> None:
    assert (
        error('[project]\nname = "a"\n[project.scripts]\na = 1\n').message
        == "pyproject.toml: [project.scripts] a = 1: must be a string"
    )


# --------------------------------------------------------------------------- unknown keys


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            tool('entrypoint = "hello.cli:main"\n'),
            "unknown key [tool.pyingot] entrypoint (did you mean 'entry'?)",
        ),
        (
            tool("keep_sources = false\n"),
            "unknown key [tool.pyingot] keep_sources (did you mean 'keep-sources'?)",
        ),
        (tool("zzz = 1\n"), "unknown key [tool.pyingot] zzz"),
        (
            tool('policy = "minimal"\n'),
            "unknown key [tool.pyingot] policy (it belongs in [tool.pyingot.extensions])",
        ),
        (
            tool('[tool.pyingot.extension]\npolicy = "minimal"\n'),
            "unknown key [tool.pyingot] extension (did you mean 'extensions'?)",
        ),
        (
            tool('[tool.pyingot.modules]\nincludes = ["a"]\n'),
            "unknown key [tool.pyingot.modules] includes (did you mean 'include'?)",
        ),
    ],
)
def test_unknown_keys(toml: str, message: str) -> None:
    assert error(toml).message == f"pyproject.toml: {message}"


def test_unknown_key_hint_lists_the_keys() -> None:
    assert error(tool("zzz = 1\n")).hint == (
        "the keys of [tool.pyingot] are: name, entry, python, glibc, sources, optimize, "
        "keep-sources, stdlib, extensions, modules, data, dependencies"
    )


# --------------------------------------------------------------------------- glibc


def test_glibc_floor_defaults_to_2_17_and_reads_2_n() -> None:
    assert load(HELLO).glibc == GlibcVersion((2, 17))
    assert load(tool('glibc = "2.28"\n')).glibc == GlibcVersion((2, 28))
    assert str(load(tool('glibc = "2.5"\n')).glibc) == "2.5"


@pytest.mark.parametrize("value", ['"2.17.1"', '"3.0"', '"2.x"', '"2"', '"2.017"', '" 2.17"'])
def test_glibc_floor_must_be_2_n(value: str) -> None:
    assert error(tool(f"glibc = {value}\n")).message == (
        f'pyproject.toml: [tool.pyingot] glibc = {value}: not a glibc version: use "2.N", '
        'e.g. "2.17"'
    )


def test_glibc_floor_must_be_a_string() -> None:
    assert error(tool("glibc = 2.17\n")).message == (
        "pyproject.toml: [tool.pyingot] glibc = 2.17: must be a string"
    )


# --------------------------------------------------------------------------- python


@pytest.mark.parametrize(
    ("text", "kind", "minor", "path"),
    [
        ("3.12", "version", 12, None),
        ("3.13", "version", 13, None),
        ("debian:python3.13", "debian", 13, None),
        ("dl/Python-3.12.7.tar.xz", "source", None, "dl/Python-3.12.7.tar.xz"),
        ("cpython/", "source", None, "cpython"),
        ("dl/cpython-3.13.5-full.tar.zst", "pbs", None, "dl/cpython-3.13.5-full.tar.zst"),
        ("pbs", "pbs", None, "pbs"),
        ("pbs/python", "pbs", None, "pbs/python"),
    ],
)
def test_python_forms(
    text: str, kind: str, minor: int | None, path: str | None, tmp_path: Path
) -> None:
    cfg = load(
        tool(f'python = "{text}"\n'),
        "dl/Python-3.12.7.tar.xz",
        "dl/cpython-3.13.5-full.tar.zst",
        "cpython/configure",
        "pbs/python/PYTHON.json",
    )
    expected_path = tmp_path.resolve() / path if path else None
    assert cfg.python == PythonSpec(kind, text, minor=minor, path=expected_path)  # type: ignore[arg-type]


def test_python_free_threaded() -> None:
    cfg = load(tool('python = "3.13t"\n'))
    assert cfg.python == PythonSpec("version", "3.13t", minor=13, free_threaded=True)
    assert not load(tool('python = "3.13"\n')).python.free_threaded


def test_python_paths_may_be_absolute_or_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    cfg = load(tool('python = "~/dl/x.tar.zst"\n'), "dl/x.tar.zst")
    assert cfg.python.path == tmp_path / "dl" / "x.tar.zst"
    cfg = load(tool(f'python = "{tmp_path}/dl/x.tar.zst"\n'))
    assert cfg.python.kind == "pbs"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("3.10", 'not a supported version (use "3.11", "3.12" or "3.13")'),
        ("2.7", 'not a supported version (use "3.11", "3.12" or "3.13")'),
        ("3", 'not a supported version (use "3.11", "3.12" or "3.13")'),
        (
            "3.11t",
            'CPython 3.11 has no free-threaded build (use "3.13t", or "3.11", "3.12" or "3.13")',
        ),
        ("3.13T", "no such file or directory"),
        (
            "debian:python3.9",
            "not a supported Debian source package "
            '(use "debian:python3.11", "debian:python3.12" or "debian:python3.13")',
        ),
        (
            "debian:pypy3",
            "not a supported Debian source package "
            '(use "debian:python3.11", "debian:python3.12" or "debian:python3.13")',
        ),
        ("dl/missing.tar.xz", "no such file or directory"),
        (
            "dl/notes.txt",
            "neither a python-build-standalone archive (.tar.zst) nor a CPython source "
            "tarball (.tar.gz, .tgz, .tar.xz, .txz, .tar.bz2, .tar)",
        ),
        (
            "dl",
            "neither a python-build-standalone directory (no PYTHON.json) "
            "nor a CPython source tree (no configure)",
        ),
    ],
)
def test_python_errors(text: str, problem: str) -> None:
    e = error(tool(f'python = "{text}"\n'), "dl/notes.txt")
    assert e.message == f'pyproject.toml: [tool.pyingot] python = "{text}": {problem}'


def test_missing_python_path_hint(tmp_path: Path) -> None:
    e = error(tool('python = "dl/x.tar.zst"\n'))
    assert e.hint == (
        "a relative path is relative to the project directory; "
        'or use a version: "3.11", "3.12" or "3.13"'
    )


# --------------------------------------------------------------------------- extensions


def test_extension_settings() -> None:
    cfg = load(
        tool(
            """
            [tool.pyingot.extensions]
            policy = "minimal"
            include = ["_sqlite3"]
            exclude = ["readline"]
            """
        )
    )
    assert cfg.extensions == ExtensionSelection("minimal", ("_sqlite3",), ("readline",))


@pytest.mark.parametrize(
    ("body", "message", "hint"),
    [
        (
            'policy = "gpl"',
            "[tool.pyingot.extensions] unknown extension policy 'gpl'",
            "use one of: all, no-copyleft, minimal",
        ),
        (
            'include = ["_ssl"]\nexclude = ["_ssl"]',
            "[tool.pyingot.extensions] extension module _ssl is both included and excluded",
            "remove it from one of the two lists",
        ),
        ("policy = 1", "[tool.pyingot.extensions] policy = 1: must be a string", None),
        (
            'include = "_ssl"',
            '[tool.pyingot.extensions] include = "_ssl": must be an array of strings',
            None,
        ),
    ],
)
def test_extension_errors_come_from_the_selection(body: str, message: str, hint: str) -> None:
    e = error(tool(f"[tool.pyingot.extensions]\n{body}\n"))
    assert (e.message, e.hint) == (f"pyproject.toml: {message}", hint)


# --------------------------------------------------------------------------- modules and data


def test_module_patterns() -> None:
    cfg = load(
        tool('[tool.pyingot.modules]\ninclude = ["hello.plugins.*"]\nexclude = ["tkinter"]\n')
    )
    include, exclude = cfg.modules.include, cfg.modules.exclude
    assert module_matches("hello.plugins.a", include)
    assert module_matches("hello.plugins.a.b", include)
    assert not module_matches("hello.plugins", include)
    assert not module_matches("Hello.plugins.a", include)
    assert module_matches("tkinter", exclude)
    # An excluded package takes its submodules with it, as the build has always done
    # (resources' policy.matches); this once pinned config's own, other, answer.
    assert module_matches("tkinter.ttk", exclude)


@pytest.mark.parametrize(
    ("body", "message", "hint"),
    [
        (
            'include = ["my pkg"]',
            '[tool.pyingot.modules] include: "my pkg" is not a module name pattern',
            'use dotted module names with fnmatch wildcards, e.g. "mypkg.plugins.*"; '
            "data files go in [tool.pyingot.data]",
        ),
        (
            'exclude = ["hello/data/*"]',
            '[tool.pyingot.modules] exclude: "hello/data/*" is not a module name pattern',
            'use dotted module names with fnmatch wildcards, e.g. "mypkg.plugins.*"; '
            "data files go in [tool.pyingot.data]",
        ),
        (
            'include = ["a.*"]\nexclude = ["a.*"]',
            '[tool.pyingot.modules] "a.*" is both included and excluded',
            "remove it from one of the two lists (setting a list replaces its default)",
        ),
        (
            "include = [1]",
            "[tool.pyingot.modules] include = [1]: must be an array of strings",
            None,
        ),
    ],
)
def test_module_errors(body: str, message: str, hint: str | None) -> None:
    e = error(tool(f"[tool.pyingot.modules]\n{body}\n"))
    assert (e.message, e.hint) == (f"pyproject.toml: {message}", hint)


@pytest.mark.parametrize(
    ("path", "selected"),
    [
        ("hello/templates/index.html", True),
        ("hello/data.json", True),
        ("hello/__init__.pyi", False),
        ("hello/sub/mod.pyi", False),
        ("hello/py.typed", False),
    ],
)
def test_default_data_patterns(path: str, selected: bool) -> None:
    assert load(HELLO).data.selects(path) is selected


@pytest.mark.parametrize(
    ("path", "selected"),
    [
        ("hello/templates/index.html", True),
        ("hello/templates/mail/welcome.txt", True),
        ("hello/templates", False),
        ("hello/schema.json", True),
        ("hello/other.json", False),
        ("hello/templates/draft.bak", False),
        ("other/templates/index.html", False),
    ],
)
def test_data_patterns(path: str, selected: bool) -> None:
    cfg = load(
        tool(
            """
            [tool.pyingot.data]
            include = ["hello/templates/**", "hello/s?hema.json"]
            exclude = ["**/*.bak"]
            """
        )
    )
    assert cfg.data.selects(path) is selected


@pytest.mark.parametrize("pattern", ["/abs/**", "hello/../x", "hello\\\\x", ""])
def test_data_patterns_must_be_relative(pattern: str) -> None:
    e = error(tool(f'[tool.pyingot.data]\ninclude = ["{pattern}"]\n'))
    assert e.message == (
        f'pyproject.toml: [tool.pyingot.data] include: "{pattern}" is not a relative glob pattern'
    )


def test_data_contradiction_with_a_default_says_lists_replace_defaults() -> None:
    e = error(tool('[tool.pyingot.data]\ninclude = ["**/*.pyi"]\n'))
    assert e.message == (
        'pyproject.toml: [tool.pyingot.data] "**/*.pyi" is both included and excluded'
    )
    assert e.hint == "remove it from one of the two lists (setting a list replaces its default)"


# --------------------------------------------------------------------------- the file itself


def test_missing_pyproject() -> None:
    with pytest.raises(PyingotError) as e:
        load_project(Path("."))
    assert (e.value.message, e.value.hint) == (
        "pyproject.toml: no such file",
        "create one with: pyingot init",
    )


def test_missing_pyproject_in_a_named_directory(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    with pytest.raises(PyingotError) as e:
        load_project(Path("proj"))
    assert (e.value.message, e.value.hint) == (
        "proj/pyproject.toml: no such file",
        "create one with: pyingot init proj",
    )


def test_missing_project_directory() -> None:
    with pytest.raises(PyingotError) as e:
        load_project(Path("nope"))
    assert e.value.message == "nope: no such project directory"


def test_toml_syntax_error_has_line_and_column() -> None:
    assert error("[tool.pyingot]\nname = \n").message == (
        "pyproject.toml: invalid TOML: Invalid value (at line 2, column 8)"
    )


def test_pyproject_that_is_not_utf8() -> None:
    Path("pyproject.toml").write_bytes(b'[project]\nname = "h\xe9llo"\n')
    with pytest.raises(PyingotError) as e:
        load_project(Path("."))
    assert e.value.message == "pyproject.toml: not UTF-8 text (at line 2)"


def test_unreadable_pyproject() -> None:
    Path("pyproject.toml").symlink_to("pyproject.toml")
    with pytest.raises(PyingotError) as e:
        load_project(Path("."))
    assert e.value.message == "pyproject.toml: cannot read it: Too many levels of symbolic links"


# --------------------------------------------------------------------------- pyingot init


def test_init_in_a_directory_without_pyproject(tmp_path: Path) -> None:
    app = tmp_path / "my app!"
    app.mkdir()
    result = init_project(app)
    assert result.created
    text = (app / "pyproject.toml").read_text()
    assert text.startswith("[tool.pyingot]\n")
    assert 'name = "my-app"  # from the directory\'s name\n' in text
    assert 'entry = "python"  # no [project.scripts]: behaves like the python command\n' in text
    cfg = load_project(app)
    assert (cfg.name, cfg.entry.kind, cfg.stdlib) == ("my-app", "python", "all")
    assert result.config == cfg
    assert sorted(p.name for p in app.iterdir()) == ["pyproject.toml"]


def test_init_appends_what_the_loader_would_infer() -> None:
    write(HELLO, "src/")
    before = load_project(Path("."))
    result = init_project(Path("."))
    assert not result.created
    text = Path("pyproject.toml").read_text()
    assert text.startswith(textwrap.dedent(HELLO) + "\n[tool.pyingot]\n")
    assert 'name = "hello"  # from [project] name\n' in text
    assert 'entry = "hello.cli:main"  # from [project.scripts] hello\n' in text
    assert '# sources = ["src"]\n' in text
    after = load_project(Path("."))
    assert after == result.config
    assert after.entry.origin == '[tool.pyingot] entry = "hello.cli:main"'
    same = [
        "name", "python", "sources", "optimize", "keep_sources", "stdlib",
        "extensions", "modules", "data",
    ]  # fmt: skip
    assert [getattr(after, f) for f in same] == [getattr(before, f) for f in same]
    assert str(after.entry) == str(before.entry)


def test_init_mentions_every_key() -> None:
    init_project(Path("."))
    text = Path("pyproject.toml").read_text()
    for key in KEYS:
        assert f"\n# {key.summary}\n" in text
        assert f"{key.name} = " in text
    for table in ("extensions", "modules", "data", "dependencies"):
        assert f"\n# [tool.pyingot.{table}]\n" in text


def test_init_picks_one_of_several_scripts_and_says_so() -> None:
    write(HELLO + 'admin = "hello.admin:main"\n')
    init_project(Path("."))
    text = Path("pyproject.toml").read_text()
    assert 'entry = "hello.admin:main"  # [project.scripts] admin; there are also hello\n' in text
    assert load_project(Path(".")).entry.module == "hello.admin"


def test_init_refuses_an_existing_section() -> None:
    write(tool("optimize = 1\n"))
    before = Path("pyproject.toml").read_bytes()
    with pytest.raises(PyingotError) as e:
        init_project(Path("."))
    assert (e.value.message, e.value.hint) == (
        "pyproject.toml: already has a [tool.pyingot] section",
        "edit it; docs/configuration.md describes every key",
    )
    assert Path("pyproject.toml").read_bytes() == before


def test_init_refuses_a_subtable_too() -> None:
    write(HELLO + '[tool.pyingot.modules]\ninclude = ["a"]\n')
    with pytest.raises(PyingotError, match=r"already has a \[tool\.pyingot\] section"):
        init_project(Path("."))


def test_init_leaves_an_invalid_file_alone() -> None:
    write("[project\n")
    with pytest.raises(PyingotError) as e:
        init_project(Path("."))
    assert e.value.message.startswith("pyproject.toml: invalid TOML: ")
    assert Path("pyproject.toml").read_text() == "[project\n"


def test_init_writes_nothing_when_the_result_would_not_load() -> None:
    write('[project]\nname = "hello"\n[project.scripts]\nhello = "hello.cli:"\n')
    before = Path("pyproject.toml").read_bytes()
    with pytest.raises(PyingotError, match="function name missing after ':'"):
        init_project(Path("."))
    assert Path("pyproject.toml").read_bytes() == before
    assert sorted(p.name for p in Path(".").iterdir()) == ["pyproject.toml"]


def test_init_keeps_line_endings_mode_and_a_missing_final_newline() -> None:
    Path("pyproject.toml").write_bytes(b'[project]\r\nname = "hello"')
    os.chmod("pyproject.toml", 0o640)
    init_project(Path("."))
    raw = Path("pyproject.toml").read_bytes()
    assert raw.startswith(b'[project]\r\nname = "hello"\r\n\r\n[tool.pyingot]\r\n')
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert stat.S_IMODE(Path("pyproject.toml").stat().st_mode) == 0o640
    assert load_project(Path(".")).name == "hello"


def test_init_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_text(HELLO)
    Path("pyproject.toml").symlink_to(real)
    init_project(Path("."))
    assert Path("pyproject.toml").is_symlink()
    assert "[tool.pyingot]" in real.read_text()


def test_init_in_a_missing_directory() -> None:
    with pytest.raises(PyingotError) as e:
        init_project(Path("nope"))
    assert e.value.message == "nope: no such project directory"


def test_init_command(capsys: pytest.CaptureFixture[str]) -> None:
    write(HELLO)
    assert cli.main(["init"]) == 0
    assert capsys.readouterr().out == (
        "added a [tool.pyingot] section to pyproject.toml\n"
        "  executable hello: runs hello.cli:main\n"
        "  every other setting is commented out with its default; edit them there\n"
    )
    assert cli.main(["init", "."]) == 1
    assert capsys.readouterr().err == (
        "error: pyproject.toml: already has a [tool.pyingot] section\n"
        "  hint: edit it; docs/configuration.md describes every key\n"
    )


def test_init_command_creates_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    assert cli.main(["init", "app"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "created app/pyproject.toml",
        "  executable app: behaves like python (no [project.scripts])",
    ]


# --------------------------------------------------------------------------- the reference


def test_reference_page_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == reference_markdown(), (
        "docs/configuration.md is stale; regenerate it with: "
        "python -m pyingot.config > docs/configuration.md"
    )


def test_module_main_prints_the_reference() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pyingot.config"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.stdout == reference_markdown()


def test_every_key_is_documented_and_its_example_loads() -> None:
    for key in KEYS:
        assert key.summary and "\n" not in key.summary, key
        assert len(f"# {key.summary}") <= 100, key
        assert key.example is not None, key
        assert (key.default is None) == bool(key.inferred), key
        table = "" if key.table == TOOL else f"[{key.table}]\n"
        files = ("src/", "vendor/", "requirements.txt", "wheels/demo-1.0-py3-none-any.whl")
        load(tool(table + f"{key.name} = {_toml(key.example)}\n"), *files)


def test_extension_link_choice() -> None:
    assert (
        load(
            '[tool.pyingot]\nname = "x"\n[tool.pyingot.extensions]\nlink = "all"\n'
        ).link_extensions
        == "all"
    )
    with pytest.raises(PyingotError) as e:
        load('[tool.pyingot]\nname = "x"\n[tool.pyingot.extensions]\nlink = "some"\n')
    assert "[tool.pyingot.extensions] link" in e.value.message


# --- [project] requires-python and the Python version (issue 12) -----------------------


def _requires(spec: str, python: str | None = None) -> str:
    tool = f'[tool.pyingot]\npython = "{python}"\n' if python else ""
    return f'[project]\nname = "app"\nrequires-python = "{spec}"\n{tool}'


@pytest.mark.parametrize(
    ("spec", "picked"),
    [
        (">=3.13", "3.13"),
        (">=3.8", "3.13"),
        (">=3.11,<3.13", "3.11"),
        ("~=3.11.0", "3.11"),
        (">=3.13.1", "3.13"),
        ("==3.11.*", "3.11"),
    ],
)
def test_without_a_python_setting_the_newest_version_requires_python_allows(
    spec: str, picked: str
) -> None:
    cfg = load(_requires(spec))
    assert (cfg.python.kind, cfg.python.text) == ("version", picked)


def test_a_requires_python_no_picked_version_meets_names_both() -> None:
    e = error(_requires("<3.10"))
    assert e.message.endswith(
        'pyproject.toml: [project] requires-python = "<3.10" allows none of the Python '
        'versions pyingot builds by itself ("3.11" or "3.13"), and [tool.pyingot] python is '
        "not set"
    )
    assert e.hint is not None and "widen requires-python" in e.hint


def test_a_python_setting_requires_python_does_not_allow_names_both() -> None:
    e = error(_requires(">=3.13", python="3.11"))
    assert e.message.endswith(
        'pyproject.toml: [tool.pyingot] python = "3.11" is Python 3.11, and [project] '
        'requires-python = ">=3.13" does not allow it'
    )
    assert load(_requires(">=3.11", python="3.11")).python.text == "3.11"


def test_a_requires_python_that_is_no_specifier_is_named() -> None:
    e = error(_requires("three"))
    assert '[project] requires-python = "three": not a version specifier' in e.message


# --- [project.gui-scripts] ---------------------------------------------------------------


def test_a_gui_script_is_the_entry_point_like_a_console_script() -> None:
    cfg = load('[project]\nname = "app"\n[project.gui-scripts]\napp-gui = "app.gui:main"\n')
    assert (cfg.entry.kind, cfg.entry.module, cfg.entry.function) == ("function", "app.gui", "main")
    assert cfg.entry.origin == '[project.gui-scripts] app-gui = "app.gui:main"'


def test_a_console_script_comes_before_gui_scripts() -> None:
    cfg = load(
        '[project]\nname = "app"\n[project.scripts]\napp = "app:main"\n'
        '[project.gui-scripts]\napp-gui = "app.gui:main"\napp-x = "app.x:main"\n'
    )
    assert cfg.entry.origin == '[project.scripts] app = "app:main"'
    e = error('[project]\nname = "app"\n[project.gui-scripts]\na = "a:main"\nb = "b:main"\n')
    assert "[project.gui-scripts] has 2 entries (a, b): set [tool.pyingot] entry" in e.message


# --- uv.lock -------------------------------------------------------------------------------

_LOCK = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "1.0"
source = { editable = "." }
dependencies = [{ name = "idna" }, { name = "Six" }]

[[package]]
name = "idna"
version = "3.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "Six"
version = "1.15.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version < '3.12'"]

[[package]]
name = "numpy"
version = "2.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tool"
version = "0.1"
source = { git = "https://example.org/tool.git" }
"""


def test_uv_lock_pins_the_versions_it_locked_from_an_index() -> None:
    Path("uv.lock").write_text(_LOCK)
    cfg = load('[project]\nname = "app"\ndependencies = ["idna", "six"]\n')
    assert cfg.dependencies.lock_file == Path("uv.lock").resolve()
    # The project itself and a git source are not pinned; a forked package neither.
    assert cfg.dependencies.locked == ("idna==3.4", "six==1.15.0")


def test_uv_lock_is_not_read_without_project_dependencies() -> None:
    Path("uv.lock").write_text(_LOCK)
    assert load('[project]\nname = "app"\n').dependencies.locked == ()
    cfg = load(
        '[project]\nname = "app"\ndependencies = ["idna"]\n'
        "[tool.pyingot.dependencies]\nproject = false\n"
    )
    assert cfg.dependencies.lock_file is None


def test_a_broken_uv_lock_is_named() -> None:
    Path("uv.lock").write_text('[[package]]\nname = "idna"\n')
    e = error('[project]\nname = "app"\ndependencies = ["idna"]\n')
    assert e.message.endswith("uv.lock: package 1 has no name or source")
    assert e.hint == "regenerate it with: uv lock"
