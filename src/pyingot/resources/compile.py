"""Compile modules with the target interpreter, through ``_worker.py``.

The build tool may run on an older Python than the target, and bytecode belongs
to one CPython version, so source is parsed and compiled by the target
interpreter itself: one worker process per build, fed batches of modules over
a pipe (see the protocol in ``_worker.py``). The worker also reports each
module's imports, which ``reachability.py`` follows.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import os
import select
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from pyingot import cache, digests
from pyingot.errors import InternalError, PyingotError
from pyingot.resources._worker import MARSHAL_VERSION, read_frame, write_frame

WORKER = Path(__file__).with_name("_worker.py")


@dataclass(frozen=True)
class InterpreterFacts:
    """What the build needs to know about the target interpreter."""

    version: tuple[int, int, int]
    magic: bytes
    builtin_modules: frozenset[str]
    #: Modules compiled into the interpreter as frozen code (``_frozen_importlib``, ``os``...).
    frozen_modules: frozenset[str]
    extension_suffixes: tuple[str, ...]
    platform: str

    @property
    def major_minor(self) -> tuple[int, int]:
        return self.version[0], self.version[1]


@dataclass(frozen=True)
class CompileRequest:
    name: str
    #: The code's filename: the path relative to its search root.
    origin: str
    source: bytes
    #: False for a module embedded without its source: its code keeps line numbers
    #: but not the columns of each instruction, which only a traceback's carets
    #: under a source line use (``_worker.without_columns``).
    columns: bool = True


@dataclass(frozen=True)
class ImportStatement:
    """``import x`` is (0, "x", ()); ``from ..a import b`` is (2, "a", ("b",))."""

    level: int
    module: str
    names: tuple[str, ...] = ()
    #: Runs only when the module is ``__main__``: in its ``if __name__ ==
    #: "__main__"`` block or a private function only that block uses.
    main_only: bool = False
    #: In an ``except`` clause of ``try`` statements whose bodies only import
    #: built-in modules: one tuple of those modules per ``try``. The import runs
    #: only if each ``try`` failed, so not when one of them has all its modules
    #: linked into the executable.
    guards: tuple[tuple[str, ...], ...] = ()
    #: ``""`` when the import runs as the module is imported; ``"function:NAME"``
    #: in the body of the top-level function NAME, ``"function"`` in another
    #: function's, ``"except"`` in an ``except`` clause, ``"type-checking"`` under
    #: ``if TYPE_CHECKING:``: it runs later or never
    #: (:meth:`pyingot.resources.reachability.Reachability.imported_at_start`).
    deferred: str = ""


@dataclass(frozen=True)
class CompileFailure:
    kind: str
    message: str
    lineno: int
    offset: int
    text: str

    def describe(self, path: str) -> str:
        where = f"{path}:{self.lineno}" if self.lineno else path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class CompiledModule:
    name: str
    #: ``marshal.dumps(code)``; empty when ``error`` is set.
    bytecode: bytes
    imports: tuple[ImportStatement, ...]
    #: Literal names given to ``__import__`` or ``importlib.import_module``.
    dynamic_imports: tuple[str, ...]
    #: Language features that make the interpreter import modules (see
    #: ``dynamic.FEATURE_IMPORTS``).
    features: frozenset[str]
    #: The literal strings of the module's ``__all__``, if it has one.
    all_names: tuple[str, ...] | None
    #: Names the module puts in ``sys.modules`` itself (``os.path``).
    aliases: tuple[str, ...] = ()
    #: For its module-level code (``"<module>"``), its ``__main__`` block
    #: (``"<main>"``) and each top-level function: the module's top-level functions
    #: that code names, so may call.
    references: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: For the same regions: the attributes that code reads from imported modules,
    #: as dotted names (``numpy.random`` for ``np.random``), which may be submodules
    #: imported when first read.
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    error: CompileFailure | None = None


class Worker:
    """A running ``_worker.py`` under the target interpreter; use it as a context manager."""

    def __init__(self, interpreter: Path) -> None:
        self.interpreter = interpreter
        if not interpreter.is_file():
            raise PyingotError(
                f"target interpreter {interpreter} does not exist",
                hint="rebuild the distribution: pyingot python build",
            )
        # Closed in close(); a file, not a pipe, so a chatty worker never blocks.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                [str(interpreter), "-I", "-S", str(WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )
        except OSError as e:
            self._stderr.close()
            raise PyingotError(
                f"cannot run the target interpreter {interpreter} ({e.strerror or e})",
                hint="rebuild the distribution: pyingot python build",
            ) from e
        self._asked = False
        self.facts = self._known_facts()

    def _known_facts(self) -> InterpreterFacts:
        """The facts, kept in the cache under the interpreter's identity and the worker's
        source: then the build goes on while the worker starts, and waits for it only
        when a module needs compiling (a rebuild after an edit waited 30 to 60 ms)."""
        inputs = {
            "interpreter": cache.identity(self.interpreter),
            "worker": _worker_digest().hex(),
        }
        text = cache.memo("interpreter-facts", inputs, lambda: _facts_json(self._facts()))
        try:
            return _facts_from_json(text)
        except (ValueError, KeyError, TypeError):
            return self._facts()  # a damaged memo: ask the worker

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        proc = self._proc
        if not self._asked and proc.poll() is None:
            # Never asked anything (every module's answer was cached, the facts too):
            # it may still be starting; stop it rather than wait for it to start and exit.
            proc.kill()
            proc.wait()
        if proc.poll() is None:
            try:
                assert proc.stdin is not None and proc.stdout is not None
                write_frame(proc.stdin, {"op": "exit"})
                proc.stdin.close()
                # Its stdout reaches EOF as it exits: waiting for that, rather than
                # polling wait(timeout=...) with growing sleeps, saved 15-35 ms a build.
                if select.select([proc.stdout], [], [], 10)[0]:
                    proc.stdout.read()
                proc.wait(timeout=10)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        self._stderr.close()

    def _call(self, request: dict[str, Any]) -> Any:
        self._asked = True
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            write_frame(proc.stdin, request)
            response = read_frame(proc.stdout)
        except (OSError, EOFError, ValueError) as e:
            response = None
            cause: Exception | None = e
        else:
            cause = None
        if response is None:
            raise self._failed() from cause
        return response

    def _failed(self) -> PyingotError | InternalError:
        try:
            status = self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            status = self._proc.wait()
        self._stderr.seek(0)
        tail = self._stderr.read().decode(errors="replace").strip().splitlines()[-15:]
        failed = f"the target interpreter {self.interpreter} failed while compiling modules"
        if not tail:
            # What it prints is the user's to read (a broken interpreter, a file
            # it cannot import); a worker that dies silently broke the protocol.
            return InternalError(f"{failed} (exit status {status}), and printed nothing")
        return PyingotError(f"{failed} (exit status {status})", hint="\n".join(tail))

    def _facts(self) -> InterpreterFacts:
        f = self._call({"op": "facts"})
        major, minor, micro = f["version"]
        return InterpreterFacts(
            version=(major, minor, micro),
            magic=f["magic"],
            builtin_modules=frozenset(f["builtin_module_names"]),
            frozen_modules=frozenset(f["frozen_module_names"]),
            extension_suffixes=tuple(f["extension_suffixes"]),
            platform=f["platform"],
        )

    def compile(self, requests: Sequence[CompileRequest], *, optimize: int) -> list[CompiledModule]:
        """Parse and compile each request; results in the same order.

        Results are cached on disk by content (see :class:`CompileCache`), so a
        rebuild after an edit compiles only the edited modules.
        """
        if not requests:
            return []
        store = CompileCache(self.facts, optimize)
        results: list[dict[str, Any] | None] = [store.get(r) for r in requests]
        todo = [i for i, res in enumerate(results) if res is None]
        if todo:
            items = [
                {
                    "name": requests[i].name,
                    "origin": requests[i].origin,
                    "source": requests[i].source,
                    "columns": requests[i].columns,
                }
                for i in todo
            ]
            response = self._call({"op": "compile", "optimize": optimize, "items": items})
            for i, res in zip(todo, response["results"], strict=True):
                results[i] = res
                if res.get("error") is None:
                    store.put(requests[i], res)
        return [
            _compiled(r.name, res)
            for r, res in zip(requests, results, strict=True)
            if res is not None
        ]


def _facts_json(f: InterpreterFacts) -> str:
    return json.dumps(
        {
            "version": list(f.version),
            "magic": f.magic.hex(),
            "builtin_module_names": sorted(f.builtin_modules),
            "frozen_module_names": sorted(f.frozen_modules),
            "extension_suffixes": list(f.extension_suffixes),
            "platform": f.platform,
        }
    )


def _facts_from_json(text: str) -> InterpreterFacts:
    f = json.loads(text)
    major, minor, micro = (int(v) for v in f["version"])
    return InterpreterFacts(
        version=(major, minor, micro),
        magic=bytes.fromhex(f["magic"]),
        builtin_modules=frozenset(str(n) for n in f["builtin_module_names"]),
        frozen_modules=frozenset(str(n) for n in f["frozen_module_names"]),
        extension_suffixes=tuple(str(x) for x in f["extension_suffixes"]),
        platform=str(f["platform"]),
    )


class CompileCache:
    """The worker's answers, stored by a hash of everything they depend on.

    The key covers the target interpreter (version, bytecode magic, platform),
    the worker's own source (its analysis), the optimization level, and the
    module's name, origin, source bytes (through their sha256) and whether its code
    keeps columns. Entries are written atomically (temporary file + rename); a
    damaged entry is recomputed.

    The source's digest and the bytecode's (kept in the entry, :data:`_BYTECODE_SHA256`)
    are given to :func:`pyingot.digests.remember`: the blob cache looks both up by
    them, and a numpy rebuild spent 18 ms hashing its 549 modules' 22 MB a second time.
    """

    def __init__(self, facts: InterpreterFacts, optimize: int) -> None:
        self.root = cache.cache_root() / "bytecode"
        self.prefix = hashlib.sha256(
            repr((facts.version, facts.magic, facts.platform, optimize)).encode() + _worker_digest()
        ).digest()

    def _path(self, r: CompileRequest) -> str:
        """The entry's file (a string, not a Path: a rebuild looks up every module)."""
        source = hashlib.sha256(r.source)
        digests.remember(r.source, source.hexdigest())
        h = hashlib.sha256(self.prefix)
        for part in (r.name.encode(), r.origin.encode(), source.digest(), b"%d" % r.columns):
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
        key = h.hexdigest()
        return f"{self.root}/{key[:2]}/{key}"

    def get(self, r: CompileRequest) -> dict[str, Any] | None:
        try:
            with open(self._path(r), "rb") as f:
                value = marshal.loads(f.read())
        except (OSError, EOFError, ValueError, TypeError):
            return None
        if not isinstance(value, dict):
            return None
        digest = value.pop(_BYTECODE_SHA256, None)
        if isinstance(digest, str) and isinstance(value.get("bytecode"), bytes):
            digests.remember(value["bytecode"], digest)
        return value

    def put(self, r: CompileRequest, res: dict[str, Any]) -> None:
        path = Path(self._path(r))
        digest = digests.sha256(res["bytecode"])
        digests.remember(res["bytecode"], digest)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(marshal.dumps({**res, _BYTECODE_SHA256: digest}, MARSHAL_VERSION))
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time


#: The key of a compile cache entry that holds the sha256 of its bytecode (see above).
_BYTECODE_SHA256 = "bytecode_sha256"


@functools.cache
def _worker_digest() -> bytes:
    return hashlib.sha256(WORKER.read_bytes()).digest()


def _compiled(name: str, res: dict[str, Any]) -> CompiledModule:
    err = res.get("error")
    if err is not None:
        return CompiledModule(
            name=name,
            bytecode=b"",
            imports=(),
            dynamic_imports=(),
            features=frozenset(),
            all_names=None,
            error=CompileFailure(
                kind=err["kind"],
                message=err["message"],
                lineno=err["lineno"],
                offset=err["offset"],
                text=err["text"],
            ),
        )
    all_names = res["all"]
    return CompiledModule(
        name=name,
        bytecode=res["bytecode"],
        imports=tuple(
            ImportStatement(lvl, mod, tuple(names), main, tuple(tuple(g) for g in guards), later)
            for lvl, mod, names, main, guards, later in res["imports"]
        ),
        dynamic_imports=tuple(res["dynamic"]),
        features=frozenset(res["features"]),
        all_names=None if all_names is None else tuple(all_names),
        aliases=tuple(res["aliases"]),
        references={k: tuple(v) for k, v in res["references"].items()},
        attributes={k: tuple(v) for k, v in res["attributes"].items()},
    )
