package sdkgo

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// subscriber is a raw Action Cable client (actioncable-v1-json) that records
// every frame it reads.
type subscriber struct {
	t      *testing.T
	conn   *websocket.Conn
	SID    string
	frames []string
}

// frame is a decoded server frame.
type frame map[string]any

// connect opens ws://<addr>/cable and reads the welcome.
func connect(t *testing.T, addr string) *subscriber {
	t.Helper()
	dialer := websocket.Dialer{Subprotocols: []string{"actioncable-v1-json"}, HandshakeTimeout: wait}
	conn, resp, err := dialer.Dial("ws://"+addr+"/cable", nil)
	if err != nil {
		t.Fatalf("WebSocket connect to %s: %v", addr, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	if conn.Subprotocol() != "actioncable-v1-json" {
		t.Fatalf("subprotocol %q", conn.Subprotocol())
	}
	s := &subscriber{t: t, conn: conn}
	welcome := s.next("welcome", func(f frame) bool { return f["type"] != "ping" })
	if welcome["type"] != "welcome" {
		t.Fatalf("first frame %v, want a welcome", welcome)
	}
	s.SID, _ = welcome["sid"].(string)
	return s
}

// chatIdentifier is ChatChannel's identifier for room, which streams
// "chat:<room>".
func chatIdentifier(room string) string {
	b, _ := json.Marshal(map[string]string{"channel": "ChatChannel", "room": room})
	return string(b)
}

// subscribeChat subscribes to ChatChannel's room and returns the identifier.
func (s *subscriber) subscribeChat(room string) string {
	s.t.Helper()
	ident := chatIdentifier(room)
	s.send(map[string]string{"command": "subscribe", "identifier": ident})
	confirm := s.next("confirm_subscription", func(f frame) bool { return f["type"] != "ping" })
	if want := (frame{"identifier": ident, "type": "confirm_subscription"}); !reflect.DeepEqual(confirm, want) {
		s.t.Fatalf("subscribe answer %v, want %v", confirm, want)
	}
	return ident
}

func (s *subscriber) send(v any) {
	s.t.Helper()
	if err := s.conn.WriteJSON(v); err != nil {
		s.t.Fatalf("send %v: %v", v, err)
	}
}

// next returns the next frame that satisfies pred, skipping others, and
// fails the test if none arrives within `wait`.
func (s *subscriber) next(what string, pred func(frame) bool) frame {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if err := s.conn.SetReadDeadline(deadline); err != nil {
			s.t.Fatal(err)
		}
		_, raw, err := s.conn.ReadMessage()
		if err != nil {
			s.t.Fatalf("waiting for %s: %v; frames so far: %q", what, err, s.frames)
		}
		s.frames = append(s.frames, string(raw))
		var f frame
		if err := json.Unmarshal(raw, &f); err != nil {
			s.t.Fatalf("frame %q is not JSON: %v", raw, err)
		}
		if pred(f) {
			return f
		}
	}
}

// nextMessage returns the next data message ({"identifier":..., "message":...}).
func (s *subscriber) nextMessage(what string) frame {
	s.t.Helper()
	return s.next(what, func(f frame) bool {
		_, hasMessage := f["message"]
		_, hasType := f["type"]
		return hasMessage && !hasType
	})
}

// wantMessage checks the next data message is data for identifier ident;
// data is the JSON text of the expected "message" value.
func (s *subscriber) wantMessage(ident, data string) {
	s.t.Helper()
	var message any
	if err := json.Unmarshal([]byte(data), &message); err != nil {
		s.t.Fatalf("bad expectation %q: %v", data, err)
	}
	got := s.nextMessage("message " + data)
	if want := (frame{"identifier": ident, "message": message}); !reflect.DeepEqual(got, want) {
		s.t.Fatalf("got %v, want %v", got, want)
	}
}
