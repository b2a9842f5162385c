package network

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
)

// A connection replacing a duplicate takes over what the old one still
// had queued. Host a's connection to b is a raw one that never reads, so
// a's writer gets stuck and its queue fills; then the real host b dials a
// and its connection (same dialer, larger nonce) replaces the raw one.
// Every frame a accepted is accounted for: written to the old connection,
// counted as cut off mid-write, or moved, and b receives the moved ones:
// the last ones a accepted, in order.
func TestReplacementMovesQueuedFrames(t *testing.T) {
	_, a, b, admA, admB := pair(t, crypto.ECDSA())
	ha := testHost(t, a, admA, func(c *Config) {
		c.SendQueueSize, c.MaxFrameSize = 16, 1<<20
		c.KeepaliveIdle = -1             // pings would share the queue
		c.WriteTimeout = 5 * time.Minute // the stuck writer must outlive the test
	})
	_ = rawPeer(t, b, admB, ha) // dials with nonce 99 and never reads
	eventually(t, "raw peer registered", func() bool { return ha.Connected(b.id) })
	ha.mu.Lock()
	old := ha.peers[b.id]
	ha.mu.Unlock()

	payload := make([]byte, 512<<10)
	var accepted []uint32
	full := 0
	for i := range uint32(200) { // 100 MiB: far beyond socket buffers
		binary.BigEndian.PutUint32(payload, i)
		switch err := ha.Send(b.id, "g", ModuleAMOP, payload); {
		case err == nil:
			accepted = append(accepted, i)
		case errors.Is(err, ErrQueueFull):
			full++
		default:
			t.Fatal(err)
		}
	}
	if full == 0 || len(old.queue) == 0 {
		t.Fatalf("the writer is not stuck: %d refused, %d queued", full, len(old.queue))
	}

	box := newInbox()
	hb := testHost(t, b, admB, func(c *Config) {
		c.ListenAddr, c.Peers = "", []string{addrOf(ha)}
		c.MaxFrameSize, c.ByteRateLimit, c.ByteBurst = 1<<20, 1<<40, 1<<30
		c.KeepaliveIdle = -1
	})
	hb.Handle("g", ModuleAMOP, box.handler)
	eventually(t, "the raw connection replaced", func() bool {
		select {
		case <-old.writerDone:
			return ha.Stats().Moved > 0
		default:
			return false
		}
	})
	st := ha.Stats()
	moved := int(st.Moved)
	t.Logf("accepted %d, refused %d, moved %d, dropped %d", len(accepted), full, moved, st.SendDropped)
	cut := int(st.SendDropped) - full
	if sent := int(old.sent.Load()); sent+cut+moved != len(accepted) || cut < 0 {
		t.Fatalf("%d accepted: %d written to the old connection, %d cut off, %d moved", len(accepted), sent, cut, moved)
	}
	want := accepted[len(accepted)-moved:]
	eventually(t, "the moved frames at b", func() bool { return box.count(a.id) >= len(want) })
	got := box.from(a.id)
	if len(got) != len(want) {
		t.Fatalf("b got %d frames, want the %d moved", len(got), len(want))
	}
	for i, m := range got {
		if n := binary.BigEndian.Uint32([]byte(m)); n != want[i] {
			t.Fatalf("frame %d at b is message %d, want %d", i, n, want[i])
		}
	}
	// Later sends take the new connection.
	if err := ha.Send(b.id, "g", ModuleAMOP, []byte{0, 0, 1, 0}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a later frame at b", func() bool { return box.count(a.id) == len(want)+1 })
}
