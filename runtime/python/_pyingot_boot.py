"""Runs the entry point of a pyingot executable and turns its fate into an exit status.

Embedded in every payload; imports only the standard library and the built-in
``_pyingot`` module (never the build tool). The Rust runtime decides what the
process runs (the ``entry`` setting, runtime/stub/src/settings.rs, or a child
that multiprocessing started, runtime/stub/src/multiprocessing.rs) and, once
the interpreter is up, calls ``main(run_X, *args)`` with one of the ``run_``
functions below, or ``install()`` before running like ``python``.

Exit statuses follow ``python``: ``SystemExit`` passes its code through (a
non-integer code is printed to stderr and gives 1), an uncaught exception
prints a traceback (with source lines, read from the payload) and gives 1,
KeyboardInterrupt gives 130. When stdout is a closed pipe (``app | head``),
the output is dropped silently and the status is 1, as the ``signal`` module's
documentation recommends for Python programs.
"""

# importlib's own bootstrap modules, held from the start: code under test (CPython's
# test_importlib) puts None in their sys.modules entries while it imports.
import _frozen_importlib as _bootstrap_module
import _frozen_importlib_external as _external
import sys

import _pyingot

_installed = False


def install():
    """Called once the interpreter is initialized: ``sys._stdlib_dir`` and the
    frozen modules' files, the path hook for the payload's virtual package
    directories (used by pkgutil), the directory of on-disk distributions on
    ``sys.path``, and before 3.13 a ``sys.excepthook`` that shows embedded source
    lines."""
    global _installed
    if _installed:
        return
    _installed = True
    _own_loaders()
    _frozen_files()
    if _frozen_modules_off():
        _stdlib_from_sources()
    sys.path_hooks.insert(0, _path_hook)
    sys.path_importer_cache.clear()
    # Consulted by _pyingot.find_spec in a python-like executable only.
    _pyingot.shadowing = _shadowing_spec
    if _pyingot.on_disk_dir:
        # Behind the embedded modules, which _pyingot finds first on sys.meta_path.
        sys.path.append(_pyingot.on_disk_dir)
    if sys.version_info < (3, 13):
        # Before 3.13 the default hook prints tracebacks in C, which reads
        # source lines from files only: embedded modules would show none.
        # The traceback module asks the loader (linecache). __excepthook__ too,
        # so that code restoring "the original hook" keeps the source lines.
        sys.excepthook = sys.__excepthook__ = _excepthook


_c_excepthook = sys.__excepthook__


def _excepthook(exc_type, exc, tb):
    if issubclass(exc_type, KeyboardInterrupt) and "traceback" not in sys.modules:
        # An import here would clear CPython's record of an unhandled
        # KeyboardInterrupt, and python -c/-m/script would exit with 1 instead of
        # dying of SIGINT as python does: the C printer shows no embedded lines.
        return _c_excepthook(exc_type, exc, tb)
    try:
        import traceback

        traceback.print_exception(exc_type, exc, tb)
    except Exception:  # fall back to the interpreter's own printer
        _c_excepthook(exc_type, exc, tb)


def _path_hook(path):
    for root in _roots():
        if path == root:
            return _PackageDirectory("", path)
        if path.startswith(root + "/"):
            if not _external._path_isdir(path) and _in_file(path, root):
                # A zip archive of the view on sys.path (or a directory inside one):
                # zipimport's, the next hook, as in python.
                raise ImportError("not a directory inside this executable")
            # A path the view does not have gets a finder that finds nothing, as
            # before: multiprocessing's spawn children hand the entry script's
            # __file__ (no file of the view) to runpy.run_path, which then runs
            # the embedded __main__ that the path hooks do not find there.
            return _PackageDirectory(path[len(root) + 1 :].replace("/", "."), path)
    raise ImportError("not a path inside this executable")


def _in_file(path, root):
    """``path`` is a file of the view under ``root``, or lies below one."""
    while len(path) > len(root):
        if _external._path_isfile(path):
            return True
        path = path.rpartition("/")[0]
    return False


def _shadowing_spec(fullname):
    """The spec of the top-level module ``fullname`` in a directory that comes before
    the executable on sys.path (the script's directory or the current one, PYTHONPATH),
    as those directories come before the standard library in python; None if there is
    none. A namespace portion there does not shadow: the payload's module or package
    (or namespace package, which merges it) wins, as a regular package does in python."""
    try:
        end = sys.path.index(_pyingot.executable)
    except ValueError:
        return None
    if not end:
        return None
    spec = _external.PathFinder._get_spec(fullname, sys.path[:end])
    return spec if spec is not None and spec.loader is not None else None


def _roots():
    """The executable, and the data-on-disk directory whose packages' paths start there."""
    return [root for root in (_pyingot.executable, _pyingot.data_root_dir) if root]


class _PackageDirectory:
    """The path-entry finder of one package's virtual directory: like importlib's
    FileFinder, it finds the modules directly inside it, and a namespace package
    there is a portion (a spec without a loader) that PathFinder merges."""

    def __init__(self, package, path):
        self.package = package
        self.path = path
        self._files = None

    def find_spec(self, fullname, target=None):
        # FileFinder looks for the last part of the name in its directory.
        tail = fullname.rpartition(".")[2]
        name = f"{self.package}.{tail}" if self.package else tail
        if name != fullname:
            # The directory is searched under another name than its package's (a
            # directory of the view put on sys.path): its files are modules of that
            # name, as importlib's FileFinder finds them, read through the view.
            if not _external._path_isdir(self.path):
                return None
            return self._file_finder().find_spec(fullname, target)
        # No path: a namespace package's spec is then this directory's portion.
        spec = _pyingot.find_spec(fullname, (), target)
        if spec is None:
            # A directory of package data with no module in it is a namespace
            # portion for python's FileFinder; the view shows it as a directory.
            directory = f"{_pyingot.executable}/{name.replace('.', '/')}"
            if _external._path_isdir(directory):
                spec = _bootstrap().ModuleSpec(fullname, None, is_package=True)
                spec.submodule_search_locations = [directory]
        return spec

    def _file_finder(self):
        if self._files is None:
            self._files = _external.FileFinder(self.path, *_external._get_supported_file_loaders())
        return self._files

    def invalidate_caches(self):
        if self._files is not None:
            self._files.invalidate_caches()

    def iter_modules(self, prefix=""):
        base = self.package + "." if self.package else ""
        names = _pyingot.names(_pyingot.MODULE, base) + _pyingot.names(_pyingot.EXTENSION, base)
        for name in sorted(set(names)):
            rest = name[len(base) :]
            # A top-level __main__ is the entry script, not a module of a directory.
            if rest and "." not in rest and name != "__main__":
                yield prefix + rest, _pyingot.is_package(name)


def _bootstrap():
    return _bootstrap_module


def namespace_spec(fullname, path, directory):
    """The spec of the embedded namespace package ``fullname`` whose virtual directory
    is ``directory``, as importlib's PathFinder makes one: no loader (importlib gives
    the module its NamespaceLoader), no origin, ``__path__`` a ``_NamespacePath`` that
    recomputes itself when its parent path changes. The payload's portion comes first,
    then those PathFinder finds on ``path`` (sys.path for a top-level package), so that
    a namespace package spread over the executable and directories on disk (PYTHONPATH,
    a data-on-disk directory) holds the modules of all of them. Called by
    ``_pyingot.find_spec``."""
    if path == ():
        # Asked by a path-entry finder (_PackageDirectory): this directory's portion.
        spec = _bootstrap().ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = [directory]
        return spec
    external = _external

    def find(name, parent_path):
        portions = [directory]
        found = external.PathFinder._get_spec(name, parent_path)
        if found is not None and found.loader is None and found.submodule_search_locations:
            portions += [p for p in found.submodule_search_locations if p != directory]
        spec = _bootstrap().ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = portions
        return spec

    parent = fullname.rpartition(".")[0]
    if path is None:
        path = sys.path if not parent else sys.modules[parent].__path__
    spec = find(fullname, path)
    spec.submodule_search_locations = external._NamespacePath(
        fullname, spec.submodule_search_locations, find
    )
    return spec


def main(run, *args):
    """``run(*args)``, one of the ``run_`` functions below; returns the exit status."""
    install()
    try:
        run(*args)
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


class Loader:
    """The loader of one embedded module, as importlib's file loaders are one per
    module: its ``name`` and ``path`` (the module's file, ``__file__``), and the
    methods of the ``_pyingot`` module, which does the loading (C functions, called
    without the loader). ``_pyingot.find_spec`` makes one per spec once this class is
    ``_pyingot.Loader``; the modules imported before get theirs in ``install``."""

    __slots__ = ("name", "path")

    # No __init__: the finder makes one without running Python code (it sets the two
    # slots itself), which kept the 700 imports of every standard-library module as
    # fast as with one shared loader; ``_loader(name, path)`` makes one here.

    def __eq__(self, other):
        return type(other) is Loader and (self.name, self.path) == (other.name, other.path)

    def __hash__(self):
        return hash((self.name, self.path))

    def __repr__(self):
        return f"<pyingot.Loader {self.name!r} {self.path!r}>"

    create_module = _pyingot.create_module
    exec_module = _pyingot.exec_module
    get_code = _pyingot.get_code
    get_source = _pyingot.get_source
    is_package = _pyingot.is_package
    get_filename = _pyingot.get_filename
    get_data = _pyingot.get_data
    get_resource_reader = _pyingot.get_resource_reader


def _loader(name, path):
    loader = Loader()
    loader.name = name
    loader.path = path
    return loader


def _own_loaders():
    """Every embedded module gets a loader of its own (:class:`Loader`), from now on
    and for those imported already, whose loader was the ``_pyingot`` module."""
    _pyingot.Loader = Loader
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        if spec is None or spec.loader is not _pyingot or not spec.origin:
            continue
        spec.loader = _loader(spec.name, spec.origin)
        if getattr(module, "__loader__", None) is _pyingot:
            module.__loader__ = spec.loader


def _frozen_files():
    """``sys._stdlib_dir`` is the executable, where python's standard library
    directory would be, so that frozen modules (``os``, ``site``, ``codecs``...) have
    a ``__file__`` there, as python gives them one in ``Lib/`` (the view holds their
    sources). The interpreter's configuration knows no such directory, so it is set
    once the interpreter is initialized, and the frozen modules imported before get
    their files as importlib's ``FrozenImporter._fix_up_module`` gives them."""
    sys._stdlib_dir = _pyingot.executable
    frozen = _bootstrap_module.FrozenImporter
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        state = getattr(spec, "loader_state", None)
        if spec is None or spec.loader is not frozen or hasattr(module, "__file__"):
            continue
        if not getattr(state, "origname", None) or state.filename:
            continue
        ispkg = spec.submodule_search_locations is not None
        state.filename, pkgdir = frozen._resolve_filename(state.origname, spec.name, ispkg)
        module.__file__ = state.filename
        if pkgdir and pkgdir not in spec.submodule_search_locations:
            spec.submodule_search_locations.insert(0, pkgdir)
            if module.__path__ is not spec.submodule_search_locations:
                module.__path__.insert(0, pkgdir)


def _frozen_modules_off():
    """``-X frozen_modules=off`` (or ``PYTHON_FROZEN_MODULES=off``) was given to a
    python-like executable: the interpreter then finds no frozen ``os``."""
    import _imp

    return _imp.find_frozen("os") is None


def _from_source(spec):
    """The standard-library module of ``spec`` is embedded with its source."""
    return (
        spec.name.partition(".")[0] in sys.stdlib_module_names
        and type(spec.loader) is Loader
        and spec.origin.endswith(".py")
        and _external._path_isfile(spec.origin)
    )


class _StdlibSources:
    """Where frozen modules are off, python imports the standard library from the
    sources in its ``Lib/`` directory with importlib's ``SourceFileLoader``, so that
    an edit to them shows (the option's purpose). Here those sources are the ones in
    the executable's view, read-only: each module is compiled from its source when
    imported, as python does when it has no bytecode cache. Before ``_pyingot`` on
    ``sys.meta_path``; the modules imported already get the same loader."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname.partition(".")[0] not in sys.stdlib_module_names:
            return None
        spec = _pyingot.find_spec(fullname, path, target)
        if spec is None or not _from_source(spec):
            return None  # _pyingot's, next on sys.meta_path
        spec.loader = _external.SourceFileLoader(fullname, spec.origin)
        return spec

    @staticmethod
    def invalidate_caches():
        pass


def _stdlib_from_sources():
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.origin and _from_source(spec):
            spec.loader = _external.SourceFileLoader(spec.name, spec.origin)
            module.__loader__ = spec.loader
    sys.meta_path.insert(sys.meta_path.index(_pyingot), _StdlibSources)


def run_function(module_name, function):
    """Import ``module_name``, call ``function`` (an attribute path), exit with its result."""
    import importlib

    obj = importlib.import_module(module_name)
    for attr in function.split("."):
        obj = getattr(obj, attr)
    sys.exit(obj())


#: Not written as a literal import: the build follows those, and runpy brings
#: pkgutil, zipimport, importlib.resources and zipfile (with lzma, bz2 and their
#: libraries) into every executable. The build reaches it for a module entry point.
_RUNPY = "runpy"


def run_module(name):
    """Run module ``name`` as ``__main__``, as ``python -m`` does."""
    import importlib

    importlib.import_module(_RUNPY)._run_module_as_main(name, alter_argv=False)


def run_script(origin):
    """Run the embedded ``__main__``, whose file is ``<executable>/<origin>``."""
    main = sys.modules["__main__"]
    code = _pyingot.get_code("__main__")
    main.__dict__.update(
        __file__=f"{_pyingot.executable}/{origin}",
        __cached__=None,
        __loader__=_loader("__main__", f"{_pyingot.executable}/{origin}"),
    )
    exec(code, main.__dict__)


#: Not written as a literal import: the build follows those, and multiprocessing
#: must not go into every executable (an app that uses it has it).
_SPAWN = "multiprocessing.spawn"


def run_spawn_child():
    """A child of multiprocessing's spawn start method: multiprocessing reads the
    arguments, runs the child and exits (SystemExit)."""
    import importlib

    importlib.import_module(_SPAWN).freeze_support()


def run_command():
    """multiprocessing's resource tracker or forkserver: the ``-c`` code (the last
    argument), as ``python -c`` runs it, in ``__main__`` with ``sys.argv == ["-c"]``."""
    code = sys.argv[-1]
    sys.argv[:] = ["-c"]
    exec(code, sys.modules["__main__"].__dict__)


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
