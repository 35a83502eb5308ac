"""Finding, choosing and compiling modules (src/pyingot/resources/).

Unit tests run the worker under the Python running the tests, against a small
fake standard library, so that they take milliseconds. The slow tests use the
real static distributions: what they check (every module a real program loads
is collected) cannot be faked.
"""

from __future__ import annotations

import ast
import dis
import fnmatch
import marshal
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from pyingot.distribution.model import Distribution
from pyingot.errors import InternalError, PyingotError
from pyingot.patterns import path_selected
from pyingot.resources import CollectRequest, ResourceSet, SkipReason, collect, dynamic
from pyingot.resources.compile import CompileRequest, Worker
from pyingot.resources.scan import ModuleFinder, ModuleKind, SearchRoot
from pyingot.stub import runtime_dir
from tests.building import FIXTURES
from tests.distributions import distribution

HOST = Path(sys.executable)
HOST_STDLIB = Path(sysconfig.get_paths()["stdlib"])
APPS = FIXTURES / "apps"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content))
    return root


@pytest.fixture
def fake_stdlib(tmp_path: Path) -> Path:
    """A few stdlib-like modules; the interpreter's own imports are then 'not found'."""
    return write_tree(
        tmp_path / "stdlib",
        {
            "os.py": "import sys\nsys.modules['os.path'] = sys\n",
            "json/__init__.py": "from .decoder import JSONDecoder\n",
            "json/decoder.py": "import re\n",
            "json/tool.py": "import json\n",
            "re.py": "import enum\n",
            "enum.py": "",
            "doctest.py": "import unittest\n",
            "unittest/__init__.py": "",
            "email/__init__.py": "",
            "email/mime/__init__.py": "",
            "email/mime/text.py": "from email import charset\n",
            "email/charset.py": "",
            "email/architecture.rst": "docs\n",
            "test/__init__.py": "",
            "test/support.py": "import doctest\n",
            "site-packages/thirdparty.py": "",
            "__pycache__/os.cpython-311.pyc": b"\0",
        },
    )


def run_collect(
    stdlib_dir: Path, app: Path | Sequence[Path], entry: str | None = "main", **kw: Any
) -> ResourceSet:
    apps = [app] if isinstance(app, Path) else list(app)
    return collect(
        CollectRequest(
            interpreter=HOST,
            stdlib_dir=stdlib_dir,
            app_paths=apps,
            entry_module=entry,
            entry_script=kw.pop("entry_script", None),
            **kw,
        )
    )


def skipped(rs: ResourceSet) -> dict[str, SkipReason]:
    return {s.name: s.reason for s in rs.skipped}


# -- scanning --------------------------------------------------------------------


def test_finder_follows_the_path_finders_precedence(tmp_path: Path) -> None:
    first = write_tree(
        tmp_path / "a",
        {
            "pkg/__init__.py": "",
            "pkg.py": "",  # a package beats a module in the same directory
            "ns/one.py": "",
            "mod.py": "",
            "late/x.py": "",  # a namespace portion here...
        },
    )
    second = write_tree(
        tmp_path / "b",
        {
            "mod.py": "",  # shadowed by the first root
            "ns/two.py": "",
            "late/__init__.py": "",  # ...loses to a regular package in a later root
        },
    )
    finder = ModuleFinder([SearchRoot(first), SearchRoot(second, is_stdlib=True)])
    pkg = finder.find("pkg")
    assert pkg is not None and pkg.kind is ModuleKind.PACKAGE and pkg.origin == "pkg/__init__.py"
    mod = finder.find("mod")
    assert mod is not None and mod.root.path == first
    ns = finder.find("ns")
    assert ns is not None and ns.is_namespace and ns.origin == "ns"
    assert [d for d, _ in ns.locations] == [first / "ns", second / "ns"]
    two = finder.find("ns.two")
    assert two is not None and two.root.is_stdlib and two.origin == "ns/two.py"
    late = finder.find("late")
    assert late is not None and late.kind is ModuleKind.PACKAGE and late.root.path == second
    assert finder.find("late.x") is None
    assert finder.find("missing") is None
    assert finder.find("mod.sub") is None  # mod is not a package
    assert finder.children(None) == ["late", "mod", "ns", "pkg"]


def test_finder_walk_skips_caches_data_dirs_and_non_identifiers(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "",
            "pkg/data/x.json": "{}",  # no modules: not a namespace package
            "pkg/deep/er/m.py": "",  # namespace packages, two levels
            "pkg/__pycache__/a.cpython-311.pyc": b"",
            "pkg/not-a-module.py": "",
            "site-packages/foo.py": "",
            "config-3.11-x86_64-linux-gnu/bar.py": "",
        },
    )
    finder = ModuleFinder([SearchRoot(root)])
    # A module file's name need not be an identifier (__import__ accepts it).
    assert list(finder.walk()) == [
        "pkg",
        "pkg.a",
        "pkg.deep",
        "pkg.deep.er",
        "pkg.deep.er.m",
        "pkg.not-a-module",
    ]
    assert list(finder.walk(skip=lambda n: n == "pkg.deep")) == ["pkg", "pkg.a", "pkg.not-a-module"]


# -- reachability -----------------------------------------------------------------


def test_reachability_follows_every_kind_of_import(tmp_path: Path, fake_stdlib: Path) -> None:
    app = write_tree(
        tmp_path / "src",
        {
            "main.py": """
                import pkg.sub.leaf
                from pkg import helper, CONSTANT
                from pkg.star import *
                import importlib
                def later():
                    import json
                    try:
                        import optional_thing
                    except ImportError:
                        pass
                    importlib.import_module("pkg.plugin")
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    import email.mime.text
            """,
            "pkg/__init__.py": "CONSTANT = 1\n",
            "pkg/helper.py": "from . import sibling\nfrom .sub import leaf as _leaf\n",
            "pkg/sibling.py": "",
            "pkg/sub/__init__.py": "from .. import relative_up\n",
            "pkg/sub/leaf.py": "from ..sibling import *\n",
            "pkg/relative_up.py": "",
            "pkg/star/__init__.py": "__all__ = ['starred', 'name']\nname = 1\n",
            "pkg/star/starred.py": "",
            "pkg/star/not_starred.py": "",
            "pkg/plugin.py": "",
            "pkg/unused.py": "import doctest\n",
        },
    )
    rs = run_collect(fake_stdlib, app)
    app_modules = {n for n, m in rs.modules.items() if not m.is_stdlib}
    assert app_modules == {
        "main",
        "pkg",
        "pkg.helper",
        "pkg.sibling",
        "pkg.sub",
        "pkg.sub.leaf",
        "pkg.relative_up",
        "pkg.star",
        "pkg.star.starred",
        "pkg.plugin",
    }
    stdlib_modules = {n for n, m in rs.modules.items() if m.is_stdlib}
    assert {"json", "json.decoder", "re", "enum", "email", "email.mime", "email.mime.text"} <= (
        stdlib_modules
    )
    assert "email.charset" in stdlib_modules  # "from email import charset" is a module
    assert "doctest" not in stdlib_modules
    reasons = skipped(rs)
    assert reasons["optional_thing"] is SkipReason.NOT_FOUND
    assert "pkg.CONSTANT" not in reasons and "pkg.star.name" not in reasons
    first = next(s for s in rs.skipped if s.name == "optional_thing")
    assert first.importer == "main"
    assert "importlib" in rs.builtins or "importlib" in reasons


def test_fallbacks_for_linked_built_in_modules_are_not_followed(
    tmp_path: Path, fake_stdlib: Path
) -> None:
    """``try: from <built-in> import x / except ImportError: import <fallback>``: the
    fallback runs only if the built-in module is missing (random's ``_sha512`` and
    ``hashlib``, which brings OpenSSL's libcrypto; issue 10)."""
    app = write_tree(
        tmp_path / "src",
        {
            "main.py": """
                try:
                    from _thread import allocate_lock
                    import _weakref
                except ImportError:
                    import json
                    try:
                        import posix
                    except ImportError:
                        import email
                try:
                    from _thread import no_such_function
                except ImportError:
                    import re
                try:
                    import _thread
                    LOCK = _thread.allocate_lock()
                except ImportError:
                    import doctest
                try:
                    import posix
                except (ImportError, AttributeError):
                    from . import local_fallback
                else:
                    import enum
                def later():
                    try:
                        import no_such_builtin
                    except ImportError:
                        import unittest
            """,
            "local_fallback.py": "",
        },
    )
    rs = run_collect(fake_stdlib, app)
    # the built-in modules are linked: their fallbacks cannot run
    assert not {"json", "email", "local_fallback"} & set(rs.modules)
    # a name the built-in lacks, a body that does more than import, a module that is
    # not built in: the handler may run
    assert {"re", "doctest", "unittest"} <= set(rs.modules)
    assert "enum" in rs.modules  # ``else`` runs when the imports succeed
    assert {"_thread", "_weakref", "posix"} <= set(rs.builtins)

    # A built-in module the executable leaves out (the extension policy): its
    # fallbacks are followed, and only the guards it is part of are lifted.
    rs = run_collect(fake_stdlib, app, unlinked=["_weakref"])
    assert {"json", "re", "doctest", "unittest"} <= set(rs.modules)
    assert "email" not in rs.modules  # posix is still linked


def test_namespace_packages_across_roots(tmp_path: Path, fake_stdlib: Path) -> None:
    one = write_tree(tmp_path / "one", {"main.py": "import ns.a, ns.b\n", "ns/a.py": ""})
    two = write_tree(tmp_path / "two", {"ns/b.py": "", "ns/data.txt": "two"})
    rs = run_collect(fake_stdlib, [one, two])
    ns = rs.modules["ns"]
    assert ns.is_package and ns.is_namespace and ns.bytecode == b"" and ns.source is None
    assert ns.origin == "ns"
    assert rs.modules["ns.b"].origin == "ns/b.py"
    assert [(d.package, d.path, d.data) for d in rs.data] == [("ns", "data.txt", b"two")]


def test_main_block_imports_are_followed_only_for_the_entry(
    tmp_path: Path, fake_stdlib: Path
) -> None:
    app = write_tree(
        tmp_path / "src",
        {
            "main.py": """
                import lib
                def _selftest():
                    import json
                if __name__ == "__main__":
                    _selftest()
            """,
            "lib.py": """
                def _test():
                    import doctest
                def _helper():
                    import re
                def main():
                    _test()
                def public():
                    _helper()
                if __name__ == "__main__":
                    main()
                    import unittest
            """,
        },
    )
    rs = run_collect(fake_stdlib, app)
    assert "json" in rs.modules  # the entry's own main block runs
    assert "re" in rs.modules  # _helper is used by public API
    assert "doctest" not in rs.modules and "unittest" not in rs.modules


def test_worker_says_which_imports_run_later() -> None:
    """An import in a function body runs when it is called, one in an ``except``
    clause only when the ``try`` failed: neither is part of start-up (issue 10)."""
    source = textwrap.dedent(
        """
        import top
        try:
            import tried
        except ImportError:
            import fallback
        class C:
            import in_class
            def method(self):
                import in_method
        def main():
            import in_main
            def inner():
                import in_inner
        f = lambda: __import__("x")
        @decorate(lambda: 0)
        def helper(arg=default()):
            try:
                import in_helper
            except ImportError:
                import in_helper_fallback
        if typing.TYPE_CHECKING:
            import for_types
        else:
            import not_for_types
        if __name__ == "__main__":
            main()
        """
    ).encode()
    with Worker(HOST) as worker:
        (result,) = worker.compile([CompileRequest("m", "m.py", source)], optimize=0)
    assert {i.module: i.deferred for i in result.imports} == {
        "for_types": "type-checking",
        "not_for_types": "",
        "top": "",
        "tried": "",
        "fallback": "except",
        "in_class": "",
        "in_method": "function",
        "in_main": "function:main",
        "in_inner": "function",
        "in_helper": "function:helper",
        "in_helper_fallback": "except",
    }
    assert result.references == {"<main>": ("main",)}


def test_imported_at_start_follows_only_what_runs_on_import(
    tmp_path: Path, fake_stdlib: Path
) -> None:
    """The start-up closure: module-level imports everywhere, and those of the
    functions a module's top-level code calls (through one another too); in the
    entry module also the entry function's and its main block's; not those of
    functions nothing calls on import, of other modules' functions, nor
    ``except`` fallbacks."""
    write_tree(
        fake_stdlib,
        {
            "lazy_a.py": "",
            "lazy_b.py": "",
            "lazy_c.py": "",
            "eager.py": "import eager_dep\n",
            "eager_dep.py": "def f():\n    import lazy_c\ndef g():\n    import called\n"
            "def h():\n    g()\nTABLE = [h]\n",
            "called.py": "",
            "fallback.py": "",
        },
    )
    app = write_tree(
        tmp_path / "src",
        {
            "main.py": """
                import json
                import eager
                try:
                    import os
                except ImportError:
                    import fallback
                def run():
                    import lib
                    return helper()
                def helper():
                    import lazy_a
                def unused():
                    import lazy_b
                if __name__ == "__main__":
                    run()
            """,
            "lib.py": "import re\ndef later():\n    import email.mime.text\n",
            "cli.py": "import lazy_b\ndef entry():\n    import lib\n    helper()\n"
            "def helper():\n    import lazy_c\n",
        },
    )
    rs = run_collect(fake_stdlib, app, entry_script=app / "main.py", entry=None)
    assert {"lazy_a", "lazy_b", "lazy_c", "fallback", "email.mime.text"} <= set(rs.modules)
    start = rs.at_start
    assert {"__main__", "json", "json.decoder", "re", "enum", "eager", "eager_dep"} <= start
    assert {"called", "lib", "lazy_a"} <= start  # run() from the main block calls helper()
    assert not {"lazy_b", "lazy_c", "fallback", "email", "email.mime.text"} & start
    # A module:function entry point: the function's own imports run at start.
    rs = run_collect(fake_stdlib, app, entry="cli", entry_function="entry")
    assert {"cli", "lazy_b", "lib", "re", "lazy_c"} <= rs.at_start
    assert "email.mime.text" not in rs.at_start


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_what_compiled_code_imported_at_start_names_counts_as_start_up(
    tmp_path: Path, fake_stdlib: Path
) -> None:
    """What a compiled module imports cannot be read as statements: the reached modules
    its strings name count as imported at start-up when it is: a C string
    (``PyImport_ImportModule("lazy_a")``), or a name inside Cython 3.1's concatenated,
    zlib-compressed identifiers (``lazy_b``). Docstring words and Cython's own lazy
    ``asyncio.coroutines`` do not count."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    write_tree(
        fake_stdlib,
        {"lazy_a.py": "", "lazy_b.py": "", "lazy_c.py": "", "asyncio/coroutines.py": ""},
    )
    identifiers = "__main____name__asyncio.coroutinesdefaultlazy_bmodulereducesetstate" * 4
    table = zlib.compress(identifiers.encode() + b"\n    Uses lazy_c like this.\n", 9)
    source = (
        'const char *imported = "lazy_a";\n'
        'const char *unpacker = "zlib";\n'
        f"const unsigned char table[] = {{{','.join(map(str, table))}}};\n"
        "void *PyInit_fast(void) { return (void *)(imported + table[0] + unpacker[0]); }\n"
    )
    for eager in (False, True):
        app = write_tree(
            tmp_path / f"src-{eager}",
            {
                "main.py": ("import fast\n" if eager else "def g():\n    import fast\n")
                + "def f():\n    import lazy_a, lazy_b, lazy_c, asyncio.coroutines\n",
                "fast.c": source,
            },
        )
        subprocess.run(
            ["cc", "-shared", "-fPIC", "-o", str(app / f"fast{suffix}"), str(app / "fast.c")],
            check=True,
        )
        rs = run_collect(fake_stdlib, app)
        assert "fast" in rs.extensions and {"lazy_a", "lazy_b", "lazy_c"} <= set(rs.modules)
        assert ("lazy_a" in rs.at_start) is eager
        assert ("lazy_b" in rs.at_start) is eager
        assert not {"lazy_c", "asyncio", "asyncio.coroutines"} & rs.at_start
        # What the statements show is what python_at_start holds, compiled code or not.
        assert "main" in rs.python_at_start and "lazy_a" not in rs.python_at_start


def test_submodules_read_as_attributes_where_the_program_starts_count_as_start_up(
    tmp_path: Path, fake_stdlib: Path
) -> None:
    """``np.random`` after ``import numpy as np``: a package that imports its
    submodules when first read (PEP 562 ``__getattr__``) imports them at start-up when
    the code that runs to start reads them."""
    lazy_package = (
        "def __getattr__(name):\n"
        "    import importlib\n"
        "    return importlib.import_module(f'{__name__}.{name}')\n"
        "def load():\n"
        "    import pkg.sub, pkg.later\n"
    )
    app = write_tree(
        tmp_path / "src",
        {
            "pkg/__init__.py": lazy_package,
            "pkg/sub.py": "import json\n",
            "pkg/later.py": "",
            "main.py": (
                "import pkg as p\n"
                "def main():\n"
                "    return p.sub\n"
                "def elsewhere():\n"
                "    return p.later\n"
            ),
        },
    )
    rs = run_collect(fake_stdlib, app, entry_function="main")
    assert {"pkg.sub", "pkg.later"} <= set(rs.modules)
    assert {"pkg", "pkg.sub", "json"} <= rs.at_start
    assert "pkg.later" not in rs.at_start


def test_code_for_other_platforms_is_not_followed(tmp_path: Path, fake_stdlib: Path) -> None:
    app = write_tree(
        tmp_path / "src",
        {
            "main.py": """
                import sys, os
                _mswindows = sys.platform == "win32"
                if sys.platform == "win32":
                    import winonly
                elif sys.platform.startswith(("linux", "freebsd")):
                    import posixonly
                if _mswindows:
                    import winonly2
                else:
                    import posixonly2
                if os.name == "nt" or sys.platform in ("cygwin",):
                    import winonly3
                if some_flag():
                    import unknown_either_way
                _later = sys.platform == "win32"
                _later = True
                if _later:
                    import rebound_flag
            """,
            "posixonly.py": "",
            "posixonly2.py": "",
            "winonly.py": "",
            "winonly2.py": "",
            "winonly3.py": "",
        },
    )
    rs = run_collect(fake_stdlib, app)
    assert {"posixonly", "posixonly2"} <= set(rs.modules)
    assert not {"winonly", "winonly2", "winonly3"} & set(rs.modules)
    assert skipped(rs)["unknown_either_way"] is SkipReason.NOT_FOUND
    assert skipped(rs)["rebound_flag"] is SkipReason.NOT_FOUND


def test_sys_modules_aliases_are_not_reported_missing(tmp_path: Path, fake_stdlib: Path) -> None:
    app = write_tree(tmp_path / "src", {"main.py": "import os.path\n"})
    rs = run_collect(fake_stdlib, app)
    assert "os" in rs.modules and "os.path" not in skipped(rs)


def test_include_and_exclude_patterns(tmp_path: Path, fake_stdlib: Path) -> None:
    app = write_tree(
        tmp_path / "src", {"main.py": "import json.decoder\nfrom json import loads\nimport email\n"}
    )
    rs = run_collect(fake_stdlib, app, include=["email.mime.*"], exclude=["json"])
    assert {"email.mime", "email.mime.text", "email.charset"} <= set(rs.modules)
    assert not {"json", "json.decoder"} & set(rs.modules)
    reasons = skipped(rs)
    assert reasons["json"] is SkipReason.EXCLUDED
    assert "json.decoder" not in reasons and "json.loads" not in reasons
    # An excluded package's imports are not followed: nothing reaches re.
    assert "re" not in rs.modules

    rs = run_collect(fake_stdlib, app, include=["json.tool"], exclude=["email.mime*"])
    assert "json.tool" in rs.modules and "email" in rs.modules
    assert "email.mime.text" not in rs.modules


def test_include_pattern_matching_nothing_is_an_error(
    tmp_path: Path, fake_stdlib: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = write_tree(tmp_path / "src", {"main.py": ""})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PyingotError) as e:
        run_collect(fake_stdlib, Path("src"), include=["jsn.*"])
    assert e.value.message == (
        "include pattern 'jsn.*' matches no module in src/ or the standard library"
    )
    assert app.exists()


def test_stdlib_all_leaves_out_test_packages(tmp_path: Path, fake_stdlib: Path) -> None:
    app = write_tree(tmp_path / "src", {"main.py": "", "other.py": ""})
    rs = run_collect(fake_stdlib, app, stdlib="all")
    assert {"json.tool", "doctest", "email.mime.text"} <= set(rs.modules)
    assert not any(n == "test" or n.startswith("test.") for n in rs.modules)
    assert "thirdparty" not in rs.modules  # site-packages is not the stdlib
    assert "other" not in rs.modules  # application modules still by reachability

    # With no entry point at all: a Python interpreter, everything goes in.
    rs = run_collect(fake_stdlib, app, entry=None)
    assert {"main", "other", "json.tool", "doctest"} <= set(rs.modules)


def test_package_data_and_its_filters(tmp_path: Path, fake_stdlib: Path) -> None:
    app = write_tree(
        tmp_path / "src",
        {
            "main.py": "import pkg.sub, pkg.ns.mod\n",
            "pkg/__init__.py": "",
            "pkg/ns/mod.py": "",  # a namespace package inside a package: code
            "pkg/ns/notes.txt": "",  # its data is the enclosing package's
            "pkg/config.json": "{}",
            "pkg/templates/page.html": "<p>",
            "pkg/templates/skeleton.py": "# a template, shipped as data",
            "pkg/__pycache__/__init__.cpython-311.pyc": b"\0",
            "pkg/native.so": b"\0",
            "pkg/stale.pyc": b"\0",
            "pkg/sub/__init__.py": "",
            "pkg/sub/sub.txt": "sub",
            "pkg/other/__init__.py": "",  # not reached: no data
            "pkg/other/other.txt": "other",
        },
    )
    rs = run_collect(fake_stdlib, app)
    assert rs.modules["pkg.ns"].is_namespace
    assert [d.key for d in rs.data] == [
        "pkg/config.json",
        "pkg/ns/notes.txt",
        "pkg/templates/page.html",
        "pkg/templates/skeleton.py",
        "pkg.sub/sub.txt",
    ]
    assert rs.data[0].data == b"{}"

    # Which of them the executable embeds is [tool.pyingot.data]'s choice, by path.
    include, exclude = ["pkg/**"], ["**/*.py", "pkg/ns/**", "pkg/sub/**"]
    chosen = [
        d
        for d in rs.data
        if path_selected(f"{d.package.replace('.', '/')}/{d.path}", include, exclude)
    ]
    assert [d.key for d in chosen] == ["pkg/config.json", "pkg/templates/page.html"]


def test_stdlib_package_data_comes_with_its_package(tmp_path: Path, fake_stdlib: Path) -> None:
    app = write_tree(tmp_path / "src", {"main.py": "import email\n"})
    rs = run_collect(fake_stdlib, app)
    assert [d.key for d in rs.data] == ["email/architecture.rst"]


# -- entry points and errors ----------------------------------------------------------


def test_missing_entry_module(
    tmp_path: Path, fake_stdlib: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path / "src", {"hello.py": ""})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PyingotError) as e:
        run_collect(fake_stdlib, Path("src"), entry="helo")
    assert e.value.message == (
        "entry point module 'helo' not found in src/ or the standard library"
    )


def test_excluded_entry_module(
    tmp_path: Path, fake_stdlib: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path / "src", {"main.py": ""})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PyingotError) as e:
        run_collect(fake_stdlib, Path("src"), exclude=["ma*"])
    assert e.value.message == "entry point module 'main' is excluded by an exclude pattern"


def test_entry_script_is_main_and_finds_its_siblings(tmp_path: Path, fake_stdlib: Path) -> None:
    scripts = write_tree(
        tmp_path / "scripts",
        {
            "tool.py": "import helper\nif __name__ == '__main__':\n    import json\n",
            "helper.py": "",
        },
    )
    rs = run_collect(fake_stdlib, [], entry=None, entry_script=scripts / "tool.py")
    main = rs.modules["__main__"]
    assert main.origin == "tool.py" and not main.is_package
    assert {"helper", "json"} <= set(rs.modules)
    # Inside an application path, the origin is relative to it.
    rs = run_collect(fake_stdlib, tmp_path, entry=None, entry_script=scripts / "tool.py")
    assert rs.modules["__main__"].origin == "scripts/tool.py"
    assert marshal.loads(rs.modules["__main__"].bytecode).co_filename == "scripts/tool.py"


def test_syntax_error_in_an_application_module(
    tmp_path: Path, fake_stdlib: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path / "src", {"main.py": "import broken\n", "broken.py": "x = 1\ndef f(:\n"})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PyingotError) as e:
        run_collect(fake_stdlib, Path("src"))
    assert e.value.message.startswith("SyntaxError in src/broken.py:2: ")
    assert "def f(:" in e.value.message
    assert e.value.hint is not None and "'broken'" in e.value.hint


def test_syntax_error_in_the_stdlib_is_skipped(tmp_path: Path, fake_stdlib: Path) -> None:
    (fake_stdlib / "enum.py").write_text("def (\n")
    app = write_tree(tmp_path / "src", {"main.py": "import re\n"})
    rs = run_collect(fake_stdlib, app)
    skip = next(s for s in rs.skipped if s.name == "enum")
    assert skip.reason is SkipReason.SYNTAX_ERROR and skip.detail.startswith("enum.py:1: ")


# -- compiling --------------------------------------------------------------------


def test_bytecode_is_the_targets_with_relative_filenames(tmp_path: Path, fake_stdlib: Path) -> None:
    app = write_tree(
        tmp_path / "src",
        {
            "main.py": "import pkg.mod\n",
            "pkg/__init__.py": "",
            "pkg/mod.py": '"""Doc."""\ndef f():\n    assert True\n    return __file__\n',
        },
    )
    rs = run_collect(fake_stdlib, app)
    module = rs.modules["pkg.mod"]
    assert module.origin == "pkg/mod.py" and module.source is not None
    code = marshal.loads(module.bytecode)
    assert code.co_filename == "pkg/mod.py"
    assert str(tmp_path).encode() not in module.bytecode
    assert code.co_consts[0] == "Doc."

    rs = run_collect(fake_stdlib, app, optimize=2, keep_sources=False)
    module = rs.modules["pkg.mod"]
    assert module.source is None
    code = marshal.loads(module.bytecode)
    assert "Doc." not in code.co_consts
    f = next(c for c in code.co_consts if hasattr(c, "co_code"))
    assert not any(i.opname == "LOAD_ASSERTION_ERROR" for i in dis.get_instructions(f))


def _columns(code: Any) -> set[tuple[int | None, int | None]]:
    """The (start, end) columns of every instruction of ``code`` and its nested code."""
    out = {(p[2], p[3]) for p in code.co_positions()}
    for c in code.co_consts:
        if hasattr(c, "co_positions"):
            out |= _columns(c)
    return out


def test_keep_sources_no_stdlib_drops_the_standard_librarys_sources_and_columns(
    tmp_path: Path, fake_stdlib: Path
) -> None:
    (fake_stdlib / "enum.py").write_text("def f(a, b):\n    return a.x + b[0]\n")
    app = write_tree(tmp_path / "src", {"main.py": "import re\nX = len('a') + 1\n"})

    rs = run_collect(fake_stdlib, app, keep_sources="no-stdlib")
    main, enum = rs.modules["main"], rs.modules["enum"]
    assert main.source is not None and enum.source is None
    # The application's code keeps its columns, the standard library's has none left...
    assert any(c != (None, None) for c in _columns(marshal.loads(main.bytecode)))
    stripped = marshal.loads(enum.bytecode)
    assert _columns(stripped) == {(None, None)}
    # ... and keeps every line number.
    full = compile((fake_stdlib / "enum.py").read_bytes(), "enum.py", "exec", dont_inherit=True)
    f_full = next(c for c in full.co_consts if hasattr(c, "co_code"))
    f_stripped = next(c for c in stripped.co_consts if hasattr(c, "co_code"))
    assert [p[0] for p in f_stripped.co_positions()] == [p[0] for p in f_full.co_positions()]

    everything = run_collect(fake_stdlib, app, keep_sources=True)
    assert everything.modules["enum"].source is not None
    assert _columns(marshal.loads(everything.modules["enum"].bytecode)) != {(None, None)}
    nothing = run_collect(fake_stdlib, app, keep_sources=False)
    assert nothing.modules["main"].source is None and nothing.modules["enum"].source is None
    assert _columns(marshal.loads(nothing.modules["main"].bytecode)) == {(None, None)}


@pytest.mark.slow
@pytest.mark.parametrize("version", ["3.11", "3.13"])
def test_location_tables_without_columns_keep_every_line(version: str) -> None:
    """``_worker.without_columns`` on every module of a real standard library, in the
    target interpreter: each instruction's line is unchanged, no column is left, and
    the bytecode is smaller."""
    dist = distribution(version)
    check = textwrap.dedent(
        """
        import marshal, os, sys, types
        sys.path.insert(0, sys.argv[1])
        from _worker import without_columns

        def lines(code):
            out = {}
            for start, end, line in code.co_lines():
                for offset in range(start, end, 2):
                    out[offset] = line
            return out

        def same(a, b):
            assert lines(a) == lines(b), a
            assert [p[0] for p in a.co_positions()] == [p[0] for p in b.co_positions()], a
            assert all(p[2] is None and p[3] is None for p in b.co_positions()), b
            for x, y in zip(a.co_consts, b.co_consts):
                if isinstance(x, types.CodeType):
                    same(x, y)

        before = after = count = 0
        lib = os.path.dirname(os.__file__)
        for root, dirs, files in os.walk(lib):
            dirs[:] = [d for d in dirs if d not in ("test", "site-packages", "idlelib")]
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    try:
                        code = compile(open(path, "rb").read(), path, "exec", dont_inherit=True)
                    except SyntaxError:
                        continue  # lib2to3's test data
                    stripped = without_columns(code)
                    same(code, stripped)
                    before += len(marshal.dumps(code))
                    after += len(marshal.dumps(stripped))
                    count += 1
        print(count, before, after)
        """
    )
    worker_dir = Path(__file__).parents[2] / "src" / "pyingot" / "resources"
    done = subprocess.run(
        [str(dist.path(dist.python_exe)), "-I", "-S", "-c", check, str(worker_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    count, before, after = map(int, done.stdout.split())
    assert count > 500
    assert after < 0.95 * before


def test_collection_is_deterministic(tmp_path: Path, fake_stdlib: Path) -> None:
    app = write_tree(
        tmp_path / "src",
        {
            "main.py": "import a, b\nX = ('same', 1.5, b'x')\n__all__ = ['X', 'a.b']\n",
            "a.py": "Y = ('same', 1.5, b'x')\n",
            "b.py": "import a\n",
            "b_data/x.txt": "",
        },
    )
    one = run_collect(fake_stdlib, app)
    two = run_collect(fake_stdlib, app)
    assert one == two
    assert list(one.modules) == sorted(one.modules)
    # A module's bytes do not depend on what else the worker compiled before it.
    source = (app / "main.py").read_bytes()
    with Worker(HOST) as worker:
        alone = worker.compile([CompileRequest("main", "main.py", source)], optimize=0)
    assert alone[0].bytecode == one.modules["main"].bytecode


def test_worker_reports_imports_features_and_aliases() -> None:
    source = textwrap.dedent(
        """
        import a.b as c, d
        from ..pkg import x, y
        from . import *
        __all__ = ["p"]
        __all__ += ["q"]
        sys.modules["fake.alias"] = d
        __import__("dyn.one")
        importlib.import_module(".rel", __package__)
        breakpoint()
        """
    ).encode()
    with Worker(HOST) as worker:
        assert worker.facts.major_minor == sys.version_info[:2]
        assert "sys" in worker.facts.builtin_modules
        (result,) = worker.compile([CompileRequest("m", "m.py", source)], optimize=0)
    assert result.error is None
    assert [(i.level, i.module, i.names) for i in result.imports] == [
        (0, "a.b", ()),
        (0, "d", ()),
        (2, "pkg", ("x", "y")),
        (1, "", ("*",)),
    ]
    assert all(i.guards == () for i in result.imports)
    assert result.all_names == ("p", "q")
    assert result.aliases == ("fake.alias",)
    assert result.dynamic_imports == ("dyn.one", ".rel")
    assert result.features == {"breakpoint"}


def fake_interpreter(path: Path, script: str) -> Path:
    path.write_text(f"#!/bin/sh\n{script}")
    path.chmod(0o755)
    return path


def test_worker_failure_is_reported(tmp_path: Path) -> None:
    fake = fake_interpreter(tmp_path / "python", "echo 'boom: no such interpreter' >&2\nexit 3\n")
    with pytest.raises(PyingotError) as e:
        Worker(fake)
    assert e.value.message == (
        f"the target interpreter {fake} failed while compiling modules (exit status 3)"
    )
    assert e.value.hint == "boom: no such interpreter"
    with pytest.raises(PyingotError, match="does not exist"):
        Worker(tmp_path / "nope")


def test_a_worker_that_dies_silently_is_a_bug(tmp_path: Path) -> None:
    fake = fake_interpreter(tmp_path / "python", "exit 3\n")
    with pytest.raises(InternalError) as e:
        Worker(fake)
    assert str(e.value) == (
        f"the target interpreter {fake} failed while compiling modules (exit status 3), "
        "and printed nothing"
    )


def test_summary_counts_by_category(tmp_path: Path, fake_stdlib: Path) -> None:
    app = write_tree(tmp_path / "src", {"main.py": "import json\n", "main_data.txt": "x"})
    rs = run_collect(fake_stdlib, app)
    summary = rs.summary()
    assert summary.application.count == 1
    assert summary.stdlib.count == len(rs.modules) - 1
    assert summary.stdlib.bytecode_bytes == sum(
        len(m.bytecode) for m in rs.modules.values() if m.is_stdlib
    )
    assert summary.skipped == len(rs.skipped)
    text = summary.render()
    assert "application modules" in text and "standard library" in text


# -- the real distributions ---------------------------------------------------------


def _dist_collect(dist: Distribution, **kw: Any) -> ResourceSet:
    kw.setdefault("entry_script", None)
    kw.setdefault("test_packages", dist.extra.get("python_stdlib_test_packages", ()))
    return collect(
        CollectRequest(
            interpreter=dist.path(dist.python_exe), stdlib_dir=dist.path(dist.stdlib), **kw
        )
    )


def _loaded_modules(dist: Distribution, argv: Sequence[str], cwd: Path) -> set[str]:
    """Run the target interpreter; the modules it had imported when it exited.

    Only modules the import system loaded under their own name count: not the
    aliases modules make themselves (os.path, typing.re, pyexpat.errors). A
    script runs by ``exec`` (as pyingot's runtime runs ``__main__``), a module
    through runpy, as ``python -m`` does.
    """
    out = cwd / "modules.txt"
    if argv[0].endswith(".py"):
        run = f"exec(compile(open({argv[0]!r}, 'rb').read(), {argv[0]!r}, 'exec'))\n"
    else:
        run = f"import runpy\nrunpy.run_module({argv[0]!r}, run_name='__main__', alter_sys=True)\n"
    driver = (
        "import atexit, sys\n"
        "def _dump():\n"
        f"    with open({str(out)!r}, 'w') as f:\n"
        "        f.write('\\n'.join(sorted(n for n, m in sys.modules.items()\n"
        "            if getattr(getattr(m, '__spec__', None), 'name', None) == n)))\n"
        "atexit.register(_dump)\n"
        f"sys.argv = {list(argv)!r}\n" + run
    )
    proc = subprocess.run(
        [str(dist.path(dist.python_exe)), "-I", "-S", "-c", driver],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        input="{}",
    )
    assert proc.returncode == 0, proc.stderr
    return set(out.read_text().split()) - {"__main__"}


@pytest.mark.slow
@pytest.mark.parametrize("version", ["3.11", "3.13"])
def test_hello_world_is_small(tmp_path: Path, version: str) -> None:
    app = write_tree(tmp_path / "src", {"hello.py": "print('hello')\n"})
    rs = _dist_collect(distribution(version), app_paths=[app], entry_module="hello")
    names = set(rs.modules)
    outside_encodings = {n for n in names if not n.startswith("encodings.")}
    # encodings is whole (codec names are strings); the rest is start-up,
    # tracebacks and warnings and what they import lazily.
    assert len(outside_encodings) < 80, sorted(outside_encodings)
    assert len(names) < 220
    assert {"hello", "encodings", "encodings.utf_8", "encodings.cp1252", "io", "abc"} <= names
    assert not {"email", "asyncio", "tkinter", "unittest", "doctest", "pdb"} & names
    assert not any(s.reason is SkipReason.EXCLUDED for s in rs.skipped)


@pytest.mark.slow
@pytest.mark.parametrize("version", ["3.11", "3.13"])
def test_hello_with_the_runtime_reaches_no_hashlib_or_runpy(tmp_path: Path, version: str) -> None:
    """random uses hashlib only if its built-in sha512 is missing, and the boot
    module imports runpy only for a module entry point: neither they nor what
    they bring (OpenSSL through _hashlib, zipfile, lzma) is in hello (issue 10)."""
    app = write_tree(tmp_path / "src", {"hello.py": "import random\nprint(random.random())\n"})
    rs = _dist_collect(
        distribution(version),
        app_paths=[app, runtime_dir() / "python"],
        entry_module="hello",
        always=["_pyingot_boot"],
        provided=["_pyingot"],
    )
    assert {"random", "_pyingot_boot"} <= set(rs.modules)
    reached = set(rs.modules) | set(rs.builtins)
    assert not {"hashlib", "_hashlib", "runpy", "zipfile", "lzma", "_lzma"} & reached
    assert {"_sha512" if version == "3.11" else "_sha2", "_random"} <= set(rs.builtins)
    # Without the built-in sha512 in the executable, random's fallback is followed.
    sha = "_sha512" if version == "3.11" else "_sha2"
    rs = _dist_collect(
        distribution(version),
        app_paths=[app, runtime_dir() / "python"],
        entry_module="hello",
        always=["_pyingot_boot"],
        provided=["_pyingot"],
        unlinked=[sha],
    )
    assert {"hashlib", "_hashlib"} <= set(rs.modules) | set(rs.builtins)


@pytest.mark.slow
@pytest.mark.parametrize("version", ["3.11", "3.13"])
def test_every_module_a_real_program_loads_is_collected(tmp_path: Path, version: str) -> None:
    dist = distribution(version)
    script = APPS / "stdlib_tour" / "app.py"
    rs = _dist_collect(dist, app_paths=[], entry_script=script, entry_module=None)
    loaded = _loaded_modules(dist, [str(script)], tmp_path)
    assert len(loaded) > 150
    missing = sorted(loaded - set(rs.modules) - set(rs.builtins))
    assert missing == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["json.tool"],
        ["zipfile", "-l", "{zip}"],
        ["http.server", "--help"],
        ["tarfile", "-l", "{tar}"],
        ["calendar", "2024", "2"],
    ],
    ids=lambda a: a[0],
)
def test_stdlib_entry_points_are_collected(tmp_path: Path, argv: list[str]) -> None:
    dist = distribution("3.11")
    import tarfile
    import zipfile

    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.writestr("x.txt", "x")
    with tarfile.open(tmp_path / "a.tar", "w") as t:
        t.add(__file__, arcname="x.py")
    argv = [a.format(zip=tmp_path / "a.zip", tar=tmp_path / "a.tar") for a in argv]
    rs = _dist_collect(dist, app_paths=[], entry_module=argv[0], always=["runpy"])
    loaded = _loaded_modules(dist, argv, tmp_path)
    assert sorted(loaded - set(rs.modules) - set(rs.builtins)) == []


@pytest.mark.slow
def test_new_syntax_is_compiled_by_the_target(tmp_path: Path) -> None:
    app = write_tree(
        tmp_path / "src",
        {"main.py": "import aliases\nprint(aliases.Pair.__value__)\n", "aliases.py": ""},
    )
    (app / "aliases.py").write_text("type Pair[T] = tuple[T, T]\n")
    dist313 = distribution("3.13")
    rs = _dist_collect(dist313, app_paths=[app], entry_module="main")
    assert "typing" in rs.modules  # PEP 695 syntax imports typing from C
    # The bytecode runs on the target: load both modules from marshal and run main.
    loader = (
        "import marshal, sys, types\n"
        "data = marshal.loads(sys.stdin.buffer.read())\n"
        "mod = types.ModuleType('aliases')\n"
        "exec(marshal.loads(data['aliases']), mod.__dict__)\n"
        "sys.modules['aliases'] = mod\n"
        "exec(marshal.loads(data['main']), {'__name__': '__main__'})\n"
    )
    blob = marshal.dumps({n: rs.modules[n].bytecode for n in ("main", "aliases")})
    proc = subprocess.run(
        [str(dist313.path(dist313.python_exe)), "-I", "-S", "-c", loader],
        input=blob,
        capture_output=True,
        check=True,
    )
    assert proc.stdout.decode().strip() == "tuple[T, T]"

    # The 3.11 target rejects it: parsing really happens in the target.
    with pytest.raises(PyingotError, match=r"SyntaxError in .*aliases\.py:1"):
        _dist_collect(distribution("3.11"), app_paths=[app], entry_module="main")
    # The host's own ast cannot parse it either (when the host is older than 3.12).
    if sys.version_info < (3, 12):
        with pytest.raises(SyntaxError):
            ast.parse((app / "aliases.py").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("version", ["3.11", "3.13"])
def test_dynamic_tables_name_real_modules(version: str) -> None:
    """Every module the tables name for a version exists in it: a typo would
    silently drop a module."""
    dist = distribution(version)
    major_minor = (int(version[0]), int(version[2:]))
    with Worker(dist.path(dist.python_exe)) as worker:
        facts = worker.facts
    finder = ModuleFinder([SearchRoot(dist.path(dist.stdlib), is_stdlib=True)])
    names = {
        *dynamic.interpreter_imports(major_minor),
        *dynamic.FEATURE_IMPORTS["type-params"],
        *dynamic.FEATURE_IMPORTS["breakpoint"],
        *dynamic.FROZEN_ALIASES,
    }
    for key, targets in dynamic.implicit_imports(major_minor).items():
        names.add(key)
        names.update(targets)
    # dbm.sqlite3 is new in 3.13; 3.13's collections.abc is an alias that
    # collections puts in sys.modules.
    not_here = {"dbm.sqlite3"} if version == "3.11" else {"collections.abc"}
    for name in sorted(names - not_here):
        if name.endswith(".*"):
            name = name[:-2]
        if "*" in name:
            parent = name.rpartition(".")[0]
            assert any(fnmatch.fnmatchcase(c, name) for c in finder.children(parent or None))
            continue
        assert name in facts.builtin_modules or finder.find(name) is not None, name


@pytest.mark.slow
def test_stdlib_all_on_a_real_distribution(tmp_path: Path) -> None:
    dist = distribution("3.11")
    app = write_tree(tmp_path / "src", {"main.py": ""})
    rs = _dist_collect(dist, app_paths=[app], entry_module=None)
    names = set(rs.modules)
    assert len(names) > 600
    assert {"asyncio", "tkinter", "lib2to3.pgen2", "email.mime.text", "main"} <= names
    # The sources of importlib's frozen bootstrap, as Lib/ has them (for code that
    # blocks the frozen importlib); a reachable build leaves them out.
    assert set(dynamic.FROZEN_ALIASES) <= names
    reachable = _dist_collect(dist, app_paths=[app], entry_module="main", stdlib="reachable")
    assert "importlib" in reachable.modules
    assert not set(dynamic.FROZEN_ALIASES) & set(reachable.modules)
    assert not any(
        n.split(".")[0] in ("test", "idlelib", "turtledemo", "ensurepip")
        or n.endswith((".test", ".tests"))
        or ".tests." in n
        or ".test." in n
        for n in names
    )
    assert not any(s.reason is SkipReason.SYNTAX_ERROR for s in rs.skipped)
    keys = {d.key for d in rs.data}
    assert "lib2to3/Grammar.txt" in keys
    assert not any("__pycache__" in k or k.endswith(".pyc") for k in keys)
    assert os.sep == "/"


def test_modules_of_other_platforms_are_not_reported_missing(
    tmp_path: Path, fake_stdlib: Path
) -> None:
    from pyingot.assemble.report import report

    app = write_tree(
        tmp_path / "src",
        {
            "main.py": """
                try:
                    import _winapi, msvcrt, nt, winreg
                    from org.python.core import PySystemState
                except ImportError:
                    pass
                try:
                    import not_installed_anywhere
                except ImportError:
                    pass
            """,
        },
    )
    rs = run_collect(fake_stdlib, app)
    reasons = skipped(rs)
    for name in ("_winapi", "msvcrt", "nt", "winreg", "org"):
        assert reasons[name] is SkipReason.OTHER_PLATFORM, name
    assert reasons["not_installed_anywhere"] is SkipReason.NOT_FOUND
    lines = report(rs, None)
    # (The fake standard library has no encodings.)
    assert "not embedded, not found: encodings, not_installed_anywhere" in lines
    assert not any("_winapi" in line or "msvcrt" in line for line in lines)
    assert "skipped                    2" in lines


def test_the_interpreter_facts_are_kept_for_the_next_build(isolated_cache: Path) -> None:
    """The second worker of an interpreter takes its facts from the cache, without
    waiting for the worker to start; they are the same facts."""
    with Worker(HOST) as first:
        facts = first.facts
    (memo,) = (isolated_cache / "memo" / "interpreter-facts").iterdir()
    with Worker(HOST) as second:
        assert second.facts == facts
        (result,) = second.compile([CompileRequest("m", "m.py", b"import os\n")], optimize=0)
    assert result.error is None and result.bytecode
    memo.write_text("damaged")
    with Worker(HOST) as third:
        assert third.facts == facts
