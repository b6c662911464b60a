package fakepublisher

import (
	"context"

	"cable.dev/sdk/go/cablev1"
)

// The answers are derived from the requests so tests can check both
// directions of the mapping.

// Broadcast accepts one message.
func (s *Server) Broadcast(ctx context.Context, r *cablev1.BroadcastRequest) (*cablev1.BroadcastResponse, error) {
	if err := s.record(ctx, "Broadcast", r); err != nil {
		return nil, err
	}
	return &cablev1.BroadcastResponse{Accepted: 1}, nil
}

// BroadcastBatch accepts every message.
func (s *Server) BroadcastBatch(ctx context.Context, r *cablev1.BroadcastBatchRequest) (*cablev1.BroadcastResponse, error) {
	if err := s.record(ctx, "BroadcastBatch", r); err != nil {
		return nil, err
	}
	return &cablev1.BroadcastResponse{Accepted: uint32(len(r.GetBroadcasts()))}, nil
}

// Disconnect succeeds.
func (s *Server) Disconnect(ctx context.Context, r *cablev1.DisconnectClientsRequest) (*cablev1.DisconnectClientsResponse, error) {
	if err := s.record(ctx, "Disconnect", r); err != nil {
		return nil, err
	}
	return &cablev1.DisconnectClientsResponse{}, nil
}

// Transmit succeeds.
func (s *Server) Transmit(ctx context.Context, r *cablev1.TransmitRequest) (*cablev1.TransmitResponse, error) {
	if err := s.record(ctx, "Transmit", r); err != nil {
		return nil, err
	}
	return &cablev1.TransmitResponse{}, nil
}

// CreateChannel reports created unless the channel is named "existing".
func (s *Server) CreateChannel(ctx context.Context, r *cablev1.CreateChannelRequest) (*cablev1.CreateChannelResponse, error) {
	if err := s.record(ctx, "CreateChannel", r); err != nil {
		return nil, err
	}
	return &cablev1.CreateChannelResponse{Created: r.GetName() != "existing"}, nil
}

// GetState answers state {"name": <name>} at revision 4, last event 9.
func (s *Server) GetState(ctx context.Context, r *cablev1.GetStateRequest) (*cablev1.GetStateResponse, error) {
	if err := s.record(ctx, "GetState", r); err != nil {
		return nil, err
	}
	return &cablev1.GetStateResponse{
		State: `{"name":"` + r.GetName() + `"}`, Revision: 4, LastEventId: 9, Type: "board", KeepEvents: true,
	}, nil
}

// UpdateState answers the next revision and first event id 10 if events
// were given.
func (s *Server) UpdateState(ctx context.Context, r *cablev1.UpdateStateRequest) (*cablev1.UpdateStateResponse, error) {
	if err := s.record(ctx, "UpdateState", r); err != nil {
		return nil, err
	}
	resp := &cablev1.UpdateStateResponse{Revision: r.GetExpectedRevision() + 1}
	if len(r.GetEvents()) > 0 {
		resp.FirstEventId = 10
	}
	return resp, nil
}

// DeleteEvents answers 3 deleted.
func (s *Server) DeleteEvents(ctx context.Context, r *cablev1.DeleteEventsRequest) (*cablev1.DeleteEventsResponse, error) {
	if err := s.record(ctx, "DeleteEvents", r); err != nil {
		return nil, err
	}
	return &cablev1.DeleteEventsResponse{Deleted: 3}, nil
}

// ListChannels answers ["a", "b"], or [<type>] when a type is given.
func (s *Server) ListChannels(ctx context.Context, r *cablev1.ListChannelsRequest) (*cablev1.ListChannelsResponse, error) {
	if err := s.record(ctx, "ListChannels", r); err != nil {
		return nil, err
	}
	if r.Type != nil {
		return &cablev1.ListChannelsResponse{Names: []string{r.GetType()}}, nil
	}
	return &cablev1.ListChannelsResponse{Names: []string{"a", "b"}}, nil
}
