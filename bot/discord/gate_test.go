package discord

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/disputebot/disputebot/bot"
	"github.com/gorilla/websocket"
)

// frame is a websocket frame from the server: final, unmasked.
func frame(opcode byte, payload []byte) []byte {
	b := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	case n < 1<<16:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

func compressed(s string) []byte {
	var b bytes.Buffer
	z := zlib.NewWriter(&b)
	z.Write([]byte(s))
	z.Close()
	return b.Bytes()
}

// trickle is a connection that reads n bytes at a time.
type trickle struct {
	net.Conn
	r io.Reader
	n int
}

func (t *trickle) Read(p []byte) (int, error) { return t.r.Read(p[:min(len(p), t.n)]) }

// TestGatedConnPassesEveryByte: whatever the reads' sizes, the reader
// gets the connection's bytes unchanged, and the gate is called once for
// each op 9, before the reader sees it: plain or compressed, and not for a
// large dispatch, a heartbeat ack or an op 9 written as text inside a
// message.
func TestGatedConnPassesEveryByte(t *testing.T) {
	upgrade := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"
	big := `{"op":0,"t":"MESSAGE_CREATE","d":{"content":"` + strings.Repeat("x", 70000) + `"}}`
	quoted := `{"op":0,"t":"MESSAGE_CREATE","d":{"content":"{\"op\":9}"}}`
	stream := [][]byte{
		[]byte(upgrade),
		frame(1, []byte(`{"op":10,"d":{"heartbeat_interval":41250}}`)),
		frame(1, []byte(`{"op":9,"d":false}`)),
		frame(1, []byte(big)),
		frame(1, []byte(quoted)),
		frame(2, compressed(`{"op":9,"d":true}`)),
		frame(1, []byte(`{"op":11}`)),
	}
	all := bytes.Join(stream, nil)
	// The gate is called when the reader has had everything up to the
	// op 9s, and not the op 9s themselves.
	wantBefore := []int{len(bytes.Join(stream[:2], nil)), len(bytes.Join(stream[:5], nil))}
	for _, n := range []int{1, 3, 7, 100, 4096, 1 << 20} {
		var got bytes.Buffer
		var gatedAt []int
		c := &gatedConn{Conn: &trickle{r: bytes.NewReader(all), n: n}, gate: func() { gatedAt = append(gatedAt, got.Len()) }}
		buf := make([]byte, 1000)
		for {
			k, err := c.Read(buf)
			got.Write(buf[:k])
			if err != nil {
				break
			}
		}
		if !bytes.Equal(got.Bytes(), all) {
			t.Errorf("reads of %d: the reader got %d bytes, not the %d sent unchanged", n, got.Len(), len(all))
		}
		if len(gatedAt) != 2 || gatedAt[0] > wantBefore[0] || gatedAt[1] > wantBefore[1] {
			t.Errorf("reads of %d: gate called with the reader at %v; want twice, at or before %v", n, gatedAt, wantBefore)
		}
	}
}

// TestGatewayOverTLSIsGated: Discord's gateway is wss, so the adapter's
// dialer makes the TLS connection itself and looks at what it reads in
// the clear: an op 9 from a TLS server asks for a turn before the reader
// sees it, and the messages around it arrive whole.
func TestGatewayOverTLSIsGated(t *testing.T) {
	up := websocket.Upgrader{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"op":10,"d":{"heartbeat_interval":41250}}`))
		c.WriteMessage(websocket.TextMessage, []byte(`{"op":9,"d":false}`))
		c.ReadMessage() // until the client goes
	}))
	defer srv.Close()
	turns := 0
	a, err := New(Config{Token: "test-token", AppID: testApp, Log: slog.New(slog.DiscardHandler),
		BeforeIdentify: func(context.Context) error { turns++; return nil }}, &bot.Bot{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	d := a.dialer()
	d.TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	c, _, err := d.Dial("wss://"+srv.Listener.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, want := range []string{`{"op":10,"d":{"heartbeat_interval":41250}}`, `{"op":9,"d":false}`} {
		_, got, err := c.ReadMessage()
		if err != nil || string(got) != want {
			t.Fatalf("message %d: %q, %v; want %q", i, got, err, want)
		}
	}
	if turns != 1 {
		t.Errorf("%d turns asked for by the time the op 9 was read; want 1", turns)
	}
}
