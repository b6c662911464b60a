package cable

import (
	"context"

	"cable.dev/sdk/go/cablev1"
)

// Broadcast publishes data to every subscriber of stream. Data that is valid
// JSON arrives in the clients' "message" as that JSON value, anything else
// as a JSON string. The server rejects an empty stream (INVALID_ARGUMENT).
func (p *Publisher) Broadcast(ctx context.Context, stream, data string) error {
	req := &cablev1.BroadcastRequest{Stream: stream, Data: data}
	return p.invoke(ctx, "Broadcast", changes, func(ctx context.Context) error {
		_, err := p.client.Broadcast(ctx, req)
		return err
	})
}

// Message is one broadcast of a BroadcastBatch.
type Message struct {
	Stream string
	Data   string
}

// BroadcastBatch publishes several messages in one call, in order: each
// stream receives its messages in the order given. It returns how many the
// server accepted.
func (p *Publisher) BroadcastBatch(ctx context.Context, messages []Message) (accepted int, err error) {
	req := &cablev1.BroadcastBatchRequest{Broadcasts: make([]*cablev1.BroadcastRequest, len(messages))}
	for i, m := range messages {
		req.Broadcasts[i] = &cablev1.BroadcastRequest{Stream: m.Stream, Data: m.Data}
	}
	err = p.invoke(ctx, "BroadcastBatch", changes, func(ctx context.Context) error {
		resp, err := p.client.BroadcastBatch(ctx, req)
		if err == nil {
			accepted = int(resp.GetAccepted())
		}
		return err
	})
	return accepted, err
}

// Disconnect closes every connection, on whichever gateway, whose
// identifiers include all of the given pairs (which must not be empty).
// The clients are told whether to reconnect.
func (p *Publisher) Disconnect(ctx context.Context, identifiers map[string]string, reconnect bool) error {
	req := &cablev1.DisconnectClientsRequest{Identifiers: identifiers, Reconnect: reconnect}
	return p.invoke(ctx, "Disconnect", changes, func(ctx context.Context) error {
		_, err := p.client.Disconnect(ctx, req)
		return err
	})
}

// Transmit sends data to one connection, named by the session id it was
// welcomed with, for the subscription identifier exactly as the client
// subscribed with it. Data is encoded as in Broadcast.
func (p *Publisher) Transmit(ctx context.Context, sid, identifier, data string) error {
	req := &cablev1.TransmitRequest{Sid: sid, Identifier: identifier, Data: data}
	return p.invoke(ctx, "Transmit", changes, func(ctx context.Context) error {
		_, err := p.client.Transmit(ctx, req)
		return err
	})
}
