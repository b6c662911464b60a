"""Runs every test_*.py beside this file with unittest and prints a closing
'N passed, N failed, N skipped' line; exits non-zero on any failure or when
no test ran. Run with the venv's python (cable_sdk installed):

    CABLE_SERVER=build/gateway/all_in_one/cable-server VENV/bin/python -B tests/sdk_python/run_tests.py
"""

import pathlib
import sys
import unittest

HERE = pathlib.Path(__file__).resolve().parent


def main() -> int:
    suite = unittest.defaultTestLoader.discover(str(HERE), pattern="test_*.py",
                                                top_level_dir=str(HERE))
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    print(f"sdk_python: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
