"""Runs one of CPython's test modules with unittest and prints each test's outcome.

Passed with ``-c`` both to the stock interpreter and to a python-like executable
(tests/end_to_end/test_cpython_tests.py), so that it imports nothing but the standard
library: ``-c RUNNER MODULE`` loads MODULE by name (regrtest would list the directory of
the ``test`` package), runs it, and prints one JSON object after a marker line:
``{test id: [outcome, detail]}``, outcome one of ``pass``, ``fail``, ``error``, ``skip``,
``xfail``, ``xpass``, detail the traceback or the skip reason.
"""

import json
import sys
import unittest

MARK = "@@outcomes@@"


class Recorder(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcomes = {}

    def _put(self, test, outcome, detail=""):
        self.outcomes[test.id()] = [outcome, detail]

    def addSuccess(self, test):
        super().addSuccess(test)
        self._put(test, "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._put(test, "fail", self.failures[-1][1])

    def addError(self, test, err):
        super().addError(test, err)
        self._put(test, "error", self.errors[-1][1])

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            # A failing subtest fails its test (whose own addSuccess is then not called).
            failed = issubclass(err[0], test.failureException)
            kind, listed = ("fail", self.failures) if failed else ("error", self.errors)
            self.outcomes[test.id()] = [kind, listed[-1][1]]

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._put(test, "skip", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._put(test, "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._put(test, "xpass")


def main(name):
    try:
        suite = unittest.defaultTestLoader.loadTestsFromName(name)
    except unittest.SkipTest as e:
        # The module skips itself while imported (a test extension module is missing).
        outcomes = {name: ["skip", str(e)]}
    else:
        runner = unittest.TextTestRunner(stream=sys.stderr, resultclass=Recorder, verbosity=0)
        # A load error is a test named unittest.loader._FailedTest.<name>: an error like any.
        outcomes = runner.run(suite).outcomes
    sys.stdout.flush()
    print(MARK)
    print(json.dumps(outcomes))


main(sys.argv[1])
