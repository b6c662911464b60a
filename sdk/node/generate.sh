#!/usr/bin/env bash
# Copies proto/cable/v1/publisher.proto (the public Publisher API, and nothing
# else) into this package and generates its TypeScript types into
# src/generated/ with proto-loader-gen-types from the @grpc/proto-loader
# version pinned in package.json / package-lock.json.
#
#   sdk/node/generate.sh          rewrite proto/ and src/generated/ here
#   sdk/node/generate.sh --check  generate into a temporary folder and exit 1
#                                 if the committed files differ (writes
#                                 nothing in the source tree)
#
# The generator comes from, in order: CABLE_GEN_NODE_MODULES=DIR (a
# node_modules installed from this package's lockfile; the tests point it
# into the build folder), sdk/node/node_modules, or a throwaway `npm ci` in a
# temporary folder.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
proto_rel=cable/v1/publisher.proto
source_proto="$repo/proto/$proto_rel"

mode=write
case "${1:-}" in
  --check) mode=check ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- the pinned generator ------------------------------------------------------
pinned=$(node -e 'process.stdout.write(require(process.argv[1]).dependencies["@grpc/proto-loader"])' \
  "$here/package.json")
if [[ -n "${CABLE_GEN_NODE_MODULES:-}" ]]; then
  modules=$CABLE_GEN_NODE_MODULES
elif [[ -d "$here/node_modules/@grpc/proto-loader" ]]; then
  modules=$here/node_modules
else
  mkdir "$tmp/npm"
  cp "$here/package.json" "$here/package-lock.json" "$tmp/npm/"
  (cd "$tmp/npm" && npm ci --ignore-scripts --no-audit --no-fund --silent >&2)
  modules=$tmp/npm/node_modules
fi
installed=$(node -e 'process.stdout.write(require(process.argv[1]).version)' \
  "$modules/@grpc/proto-loader/package.json" 2>/dev/null || true)
if [[ "$installed" != "$pinned" ]]; then
  echo "generate.sh: $modules has @grpc/proto-loader '${installed:-none}', package.json pins" \
       "'$pinned'; run npm ci in sdk/node (or unset CABLE_GEN_NODE_MODULES)" >&2
  exit 2
fi

# --- generate into $tmp/out -------------------------------------------------------
# The generator runs inside $tmp/out with a relative include path, so the
# "Original file:" comments it writes do not depend on where the repo is.
# These flags must match LOADER_OPTIONS in src/client.ts (what the types
# describe is what @grpc/proto-loader produces at run time).
out="$tmp/out"
mkdir -p "$out/proto/$(dirname "$proto_rel")"
cp "$source_proto" "$out/proto/$proto_rel"
(cd "$out" && node "$modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js" \
  --longs=Number --enums=String --defaults --oneofs --includeComments \
  --grpcLib=@grpc/grpc-js -I proto -O src/generated "$proto_rel" >/dev/null)

if [[ $mode == check ]]; then
  stale=0
  for d in proto src/generated; do
    if ! diff -r -u "$here/$d" "$out/$d" > "$tmp/diff" 2>&1; then
      stale=1
      echo "sdk/node/$d is stale: it differs from what sdk/node/generate.sh makes" \
           "from proto/$proto_rel; run sdk/node/generate.sh and commit the result." \
           "Differences:" >&2
      head -n 60 "$tmp/diff" >&2
    fi
  done
  if [[ $stale == 1 ]]; then exit 1; fi
  echo "sdk/node/proto and sdk/node/src/generated are up to date"
else
  rm -rf "$here/proto" "$here/src/generated"
  cp -r "$out/proto" "$here/proto"
  cp -r "$out/src/generated" "$here/src/generated"
  echo "wrote $here/proto and $here/src/generated"
fi
