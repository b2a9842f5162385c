package enginetest

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

type sha struct{}

func (sha) Hash(data ...[]byte) common.Hash {
	h := sha256.New()
	for _, d := range data {
		h.Write(d)
	}
	return common.BytesToHash(h.Sum(nil))
}

func TestTxEncoding(t *testing.T) {
	tx := MakeTx(sha{}, 42)
	if id, err := DecodeTx(sha{}, tx); err != nil || id != 42 {
		t.Fatalf("round trip: %d %v", id, err)
	}
	for _, bad := range [][]byte{nil, tx[:15], append(append([]byte{}, tx[:15]...), tx[15]^1), []byte("gtx1............")} {
		if _, err := DecodeTx(sha{}, bad); !errors.Is(err, ErrBadTx) {
			t.Errorf("%x decoded", bad)
		}
	}
}

func TestLedgerAndCheckTxs(t *testing.T) {
	g := Genesis(sha{})
	l := NewLedger(sha{}, g)
	txs := [][]byte{MakeTx(sha{}, 1), MakeTx(sha{}, 2)}
	b1 := &Block{Header: Execute(sha{}, g, 1, common.Address{}, txs), Txs: txs}
	if err := l.Append(b1); err != nil {
		t.Fatal(err)
	}
	if !l.Committed(1) || l.Height() != 1 {
		t.Fatal("block 1 not recorded")
	}
	if err := l.Append(&Block{Header: Execute(sha{}, g, 1, common.Address{}, nil)}); !errors.Is(err, ErrBadAppend) {
		t.Fatalf("second block 1: %v", err)
	}
	dup := &Block{Header: Execute(sha{}, b1.Header, 2, common.Address{}, txs[:1]), Txs: txs[:1]}
	if err := l.Append(dup); !errors.Is(err, ErrDupTx) {
		t.Fatalf("repeated tx: %v", err)
	}
	if err := CheckTxs(sha{}, l, nil, [][]byte{MakeTx(sha{}, 3)}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		pending [][][]byte
		txs     [][]byte
	}{
		"committed":   {nil, txs[:1]},
		"pending":     {[][][]byte{{MakeTx(sha{}, 3)}}, [][]byte{MakeTx(sha{}, 3)}},
		"repeated":    {nil, [][]byte{MakeTx(sha{}, 4), MakeTx(sha{}, 4)}},
		"undecodable": {nil, [][]byte{{1, 2, 3}}},
	} {
		if err := CheckTxs(sha{}, l, tc.pending, tc.txs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// anarchy is a broken "engine": every replica commits the transactions it
// sees on its own, with no agreement at all.
type anarchy struct{}

type anarchist struct{ h *Host }

func (anarchy) SupportsByzantine() bool  { return false }
func (anarchy) VerifyBlock(*Block) error { return nil }
func (anarchy) NewReplica(h *Host, _ bool) (Replica, error) {
	return &anarchist{h: h}, nil
}
func (a *anarchist) Deliver(int, []byte)    {}
func (a *anarchist) DeliverBlocks([]*Block) {}
func (a *anarchist) Tick() {
	if txs := a.h.Available(nil, 1+a.h.Rand.IntN(3)); len(txs) > 0 {
		head := a.h.Ledger.Head()
		_ = a.h.Commit(&Block{Header: Execute(a.h.Hasher, head, a.h.Now(), common.Address{byte(a.h.ID)}, txs), Txs: txs})
	}
}

// TestHarnessCatchesDisagreement checks the invariant checker itself.
func TestHarnessCatchesDisagreement(t *testing.T) {
	_, err := Run(anarchy{}, Options{N: 4, Seed: 1, Hasher: sha{}, Byzantine: -1})
	if !errors.Is(err, ErrViolation) {
		t.Fatalf("replicas without agreement passed: %v", err)
	}
}

// silent never commits anything: the liveness bound must catch it.
type silent struct{ anarchy }

func (silent) NewReplica(h *Host, _ bool) (Replica, error) { return &mute{}, nil }

type mute struct{}

func (*mute) Deliver(int, []byte)    {}
func (*mute) DeliverBlocks([]*Block) {}
func (*mute) Tick()                  {}

func TestHarnessCatchesNoProgress(t *testing.T) {
	_, err := Run(silent{}, Options{N: 4, Seed: 2, Hasher: sha{}, ChaosTicks: 20, LivenessTicks: 50})
	if !errors.Is(err, ErrViolation) {
		t.Fatalf("a chain that never commits passed: %v", err)
	}
}
