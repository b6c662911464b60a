#!/usr/bin/python3
"""Makes the SDK tests' venv: Debian's python3 -m venv, then pip installs the
pinned requirements and cable-sdk built from its source folder. Fails if the
build left anything in the source folder (build/, *.egg-info, ...).

    /usr/bin/python3 setup_venv.py VENV SDK_DIR REQUIREMENTS...
"""

import os
import subprocess
import sys


def tree(root: str) -> set[str]:
    found = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            found.add(os.path.relpath(os.path.join(dirpath, name), root))
    return found


def run(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, timeout=540, stdin=subprocess.DEVNULL)


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    venv, sdk_dir, requirements = sys.argv[1], sys.argv[2], sys.argv[3:]
    before = tree(sdk_dir)
    run(sys.executable, "-m", "venv", "--clear", venv)
    python = os.path.join(venv, "bin", "python")
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--require-virtualenv",
           "--quiet"]
    for r in requirements:
        pip += ["-r", r]
    run(*pip, sdk_dir)
    left = sorted(tree(sdk_dir) - before)
    if left:
        print(f"installing {sdk_dir} left files in the source tree: {', '.join(left)}",
              file=sys.stderr)
        return 1
    run(python, "-c", "import cable_sdk, cable_sdk.aio, websockets; "
                      "print('cable_sdk', cable_sdk.__version__)")
    run(python, "-m", "pip", "freeze", "--disable-pip-version-check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
