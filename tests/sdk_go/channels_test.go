package sdkgo

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"cable.dev/sdk/go/cable"
)

func wantCode(t *testing.T, what string, err error, code codes.Code) {
	t.Helper()
	var e *cable.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("%s: %v, want %v", what, err, code)
	}
}

// The stateful channel calls against the real server, checking only what
// publisher.proto documents.
func TestStatefulChannelCalls(t *testing.T) {
	srv := startServer(t)
	p := newPublisher(t, srv)
	ctx := context.Background()

	created, err := p.CreateChannel(ctx, cable.ChannelSpec{Name: "go-board", State: `{"cards":[]}`, Type: "go-test"})
	if err != nil || !created {
		t.Fatalf("CreateChannel = %v, %v; want created", created, err)
	}
	created, err = p.CreateChannel(ctx, cable.ChannelSpec{Name: "go-board", State: `{}`, Type: "go-test"})
	if err != nil || created {
		t.Fatalf("CreateChannel again = %v, %v; want not created, no error", created, err)
	}

	st, err := p.GetState(ctx, "go-board")
	if err != nil {
		t.Fatalf("GetState: %v", err)
	}
	if st.State != `{"cards":[]}` || st.Type != "go-test" || !st.KeepEvents {
		t.Errorf("GetState = %+v", st)
	}

	next := `{"cards":["a"]}`
	res, err := p.UpdateState(ctx, cable.StateUpdate{
		Name: "go-board", ExpectedRevision: st.Revision, State: &next, Events: []string{`{"add":"a"}`},
	})
	if err != nil {
		t.Fatalf("UpdateState: %v", err)
	}
	if res.Revision <= st.Revision || res.FirstEventID == 0 {
		t.Errorf("UpdateState = %+v after revision %d", res, st.Revision)
	}
	_, err = p.UpdateState(ctx, cable.StateUpdate{Name: "go-board", ExpectedRevision: st.Revision, State: &next})
	wantCode(t, "UpdateState at a stale revision", err, codes.FailedPrecondition)

	st2, err := p.GetState(ctx, "go-board")
	if err != nil || st2.State != next || st2.Revision != res.Revision {
		t.Errorf("GetState after update = %+v, %v; want state %s at revision %d", st2, err, next, res.Revision)
	}

	names, err := p.ListChannelsOfType(ctx, "go-test")
	if err != nil || len(names) != 1 || names[0] != "go-board" {
		t.Errorf("ListChannelsOfType = %v, %v; want [go-board]", names, err)
	}
	if _, err := p.DeleteEvents(ctx, "go-board", cable.KeepNewest(0), cable.KeepYoungerThan(time.Millisecond)); err != nil {
		t.Errorf("DeleteEvents: %v", err)
	}

	_, err = p.GetState(ctx, "go-missing")
	wantCode(t, "GetState of an unknown channel", err, codes.NotFound)
}
