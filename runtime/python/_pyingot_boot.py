"""Runs the entry point of a pyingot executable and turns its fate into an exit status.

Embedded in every payload; imports only the standard library and the built-in
``_pyingot`` module (never the build tool). The Rust runtime calls
``main("kind:target")`` once the interpreter is up, or ``install()`` before
running like ``python``.

Exit statuses follow ``python``: ``SystemExit`` passes its code through (a
non-integer code is printed to stderr and gives 1), an uncaught exception
prints a traceback (with source lines, read from the payload) and gives 1,
KeyboardInterrupt gives 130. When stdout is a closed pipe (``app | head``),
the output is dropped silently and the status is 1, as the ``signal`` module's
documentation recommends for Python programs.

multiprocessing starts some child processes by running ``sys.executable``
again; with ``sys.frozen`` set, the command lines are:

* ``spawn``: ``EXE --multiprocessing-fork tracker_fd=N pipe_handle=N``, which
  the Rust runtime recognises (also in a python-like executable) and hands
  over as ``main("multiprocessing:spawn")``;
* the resource tracker and the forkserver: ``EXE <interpreter flags> -c
  "from multiprocessing.resource_tracker import main;main(N)"`` (and
  ``...forkserver import main; main(...)``), recognised here, in an app's
  executable, by the form of the code: one import of ``main`` from one of those
  two modules and one call of it with literal arguments. The flags reproduce
  the interpreter's own settings (``subprocess._args_from_interpreter_flags``)
  and are ignored. A python-like executable runs ``-c`` itself.

Any other command line reaches the app unchanged.
"""

import sys

import _pyingot

_installed = False


def install():
    """Path hook for the payload's virtual package directories (used by pkgutil),
    the directory of on-disk distributions on ``sys.path``, and before 3.13 a
    ``sys.excepthook`` that shows embedded source lines."""
    global _installed
    if _installed:
        return
    _installed = True
    sys.path_hooks.insert(0, _path_hook)
    sys.path_importer_cache.clear()
    on_disk = _pyingot.meta("on_disk_path")
    if on_disk:
        # Beside the executable's real path (docs/packed-format.md); behind the
        # embedded modules, which _pyingot finds first on sys.meta_path.
        sys.path.append(_pyingot.executable.rpartition("/")[0] + "/" + on_disk)
    if sys.version_info < (3, 13):
        # Before 3.13 the default hook prints tracebacks in C, which reads
        # source lines from files only: embedded modules would show none.
        # The traceback module asks the loader (linecache). __excepthook__ too,
        # so that code restoring "the original hook" keeps the source lines.
        sys.excepthook = sys.__excepthook__ = _excepthook


_c_excepthook = sys.__excepthook__


def _excepthook(exc_type, exc, tb):
    try:
        import traceback

        traceback.print_exception(exc_type, exc, tb)
    except Exception:  # fall back to the interpreter's own printer
        _c_excepthook(exc_type, exc, tb)


def _path_hook(path):
    for root in _roots():
        if path == root or path.startswith(root + "/"):
            return _PackageDirectory(path[len(root) + 1 :].replace("/", "."))
    raise ImportError("not a path inside this executable")


def _roots():
    """The executable, and the data-on-disk directory whose packages' paths start there."""
    roots = [_pyingot.executable]
    data_root = _pyingot.meta("data_root")
    if data_root:
        roots.append(_pyingot.executable.rpartition("/")[0] + "/" + data_root)
    return roots


class _PackageDirectory:
    """The path-entry finder of one package's virtual directory."""

    def __init__(self, package):
        self.package = package

    def find_spec(self, fullname, target=None):
        return _pyingot.find_spec(fullname, None, target)

    def invalidate_caches(self):
        pass

    def iter_modules(self, prefix=""):
        base = self.package + "." if self.package else ""
        names = _pyingot.names(_pyingot.MODULE, base) + _pyingot.names(_pyingot.EXTENSION, base)
        for name in sorted(set(names)):
            rest = name[len(base) :]
            if rest and "." not in rest and rest != "__main__":
                yield prefix + rest, _pyingot.is_package(name)


def main(target):
    install()
    kind, _, value = target.partition(":")
    if kind != "multiprocessing" and _is_multiprocessing_command(sys.argv):
        kind, value = "multiprocessing", sys.argv[-1]
    try:
        if kind == "multiprocessing":
            _run_multiprocessing(value)
        elif kind == "function":
            _run_function(value)
        elif kind == "module":
            _run_module(value)
        elif kind == "script":
            _run_script(value)
        else:
            raise RuntimeError(f"pyingot: unknown entry point kind {kind!r}")
        status = 0
    except SystemExit as e:
        status = _exit_status(e)
    except KeyboardInterrupt as e:
        _print_exception(e)
        status = 130
    except BrokenPipeError as e:
        status = 1 if _stdout_closed() else _print_exception(e)
    except BaseException as e:  # the top of the program
        status = _print_exception(e)
    return _flush(status)


def _run_function(value):
    import importlib

    module_name, _, attrs = value.partition(":")
    obj = importlib.import_module(module_name)
    for attr in attrs.split("."):
        obj = getattr(obj, attr)
    sys.exit(obj())


def _run_module(name):
    import runpy

    runpy._run_module_as_main(name, alter_argv=False)


def _run_script(origin):
    main = sys.modules["__main__"]
    code = _pyingot.get_code("__main__")
    main.__dict__.update(
        __file__=f"{_pyingot.executable}/{origin}", __cached__=None, __loader__=_pyingot
    )
    exec(code, main.__dict__)


#: The modules whose ``main`` multiprocessing runs with ``EXE <flags> -c CODE``.
_MULTIPROCESSING_MAINS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")
#: Single-letter flags that ``subprocess._args_from_interpreter_flags`` may repeat.
_REPEATABLE_FLAGS = frozenset("Odvb")
_FLAGS = frozenset(("-B", "-S", "-q", "-I", "-E", "-s", "-P"))


def _is_multiprocessing_command(argv):
    """Whether ``argv`` is ``EXE <flags> -c CODE`` with CODE one of multiprocessing's
    ``from multiprocessing.X import main; main(<literals>)`` (see the top)."""
    if len(argv) < 3 or argv[-2] != "-c" or "multiprocessing" not in argv[-1]:
        return False
    flags, i = argv[1:-2], 0
    while i < len(flags):
        flag = flags[i]
        if flag == "-X" and i + 1 < len(flags):
            i += 2
            continue
        repeated = len(flag) > 1 and flag[0] == "-" and len(set(flag[1:])) == 1
        if not (
            flag in _FLAGS
            or (flag.startswith("-W") and len(flag) > 2)
            or (repeated and flag[1] in _REPEATABLE_FLAGS)
        ):
            return False
        i += 1
    return _is_main_call(argv[-1])


def _is_main_call(code):
    import _ast  # built in; ast.py itself may not be in the payload

    try:
        tree = compile(code, "<multiprocessing>", "exec", _ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError):
        return False
    if len(tree.body) != 2:
        return False
    imp, call = tree.body
    if not (
        isinstance(imp, _ast.ImportFrom)
        and imp.module in _MULTIPROCESSING_MAINS
        and imp.level == 0
        and [(a.name, a.asname) for a in imp.names] == [("main", None)]
        and isinstance(call, _ast.Expr)
        and isinstance(call.value, _ast.Call)
    ):
        return False
    call = call.value
    return (
        isinstance(call.func, _ast.Name)
        and call.func.id == "main"
        and all(_is_literal(_ast, a) for a in call.args)
        and all(_is_literal(_ast, k.value) for k in call.keywords)
    )


def _is_literal(_ast, node):
    if isinstance(node, _ast.Constant):
        return True
    if isinstance(node, _ast.List | _ast.Tuple | _ast.Set):
        return all(_is_literal(_ast, e) for e in node.elts)
    if isinstance(node, _ast.Dict):
        return all(k is not None and _is_literal(_ast, k) for k in node.keys) and all(
            _is_literal(_ast, v) for v in node.values
        )
    return False


#: Not written as a literal import: the build follows those, and multiprocessing
#: must not go into every executable (an app that uses it has it).
_SPAWN = "multiprocessing.spawn"


def _run_multiprocessing(value):
    """Run the multiprocessing child this process is (see the top), not the app."""
    import importlib

    if value == "spawn":
        # Reads the arguments, runs the child, exits (SystemExit).
        importlib.import_module(_SPAWN).freeze_support()
        return
    # As python -c does: in __main__'s namespace, with sys.argv == ["-c"].
    sys.argv[:] = ["-c"]
    exec(value, sys.modules["__main__"].__dict__)


def _exit_status(e):
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:  # noqa: SIM105 - contextlib would be one more import at every start
        print(code, file=sys.stderr)
    except Exception:  # stderr itself is gone
        pass
    return 1


def _print_exception(e):
    try:
        if sys.excepthook is sys.__excepthook__:
            import traceback

            traceback.print_exception(type(e), e, e.__traceback__)
        else:
            sys.excepthook(type(e), e, e.__traceback__)
    except Exception:  # stderr itself is gone
        pass
    return 1


def _stdout_closed():
    """Whether stdout is a pipe whose reader has gone (poll reports POLLERR then)."""
    try:
        import select

        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        broken = any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except Exception:  # no usable stdout: treat as closed
        broken = True
    if broken:
        _drop_stdout()
    return broken


def _drop_stdout():
    """Send what is still buffered for stdout nowhere, so exiting prints no error."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except Exception:  # stdout already unusable
        pass


def _flush(status):
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:
            if stream is sys.stdout:
                _drop_stdout()
                status = status or 1
        except Exception:  # nothing left to report to
            pass
    return status
