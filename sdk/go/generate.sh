#!/usr/bin/env bash
# Generates cablev1/ from proto/cable/v1/publisher.proto (the public
# Publisher API, and nothing else) with Debian's protoc (/usr/bin/protoc) and
# the protoc-gen-go / protoc-gen-go-grpc versions pinned in tools/go.mod,
# built into a temporary folder.
#
#   sdk/go/generate.sh          rewrite the committed generated files
#   sdk/go/generate.sh --check  regenerate into a temporary folder and exit 1
#                               if the committed files differ
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
committed="$here/cablev1"
module=cable.dev/sdk/go
package="$module/cablev1"
protoc=${PROTOC:-/usr/bin/protoc}
go=${GO:-go}

mode=write
case "${1:-}" in
  --check) mode=check ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The plugins, at the versions tools/go.sum pins.
(cd "$here/tools" && "$go" build -mod=readonly -o "$tmp/bin/" \
  google.golang.org/protobuf/cmd/protoc-gen-go \
  google.golang.org/grpc/cmd/protoc-gen-go-grpc)

# The .proto has no go_package: the import path is given here (M...), and
# module=... strips it so the files land in $tmp/out/cablev1/.
mapping="Mcable/v1/publisher.proto=$package;cablev1"
mkdir -p "$tmp/out"
(cd "$repo/proto" && "$protoc" -I. \
  --plugin=protoc-gen-go="$tmp/bin/protoc-gen-go" \
  --plugin=protoc-gen-go-grpc="$tmp/bin/protoc-gen-go-grpc" \
  --go_out="$tmp/out" --go_opt="module=$module" --go_opt="$mapping" \
  --go-grpc_out="$tmp/out" --go-grpc_opt="module=$module" --go-grpc_opt="$mapping" \
  cable/v1/publisher.proto)
gen="$tmp/out/cablev1"
cat > "$gen/doc.go" <<'DOC'
// Package cablev1 is the cable.v1 Publisher API generated from
// proto/cable/v1/publisher.proto by sdk/go/generate.sh: do not edit.
//
// Applications normally use package cable.dev/sdk/go/cable instead, which
// adds deadlines, retries, credentials and typed errors.
package cablev1
DOC

if [[ $mode == check ]]; then
  if ! diff -r -u "$committed" "$gen" > "$tmp/diff"; then
    echo "sdk/go/cablev1 is stale: it differs from what sdk/go/generate.sh" \
         "makes from proto/cable/v1/publisher.proto; run sdk/go/generate.sh" \
         "and commit the result. Differences:" >&2
    head -n 60 "$tmp/diff" >&2
    exit 1
  fi
  echo "sdk/go/cablev1 is up to date"
else
  rm -rf "$committed"
  mkdir -p "$committed"
  cp "$gen"/*.go "$committed/"
  echo "wrote $committed"
fi
