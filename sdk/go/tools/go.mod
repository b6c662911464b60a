// The code generators generate.sh builds, pinned here (with go.sum) so that
// a generation is reproducible. A module of its own: programs that use the
// SDK never see these requirements.
module cable.dev/sdk/go/tools

go 1.19

require (
	google.golang.org/grpc/cmd/protoc-gen-go-grpc v1.3.0
	google.golang.org/protobuf v1.31.0
)
