// Package cablev1 is the cable.v1 Publisher API generated from
// proto/cable/v1/publisher.proto by sdk/go/generate.sh: do not edit.
//
// Applications normally use package cable.dev/sdk/go/cable instead, which
// adds deadlines, retries, credentials and typed errors.
package cablev1
