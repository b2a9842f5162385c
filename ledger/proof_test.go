package ledger

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

func TestProofs(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) {
			l := openLedger(t, storage.NewMemory(), suite)
			c := newChain(t, suite)
			g, grs := c.next(0)
			mustCommit(t, l, g, grs, nil)
			// Sizes with odd levels (carried-up nodes) and a single leaf.
			for _, n := range []int{1, 5, 8} {
				b, rs := c.next(n)
				mustCommit(t, l, b, rs, nil)
				for i, tx := range b.Txs {
					checkProofs(t, l, suite, b, rs[i], tx, uint64(i))
				}
			}
			if _, err := l.TxProof(common.Hash{1}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("TxProof(unknown) = %v", err)
			}
			if _, err := l.ReceiptProof(common.Hash{1}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("ReceiptProof(unknown) = %v", err)
			}
		})
	}
}

func checkProofs(t *testing.T, l *Ledger, h types.Hasher, b *types.Block, r *types.Receipt, tx *types.Transaction, idx uint64) {
	t.Helper()
	tp, err := l.TxProof(tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Verify(h); err != nil {
		t.Fatalf("%s: tx proof: %v", describe(tx), err)
	}
	if tp.Index != idx || tp.TxHash != tx.Hash() || tp.BlockHash != b.Header.Hash(h) || !bytes.Equal(tp.Data, tx.Bytes()) {
		t.Fatalf("%s: tx proof fields %+v", describe(tx), tp)
	}
	rp, err := l.ReceiptProof(tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if err := rp.Verify(h); err != nil {
		t.Fatalf("%s: receipt proof: %v", describe(tx), err)
	}
	got, err := rp.Receipt()
	if err != nil || !bytes.Equal(types.EncodeReceipt(got), types.EncodeReceipt(r)) {
		t.Fatalf("%s: receipt in proof: %v", describe(tx), err)
	}
	if _, err := tp.Receipt(); err == nil {
		t.Fatal("a tx proof returned a receipt")
	}
	for _, p := range []*Proof{tp, rp} {
		for name, tamper := range tamperings(p, h) {
			q := cloneProof(p)
			if !tamper(q) {
				continue // not applicable (for example no path in a 1-leaf tree)
			}
			if err := q.Verify(h); !errors.Is(err, ErrProofInvalid) {
				t.Fatalf("%s proof of %s with %s verified: %v", p.Kind, describe(tx), name, err)
			}
		}
	}
}

func cloneProof(p *Proof) *Proof {
	q := *p
	hdr := *p.Header
	q.Header = &hdr
	q.Data = bytes.Clone(p.Data)
	q.Path = append([]types.ProofStep(nil), p.Path...)
	return &q
}

func tamperings(p *Proof, h types.Hasher) map[string]func(q *Proof) bool {
	return map[string]func(q *Proof) bool{
		"changed data":     func(q *Proof) bool { q.Data[len(q.Data)-1] ^= 1; return true },
		"truncated data":   func(q *Proof) bool { q.Data = q.Data[:len(q.Data)-1]; return true },
		"changed header":   func(q *Proof) bool { q.Header.Timestamp++; return true },
		"other block hash": func(q *Proof) bool { q.BlockHash[0] ^= 1; return true },
		"changed tx root":  func(q *Proof) bool { q.Header.TxRoot[0] ^= 1; q.BlockHash = q.Header.Hash(h); return q.Kind == TxProof },
		"changed rc root": func(q *Proof) bool {
			q.Header.ReceiptRoot[0] ^= 1
			q.BlockHash = q.Header.Hash(h)
			return q.Kind == ReceiptProof
		},
		"other tx hash":      func(q *Proof) bool { q.TxHash[0] ^= 1; return q.Kind == TxProof },
		"unknown kind":       func(q *Proof) bool { q.Kind = 9; return true },
		"no header":          func(q *Proof) bool { q.Header = nil; return true },
		"changed path hash":  func(q *Proof) bool { return len(q.Path) > 0 && flip(&q.Path[0].Hash) },
		"flipped side":       func(q *Proof) bool { return len(q.Path) > 0 && toggle(&q.Path[len(q.Path)-1].Left) },
		"dropped path step":  func(q *Proof) bool { q.Path = q.Path[:max(len(q.Path)-1, 0)]; return len(p.Path) > 0 },
		"extra path step":    func(q *Proof) bool { q.Path = append(q.Path, types.ProofStep{Hash: common.Hash{1}}); return true },
		"no path on a block": func(q *Proof) bool { q.Path = nil; return len(p.Path) > 0 },
	}
}

func flip(h *common.Hash) bool { h[0] ^= 1; return true }
func toggle(b *bool) bool      { *b = !*b; return true }
