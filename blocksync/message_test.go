package blocksync

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus of FuzzDecodeMessage under testdata/fuzz")

func sampleMessages(t testing.TB) []*Message {
	c := newTestChain(t, newSealers(t, crypto.ECDSA(), 4), 1_700_000_000, 3)
	var blocks [][]byte
	for _, b := range c.blocks[1:] {
		blocks = append(blocks, types.EncodeBlock(b))
	}
	return []*Message{
		{Kind: KindStatus, Status: &StatusMsg{Genesis: common.HexToHash("0x01"), Number: 42, Hash: common.HexToHash("0xabcd")}},
		{Kind: KindStatus, Status: &StatusMsg{}},
		{Kind: KindGetBlocks, GetBlocks: &GetBlocksMsg{ID: 1, From: 1, Count: 32}},
		{Kind: KindGetBlocks, GetBlocks: &GetBlocksMsg{ID: math.MaxUint64, From: math.MaxUint64, Count: 1}},
		{Kind: KindBlocks, Blocks: &BlocksMsg{ID: 7, From: 1, Blocks: blocks}},
		{Kind: KindBlocks, Blocks: &BlocksMsg{ID: 8, From: 99}},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages(t) {
		enc, err := EncodeMessage(m)
		if err != nil {
			t.Fatalf("%s: %v", m.Kind, err)
		}
		got, err := DecodeMessage(enc, DefaultMaxMessageSize)
		if err != nil {
			t.Fatalf("%s: %v", m.Kind, err)
		}
		again, _ := EncodeMessage(got)
		if !bytes.Equal(enc, again) {
			t.Fatalf("%s: re-encoding differs", m.Kind)
		}
		if got.Kind != m.Kind {
			t.Fatalf("kind %s, want %s", got.Kind, m.Kind)
		}
	}
}

func rawEnvelope(t *testing.T, version, kind uint64, body any) []byte {
	t.Helper()
	b, err := rlp.EncodeToBytes(body)
	if err != nil {
		t.Fatal(err)
	}
	out, err := rlp.EncodeToBytes(&envelope{Version: version, Kind: kind, Body: b})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeMessageRejects(t *testing.T) {
	status := &StatusMsg{Number: 1}
	good := rawEnvelope(t, 1, uint64(KindStatus), status)
	if _, err := DecodeMessage(good, 1<<10); err != nil {
		t.Fatalf("the base case must decode: %v", err)
	}
	// Envelopes with hand-written fields: non-canonical forms of 1.
	handmade := func(version, kind []byte) []byte {
		body, _ := rlp.EncodeToBytes(status)
		out, err := rlp.EncodeToBytes([]rlp.RawValue{version, kind, body})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if _, err := DecodeMessage(handmade([]byte{0x01}, []byte{0x01}), 1<<10); err != nil {
		t.Fatalf("the handmade base case must decode: %v", err)
	}

	cases := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"empty", nil, 1 << 10, ErrBadMessage},
		{"too large", good, len(good) - 1, ErrMessageTooLarge},
		{"trailing bytes", append(append([]byte{}, good...), 0), 1 << 10, ErrBadMessage},
		{"non-canonical byte", handmade([]byte{0x81, 0x01}, []byte{0x01}), 1 << 10, ErrBadMessage},
		{"leading zero", handmade([]byte{0x01}, []byte{0x82, 0x00, 0x01}), 1 << 10, ErrBadMessage},
		{"version 2", rawEnvelope(t, 2, uint64(KindStatus), status), 1 << 10, ErrBadMessage},
		{"unknown kind", rawEnvelope(t, 1, 9, status), 1 << 10, ErrBadMessage},
		{"kind mismatch", rawEnvelope(t, 1, uint64(KindGetBlocks), status), 1 << 10, ErrBadMessage},
		{"extra field", rawEnvelope(t, 1, uint64(KindStatus), []any{common.Hash{}, uint64(1), common.Hash{}, uint64(5)}), 1 << 10, ErrBadMessage},
		{"short hash", rawEnvelope(t, 1, uint64(KindStatus), []any{[]byte{1, 2}, uint64(1), common.Hash{}}), 1 << 10, ErrBadMessage},
		{"count 0", rawEnvelope(t, 1, uint64(KindGetBlocks), &GetBlocksMsg{ID: 1, From: 1}), 1 << 10, ErrBadMessage},
		{"count too large", rawEnvelope(t, 1, uint64(KindGetBlocks), &GetBlocksMsg{ID: 1, From: 1, Count: MaxRequestBlocks + 1}), 1 << 10, ErrBadMessage},
		{"range overflows", rawEnvelope(t, 1, uint64(KindGetBlocks), &GetBlocksMsg{ID: 1, From: math.MaxUint64, Count: 2}), 1 << 10, ErrBadMessage},
		{"empty block", rawEnvelope(t, 1, uint64(KindBlocks), &BlocksMsg{ID: 1, From: 1, Blocks: [][]byte{{}}}), 1 << 10, ErrBadMessage},
		{"too many blocks", rawEnvelope(t, 1, uint64(KindBlocks), &BlocksMsg{ID: 1, From: 1, Blocks: make1025()}), 1 << 20, ErrBadMessage},
		{"blocks overflow", rawEnvelope(t, 1, uint64(KindBlocks), &BlocksMsg{ID: 1, From: math.MaxUint64, Blocks: [][]byte{{1}, {2}}}), 1 << 10, ErrBadMessage},
		{"not a list", []byte{0x05}, 1 << 10, ErrBadMessage},
	}
	for _, tc := range cases {
		if _, err := DecodeMessage(tc.in, tc.max); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := EncodeMessage(&Message{Kind: KindStatus}); !errors.Is(err, ErrBadMessage) {
		t.Errorf("encoding a message without body: %v", err)
	}
	if _, err := EncodeMessage(&Message{Kind: KindStatus, Status: status, Blocks: &BlocksMsg{}}); !errors.Is(err, ErrBadMessage) {
		t.Errorf("encoding a message with two bodies: %v", err)
	}
}

func make1025() [][]byte {
	out := make([][]byte, MaxRequestBlocks+1)
	for i := range out {
		out[i] = []byte{1}
	}
	return out
}

// FuzzDecodeMessage: decoding never panics, and whatever decodes
// re-encodes to the same bytes; the blocks of a response decode or fail
// cleanly too.
func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessages(f) {
		enc, err := EncodeMessage(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	suite := crypto.ECDSA()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data, 1<<20)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) && !errors.Is(err, ErrMessageTooLarge) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		enc, err := EncodeMessage(m)
		if err != nil || !bytes.Equal(enc, data) {
			t.Fatalf("decoded message does not re-encode to its input: %v", err)
		}
		if m.Kind == KindBlocks {
			for _, raw := range m.Blocks.Blocks {
				if b, err := types.DecodeBlock(suite, raw); err == nil {
					_ = types.TxRoot(suite, b.Txs)
					_ = b.Header.Hash(suite)
				}
			}
		}
	})
}

// TestWriteFuzzCorpus refreshes testdata/fuzz/FuzzDecodeMessage with
// -update-corpus.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeMessage")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := [][]byte{nil, {0xc0}, {0xc3, 0x01, 0x01, 0xc0}}
	for _, m := range sampleMessages(t) {
		enc, err := EncodeMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, enc)
	}
	for i, s := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
