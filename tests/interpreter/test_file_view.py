"""Tier 2: the read-only view of the payload under ``<exe>/`` (issue 11).

The python-like executable built from ``tests/fixtures/importer_project`` (the
``exe`` fixture of test_importer.py) is held to the fixture's files on the host:
walking ``<exe>/`` must find the same directories and files, with the same
bytes, as walking ``src/``. The rest pins the file-system semantics: errnos,
inodes, sealed and named in-memory files, and paths outside left alone.
tests/end_to_end/test_file_view.py checks the ways applications use it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.interpreter import test_importer
from tests.interpreter.test_importer import SRC, Exe

#: The python-like executable of the importer tests (one build per version and session).
exe = test_importer.exe

pytestmark = pytest.mark.slow


def host_tree(top: str) -> dict[str, str]:
    """``relative path -> hex bytes`` of every file under ``src/<top>``, and ``"dir"``
    for each directory, as the view should show them."""
    base = SRC / top
    tree: dict[str, str] = {}
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base).as_posix()
        if "__pycache__" in path.parts:
            continue
        tree[rel] = "dir" if path.is_dir() else path.read_bytes().hex()
    return tree


def test_walking_the_view_finds_the_sources_and_data_on_disk(exe: Exe) -> None:
    for top in ("fixturepkg", "fixturens"):
        got = exe.result(
            f"""
            import os
            top = os.path.join({str(exe.path)!r}, {top!r})
            result = {{}}
            for d, dirs, files in os.walk(top):
                for name in dirs:
                    result[os.path.relpath(os.path.join(d, name), top)] = "dir"
                for name in files:
                    with open(os.path.join(d, name), "rb") as f:
                        result[os.path.relpath(os.path.join(d, name), top)] = f.read().hex()
            """
        )
        assert got == host_tree(top), top
    assert (
        exe.result(
            f"""
        with open({exe.virtual("fixture_top.py")!r}, "rb") as f:
            result = f.read().hex()
        """
        )
        == (SRC / "fixture_top.py").read_bytes().hex()
    )


def test_errors_are_those_of_a_read_only_file_system(exe: Exe) -> None:
    got = exe.result(
        f"""
        import errno, os
        root = {str(exe.path)!r}
        core = root + "/fixturepkg/core.py"
        def err(fn, *args):
            try:
                fn(*args)
            except OSError as e:
                return errno.errorcode[e.errno]
            return "ok"
        result = {{
            "below a file": err(os.stat, core + "/x"),
            "below a data file": err(os.stat, root + "/fixturepkg/data/blob.bin/x"),
            "missing": err(os.stat, root + "/fixturepkg/nothing.txt"),
            "missing package": err(os.stat, root + "/nopkg/x.py"),
            "root as a directory": err(os.listdir, root + "/"),
            "escaping with ..": err(os.stat, root + "/../x"),
            "file with a slash": err(os.stat, core + "/"),
            "listdir of a file": err(os.listdir, core),
            "open a directory": err(open, root + "/fixturepkg"),
            "O_DIRECTORY on a file": err(os.open, core, os.O_RDONLY | os.O_DIRECTORY),
            "O_CREAT|O_EXCL existing": err(os.open, core, os.O_WRONLY | os.O_CREAT | os.O_EXCL),
            "create": err(os.open, root + "/fixturepkg/new.py", os.O_WRONLY | os.O_CREAT),
            "write": err(os.open, core, os.O_RDWR),
            "truncate": err(os.truncate, core, 0),
            "symlink": err(os.symlink, "/etc/hostname", root + "/fixturepkg/link"),
            "utime": err(os.utime, core),
            "remove missing": err(os.remove, root + "/fixturepkg/core.pyc"),
            "rename missing": err(os.rename, root + "/fixturepkg/nope", root + "/x"),
            "remove existing": err(os.remove, core),
            "readlink": err(os.readlink, core),
            "access W_OK": "ok" if not os.access(core, os.W_OK) else "writable",
        }}
        """
    )
    assert got == {
        "below a file": "ENOTDIR",
        "below a data file": "ENOTDIR",
        "missing": "ENOENT",
        "missing package": "ENOENT",
        "root as a directory": "ENOTDIR",
        "escaping with ..": "ENOTDIR",
        "file with a slash": "ENOTDIR",
        "listdir of a file": "ENOTDIR",
        "open a directory": "EISDIR",
        "O_DIRECTORY on a file": "ENOTDIR",
        "O_CREAT|O_EXCL existing": "EEXIST",
        "create": "EROFS",
        "write": "EROFS",
        "truncate": "EROFS",
        "symlink": "EROFS",
        "utime": "EROFS",
        # Nothing there to remove: the lookup's error, as clean-up code expects.
        "remove missing": "ENOENT",
        "rename missing": "ENOENT",
        "remove existing": "EROFS",
        "readlink": "EINVAL",
        "access W_OK": "ok",
    }


def test_inodes_paths_and_in_memory_files(exe: Exe) -> None:
    got = exe.result(
        f"""
        import fcntl, os, stat
        pkg = {exe.virtual("fixturepkg")!r}
        greeting = pkg + "/data/greeting.txt"
        fd = os.open(greeting, os.O_RDONLY)
        seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
        result = {{
            "same inode twice": os.stat(greeting).st_ino == os.stat(greeting).st_ino,
            "same file by another spelling": os.path.samefile(
                greeting, pkg + "/./sub/../data//greeting.txt"
            ),
            "different files differ": os.stat(greeting).st_ino != os.stat(pkg).st_ino,
            "scandir inode is stat's": all(
                e.inode() == os.stat(e.path).st_ino for e in os.scandir(pkg)
            ),
            "realpath": os.path.realpath(pkg + "/sub/../core.py") == pkg + "/core.py",
            "executable's device": (
                os.stat(greeting).st_dev == os.stat(pkg.rsplit("/", 1)[0]).st_dev
            ),
            "memfd name": os.readlink(f"/proc/self/fd/{{fd}}"),
            "sealed": bool(seals & fcntl.F_SEAL_WRITE and seals & fcntl.F_SEAL_GROW),
            "fstat": stat.S_ISREG(os.fstat(fd).st_mode),
            "dir mode": oct(stat.S_IMODE(os.stat(pkg).st_mode)),
            "outside": os.path.isdir("/usr") and not os.path.exists("/nonexistent/x"),
        }}
        os.close(fd)
        """
    )
    assert got == {
        "same inode twice": True,
        "same file by another spelling": True,
        "different files differ": True,
        "scandir inode is stat's": True,
        "realpath": True,
        "executable's device": True,
        "memfd name": "/memfd:pyingot:fixturepkg/data/greeting.txt (deleted)",
        "sealed": True,
        "fstat": True,
        "dir mode": "0o555",
        "outside": True,
    }


def test_source_lines_come_from_the_view(exe: Exe, tmp_path: Path) -> None:
    # linecache reads the virtual path as a file; a same-named file in the current
    # directory is never read instead.
    decoy = tmp_path / "fixturepkg"
    decoy.mkdir()
    (decoy / "core.py").write_text("decoy\n" * 50)
    got = exe.result(
        """
        import linecache, fixturepkg.core as core
        result = linecache.getlines(core.__file__)
        """,
        cwd=tmp_path,
    )
    assert "".join(got) == (SRC / "fixturepkg" / "core.py").read_text(encoding="utf-8")
    assert os.path.exists(decoy / "core.py")
