package txgossip

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gobcos/gobcos/types"
)

func txOf(n int, fill byte) []byte {
	b := bytes.Repeat([]byte{fill}, n)
	b[0] = 0xf8 // a legacy tx starts with an RLP list header
	return b
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	l := DefaultLimits()
	for _, txs := range [][][]byte{
		{txOf(2, 1)},
		{txOf(55, 2), txOf(56, 3), txOf(300, 4), {0x01}, {0x7f}},
		{txOf(types.MaxTxSize, 5)},
	} {
		b, err := Encode(txs, l)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != BatchV1 {
			t.Fatalf("version byte 0x%02x", b[0])
		}
		got, err := Decode(b, l)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(txs) {
			t.Fatalf("%d txs back, want %d", len(got), len(txs))
		}
		for i := range txs {
			if !bytes.Equal(got[i], txs[i]) {
				t.Fatalf("tx %d differs", i)
			}
		}
	}
}

// TestDecodeSingleTx: a payload that is one raw tx (what nodes before
// batching send) decodes as a batch of that tx, unchanged.
func TestDecodeSingleTx(t *testing.T) {
	for _, first := range []byte{0x01, 0x02, types.NativeTxType, 0xc5, 0xf8} {
		p := append([]byte{first}, 1, 2, 3, 4)
		got, err := Decode(p, DefaultLimits())
		if err != nil {
			t.Fatalf("0x%02x: %v", first, err)
		}
		if len(got) != 1 || !bytes.Equal(got[0], p) {
			t.Fatalf("0x%02x: %x", first, got)
		}
	}
	if _, err := Decode(txOf(types.MaxTxSize+1, 1), DefaultLimits()); !errors.Is(err, ErrLimit) {
		t.Fatalf("oversized single tx: %v", err)
	}
}

func TestEncodeLimits(t *testing.T) {
	l := Limits{MaxTxs: 3, MaxBytes: 200}
	if _, err := Encode(nil, l); !errors.Is(err, ErrBadBatch) {
		t.Fatalf("no txs: %v", err)
	}
	if _, err := Encode([][]byte{txOf(5, 1), txOf(5, 1), txOf(5, 1), txOf(5, 1)}, l); !errors.Is(err, ErrLimit) {
		t.Fatalf("4 txs, limit 3: %v", err)
	}
	if _, err := Encode([][]byte{txOf(150, 1), txOf(50, 1)}, l); !errors.Is(err, ErrLimit) {
		t.Fatalf("over 200 bytes: %v", err)
	}
	if _, err := Encode([][]byte{{}}, l); !errors.Is(err, ErrLimit) {
		t.Fatalf("empty tx: %v", err)
	}
	if _, err := Encode([][]byte{txOf(types.MaxTxSize+1, 1)}, DefaultLimits()); !errors.Is(err, ErrLimit) {
		t.Fatalf("tx over MaxTxSize: %v", err)
	}
	b, err := Encode([][]byte{txOf(5, 1), txOf(5, 1), txOf(5, 1)}, l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(b, Limits{MaxTxs: 2, MaxBytes: 200}); !errors.Is(err, ErrLimit) {
		t.Fatalf("decode 3 txs, limit 2: %v", err)
	}
	if _, err := Decode(b, Limits{MaxTxs: 3, MaxBytes: len(b) - 1}); !errors.Is(err, ErrLimit) {
		t.Fatalf("decode over MaxBytes: %v", err)
	}
}

func TestDecodeBadInput(t *testing.T) {
	l := DefaultLimits()
	good, _ := Encode([][]byte{txOf(3, 1), txOf(70, 2)}, l)
	cases := map[string]struct {
		p   []byte
		err error
	}{
		"empty":            {nil, ErrBadBatch},
		"version only":     {[]byte{BatchV1}, ErrBadBatch},
		"unknown version":  {[]byte{0xb2, 0xc0}, ErrUnknownVersion},
		"rlp string byte":  {[]byte{0x80}, ErrUnknownVersion},
		"empty list":       {[]byte{BatchV1, 0xc0}, ErrBadBatch},
		"not a list":       {[]byte{BatchV1, 0x83, 1, 2, 3}, ErrBadBatch},
		"truncated":        {good[:len(good)-1], ErrBadBatch},
		"trailing bytes":   {append(append([]byte{}, good...), 0), ErrBadBatch},
		"nested list":      {[]byte{BatchV1, 0xc2, 0xc1, 0x01}, ErrBadBatch},
		"empty tx":         {[]byte{BatchV1, 0xc1, 0x80}, ErrBadBatch},
		"non-canonical":    {[]byte{BatchV1, 0xc2, 0x81, 0x05}, ErrBadBatch},
		"long form short":  {[]byte{BatchV1, 0xf8, 0x02, 0x81, 0x99}, ErrBadBatch},
		"list beyond data": {[]byte{BatchV1, 0xf9, 0xff, 0xff, 0x01}, ErrBadBatch},
		"huge size":        {[]byte{BatchV1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, ErrBadBatch},
	}
	for name, c := range cases {
		if _, err := Decode(c.p, l); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", name, err, c.err)
		}
	}
}

// FuzzDecode: Decode never panics, keeps to the limits, and what it
// accepts as a batch re-encodes to the same bytes (the encoding is
// canonical, so a tx's hash stays that of the bytes its signer made).
func FuzzDecode(f *testing.F) {
	l := Limits{MaxTxs: 8, MaxBytes: 4096}
	for _, txs := range [][][]byte{{txOf(3, 1)}, {txOf(60, 2), txOf(4, 3), {0x02}}} {
		b, _ := Encode(txs, l)
		f.Add(b)
	}
	f.Add([]byte{0x02, 0xf8, 0x01})
	f.Add([]byte{BatchV1, 0xc0})
	f.Add([]byte{BatchV1, 0xf9, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, p []byte) {
		txs, err := Decode(p, l)
		if err != nil {
			return
		}
		if len(txs) == 0 || len(txs) > l.MaxTxs {
			t.Fatalf("%d txs", len(txs))
		}
		if p[0] != BatchV1 {
			if len(txs) != 1 || !bytes.Equal(txs[0], p) {
				t.Fatalf("single tx changed")
			}
			return
		}
		b, err := Encode(txs, l)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(b, p) {
			t.Fatalf("not canonical: %x -> %x", p, b)
		}
	})
}
