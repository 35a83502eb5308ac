"""User errors and bugs end differently (issue 8): exit 1 with the fix, or exit
70 with a traceback and the bug-report request."""

from __future__ import annotations

import pytest

from pyingot import __version__, cli
from pyingot.errors import InternalError, PyingotError


def _fail_with(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def dispatch(args: object) -> int:
        raise error

    monkeypatch.setattr(cli, "_dispatch", dispatch)


def test_an_internal_error_is_a_bug_exit_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fail_with(monkeypatch, InternalError("payload entry MODULE 'x' has no code"))
    assert cli.main(["inspect", "x"]) == 70
    err = capsys.readouterr().err
    assert "InternalError: payload entry MODULE 'x' has no code" in err
    assert "pyingot crashed: this is a bug. Please report it" in err
    assert f"pyingot {__version__}, Python " in err


def test_a_user_error_exits_1_without_a_bug_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fail_with(monkeypatch, PyingotError("no such file: x", hint="check the path"))
    assert cli.main(["inspect", "x"]) == 1
    err = capsys.readouterr().err
    assert err == "error: no such file: x\n  hint: check the path\n"
