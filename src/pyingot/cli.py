"""The command line: parse, call the library, print. Nothing else lives here."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from pyingot import __version__
from pyingot.errors import PyingotError, bug_report

EXIT_USER_ERROR = 1
EXIT_BUG = 70
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyingot", description=__doc__)
    p.add_argument("--version", action="version", version=f"pyingot {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="build a project into one executable (dist/<name>)")
    b.add_argument("path", nargs="?", default=".", help="the project directory (default: .)")
    b.add_argument("-o", "--output", type=Path, help="where to write the executable")
    b.add_argument("-q", "--quiet", action="store_true", help="print only the executable's path")
    r = sub.add_parser("run", help="build a project, then run it with ARGS")
    r.add_argument("path", nargs="?", default=".", help="the project directory (default: .)")
    r.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the app, after --")
    ins = sub.add_parser("inspect", help="show what an executable holds")
    ins.add_argument("executable", type=Path)
    ins.add_argument("-v", "--verbose", action="store_true", help="list every package and file")
    ver = sub.add_parser(
        "verify", help="check every entry of an executable's payload (exit 1 naming damage)"
    )
    ver.add_argument("executable", type=Path)
    i = sub.add_parser("init", help="add a starter [tool.pyingot] section to pyproject.toml")
    i.add_argument(
        "path",
        nargs="?",
        default=".",
        help="the project directory or its pyproject.toml (default: the current directory)",
    )

    py = sub.add_parser("python", help="build, list and inspect static CPython distributions")
    pysub = py.add_subparsers(dest="python_command", required=True, metavar="SUBCOMMAND")
    b = pysub.add_parser("build", help="build a static CPython distribution from source")
    b.add_argument(
        "--source",
        required=True,
        help="CPython source: a tarball, an unpacked tree, or debian:python3.X",
    )
    b.add_argument("-j", "--jobs", type=int, default=None, help="parallel compile jobs")
    b.add_argument("-q", "--quiet", action="store_true", help="print only the result")
    pysub.add_parser("list", help="list cached distributions")
    pysub.add_parser("prune", help="remove cached distributions built by an older pyingot recipe")
    s = pysub.add_parser("show", help="describe a distribution and its extension modules")
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
    except Exception:  # InternalError and anything unforeseen: a bug
        traceback.print_exc()
        print(f"\n{bug_report(__version__)}", file=sys.stderr)
        return EXIT_BUG


def _dispatch(args: argparse.Namespace) -> int:
    from pyingot.distribution import commands

    if args.command in ("build", "run"):
        from pyingot import build
        from pyingot.progress import Progress

        quiet = args.command == "run" or getattr(args, "quiet", False)
        result = build.build(
            Path(args.path),
            output=getattr(args, "output", None),
            progress=Progress(build.STAGES, quiet=quiet),
        )
        if args.command == "build":
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

        print(inspect.render(inspect.inspect(args.executable), verbose=args.verbose))
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
        if args.python_command == "build":
            return commands.build(args.source, jobs=args.jobs, quiet=args.quiet)
        if args.python_command == "list":
            return commands.list_()
        if args.python_command == "prune":
            return commands.prune()
        if args.python_command == "show":
            return commands.show(args.name, policy=args.select)
    raise AssertionError(args)
