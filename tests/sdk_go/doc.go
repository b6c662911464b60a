// Package sdkgo holds the Go SDK's end-to-end tests (the *_test.go files):
// a real cable-server, WebSocket subscribers speaking Action Cable's
// protocol, and publishes through package cable and the cable-publish
// command. Run from this folder:
//
//	(cd ../../sdk/go && go build -o /tmp/cable-publish ./cmd/cable-publish)
//	CABLE_SERVER=/path/to/cable-server CABLE_PUBLISH=/tmp/cable-publish go test ./...
//
// Both variables are required: the tests fail without them.
package sdkgo
