package cable_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cable.dev/sdk/go/cable"
	"cable.dev/sdk/go/cablev1"
	"cable.dev/sdk/go/internal/fakepublisher"
)

// Each method sends the request built from its arguments and returns the
// answer's fields.
func TestMethodsMapRequestsAndResponses(t *testing.T) {
	srv := fakepublisher.Start(t)
	p := newPublisher(t, srv.Addr)
	ctx := context.Background()
	state := `{"x":1}`
	check := func(method string, want proto.Message) {
		t.Helper()
		calls := srv.Calls(method)
		if len(calls) != 1 {
			t.Fatalf("%s: server saw %d calls, want 1", method, len(calls))
		}
		if !proto.Equal(calls[0].Request, want) {
			t.Errorf("%s: server got %v, want %v", method, calls[0].Request, want)
		}
	}

	if err := p.Broadcast(ctx, "chat:1", "hi"); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	check("Broadcast", &cablev1.BroadcastRequest{Stream: "chat:1", Data: "hi"})

	n, err := p.BroadcastBatch(ctx, []cable.Message{{Stream: "a", Data: "1"}, {Stream: "b", Data: "2"}})
	if err != nil || n != 2 {
		t.Fatalf("BroadcastBatch = %d, %v; want 2, nil", n, err)
	}
	check("BroadcastBatch", &cablev1.BroadcastBatchRequest{Broadcasts: []*cablev1.BroadcastRequest{
		{Stream: "a", Data: "1"}, {Stream: "b", Data: "2"}}})

	if err := p.Disconnect(ctx, map[string]string{"user": "7"}, true); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	check("Disconnect", &cablev1.DisconnectClientsRequest{Identifiers: map[string]string{"user": "7"}, Reconnect: true})

	if err := p.Transmit(ctx, "g1.abc", `{"channel":"C"}`, "x"); err != nil {
		t.Fatalf("Transmit: %v", err)
	}
	check("Transmit", &cablev1.TransmitRequest{Sid: "g1.abc", Identifier: `{"channel":"C"}`, Data: "x"})

	created, err := p.CreateChannel(ctx, cable.ChannelSpec{Name: "board", State: state, Type: "t", NoEvents: true})
	if err != nil || !created {
		t.Fatalf("CreateChannel = %v, %v; want true, nil", created, err)
	}
	check("CreateChannel", &cablev1.CreateChannelRequest{Name: "board", State: state, Type: "t", NoEvents: true})

	got, err := p.GetState(ctx, "board")
	if err != nil {
		t.Fatalf("GetState: %v", err)
	}
	want := &cable.ChannelState{State: `{"name":"board"}`, Revision: 4, LastEventID: 9, Type: "board", KeepEvents: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetState = %+v, want %+v", got, want)
	}
	check("GetState", &cablev1.GetStateRequest{Name: "board"})

	res, err := p.UpdateState(ctx, cable.StateUpdate{Name: "board", ExpectedRevision: 4, State: &state, Events: []string{"1", "2"}})
	if err != nil || res.Revision != 5 || res.FirstEventID != 10 {
		t.Fatalf("UpdateState = %+v, %v; want revision 5, first event 10", res, err)
	}
	check("UpdateState", &cablev1.UpdateStateRequest{Name: "board", ExpectedRevision: 4, State: &state, Events: []string{"1", "2"}})

	deleted, err := p.DeleteEvents(ctx, "board", cable.KeepNewest(0), cable.KeepYoungerThan(90*time.Second))
	if err != nil || deleted != 3 {
		t.Fatalf("DeleteEvents = %d, %v; want 3, nil", deleted, err)
	}
	zero, ms := uint64(0), uint64(90000)
	check("DeleteEvents", &cablev1.DeleteEventsRequest{Name: "board", KeepNum: &zero, KeepDurationMs: &ms})

	names, err := p.ListChannels(ctx)
	if err != nil || !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Fatalf("ListChannels = %v, %v", names, err)
	}
	names, err = p.ListChannelsOfType(ctx, "")
	if err != nil || !reflect.DeepEqual(names, []string{""}) {
		t.Fatalf("ListChannelsOfType(\"\") = %v, %v; want the empty type sent", names, err)
	}
}

func TestUpdateStateWithoutStateLeavesItUnset(t *testing.T) {
	srv := fakepublisher.Start(t)
	p := newPublisher(t, srv.Addr)
	if _, err := p.UpdateState(context.Background(), cable.StateUpdate{Name: "b", Events: []string{"{}"}}); err != nil {
		t.Fatal(err)
	}
	if r := srv.Calls("UpdateState")[0].Request.(*cablev1.UpdateStateRequest); r.State != nil {
		t.Errorf("state sent: %q", r.GetState())
	}
}

func TestAPIKeyIsSentAsBearerMetadata(t *testing.T) {
	srv := fakepublisher.Start(t)
	p := newPublisher(t, srv.Addr, cable.WithAPIKey("s3cret"))
	if err := p.Broadcast(context.Background(), "s", "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ListChannels(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"Broadcast", "ListChannels"} {
		got := srv.Calls(method)[0].Metadata.Get("authorization")
		if !reflect.DeepEqual(got, []string{"Bearer s3cret"}) {
			t.Errorf("%s: authorization metadata %q, want [\"Bearer s3cret\"]", method, got)
		}
	}
}

func TestNoAPIKeyNoAuthorization(t *testing.T) {
	srv := fakepublisher.Start(t)
	p := newPublisher(t, srv.Addr)
	if err := p.Broadcast(context.Background(), "s", "d"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Calls("Broadcast")[0].Metadata.Get("authorization"); len(got) != 0 {
		t.Errorf("authorization metadata %q sent without an API key", got)
	}
}
