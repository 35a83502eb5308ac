"""The command line: parse, call the library, print. Nothing else lives here.

(This docstring is for readers of the code; users see ``_DESCRIPTION``.)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pyingot import __version__
from pyingot.errors import PyingotError, bug_report

EXIT_USER_ERROR = 1
EXIT_BUG = 70
EXIT_INTERRUPTED = 130


_DESCRIPTION = """\
Turn a Python project into one executable file: a static CPython, your code and
its dependencies, every module imported from memory. The executable runs on any
x86_64 Linux with glibc 2.17 or later; the machine needs no Python.

Settings come from pyproject.toml ([project] and [tool.pyingot]); see
docs/configuration.md."""

_EXAMPLES = """\
examples:
  pyingot init                 add a [tool.pyingot] table to ./pyproject.toml
  pyingot build                build ./dist/<name> (and dist/<name>.cdx.json, its SBOM)
  pyingot run -- --help        build, then run the executable with --help
  pyingot inspect dist/app     what an executable holds
  pyingot python list          the CPython distributions built so far

exit status: 0 done, 1 a problem with the input (the message says what to fix),
70 a bug in pyingot (please report it), 130 interrupted."""


def _parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(
        prog="pyingot", description=_DESCRIPTION, epilog=_EXAMPLES, formatter_class=raw
    )
    p.add_argument("--version", action="version", version=f"pyingot {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser(
        "build",
        help="build a project into one executable (dist/<name>)",
        description="Build the project into one executable, dist/<name>, with its software "
        "bill of materials beside it (dist/<name>.cdx.json, CycloneDX). The first build "
        "for a Python version builds CPython from source (minutes, then cached); later "
        "builds take seconds.",
        formatter_class=raw,
    )
    b.add_argument("path", nargs="?", default=".", help="the project directory (default: .)")
    b.add_argument(
        "-o", "--output", type=Path, help="where to write the executable (default: dist/<name>)"
    )
    b.add_argument("-q", "--quiet", action="store_true", help="print only the executable's path")
    b.add_argument(
        "--json",
        action="store_true",
        help="print a JSON summary for scripts and CI (path, size, sha256, Python version, "
        "glibc floor, SBOM path) instead of the path; progress still goes to stderr",
    )
    r = sub.add_parser(
        "run",
        help="build a project, then run it with ARGS",
        description="Build the project quietly, then run the executable with ARGS "
        "(put -- before them). Its exit status is the executable's.",
    )
    r.add_argument("path", nargs="?", default=".", help="the project directory (default: .)")
    r.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the app, after --")
    ins = sub.add_parser(
        "inspect",
        help="show what an executable holds",
        description="Show what an executable built by pyingot holds: its Python version, "
        "entry point, glibc floor, modules, data, extension modules, shared libraries and "
        "licenses, read from the file alone.",
    )
    ins.add_argument("executable", type=Path, help="an executable built by pyingot")
    ins.add_argument("-v", "--verbose", action="store_true", help="list every package and file")
    ins.add_argument(
        "--sbom",
        action="store_true",
        help="print the software bill of materials embedded in it (CycloneDX JSON) instead",
    )
    ver = sub.add_parser(
        "verify",
        help="check every entry of an executable's payload (exit 1 naming damage)",
        description="Read every entry of EXE's payload and check its checksum and "
        "decompression; the executable itself checks each entry only when it reads it. "
        "Exits 1 naming every damaged entry.",
    )
    ver.add_argument("executable", type=Path, help="the executable to check")
    i = sub.add_parser(
        "init",
        help="add a starter [tool.pyingot] section to pyproject.toml",
        description="Add a [tool.pyingot] table to pyproject.toml with the settings pyingot "
        "would infer written out, to edit. An existing table is left alone.",
    )
    i.add_argument(
        "path",
        nargs="?",
        default=".",
        help="the project directory or its pyproject.toml (default: the current directory)",
    )

    py = sub.add_parser(
        "python",
        help="build, list and inspect static CPython distributions",
        description="The static CPython distributions executables are built from. "
        "'pyingot build' builds the one it needs; these commands manage them.",
    )
    pysub = py.add_subparsers(dest="python_command", required=True, metavar="SUBCOMMAND")
    b = pysub.add_parser(
        "build",
        help="build a static CPython distribution from source",
        description="Build a static CPython distribution from source, with every library "
        "it links built from source too, for glibc 2.17 and later. Takes minutes; the "
        "result is cached.",
    )
    b.add_argument(
        "--source",
        required=True,
        help="CPython source: a tarball, an unpacked tree, or debian:python3.X",
    )
    b.add_argument(
        "--free-threaded",
        action="store_true",
        help="build the free-threaded interpreter (configure --disable-gil; CPython 3.13+)",
    )
    b.add_argument("-j", "--jobs", type=int, default=None, help="parallel compile jobs")
    b.add_argument("-q", "--quiet", action="store_true", help="print only the result")
    pysub.add_parser(
        "list",
        help="list cached distributions",
        description="List the CPython distributions in the cache, with their versions.",
    )
    pysub.add_parser(
        "prune",
        help="remove cached distributions built by an older pyingot recipe",
        description="Remove the cached distributions that this pyingot no longer uses.",
    )
    s = pysub.add_parser(
        "show",
        help="describe a distribution and its extension modules",
        description="Describe a distribution: its version, extension modules and their licenses.",
    )
    s.add_argument(
        "name",
        help="a cached distribution's name (or a unique part such as 3.13), "
        "or a PBS archive or directory",
    )
    s.add_argument(
        "--select",
        metavar="POLICY",
        help="mark the modules an extension policy selects: all, no-copyleft, minimal",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except PyingotError as e:
        print(e.render(), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted: nothing was written to the cache", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of the output went away (`pyingot inspect EXE | head`): not
        # a bug. What is still buffered goes nowhere, so exiting prints nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_USER_ERROR
    except Exception:  # InternalError and anything unforeseen: a bug
        import traceback  # here, not at the top: only a crash needs it (2 ms to import)

        traceback.print_exc()
        print(f"\n{bug_report(__version__)}", file=sys.stderr)
        return EXIT_BUG


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("build", "run"):
        from pyingot import build
        from pyingot.progress import Progress

        quiet = args.command == "run" or getattr(args, "quiet", False)
        result = build.build(
            Path(args.path),
            output=getattr(args, "output", None),
            progress=Progress(build.STAGES, quiet=quiet),
        )
        # What is left of the process is printing and exiting, whose last collection
        # walked every object the build made (the result holds them) to free nothing:
        # 10 to 15 ms for numpy.
        gc.freeze()
        if args.command == "build":
            if args.json:
                print(json.dumps(build.summary(result), indent=2))
                return 0
            if not quiet:
                print(
                    f"built {result.executable} ({result.executable.stat().st_size:,} bytes) "
                    f"in {result.seconds:.2f} s",
                    file=sys.stderr,
                )
            print(result.executable)
            return 0
        app_args = args.args[1:] if args.args[:1] == ["--"] else args.args
        sys.stdout.flush()
        os.execv(result.executable, [str(result.executable), *app_args])
    if args.command == "inspect":
        from pyingot.payload import inspect

        found = inspect.inspect(args.executable)
        if args.sbom:
            print(inspect.sbom(found))
            return 0
        print(inspect.render(found, verbose=args.verbose))
        return 0
    if args.command == "verify":
        from pyingot.payload import inspect

        print(inspect.verify(args.executable))
        return 0
    if args.command == "init":
        from pyingot import config

        print(config.init_project(Path(args.path)).summary())
        return 0
    if args.command == "python":
        from pyingot.distribution import commands

        if args.python_command == "build":
            return commands.build(
                args.source, jobs=args.jobs, quiet=args.quiet, free_threaded=args.free_threaded
            )
        if args.python_command == "list":
            return commands.list_()
        if args.python_command == "prune":
            return commands.prune()
        if args.python_command == "show":
            return commands.show(args.name, policy=args.select)
    raise AssertionError(args)
