"""Every ``[tool.pyingot]`` setting, declared once: its table, type, default (or how
it is inferred), allowed values and documentation.

The loader and ``pyingot init`` take constant defaults from here (:func:`default`);
inferred defaults are worked out in :mod:`pyingot.config.infer`, which the
``inferred`` texts below describe; the reference page is generated from these
declarations (:mod:`pyingot.config.reference`). A default that belongs to a model
class of another stage (the extension policy) is declared there and named here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pyingot.distribution import pbs
from pyingot.distribution import source as cpython_source
from pyingot.distribution.recipe import FREE_THREADED_MINORS, SUPPORTED_MINORS
from pyingot.distribution.selection import DEFAULT_POLICY, POLICIES

TOOL = "tool.pyingot"
EXTENSIONS = "tool.pyingot.extensions"
MODULES = "tool.pyingot.modules"
DATA = "tool.pyingot.data"
DEPENDENCIES = "tool.pyingot.dependencies"


def _code(words: Sequence[str]) -> str:
    return ", ".join(f"`{w}`" for w in words)


@dataclass(frozen=True)
class Key:
    """One setting: where it lives, its type, its default and its documentation."""

    table: str
    name: str
    type: Literal["string", "integer", "boolean", "boolean or string", "array of strings"]
    #: One line, for the reference page and for ``pyingot init``'s comments.
    summary: str
    #: Further Markdown paragraphs for the reference page.
    doc: str = ""
    #: A constant default (a TOML value; arrays as tuples), which the loader and
    #: ``pyingot init`` use; ``None`` when the default is inferred from the project.
    default: object = None
    #: How an inferred default is found, for the reference page; the finding itself
    #: is :mod:`pyingot.config.infer`'s.
    inferred: str = ""
    #: Allowed values, shown in the reference; checked by the loader, or by the model
    #: class that owns them (ExtensionSelection checks the policy).
    choices: tuple[object, ...] = ()
    example: object = None


#: The tables, in order, and what each is for.
TABLES: dict[str, str] = {
    TOOL: "The application: what the executable is called, what it runs, and how it is built.",
    EXTENSIONS: "Which compiled extension modules of the standard library are linked in.",
    MODULES: "Python modules to embed or leave out, whatever the import analysis finds.",
    DATA: "Package data files to embed: the files of a package that are not modules.",
    DEPENDENCIES: """\
The distributions the application needs from PyPI or from local wheels.

`pyingot build` installs them with pip for the *target* Python (its version, ABI and
platform, not those of the Python running pyingot) into a cache entry, and collects
their modules like the application's own: only what the entry point reaches, found
after the application's `sources` and before the standard library. Wheels are
preferred to source distributions (`--prefer-binary`); a source distribution is built
by the target interpreter against its own headers. The installed set is cached by a
hash of the requirements (the text of the requirements file and of the files it
includes with `-r` or `-c`), the local wheels' contents, the target Python, pip's
version and the `PIP_*` environment variables, so that a rebuild after an edit does
not run pip. An unpinned requirement is therefore resolved once, when it is first
installed: pin versions (a requirements file is a lock) to choose when they change.
pip runs in the project directory with its own configuration (`pip.conf`, which is
not part of the hash); it needs pip 22.3 or later in the environment running pyingot.

Compiled extension modules of dependencies are embedded and loaded from memory, with
the shared libraries their wheels bundle (`numpy.libs/…`). Their imports cannot be
read, so reaching one extension module embeds every module of the distribution that
ships it (but its test packages, and the files in its `tests` directories, which are
never embedded from dependencies). The `.dist-info` files of each distribution with a
module in the executable are embedded too, for `importlib.metadata` (all but
`direct_url.json`, which holds a path on the build machine).""",
}

KEYS: tuple[Key, ...] = (
    Key(
        TOOL,
        "name",
        "string",
        "Name of the executable file, written to the dist/ directory.",
        doc="Required when pyproject.toml has no `[project] name`. Letters, digits, "
        "`.`, `_`, `-` and `+`, starting with a letter or a digit.",
        inferred="`[project] name`",
        example="hello",
    ),
    Key(
        TOOL,
        "entry",
        "string",
        'What the executable runs: "module:function", "module", "path/to/script.py" or "python".',
        doc="""\
- `"module:function"`, e.g. `"hello.cli:main"`: imports the module and calls the
  function (a name or a dotted attribute path) with no arguments. Its return value
  is the exit status, as for a console script: `None` is 0, an integer is the
  status, anything else is printed to stderr and the status is 1.
- `"module"`, e.g. `"hello"`: runs the module as `__main__`, like `python -m hello`
  (a package runs its `__main__` submodule).
- `"path/to/script.py"`, e.g. `"scripts/run.py"`: runs a file of the project as
  `__main__`, like `python scripts/run.py`. The path is relative to the project
  directory and the file must exist.
- `"python"`: the executable behaves like the `python` command: a REPL, `-c`,
  `-m`, a script path.

A value containing `/` or ending in `.py` is a path. `"python"` is reserved for the
python-like executable; a top-level module named `python` can still be the entry
point as `"python:main"`.

Without `entry`, pyingot uses the single `[project.scripts]` entry. If there are
several it stops and asks you to choose one; if there are none the executable is
python-like. Without `[project.scripts]`, `[project.gui-scripts]` is read the same
way (on Linux a GUI script is a console script that opens windows). Whether a module entry point
exists is checked by the build, which knows every module; a script's file is
checked when the configuration is read.""",
        inferred="the single `[project.scripts]` or `[project.gui-scripts]` entry; "
        '`"python"` when there is none',
        example="hello.cli:main",
    ),
    Key(
        TOOL,
        "python",
        "string",
        "The CPython to build with: a version, a Debian source package or a path.",
        doc=f"""\
- {", ".join(f'`"3.{m}"`' for m in SUPPORTED_MINORS)}: a cached distribution of that
  version (`pyingot python list`), else one built from `debian:python3.X`.
- {", ".join(f'`"3.{m}t"`' for m in FREE_THREADED_MINORS)}: the same, free-threaded
  (built without the GIL, PEP 703; see [executables.md](executables.md#free-threaded-executables)).
- `"debian:python3.13"`: built from the source of Debian's package (see
  [distributions.md](distributions.md)).
- `"path/to/Python-3.12.7.tar.xz"`: built from a CPython source tarball
  ({_code(cpython_source._TARBALL_SUFFIXES)}) or an unpacked source tree (a
  directory holding `configure`).
- `"path/to/cpython-…-full.tar.zst"`: a python-build-standalone "full" archive
  ({_code(pbs.ARCHIVE_SUFFIXES)}), or its unpacked directory (holding `PYTHON.json`
  or `python/PYTHON.json`).

A relative path is relative to the project directory, and `~` is expanded. A path
must exist when the configuration is read.

Without this key pyingot picks the newest version it builds by itself (3.11 and
3.13, from Debian's source packages) that `[project] requires-python` allows, and
stops if it allows neither. When both are set, a version `requires-python` does not
allow is an error.""",
        inferred='the newest of "3.11" and "3.13" that `[project] requires-python` allows; '
        '"3.11" without it',
        example="debian:python3.13",
    ),
    Key(
        TOOL,
        "glibc",
        "string",
        'The oldest glibc the executable runs with, "2.N": the floor the build holds it to.',
        doc="""\
An executable runs on a Linux machine whose glibc is at least the highest symbol
version (`GLIBC_2.N`) that something inside it needs: the stub (CPython and the
runtime), every extension module and every shared library. The build computes that
floor from all of them and fails when it is above this setting, naming the object
and a symbol that raise it; `pyingot inspect` prints an executable's floor.

The setting also chooses wheels: pip installs a `manylinux_2_N` wheel only when
2.N is not above it (PEP 600's `_manylinux` hook), so a package without such a
wheel comes from an older release or its source distribution, and a local wheel
tagged for a newer glibc stops the build. A library that manylinux wheels may
expect from the system (`libstdc++.so.6`, `libgcc_s.so.1`, `libz.so.1`, ...) is
embedded from the build machine when its own floor fits, else left to the machine
that runs the executable ([executables.md](executables.md)).

Raising it accepts newer wheels and objects built on newer systems, and drops the
Linux releases with an older glibc: 2.17 is RHEL and CentOS 7, 2.28 RHEL 8 and
Debian 10, 2.31 Debian 11 and Ubuntu 20.04, 2.34 RHEL 9, 2.35 Ubuntu 22.04,
2.36 Debian 12.""",
        default="2.17",
        example="2.28",
    ),
    Key(
        TOOL,
        "sources",
        "array of strings",
        "Directories holding the application's modules, searched in order like sys.path.",
        doc="Relative to the project directory (absolute paths would tie pyproject.toml "
        "to one machine). Each must exist and be listed once.",
        inferred='`["src"]` if the project has a `src/` directory, else `["."]`',
        example=("src", "vendor"),
    ),
    Key(
        TOOL,
        "optimize",
        "integer",
        "Bytecode optimization level, as python -O (1) and -OO (2).",
        doc="`1` removes `assert` statements and `if __debug__:` blocks; `2` also removes "
        "docstrings, which breaks code that reads `__doc__` (some command-line frameworks do).",
        default=0,
        choices=(0, 1, 2),
        example=1,
    ),
    Key(
        TOOL,
        "keep-sources",
        "boolean or string",
        "Whose .py sources are embedded, for source lines in tracebacks and inspect.",
        doc="`true`: every module's. `false`: none; tracebacks show file names and line "
        'numbers only, and `inspect.getsource` fails. `"no-stdlib"`: the application\'s '
        "and its dependencies' but not the standard library's, whose frames in a traceback "
        "show no source line (as in PyInstaller's and Nuitka's executables, which embed no "
        "source at all); this saves about 0.5 MiB in even the smallest executable. The "
        "bytecode of a module embedded without its source keeps line numbers but not "
        "columns, which only the carets under a source line use: that saves a fifth of "
        "the standard library's bytecode.",
        inferred='`"no-stdlib"`; `true` for a python-like executable',
        choices=(True, False, "no-stdlib"),
        example=True,
    ),
    Key(
        TOOL,
        "stdlib",
        "string",
        "Which standard-library modules are embedded.",
        doc='`"reachable"`: the modules the entry point can import, found by reading import '
        "statements, plus `[tool.pyingot.modules] include`. "
        '`"all"`: the whole standard library except its test suites. A python-like '
        'executable defaults to `"all"`, since whoever runs it can import anything.',
        inferred='`"reachable"`; `"all"` for a python-like executable',
        choices=("reachable", "all"),
        example="all",
    ),
    Key(
        EXTENSIONS,
        "policy",
        "string",
        "The base set of extension modules.",
        doc='`"all"`: every extension module that can be linked statically, except '
        "CPython's own test modules (`_testcapi` and friends), which only `include` adds. "
        '`"no-copyleft"`: `"all"` without the modules that link GPL code (readline, gdbm, '
        "dbm), so the executable can be shipped under a permissive license. "
        '`"minimal"`: only the modules the interpreter needs to start. Required modules '
        "are always in. `pyingot python show NAME --select POLICY` shows what a policy picks.",
        default=DEFAULT_POLICY,
        choices=POLICIES,
        example="no-copyleft",
    ),
    Key(
        EXTENSIONS,
        "link",
        "string",
        "Which modules of the policy's set are linked into the executable.",
        doc='`"start-up"`: those the program imports to start are linked: what the '
        "interpreter imports to start, and what the import statements that run as the entry "
        "point is imported bring in (not imports inside functions, but those of the entry "
        "function and of the functions the entry module calls at its top level, nor "
        "`except ImportError` fallbacks, nor codecs found by name; but the submodules the code "
        "that runs to start reads as attributes, `np.random`, and what the strings of a "
        "wheel's compiled module imported at start-up name, whose imports cannot be read as "
        "statements: docs/executables.md), plus those the interpreter needs and `include`; a "
        "module that links a static library with a linked one is linked too (`_ssl` with "
        "`_hashlib`). Every other module the application can "
        "import (found by the same import analysis as Python modules) is linked by the build "
        "as a shared object of its own (modules that need the same library share one: "
        "`_ssl` and `_hashlib` one copy of OpenSSL, stored and loaded once), embedded "
        "compressed and loaded from memory at its "
        "first import: a hello world carries unicodedata and the CJK codecs in a few hundred "
        "KiB of payload instead of 2 MB of stub. A module whose shared object refers to a "
        "symbol the executable does not export (3.13's modules that read the interpreter's "
        "thread-local state) is linked instead. "
        '`"reachable"`: every module the application can import is linked. '
        '`"all"`: every module of the policy\'s set is linked, for code that imports '
        "extension modules in ways no analysis sees. A python-like executable defaults to "
        '`"all"`: whoever runs it imports any module at any time, which python finds ready '
        "(built in or a shared object on disk), where an embedded one is decompressed at "
        "its first import (importing every standard-library module took 1.70x python's "
        'time under `"start-up"`, 1.10x with every module linked); under `"start-up"` it '
        "links only what `python` imports to start.",
        inferred='`"start-up"`; `"all"` for a python-like executable',
        choices=("start-up", "reachable", "all"),
        example="reachable",
    ),
    Key(
        EXTENSIONS,
        "include",
        "array of strings",
        "Extension modules to add to the policy's set.",
        doc="Checked against the distribution by the build: an unknown name or a GPL "
        'module under `"no-copyleft"` is an error. A module the distribution builds only '
        "as a shared library (CPython's test modules in `lib-dynload`: `_testcapi`, "
        "`_testinternalcapi`, `_testsinglephase`…) cannot be linked: it is embedded "
        "and loaded from memory like a wheel's extension module, at `<exe>/NAME.so`.",
        default=(),
        example=["_testcapi"],
    ),
    Key(
        EXTENSIONS,
        "exclude",
        "array of strings",
        "Extension modules to leave out of the policy's set.",
        doc="A module cannot be both included and excluded, and a module the interpreter "
        "needs to start cannot be excluded.",
        default=(),
        example=["_tkinter", "_curses"],
    ),
    Key(
        MODULES,
        "include",
        "array of strings",
        "Modules always embedded, for imports that static analysis cannot see.",
        doc="Patterns are matched against dotted module names with `fnmatch` (case-"
        "sensitive); `*` matches dots too, so `mypkg.plugins.*` is every submodule of "
        "`mypkg.plugins`, at any depth, but not `mypkg.plugins` itself. Use it for "
        "`importlib.import_module` with a computed name, plugins, and `__import__`. "
        "A module brings its parent packages.",
        default=(),
        example=["mypkg.plugins.*", "encodings.cp437"],
    ),
    Key(
        MODULES,
        "exclude",
        "array of strings",
        "Modules never embedded, even when an import of them is found.",
        doc="Importing one in the executable raises `ModuleNotFoundError`. Exclusion wins "
        "over inclusion; the same pattern in both lists is an error.",
        default=(),
        example=["tkinter", "mypkg.tests.*"],
    ),
    Key(
        DATA,
        "include",
        "array of strings",
        "Data files embedded, as globs relative to the directory of the top-level package.",
        doc="A data file is a file inside the directory of an embedded package that is not "
        "a module (templates, JSON, ...), read with `importlib.resources`; files outside "
        "packages are never data. Paths start with the top-level package: "
        '`"mypkg/templates/**"`. `*` and `?` match within one path component, `**` '
        "matches any number of components. A file is embedded when it matches an "
        "`include` pattern and no `exclude` pattern. The same rules apply to the "
        "packages of dependencies.",
        default=("**",),
        example=["mypkg/templates/**", "mypkg/schema.json"],
    ),
    Key(
        DATA,
        "exclude",
        "array of strings",
        "Data files left out, as globs like include.",
        doc="The default leaves out files only type checkers read. Setting the list "
        "replaces the default: keep its patterns if you still want them out.",
        # Files that only tools read (type checkers), never the application at run time.
        default=("**/*.pyi", "**/py.typed"),
        example=["**/*.pyi", "**/py.typed", "mypkg/tests/**"],
    ),
    Key(
        DEPENDENCIES,
        "project",
        "boolean",
        "Install the `[project] dependencies`.",
        doc="With `false`, only `requirements` and `wheels` are installed: for a project whose "
        "`[project] dependencies` are satisfied otherwise (vendored in `sources`), or are "
        "dynamic (pyingot cannot read dynamic dependencies; list them in a requirements "
        "file instead). Extras (`[project.optional-dependencies]`) are not installed; list "
        "what they need in `requirements`.",
        default=True,
        example=False,
    ),
    Key(
        DEPENDENCIES,
        "requirements",
        "string",
        "A pip requirements file to install, relative to the project directory.",
        doc="Installed together with `[project] dependencies`, in one resolution: pinned "
        "versions in the file (`six==1.16.0`) choose among those the project allows. "
        "The file may use pip's options (`-r`, `-c`, `--index-url`, hashes); relative "
        "paths inside it are relative to the project directory.",
        inferred="none",
        example="requirements.txt",
    ),
    Key(
        DEPENDENCIES,
        "wheels",
        "array of strings",
        "Local wheel files to install, as globs relative to the project directory.",
        doc="Each pattern must match at least one `.whl` file. The wheels are installed "
        "with their own dependencies (from PyPI unless given here too). A wheel built "
        "for another Python or platform than the target stops the build with the "
        "package's name, before pip runs.",
        default=(),
        example=["wheels/*.whl"],
    ),
    Key(
        DEPENDENCIES,
        "on-disk",
        "array of strings",
        "Installed distributions to ship as real files beside the executable, not embedded.",
        doc="For packages that must find their files on disk (code that opens "
        "`__file__`-relative paths or starts subprocesses from its own directory). Every "
        "file the distribution installed, its `.dist-info` and the shared libraries its "
        "wheel bundles included, is copied to the directory `<executable>.packages` beside "
        "the executable (`dist/myapp.packages/`), which the executable puts on `sys.path` "
        "after its embedded modules; ship that directory with the executable. Every module "
        "of such a distribution counts as reached, so what it imports is embedded. Names "
        "are distribution names as in the requirements (`PyYAML`, compared as PEP 503 "
        "normalizes them) and must be installed dependencies. A namespace package cannot "
        "be split between the executable and the directory.",
        default=(),
        example=["numpy"],
    ),
    Key(
        DEPENDENCIES,
        "data-on-disk",
        "array of strings",
        "Installed distributions whose data files also go beside the executable, code "
        "staying embedded.",
        doc="Rarely needed: the executable shows its packages' files read-only under "
        "`<executable>/` (docs/executables.md), so `__file__`-relative `open`, `listdir` "
        "and C code opening such paths work without it. It is for what that view cannot "
        "serve: files the package executes (a script or program run by path), relative "
        "paths or `os.chdir` into the package, directory descriptors (`dir_fd=`, "
        "`os.fwalk`), code that bypasses glibc, and data written beside the package. The "
        "package data of these distributions is written to the directory "
        "`<executable>.data` beside the executable (`dist/myapp.data/`), and their "
        "modules' `__file__` and `__path__` name that real directory; their code, "
        "extension modules included, is still imported from memory and their data stays "
        "readable through `importlib.resources` too. Ship the directory with the "
        "executable. Names are distribution names, as for `on-disk`; a distribution "
        "cannot be in both lists.",
        default=(),
        example=["black"],
    ),
)


def key(table: str, name: str) -> Key:
    """The declaration of ``[table] name``."""
    return next(k for k in KEYS if k.table == table and k.name == name)


def default(table: str, name: str) -> Any:
    """The declared default of ``[table] name``: None for a key whose default is
    inferred, and for a key ``table`` does not declare (``[project]`` has no
    declarations here: PEP 621 defines it)."""
    return next((k.default for k in KEYS if k.table == table and k.name == name), None)


def known_keys(table: str) -> list[str]:
    """The keys and sub-tables of ``table``, in declaration order."""
    names = [k.name for k in KEYS if k.table == table]
    names += [t.rsplit(".", 1)[1] for t in TABLES if t.rsplit(".", 1)[0] == table]
    return names
