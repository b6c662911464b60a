#!/usr/bin/env bash
# Generates src/cable_sdk/_gen/ from proto/cable/v1/publisher.proto (the
# public Publisher API, and nothing else) with the grpcio-tools pinned in
# requirements-generate.txt, installed into a throwaway venv made by Debian's
# /usr/bin/python3.
#
#   sdk/python/generate.sh          rewrite the committed generated files
#   sdk/python/generate.sh --check  regenerate into a temporary folder and
#                                   exit 1 if the committed files differ
#
# CABLE_GEN_VENV=DIR keeps the generator venv in DIR between runs (the tests
# point it into the build folder); it is rebuilt when requirements change.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
committed="$here/src/cable_sdk/_gen"
requirements="$here/requirements-generate.txt"

mode=write
case "${1:-}" in
  --check) mode=check ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The generator venv: reused while its recorded requirements match.
venv=${CABLE_GEN_VENV:-$tmp/venv}
stamp="$venv/cable-requirements-generate.txt"
if ! cmp -s "$requirements" "$stamp"; then
  if [[ -e "$venv" && -n "$(ls -A "$venv")" && ! -f "$venv/pyvenv.cfg" ]]; then
    echo "generate.sh: $venv exists and is not a venv; refusing to replace it" >&2
    exit 2
  fi
  /usr/bin/python3 -m venv --clear "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --require-virtualenv -r "$requirements"
  cp "$requirements" "$stamp"
fi

# protoc writes cable/v1/*; the package keeps them flat in _gen/ and imports
# them as cable_sdk._gen, so the one cross-module import is rewritten.
raw="$tmp/raw"
gen="$tmp/_gen"
mkdir -p "$raw" "$gen"
(cd "$repo/proto" && "$venv/bin/python" -m grpc_tools.protoc -I. \
  --python_out="$raw" --pyi_out="$raw" --grpc_python_out="$raw" \
  cable/v1/publisher.proto)

cp "$raw/cable/v1/publisher_pb2.py" "$raw/cable/v1/publisher_pb2.pyi" "$gen/"
sed 's/^from cable\.v1 import publisher_pb2 as /from cable_sdk._gen import publisher_pb2 as /' \
  "$raw/cable/v1/publisher_pb2_grpc.py" > "$gen/publisher_pb2_grpc.py"
if ! grep -q '^from cable_sdk\._gen import publisher_pb2 as ' "$gen/publisher_pb2_grpc.py"; then
  echo "generate.sh: publisher_pb2_grpc.py no longer imports 'cable.v1.publisher_pb2'; update the rewrite" >&2
  exit 1
fi
cat > "$gen/__init__.py" <<'EOF'
"""Generated from proto/cable/v1/publisher.proto by sdk/python/generate.sh: do not edit.

Private to cable_sdk: use cable_sdk.Publisher instead.
"""
EOF

if [[ $mode == check ]]; then
  if ! diff -r -u -x __pycache__ "$committed" "$gen" > "$tmp/diff"; then
    echo "sdk/python/src/cable_sdk/_gen is stale: it differs from what" \
         "sdk/python/generate.sh makes from proto/cable/v1/publisher.proto;" \
         "run sdk/python/generate.sh and commit the result. Differences:" >&2
    head -n 60 "$tmp/diff" >&2
    exit 1
  fi
  echo "sdk/python/src/cable_sdk/_gen is up to date"
else
  rm -rf "$committed"
  mkdir -p "$committed"
  cp "$gen"/* "$committed/"
  echo "wrote $committed"
fi
