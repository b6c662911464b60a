package cable

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is what every failed Publisher call returns.
type Error struct {
	// Method is the Publisher RPC that failed, e.g. "Broadcast".
	Method string
	// Code is the gRPC status code the call ended with.
	Code codes.Code
	// Message is the server's (or gRPC's) description.
	Message string
	// NotSent is true when the request certainly never reached the server:
	// no connection could be made, or the deadline expired before the
	// request was sent. Repeating such a call cannot publish twice.
	NotSent bool
}

// Error returns "cable: Method: CODE: message".
func (e *Error) Error() string {
	return fmt.Sprintf("cable: %s: %s: %s", e.Method, codeName(e.Code), e.Message)
}

// Retryable reports whether the same call may succeed if tried again later:
// UNAVAILABLE, RESOURCE_EXHAUSTED, and DEADLINE_EXCEEDED when the request was
// never sent. It does not say the call had no effect: a broadcast that
// failed UNAVAILABLE after it was sent may have been delivered (see NotSent).
func (e *Error) Retryable() bool {
	switch e.Code {
	case codes.Unavailable, codes.ResourceExhausted:
		return true
	case codes.DeadlineExceeded:
		return e.NotSent
	}
	return false
}

// GRPCStatus lets status.FromError and status.Code read the error.
func (e *Error) GRPCStatus() *status.Status {
	return status.New(e.Code, e.Message)
}

// IsRetryable reports whether err is an *Error (possibly wrapped) that is
// Retryable.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// callError converts what a generated stub returned into an *Error.
func callError(method string, err error, notSent bool) *Error {
	s := status.Convert(err)
	return &Error{Method: method, Code: s.Code(), Message: s.Message(), NotSent: notSent}
}

// codeName spells a code as the gRPC specification does ("INVALID_ARGUMENT"),
// like the other Cable SDKs; codes.Code.String says "InvalidArgument".
func codeName(c codes.Code) string {
	camel := c.String()
	if c == codes.OK || strings.HasPrefix(camel, "Code(") {
		return strings.ToUpper(camel)
	}
	var b strings.Builder
	for i, r := range camel {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}
