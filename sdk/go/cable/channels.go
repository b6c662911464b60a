package cable

import (
	"context"
	"time"

	"cable.dev/sdk/go/cablev1"
)

// Stateful channels: a JSON state with a revision, and an optional backlog
// of events (docs/protocol.md, "Stateful channels").

// ChannelSpec describes a stateful channel to create.
type ChannelSpec struct {
	// Name is non-empty UTF-8, at most 512 bytes.
	Name string
	// State is the starting state, JSON text.
	State string
	// Type is at most 50 characters; ListChannelsOfType filters on it.
	Type string
	// NoEvents sends events live without storing them (no backlog).
	NoEvents bool
}

// CreateChannel creates a channel. It returns false, and changes nothing,
// when the channel already exists.
func (p *Publisher) CreateChannel(ctx context.Context, spec ChannelSpec) (created bool, err error) {
	req := &cablev1.CreateChannelRequest{
		Name: spec.Name, State: spec.State, Type: spec.Type, NoEvents: spec.NoEvents,
	}
	err = p.invoke(ctx, "CreateChannel", changes, func(ctx context.Context) error {
		resp, err := p.client.CreateChannel(ctx, req)
		if err == nil {
			created = resp.GetCreated()
		}
		return err
	})
	return created, err
}

// ChannelState is a channel as GetState reads it.
type ChannelState struct {
	// State is JSON text.
	State       string
	Revision    uint64
	LastEventID uint64
	Type        string
	KeepEvents  bool
}

// GetState reads a channel; NOT_FOUND for an unknown one.
func (p *Publisher) GetState(ctx context.Context, name string) (*ChannelState, error) {
	var state *ChannelState
	err := p.invoke(ctx, "GetState", reads, func(ctx context.Context) error {
		resp, err := p.client.GetState(ctx, &cablev1.GetStateRequest{Name: name})
		if err == nil {
			state = &ChannelState{
				State:       resp.GetState(),
				Revision:    resp.GetRevision(),
				LastEventID: resp.GetLastEventId(),
				Type:        resp.GetType(),
				KeepEvents:  resp.GetKeepEvents(),
			}
		}
		return err
	})
	return state, err
}

// StateUpdate is a compare-and-set on a channel's revision.
type StateUpdate struct {
	Name string
	// ExpectedRevision: the update applies only if the channel is still at
	// this revision; otherwise FAILED_PRECONDITION (read again and retry).
	ExpectedRevision uint64
	// State is the new state (JSON text); nil leaves it unchanged.
	State *string
	// Events (JSON text each) are appended in order; the last one travels
	// with the state's patch.
	Events []string
}

// UpdateResult is what UpdateState returns.
type UpdateResult struct {
	Revision uint64
	// FirstEventID is the id of the first event appended, 0 if none.
	FirstEventID uint64
}

// UpdateState applies a compare-and-set update. Build a lock in the style
// of lock_state as a GetState / UpdateState loop that retries on
// FAILED_PRECONDITION.
func (p *Publisher) UpdateState(ctx context.Context, u StateUpdate) (*UpdateResult, error) {
	req := &cablev1.UpdateStateRequest{
		Name: u.Name, ExpectedRevision: u.ExpectedRevision, State: u.State, Events: u.Events,
	}
	var result *UpdateResult
	err := p.invoke(ctx, "UpdateState", changes, func(ctx context.Context) error {
		resp, err := p.client.UpdateState(ctx, req)
		if err == nil {
			result = &UpdateResult{Revision: resp.GetRevision(), FirstEventID: resp.GetFirstEventId()}
		}
		return err
	})
	return result, err
}

// Keep says which events DeleteEvents keeps: KeepNewest, KeepYoungerThan.
type Keep struct {
	apply func(*cablev1.DeleteEventsRequest)
}

// KeepNewest keeps the newest n events.
func KeepNewest(n uint64) Keep {
	return Keep{func(r *cablev1.DeleteEventsRequest) { r.KeepNum = &n }}
}

// KeepYoungerThan keeps the events younger than d (millisecond precision).
func KeepYoungerThan(d time.Duration) Keep {
	ms := uint64(d / time.Millisecond)
	return Keep{func(r *cablev1.DeleteEventsRequest) { r.KeepDurationMs = &ms }}
}

// DeleteEvents deletes a channel's stored events except those kept; with
// both Keeps, whichever keeps more wins. At least one Keep is required. It
// returns how many events were deleted.
func (p *Publisher) DeleteEvents(ctx context.Context, name string, keep ...Keep) (deleted uint64, err error) {
	req := &cablev1.DeleteEventsRequest{Name: name}
	for _, k := range keep {
		k.apply(req)
	}
	err = p.invoke(ctx, "DeleteEvents", changes, func(ctx context.Context) error {
		resp, err := p.client.DeleteEvents(ctx, req)
		if err == nil {
			deleted = resp.GetDeleted()
		}
		return err
	})
	return deleted, err
}

// ListChannels returns the names of all channels.
func (p *Publisher) ListChannels(ctx context.Context) ([]string, error) {
	return p.listChannels(ctx, &cablev1.ListChannelsRequest{})
}

// ListChannelsOfType returns the names of the channels of type channelType.
func (p *Publisher) ListChannelsOfType(ctx context.Context, channelType string) ([]string, error) {
	return p.listChannels(ctx, &cablev1.ListChannelsRequest{Type: &channelType})
}

func (p *Publisher) listChannels(ctx context.Context, req *cablev1.ListChannelsRequest) ([]string, error) {
	var names []string
	err := p.invoke(ctx, "ListChannels", reads, func(ctx context.Context) error {
		resp, err := p.client.ListChannels(ctx, req)
		if err == nil {
			names = resp.GetNames()
		}
		return err
	})
	return names, err
}
