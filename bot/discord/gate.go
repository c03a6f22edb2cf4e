package discord

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"time"
)

// gatedConn is a gateway connection whose reads hold back an INVALID
// SESSION (op 9) until gate returns. discordgo answers op 9 with an
// IDENTIFY at once, from the loop that reads the connection, with no hook
// in between: a refused resume, or an identify Discord found too early,
// would be followed by identifies nobody spaced or counted, and each
// refused again (CI once saw eleven in a row). Held back here, discordgo
// reads the op 9, and identifies, only once the store has given the
// shard its turn.
//
// Frames from the server are not masked, so they can be read as they
// pass, after the HTTP response that upgrades the connection: only whole
// small frames are looked into; the rest pass through.
type gatedConn struct {
	net.Conn
	gate func()
	in   []byte // read from the connection, not yet looked at
	out  []byte // looked at, for the reader
	pass int    // bytes of a large frame's payload still to pass
	// framing is set once the HTTP response upgrading the connection has
	// passed: frames follow it.
	framing bool
	err     error  // the connection's read error, after out is drained
	buf     []byte // for reading the connection
}

// gatedFrame is the largest frame looked into: an op 9 is about forty
// bytes.
const gatedFrame = 512

func (c *gatedConn) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.buf == nil {
			c.buf = make([]byte, 4096)
		}
		n, err := c.Conn.Read(c.buf)
		c.in = append(c.in, c.buf[:n]...)
		c.sift()
		if err != nil {
			// What could not be looked into goes to the reader as it is.
			c.out, c.in, c.err = append(c.out, c.in...), nil, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// sift moves whole frames from in to out, holding back an op 9 until the
// gate opens.
func (c *gatedConn) sift() {
	if !c.framing {
		end := bytes.Index(c.in, []byte("\r\n\r\n"))
		if end < 0 {
			return
		}
		c.out, c.in, c.framing = append(c.out, c.in[:end+4]...), c.in[end+4:], true
	}
	for len(c.in) > 0 {
		if c.pass > 0 {
			k := min(c.pass, len(c.in))
			c.out, c.in, c.pass = append(c.out, c.in[:k]...), c.in[k:], c.pass-k
			continue
		}
		head, size, ok := frameHeader(c.in)
		if !ok {
			return // the rest of the header is still on its way
		}
		opcode, final := c.in[0]&0x0f, c.in[0]&0x80 != 0
		if size > gatedFrame || !final || (opcode != 1 && opcode != 2) {
			c.out, c.in, c.pass = append(c.out, c.in[:head]...), c.in[head:], int(size)
			continue
		}
		end := head + int(size)
		if len(c.in) < end {
			return
		}
		if invalidSession(opcode == 2, c.in[head:end]) {
			c.gate()
		}
		c.out, c.in = append(c.out, c.in[:end]...), c.in[end:]
	}
}

// frameHeader reads a websocket frame's header (RFC 6455, 5.2): its
// length and the payload's, or false while it is incomplete. A masked
// frame's key counts as header.
func frameHeader(b []byte) (head int, size uint64, ok bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	head, size = 2, uint64(b[1]&0x7f)
	switch size {
	case 126:
		if len(b) < 4 {
			return 0, 0, false
		}
		head, size = 4, uint64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		if len(b) < 10 {
			return 0, 0, false
		}
		head, size = 10, binary.BigEndian.Uint64(b[2:10])
	}
	if b[1]&0x80 != 0 {
		head += 4
	}
	return head, size, len(b) >= head
}

// invalidSession reports whether a gateway payload is op 9. A binary one
// is zlib-compressed, as discordgo reads it.
func invalidSession(compressed bool, payload []byte) bool {
	if compressed {
		z, err := zlib.NewReader(bytes.NewReader(payload))
		if err != nil {
			return false
		}
		defer z.Close()
		if payload, err = io.ReadAll(io.LimitReader(z, 4*gatedFrame)); err != nil {
			return false
		}
	}
	var p struct {
		Op int `json:"op"`
	}
	return json.Unmarshal(payload, &p) == nil && p.Op == 9
}

// identifyAgain waits, when the adapter has BeforeIdentify, for the turn
// of the IDENTIFY discordgo sends after an INVALID SESSION. It gives up
// when the adapter closes, and then lets the identify go (the connection
// is closing with it).
func (a *Adapter) identifyAgain() {
	if a.cfg.BeforeIdentify == nil {
		return
	}
	a.cfg.Log.Info("Discord invalidated the gateway session; waiting for a turn to identify again", "shard", a.cfg.ShardID)
	ctx, cancel := a.untilClosed()
	defer cancel()
	if err := a.cfg.BeforeIdentify(ctx); err != nil {
		a.cfg.Log.Warn("waiting for a turn to identify again", "shard", a.cfg.ShardID, "error", err)
	}
}

// untilClosed is a context that ends when the adapter begins to close
// (or hand over), or when cancel is called. A wait for a turn can be
// long (until Discord's daily session starts reset), and discordgo may be
// holding its session's lock meanwhile, which closing needs.
func (a *Adapter) untilClosed() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for !a.closing.Load() {
			select {
			case <-a.stop:
				cancel()
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		cancel()
	}()
	return ctx, cancel
}
