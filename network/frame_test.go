package network

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFrameRoundTrip(t *testing.T) {
	for _, m := range []Message{
		{},
		{Group: "group0", Module: ModuleConsensus, Payload: []byte("hello")},
		{Group: strings.Repeat("g", MaxGroupIDLen), Module: 65535, Payload: bytes.Repeat([]byte{7}, 5000)},
	} {
		f, err := EncodeFrame(m, DefaultMaxFrameSize)
		if err != nil {
			t.Fatal(err)
		}
		// Read through a reader that returns one byte at a time, as a GM
		// TLS stack splitting records would.
		got, err := ReadFrame(iotest.OneByteReader(bytes.NewReader(f)), DefaultMaxFrameSize)
		if err != nil {
			t.Fatal(err)
		}
		if got.Group != m.Group || got.Module != m.Module || !bytes.Equal(got.Payload, m.Payload) {
			t.Fatalf("round trip: %+v != %+v", got, m)
		}
	}
}

func TestFrameErrors(t *testing.T) {
	if _, err := EncodeFrame(Message{Payload: make([]byte, 2000)}, 1024); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("encode oversized: %v", err)
	}
	for _, g := range []string{strings.Repeat("g", MaxGroupIDLen+1), "a b", "g\x00", "é"} {
		if _, err := EncodeFrame(Message{Group: g}, 1024); !errors.Is(err, ErrBadGroupID) {
			t.Errorf("group %q: %v", g, err)
		}
	}
	// A huge announced length is refused before reading (or allocating) the body.
	hdr := []byte{0xff, 0xff, 0xff, 0xff}
	if _, err := ReadFrame(bytes.NewReader(hdr), DefaultMaxFrameSize); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("huge length: %v", err)
	}
	for name, body := range map[string][]byte{
		"short":       {1, 0},
		"version":     {2, 0, 1, 0},
		"group len":   {1, 0, 1, 5, 'a'},
		"group chars": {1, 0, 1, 1, ' '},
	} {
		if _, err := DecodeFrame(body); err == nil {
			t.Errorf("%s: decoded", name)
		}
		frame := append([]byte{0, 0, 0, byte(len(body))}, body...)
		if _, err := ReadFrame(bytes.NewReader(frame), 1024); err == nil {
			t.Errorf("%s: read", name)
		}
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{0, 0, 0, 10, 1, 0}), 1024); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := ReadFrame(bytes.NewReader(nil), 1024); !errors.Is(err, io.EOF) {
		t.Errorf("empty: %v", err)
	}
}

func TestHello(t *testing.T) {
	h := hello{Version: protocolVersion, Nonce: 42}
	got, err := decodeHello(h.encode())
	if err != nil || got != h {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := decodeHello(hello{Version: 9}.encode()); !errors.Is(err, ErrProtocol) {
		t.Errorf("version: %v", err)
	}
	if _, err := decodeHello([]byte("GBCS")); !errors.Is(err, ErrProtocol) {
		t.Errorf("short: %v", err)
	}
}

// FuzzDecodeFrame: the decoder never panics, and what it accepts
// re-encodes to the same bytes (the encoding is canonical).
func FuzzDecodeFrame(f *testing.F) {
	for _, m := range []Message{{}, {Group: "group0", Module: ModuleSync, Payload: []byte{1, 2, 3}}} {
		b, _ := EncodeFrame(m, DefaultMaxFrameSize)
		f.Add(b[lengthSize:])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := DecodeFrame(body)
		if err != nil {
			return
		}
		b, err := EncodeFrame(m, len(body))
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(b[lengthSize:], body) {
			t.Fatalf("not canonical: %x -> %x", body, b[lengthSize:])
		}
	})
}

// FuzzReadFrame: reading a stream never panics, never returns a frame
// above the limit, and consumes exactly the announced length.
func FuzzReadFrame(f *testing.F) {
	b, _ := EncodeFrame(Message{Group: "g", Module: ModuleAMOP, Payload: []byte("x")}, DefaultMaxFrameSize)
	f.Add(b)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0})
	ping, _ := EncodeFrame(Message{Module: ModuleHello, Payload: encodePing(3)}, MinMaxFrameSize)
	pong, _ := EncodeFrame(Message{Module: ModuleHello, Payload: encodePong(3)}, MinMaxFrameSize)
	f.Add(append(ping, pong...))
	f.Fuzz(func(t *testing.T, stream []byte) {
		r := bytes.NewReader(stream)
		for range 16 {
			before := r.Len()
			m, err := ReadFrame(r, 256)
			if err != nil {
				return
			}
			if n := bodySize(m); n > 256 || before-r.Len() != lengthSize+n {
				t.Fatalf("frame of %d bytes consumed %d", n, before-r.Len())
			}
		}
	})
}

// FuzzDecodeHello: the hello decoder never panics and round-trips.
func FuzzDecodeHello(f *testing.F) {
	f.Add(hello{Version: protocolVersion, Nonce: 1}.encode())
	f.Add([]byte("GBCS"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHello(b)
		if err == nil && !bytes.Equal(h.encode(), b) {
			t.Fatalf("hello not canonical: %x", b)
		}
	})
}

// FuzzDecodeControl: the decoder of module-0 messages (hello, ping, pong, bye)
// never panics, and what it accepts re-encodes to the same bytes.
func FuzzDecodeControl(f *testing.F) {
	f.Add(hello{Version: protocolVersion, Nonce: 1}.encode())
	f.Add(encodePing(1))
	f.Add(encodePong(1<<64 - 1))
	f.Add([]byte("PING"))
	f.Add(encodeBye())
	f.Add(encodeSeq(byeMagic, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeControl(b)
		if err != nil {
			return
		}
		var again []byte
		switch c.kind {
		case controlHello:
			again = c.hello.encode()
		case controlPing:
			again = encodePing(c.seq)
		case controlPong:
			again = encodePong(c.seq)
		case controlBye:
			again = encodeBye()
		default:
			t.Fatalf("accepted %x as kind %d", b, c.kind)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("control message not canonical: %x -> %x", b, again)
		}
	})
}
