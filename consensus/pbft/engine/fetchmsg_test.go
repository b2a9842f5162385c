package engine

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestFetchMessageRoundTrip(t *testing.T) {
	req := &FetchMsg{Kind: FetchRequest, ID: 3, Hashes: []common.Hash{{1}, {2}}}
	m, err := DecodeFetch(EncodeFetch(req), 1<<20)
	if err != nil || m.Kind != FetchRequest || m.ID != 3 || len(m.Hashes) != 2 || m.Hashes[1] != (common.Hash{2}) {
		t.Fatalf("%+v %v", m, err)
	}
	resp := &FetchMsg{Kind: FetchResponse, ID: 4, Bodies: [][]byte{{0xaa}, {0xbb, 0xcc}}}
	m, err = DecodeFetch(EncodeFetch(resp), 1<<20)
	if err != nil || m.Kind != FetchResponse || m.ID != 4 || len(m.Bodies) != 2 || !bytes.Equal(m.Bodies[1], []byte{0xbb, 0xcc}) {
		t.Fatalf("%+v %v", m, err)
	}
	if m, err := DecodeFetch(EncodeFetch(&FetchMsg{Kind: FetchResponse, ID: 5}), 1<<20); err != nil || len(m.Bodies) != 0 {
		t.Fatalf("empty answer: %+v %v", m, err)
	}
	tooMany := make([]common.Hash, MaxFetchHashes+1)
	for name, b := range map[string][]byte{
		"empty":             nil,
		"not rlp":           {0xff},
		"unknown kind":      EncodeFetch(&FetchMsg{Kind: 3, Hashes: []common.Hash{{1}}}),
		"request no hashes": EncodeFetch(&FetchMsg{Kind: FetchRequest}),
		"request bodies":    EncodeFetch(&FetchMsg{Kind: FetchRequest, Hashes: []common.Hash{{1}}, Bodies: [][]byte{{1}}}),
		"request too many":  EncodeFetch(&FetchMsg{Kind: FetchRequest, Hashes: tooMany}),
		"response hashes":   EncodeFetch(&FetchMsg{Kind: FetchResponse, Hashes: []common.Hash{{1}}}),
		"empty body":        EncodeFetch(&FetchMsg{Kind: FetchResponse, Bodies: [][]byte{{}}}),
		"trailing bytes":    append(EncodeFetch(req), 0x80),
	} {
		if _, err := DecodeFetch(b, 1<<20); !errors.Is(err, ErrMalformedFetch) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := DecodeFetch(EncodeFetch(req), 10); !errors.Is(err, ErrMalformedFetch) {
		t.Errorf("over the size: %v", err)
	}
	v2 := *req
	b := EncodeFetch(&v2)
	if _, err := DecodeFetch(bytes.Replace(b, []byte{FetchVersion, byte(FetchRequest)}, []byte{2, byte(FetchRequest)}, 1), 1<<20); !errors.Is(err, ErrMalformedFetch) {
		t.Errorf("version 2: %v", err)
	}
}

func FuzzDecodeFetch(f *testing.F) {
	f.Add([]byte{})
	f.Add(EncodeFetch(&FetchMsg{Kind: FetchRequest, ID: 1, Hashes: []common.Hash{{1}, {2}}}))
	f.Add(EncodeFetch(&FetchMsg{Kind: FetchResponse, ID: 2, Bodies: [][]byte{{0xc0}, {1, 2, 3}}}))
	f.Add(EncodeFetch(&FetchMsg{Kind: FetchResponse, ID: 3}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeFetch(data, 1<<20)
		if err != nil {
			return
		}
		again, err := DecodeFetch(EncodeFetch(m), 1<<20)
		if err != nil || again.Kind != m.Kind || again.ID != m.ID || len(again.Hashes) != len(m.Hashes) || len(again.Bodies) != len(m.Bodies) {
			t.Fatalf("re-encoding %+v: %+v %v", m, again, err)
		}
	})
}

func FuzzDecodeBodies(f *testing.F) {
	f.Add([]byte{})
	f.Add(encodeBodies(&bodiesRecord{Height: 3, Bodies: [][]byte{{1}, {2, 3}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeBodies(data)
		if err != nil {
			return
		}
		again, err := decodeBodies(encodeBodies(r))
		if err != nil || again.Height != r.Height || len(again.Bodies) != len(r.Bodies) {
			t.Fatalf("re-encoding %+v: %+v %v", r, again, err)
		}
	})
}
