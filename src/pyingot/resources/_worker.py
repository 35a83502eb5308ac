"""Parse and compile modules under the TARGET interpreter.

Run as ``<python> -I -S _worker.py`` by ``compile.py``. The build tool's own
Python may be older than the target (3.11's ``ast`` cannot parse 3.13 syntax, and
bytecode is version-specific), so everything that reads Python source happens
here. This file imports only the standard library, never pyingot, and keeps to
syntax every supported target understands.

Protocol: frames on stdin/stdout, each an 8-byte little-endian length and then
``marshal.dumps(value, 4)`` of plain data (dict, list, str, bytes, int, bool,
None), whose encoding is the same in every Python 3 version. One request, one
response, until ``{"op": "exit"}`` or end of input:

* ``{"op": "facts"}`` → the interpreter's version, bytecode magic, built-in and
  frozen module names, extension suffixes.
* ``{"op": "compile", "optimize": int, "items": [{"name", "origin", "source",
  "columns"}]}`` → ``{"results": [...]}``, one per item, in order: the imports the
  module makes and ``marshal.dumps(code)``, or the syntax error. With ``"columns":
  False`` the code's location table keeps line numbers only (:func:`without_columns`).
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import marshal
import os
import struct
import sys
import types
import warnings
from collections.abc import Iterator
from typing import Any

_HEADER = struct.Struct("<Q")
MARSHAL_VERSION = 4


# The two ends of the protocol: ``compile.py`` imports these, so that the frame
# format is written once (this file imports nothing from pyingot, not the reverse).
def read_frame(stream: Any) -> Any:
    """The next value on ``stream``; ``None`` at the end of input."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    if len(body) != size:
        raise EOFError("truncated frame")
    return marshal.loads(body)


def write_frame(stream: Any, value: Any) -> None:
    body = marshal.dumps(value, MARSHAL_VERSION)
    stream.write(_HEADER.pack(len(body)))
    stream.write(body)
    stream.flush()


def facts() -> dict[str, Any]:
    import _imp

    frozen = getattr(_imp, "_frozen_module_names", None)
    return {
        "version": list(sys.version_info[:3]),
        "magic": importlib.util.MAGIC_NUMBER,
        "builtin_module_names": sorted(sys.builtin_module_names),
        "frozen_module_names": sorted(frozen()) if frozen else [],
        "extension_suffixes": list(importlib.machinery.EXTENSION_SUFFIXES),
        "platform": sys.platform,
    }


def _literal_strings(node: ast.AST) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return None


def _all_names(tree: ast.Module) -> list[str] | None:
    """The literal strings assigned to or added to ``__all__`` at module level."""
    names: list[str] | None = None
    for stmt in tree.body:
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            targets = [stmt.target]
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) else None
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        if value is not None:
            found = _literal_strings(value)
            if found is not None:
                names = (names or []) + found
    return names


def _dynamic_name(call: ast.Call) -> str | None:
    """The literal module name of ``__import__("x")`` or ``import_module("x")``."""
    func = call.func
    if isinstance(func, ast.Name):
        fname = func.id
    elif isinstance(func, ast.Attribute):
        fname = func.attr
    else:
        return None
    if fname not in ("__import__", "import_module") or not call.args:
        return None
    first = call.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value):
        return None
    name: str = first.value
    if fname == "__import__":
        # __import__(name, globals, locals, fromlist, level): a relative import
        # only with an explicit non-zero level, which static names rarely use.
        level = call.args[4] if len(call.args) > 4 else None
        for kw in call.keywords:
            if kw.arg == "level":
                level = kw.value
        if isinstance(level, ast.Constant) and isinstance(level.value, int) and level.value > 0:
            name = "." * level.value + name
    return name


def _is_main_test(test: ast.expr) -> bool:
    """``__name__ == "__main__"``, either way round."""
    if not (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
    ):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


_MAIN = "<main>"
_MODULE = "<module>"


def _regions(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """Split a module into regions: the ``if __name__ == "__main__"`` bodies, each
    top-level function, and the rest."""
    regions: list[tuple[str, ast.AST]] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and _is_main_test(stmt.test):
            regions.extend((_MAIN, s) for s in stmt.body)
            regions.append((_MODULE, stmt.test))
            regions.extend((_MODULE, s) for s in stmt.orelse)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            regions.append((stmt.name, stmt))
        else:
            regions.append((_MODULE, stmt))
    return regions


def _main_only(regions: list[tuple[str, ast.AST]], public: list[str] | None) -> set[str]:
    """Top-level functions only ever used by the ``__main__`` block.

    Their code runs when the module is run as a script (pickle's ``_test()``
    imports doctest, ast's ``main()`` argparse), not when it is imported. A
    function is main-only when every reference to its name is in the main block
    or in another main-only function, and it is private or a command-line
    ``main``/``test`` (not in ``__all__``): other public functions are API that
    importers may call.
    """
    candidates = {
        name
        for name, _ in regions
        if name not in (_MAIN, _MODULE)
        and ((name.startswith("_") and not name.startswith("__")) or name in ("main", "test"))
        and name not in (public or ())
    }
    private = candidates
    referenced_from: dict[str, set[str]] = {name: set() for name in private}
    for region, node in regions:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in private and sub.id != region:
                referenced_from[sub.id].add(region)
    main_only: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, where in referenced_from.items():
            if name not in main_only and where and all(r == _MAIN or r in main_only for r in where):
                main_only.add(name)
                changed = True
    return main_only


def _builtin_provides(module: str, names: list[str]) -> bool:
    """``module`` is built into this interpreter and has every one of ``names``.

    A built-in module is imported (a built-in's import runs no Python code) with
    file descriptor 1 pointed at stderr meanwhile: C code writing to stdout must
    not corrupt the frames.
    """
    if module not in sys.builtin_module_names:
        return False
    if not names or names == ["*"]:
        return True
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        found = importlib.import_module(module)
    except Exception:  # a built-in that cannot be imported here guards nothing
        return False
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return all(hasattr(found, n) for n in names)


def _guard(node: ast.AST) -> list[str] | None:
    """The built-in modules a ``try`` statement's body imports, when that is all
    it does: then its handlers run only if one of them is missing from the
    executable (``random``'s ``try: from _sha512 import sha512`` ``except
    ImportError: from hashlib import sha512``).

    ``None`` when the body does anything else, imports relatively or imports a
    module that is not built in here, or a name such a module lacks: then a
    handler may run whatever is linked.
    """
    modules: list[str] = []
    for stmt in getattr(node, "body", ()):
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if not _builtin_provides(alias.name, []):
                    return None
                modules.append(alias.name)
        elif isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
            if not _builtin_provides(stmt.module, [a.name for a in stmt.names]):
                return None
            modules.append(stmt.module)
        else:
            return None
    return modules or None


def _guarded_imports(tree: ast.Module) -> dict[int, list[list[str]]]:
    """For each import in an ``except`` clause whose ``try`` body only imports
    built-in modules (see ``_guard``): by ``id(node)``, the module lists of every
    such ``try`` around it. The import runs only if, for each of them, one
    module of its list is missing."""
    try_types = tuple(t for t in (ast.Try, getattr(ast, "TryStar", None)) if isinstance(t, type))
    guarded: dict[int, list[list[str]]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, try_types):
            continue
        modules = _guard(node)
        if modules is None:
            continue
        for handler in node.handlers:  # type: ignore[attr-defined]
            for sub in ast.walk(handler):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    guarded.setdefault(id(sub), []).append(modules)
    return guarded


def _function_references(regions: list[tuple[str, ast.AST]]) -> dict[str, list[str]]:
    """For each region (``<module>``, ``<main>``, each top-level function), the
    module's top-level functions its code names (calls, passes, assigns:
    ``hashlib`` calls ``__get_hash(name)`` for each algorithm as it is imported)."""
    functions = {name for name, _ in regions if name not in (_MAIN, _MODULE)}
    names: dict[str, set[str]] = {}
    for region, top in regions:
        names.setdefault(region, set()).update(
            sub.id for sub in ast.walk(top) if isinstance(sub, ast.Name) and sub.id in functions
        )
    return {region: sorted(found) for region, found in sorted(names.items()) if found}


def _module_attributes(
    tree: ast.Module, regions: list[tuple[str, ast.AST]]
) -> dict[str, list[str]]:
    """For each region, the attributes its code reads from imported modules, as dotted
    names: ``np.random`` after ``import numpy as np`` is ``numpy.random``, a submodule
    that numpy's ``__getattr__`` imports when it is first read (PEP 562)."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                # import a.b as c binds c to a.b; import a.b binds a to a.
                first = a.name.partition(".")[0]
                bound[a.asname or first] = a.name if a.asname else first
    out: dict[str, list[str]] = {}
    if not bound:
        return out
    for region, top in regions:
        found = {
            f"{bound[sub.value.id]}.{sub.attr}"
            for sub in ast.walk(top)
            if isinstance(sub, ast.Attribute)
            and isinstance(sub.value, ast.Name)
            and sub.value.id in bound
        }
        if found:
            out[region] = sorted(found)
    return out


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING`` (false at run time)."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _deferred_imports(tree: ast.Module) -> dict[int, str]:
    """The imports that do not run when the module is imported, by ``id(node)``:
    ``"function:NAME"`` for one in the body of the module's top-level function
    NAME, ``"function"`` in any other function, method or lambda (each runs when
    that is called), ``"except"`` for one in an ``except`` clause, wherever it is
    (it runs only when the ``try`` failed: ``except ImportError: import fallback``),
    ``"type-checking"`` under ``if TYPE_CHECKING:`` (it never runs). Class
    bodies run on import; so do decorators, default values and ``try`` bodies."""
    try_types = tuple(t for t in (ast.Try, getattr(ast, "TryStar", None)) if isinstance(t, type))
    deferred: dict[int, str] = {}
    top_level = {id(s) for s in tree.body}

    def visit(node: ast.AST, why: str | None) -> None:
        if why is not None and isinstance(node, (ast.Import, ast.ImportFrom)):
            deferred[id(node)] = why
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            # Decorators and defaults run where the function is defined.
            for sub in (*getattr(node, "decorator_list", ()), node.args):
                visit(sub, why)
            body = node.body if isinstance(node.body, list) else [node.body]
            if why is None:
                top = id(node) in top_level and not isinstance(node, ast.Lambda)
                inner = f"function:{getattr(node, 'name', '')}" if top else "function"
            else:
                # A function defined in a function runs only if it is called too.
                inner = "function" if why.startswith("function") else why
            for stmt in body:
                visit(stmt, inner)
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            # Imports for type checkers only: the body never runs.
            visit(node.test, why)
            for stmt in node.body:
                visit(stmt, "type-checking")
            for stmt in node.orelse:
                visit(stmt, why)
            return
        if isinstance(node, try_types):
            for part in (*node.body, *node.orelse, *node.finalbody):  # type: ignore[attr-defined]
                visit(part, why)
            for handler in node.handlers:  # type: ignore[attr-defined]
                visit(handler, "except")
            return
        for child in ast.iter_child_nodes(node):
            visit(child, why)

    visit(tree, None)
    return deferred


def analyze(tree: ast.Module) -> dict[str, Any]:
    """What a module imports. Each import is ``[level, module, names, main_only,
    guards, deferred]``: ``main_only`` imports run only when the module is ``__main__``;
    ``guards`` (see ``_guarded_imports``) lists the built-in modules whose
    absence alone makes the import run, one list per enclosing ``try``;
    ``deferred`` (see ``_deferred_imports``) is ``""`` for an import that runs
    when the module is imported, else why it runs later or not at all."""
    imports: list[list[Any]] = []
    dynamic: list[str] = []
    features: set[str] = set()
    aliases: list[str] = []
    type_alias = getattr(ast, "TypeAlias", None)
    public = _all_names(tree)
    regions = _regions(tree)
    main_only = _main_only(regions, public)
    platform = _Platform(tree)
    guarded = _guarded_imports(tree)
    deferred = _deferred_imports(tree)
    for region, top in regions:
        is_main = region == _MAIN or region in main_only
        for node in platform.walk(top):
            if isinstance(node, ast.Import):
                guards = guarded.get(id(node), [])
                later = deferred.get(id(node), "")
                imports.extend([0, a.name, [], is_main, guards, later] for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                names = [a.name for a in node.names]
                guards = guarded.get(id(node), [])
                later = deferred.get(id(node), "")
                imports.append([node.level or 0, node.module or "", names, is_main, guards, later])
            elif isinstance(node, ast.Call):
                name = _dynamic_name(node)
                if name is not None:
                    dynamic.append(name)
            elif isinstance(node, ast.Name) and node.id == "breakpoint":
                features.add("breakpoint")
            elif isinstance(node, ast.Assign):
                aliases.extend(_sys_modules_keys(node))
            if (type_alias is not None and isinstance(node, type_alias)) or getattr(
                node, "type_params", None
            ):
                features.add("type-params")
    return {
        "imports": imports,
        "references": _function_references(regions),
        "attributes": _module_attributes(tree, regions),
        "dynamic": dynamic,
        "features": sorted(features),
        "all": public,
        "aliases": sorted(set(aliases)),
    }


class _Platform:
    """Evaluate platform tests (``sys.platform == "win32"``, ``os.name == "nt"``) for
    the interpreter running this worker, so that code for other platforms is
    skipped: asyncio's ``if sys.platform == "win32": from .windows_events import *``.
    Anything else is unknown and both branches are walked.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.values = {"platform": sys.platform, "name": os.name}
        #: Module-level names bound to a known test (``_mswindows = sys.platform == "win32"``).
        #: Only names bound once in the whole module: anything else may change.
        self.known: dict[str, bool] = {}
        stores: dict[str, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                stores[node.id] = stores.get(node.id, 0) + 1
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and stores.get(stmt.targets[0].id) == 1
            ):
                value = self.evaluate(stmt.value)
                if value is not None:
                    self.known[stmt.targets[0].id] = value

    def _attribute(self, node: ast.expr) -> str | None:
        # sys.platform, _sys.platform, os.name, _os.name
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id.lstrip("_"), node.attr) in (("sys", "platform"), ("os", "name"))
        ):
            return self.values[node.attr]
        return None

    @staticmethod
    def _strings(node: ast.expr) -> list[str] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            found = [
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
            return found if len(found) == len(node.elts) else None
        return None

    def evaluate(self, node: ast.expr) -> bool | None:
        if isinstance(node, ast.Name):
            return self.known.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.evaluate(node.operand)
            return None if inner is None else not inner
        if isinstance(node, ast.BoolOp):
            values = [self.evaluate(v) for v in node.values]
            if isinstance(node.op, ast.And):
                if False in values:
                    return False
                return True if all(v is True for v in values) else None
            if True in values:
                return True
            return False if all(v is False for v in values) else None
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            actual = self._attribute(node.left)
            expected = self._strings(node.comparators[0])
            if actual is None or expected is None:
                return None
            op = node.ops[0]
            if isinstance(op, (ast.Eq, ast.NotEq)) and len(expected) == 1:
                return (actual == expected[0]) == isinstance(op, ast.Eq)
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(
                node.comparators[0], (ast.Tuple, ast.List, ast.Set)
            ):
                return (actual in expected) == isinstance(op, ast.In)
            return None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "startswith"
            and len(node.args) == 1
            and not node.keywords
        ):
            actual = self._attribute(node.func.value)
            prefixes = self._strings(node.args[0])
            if actual is None or prefixes is None:
                return None
            return actual.startswith(tuple(prefixes))
        return None

    def walk(self, top: ast.AST) -> Iterator[ast.AST]:
        """``ast.walk``, without the branches of ``if`` statements that cannot run here."""
        todo = [top]
        while todo:
            node = todo.pop()
            yield node
            if isinstance(node, ast.If):
                value = self.evaluate(node.test)
                todo.append(node.test)
                if value is not False:
                    todo.extend(reversed(node.body))
                if value is not True:
                    todo.extend(reversed(node.orelse))
                continue
            todo.extend(reversed(list(ast.iter_child_nodes(node))))


def _sys_modules_keys(node: ast.Assign) -> list[str]:
    """``sys.modules["a.b"] = ...`` makes ``a.b`` importable without a file (os.path)."""
    keys = []
    for target in node.targets:
        if (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Attribute)
            and target.value.attr == "modules"
            and isinstance(target.value.value, ast.Name)  # sys, or _sys in collections
            and isinstance(target.slice, ast.Constant)
            and isinstance(target.slice.value, str)
        ):
            keys.append(target.slice.value)
    return keys


# -- location tables without columns ----------------------------------------------
#
# A code object's ``co_linetable`` (CPython 3.11 to 3.13: Objects/locations.md) maps
# each instruction to a start line, an end line and start and end columns. The
# columns serve one purpose: the carets under the source line that a traceback
# prints. A module embedded without its source has no line to put them under, so
# its table keeps the lines alone, which makes the standard library's bytecode
# about a fifth smaller once compressed; ``co_lines()``, and so every line number a
# traceback, a warning or a debugger shows, is unchanged.

_NO_LOCATION = 15
_LONG = 14
_NO_COLUMNS = 13
_ONE_LINE = 10  # 10, 11 and 12: one-line forms, line delta 0, 1, 2
_MAX_LENGTH = 8  # code units one entry covers


def _write_varint(out: bytearray, value: int) -> None:
    while value >= 64:
        out.append(64 | (value & 63))
        value >>= 6
    out.append(value)


def _table_without_columns(table: bytes) -> bytes:
    """``table`` with every entry rewritten to the no-column form (line delta only);
    consecutive entries on one line merged while the merged entry covers at most
    eight code units."""
    out = bytearray()
    i = 0
    # Where the last no-column entry starts in ``out``, and how many units it covers;
    # -1 after an entry without a location (the next one cannot merge into it).
    last, last_length = -1, 0

    def varint() -> int:
        nonlocal i
        byte = table[i]
        i += 1
        value, shift = byte & 63, 6
        while byte & 64:
            byte = table[i]
            i += 1
            value |= (byte & 63) << shift
            shift += 6
        return value

    def svarint() -> int:
        value = varint()
        return -(value >> 1) if value & 1 else value >> 1

    while i < len(table):
        first = table[i]
        i += 1
        code = (first >> 3) & 15
        length = (first & 7) + 1
        if code == _NO_LOCATION:
            out.append(first)
            last = -1
            continue
        if code == _LONG:
            delta = svarint()
            for _ in range(3):  # end line delta, column, end column
                varint()
        elif code == _NO_COLUMNS:
            delta = svarint()
        elif code >= _ONE_LINE:
            delta = code - _ONE_LINE
            i += 2  # column, end column
        else:
            delta = 0  # short form: one byte of columns
            i += 1
        if delta == 0 and last >= 0 and last_length + length <= _MAX_LENGTH:
            last_length += length
            out[last] = 0x80 | (_NO_COLUMNS << 3) | (last_length - 1)
            continue
        last, last_length = len(out), length
        out.append(0x80 | (_NO_COLUMNS << 3) | (length - 1))
        _write_varint(out, (-delta << 1) | 1 if delta < 0 else delta << 1)
    return bytes(out)


def without_columns(code: types.CodeType) -> types.CodeType:
    """``code`` and the code objects among its constants, with line-only locations."""
    consts = tuple(
        without_columns(c) if isinstance(c, types.CodeType) else c for c in code.co_consts
    )
    return code.replace(co_linetable=_table_without_columns(code.co_linetable), co_consts=consts)


def compile_one(item: dict[str, Any], optimize: int) -> dict[str, Any]:
    origin = item["origin"]
    try:
        with warnings.catch_warnings():
            # SyntaxWarnings (invalid escapes...) are the module author's business,
            # and would be shown once per build in every application.
            warnings.simplefilter("ignore")
            tree = ast.parse(item["source"], origin)
            # marshal flags every object referenced more than once, so the code
            # must be the only holder of its constants when it is dumped: the
            # analysis is copied out (a marshal round trip shares nothing but
            # interned strings, which marshal always flags) and the tree dropped.
            result: dict[str, Any] = marshal.loads(marshal.dumps(analyze(tree), MARSHAL_VERSION))
            code = compile(tree, origin, "exec", dont_inherit=True, optimize=optimize)
            del tree
    except SyntaxError as e:
        return {
            "error": {
                "kind": type(e).__name__,
                "message": str(e.msg),
                "lineno": e.lineno or 0,
                "offset": e.offset or 0,
                "text": (e.text or "").rstrip("\n"),
            }
        }
    except (ValueError, UnicodeDecodeError, RecursionError, MemoryError) as e:
        # NUL bytes, undecodable source, nesting too deep for the parser
        return {
            "error": {
                "kind": type(e).__name__,
                "message": str(e),
                "lineno": 0,
                "offset": 0,
                "text": "",
            }
        }
    if not item.get("columns", True):
        code = without_columns(code)
    result["bytecode"] = marshal.dumps(code)
    result["error"] = None
    return result


def main() -> int:
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    # Nothing but frames may reach stdout.
    sys.stdout = sys.stderr
    while True:
        request = read_frame(stdin)
        if request is None or request.get("op") == "exit":
            # Every answer is flushed (write_frame): skip the interpreter's teardown,
            # which the build waited for (25 ms of every build).
            sys.stderr.flush()
            os._exit(0)
        op = request.get("op")
        if op == "facts":
            write_frame(stdout, facts())
        elif op == "compile":
            optimize = request["optimize"]
            write_frame(stdout, {"results": [compile_one(i, optimize) for i in request["items"]]})
        else:
            raise ValueError(f"unknown request: {op!r}")


if __name__ == "__main__":
    sys.exit(main())
