"""The one reporter of the real-peer suites (tests/interop, tests/hardening,
tests/ops). Standard library only.

Every check prints exactly one line on stdout:

    PASS name
    FAIL name: reason          (reason squeezed onto one line, never empty)
    SKIP name: reason

and "# ..." lines are notes (figures, explanations), not checks. A check
that raises is reported "FAIL name: <ExceptionType>: <message>". A suite's
closing line is exactly "N passed, M failed, K skipped" (summary_line()),
and its exit status is non-zero when M > 0 or when nothing ran (N + M == 0).
The shell side (tests/lib/report.sh) prints the same lines.
"""

import os
import sys
import traceback


def one_line(why):
    """why as one line (whitespace squeezed); "no reason given" when empty."""
    return " ".join(str(why).split()) or "no reason given"


def summary_line(passed, failed, skipped):
    """The closing line of a suite: "N passed, M failed, K skipped"."""
    return "%d passed, %d failed, %d skipped" % (passed, failed, skipped)


def summary_status(passed, failed):
    """Exit status for a suite: 1 when a check failed or none ran, else 0."""
    return 1 if failed or passed + failed == 0 else 0


def tally(lines):
    """(passed, failed, skipped) counted over result lines (PASS/FAIL/SKIP ...)."""
    p = f = s = 0
    for line in lines:
        if line.startswith("PASS "):
            p += 1
        elif line.startswith("FAIL "):
            f += 1
        elif line.startswith("SKIP "):
            s += 1
    return p, f, s


class Reporter:
    """PASS/FAIL/SKIP lines for one test file.

    prefix: check names become "prefix/name" (no prefix: the bare name).
    results: a file every line is also appended to (default: $TERN_RESULTS,
    which tests/interop/run-all sets; None = stdout only)."""

    def __init__(self, prefix="", results=None):
        self.prefix = prefix
        self.results = results if results is not None else os.environ.get("TERN_RESULTS") or None
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def _name(self, name):
        return "%s/%s" % (self.prefix, name) if self.prefix else name

    def _out(self, line):
        print(line, flush=True)
        if self.results:
            with open(self.results, "a") as f:
                f.write(line + "\n")

    def ok(self, name):
        """Record a passed check."""
        self.passed += 1
        self._out("PASS %s" % self._name(name))
        return True

    def fail(self, name, why):
        """Record a failed check with its reason."""
        self.failed += 1
        self._out("FAIL %s: %s" % (self._name(name), one_line(why)))
        return False

    def skip(self, name, why):
        """Record a check that could not run here, with the reason."""
        self.skipped += 1
        self._out("SKIP %s: %s" % (self._name(name), one_line(why)))
        return None

    def check(self, name, cond, why=""):
        """One check. Two forms:
          check(name, cond, why)  - cond true: PASS; false: FAIL name: why
          check(name, problems)   - problems: None, a string or a list of
                                    strings; empty means PASS, else FAIL with
                                    them joined by "; "
        A bare truth value without why fails with "check failed".
        Returns whether the check passed."""
        if not why and (cond is None or isinstance(cond, (list, tuple, str))):
            probs = [cond] if isinstance(cond, str) else list(cond or [])
            probs = [str(p) for p in probs if p]
            return self.fail(name, "; ".join(probs)) if probs else self.ok(name)
        return self.ok(name) if cond else self.fail(name, why or "check failed")

    def run(self, name, fn, *a, **kw):
        """Run fn(*a, **kw), which returns problems (see check); an exception
        is a FAIL "name: Type: message". Returns whether the check passed."""
        try:
            probs = fn(*a, **kw)
        except Exception as e:  # noqa: BLE001 - one broken check must not end the test
            return self.fail(name, "%s: %s" % (type(e).__name__, e))
        return self.check(name, probs)

    def guard(self, name, fn, *a, **kw):
        """Run a test body fn(*a, **kw) whose checks report themselves; an
        exception is one FAIL "name: Type: message" (traceback on stderr).
        Returns fn's value, or None after an exception."""
        try:
            return fn(*a, **kw)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            self.fail(name, "%s: %s" % (type(e).__name__, e))
            return None

    def note(self, msg):
        """A figure or an explanation: a "# " line, not a check."""
        print("# " + str(msg), flush=True)

    def exit_status(self):
        """1 when a check failed or none ran, else 0."""
        return summary_status(self.passed, self.failed)

    def finish(self):
        """Print the closing line (N passed, M failed, K skipped) and return
        the exit status."""
        print(summary_line(self.passed, self.failed, self.skipped), flush=True)
        return self.exit_status()

    def exit(self):
        """finish() and sys.exit with its status."""
        sys.exit(self.finish())


def main_guarded(R, body, *a):
    """The main() of a test file: run body(*a) under R.guard("run", ...),
    then R.finish(); returns the exit status (sys.exit it)."""
    R.guard("run", body, *a)
    return R.finish()
