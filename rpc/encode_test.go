package rpc

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// receiptFrom builds a receipt from arbitrary bytes: every field, nil and
// empty slices, absent and present addresses, logs with and without
// topics and data.
func receiptFrom(seed []byte) *rpcReceipt {
	next := func() uint64 {
		var b [8]byte
		n := copy(b[:], seed)
		seed = seed[n:]
		return binary.LittleEndian.Uint64(b[:])
	}
	h := func() (x common.Hash) { binary.LittleEndian.PutUint64(x[:], next()); x[31] = byte(next()); return }
	a := func() (x common.Address) { binary.BigEndian.PutUint64(x[12:], next()); return }
	r := &rpcReceipt{
		Type: hexutil.Uint64(next()), Status: hexutil.Uint64(next() % 2), CumulativeGasUsed: hexutil.Uint64(next()),
		TransactionHash: h(), TransactionIndex: hexutil.Uint64(next()), BlockHash: h(), BlockNumber: hexutil.Uint64(next()),
		From: a(), GasUsed: hexutil.Uint64(next()), EffectiveGasPrice: hexutil.Uint64(next() >> 60),
	}
	binary.LittleEndian.PutUint64(r.LogsBloom[100:], next())
	flags := next()
	if flags&1 != 0 {
		to := a()
		r.To = &to
	}
	if flags&2 != 0 {
		ca := a()
		r.ContractAddress = &ca
	}
	if flags&4 == 0 {
		r.Logs = make([]*rpcLog, flags>>3%4)
		for i := range r.Logs {
			if flags>>(5+i)&1 != 0 {
				continue // a nil log
			}
			l := &rpcLog{Address: a(), BlockNumber: hexutil.Uint64(next()), BlockHash: h(), BlockTimestamp: hexutil.Uint64(next()),
				TransactionHash: h(), TransactionIndex: hexutil.Uint64(next()), LogIndex: hexutil.Uint64(next()), Removed: next()%2 == 0}
			switch n := next() % 4; n {
			case 0: // nil topics
			default:
				l.Topics = make([]common.Hash, n-1)
				for j := range l.Topics {
					l.Topics[j] = h()
				}
			}
			switch next() % 3 {
			case 0: // nil data
			case 1:
				l.Data = hexutil.Bytes{}
			default:
				l.Data = append(hexutil.Bytes{}, seed...)
			}
			r.Logs[i] = l
		}
	}
	return r
}

func checkEncodeResult(t *testing.T, result any) {
	t.Helper()
	want, err := json.Marshal(result)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := appendResult(nil, result)
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("encoded\n%s\njson.Marshal gives\n%s", got, want)
	}
}

var receiptSeeds = [][]byte{nil, {1}, bytes.Repeat([]byte{0xff}, 200), []byte("0123456789abcdefghijklmnopqrstuvwxyz<>&\"\\ \x00\x01 fill fill fill fill fill fill fill fill fill fill fill")}

// sampleReceipts are receipts made from the seeds: 64 of each.
func sampleReceipts() []*rpcReceipt {
	var all []*rpcReceipt
	for _, s := range receiptSeeds {
		for i := range 64 {
			seed := append([]byte{byte(i), byte(i * 37), 0, 0, 0, 0, 0, byte(i)}, s...)
			seed = append(seed, bytes.Repeat([]byte{byte(i)}, 8*20)...)
			all = append(all, receiptFrom(seed))
		}
	}
	return all
}

// The receipt encoders give exactly json.Marshal's bytes.
func TestAppendResultMatchesMarshal(t *testing.T) {
	all := sampleReceipts()
	for _, r := range all {
		checkEncodeResult(t, r)
	}
	checkEncodeResult(t, all)
	checkEncodeResult(t, append(all, nil))
	checkEncodeResult(t, []*rpcReceipt{})
	checkEncodeResult(t, []*rpcReceipt(nil))
	checkEncodeResult(t, (*rpcReceipt)(nil))
	checkEncodeResult(t, common.HexToHash("0x12ab"))
	if _, ok := appendResult(nil, "x"); ok {
		t.Error("a string was encoded by the fast path")
	}
	// The framed answer equals the envelope json.Marshal gives.
	s := &Server{}
	for _, id := range []string{`1`, `"a<b"`, `null`} {
		res, _ := json.Marshal(all[:3])
		want, _ := json.Marshal(&jsonResponse{Version: "2.0", ID: json.RawMessage(id), Result: res})
		if got := s.encodeResult(json.RawMessage(id), "eth_getBlockReceipts", all[:3]); !bytes.Equal(got, want) {
			t.Errorf("id %s: got\n%s\nwant\n%s", id, got, want)
		}
	}
}

func FuzzAppendReceipt(f *testing.F) {
	for _, s := range receiptSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed []byte) { checkEncodeResult(t, receiptFrom(seed)) })
}

// receiptsSize, the size an answer's buffer is made at once, is never
// under a receipt's encoding (the buffer would grow and copy what it
// holds) and at most 30% over it.
func TestReceiptsSize(t *testing.T) {
	all := sampleReceipts()
	for _, r := range all {
		if n, est := len(appendReceipt(nil, r)), receiptsSize(r); est < n || 10*est > 13*n {
			t.Fatalf("receipt with %d logs: estimated %d bytes, encoded in %d", len(r.Logs), est, n)
		}
	}
	enc, _ := appendResult(nil, all)
	if n, est := len(enc), receiptsSize(all...); est < n || 10*est > 13*n {
		t.Fatalf("%d receipts: estimated %d bytes, encoded in %d", len(all), est, n)
	}
}
