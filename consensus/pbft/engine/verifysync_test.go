package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/logtest"
	"github.com/gobcos/gobcos/types"
)

// syncingLedger is a sealer's ledger that runs meanwhile the first time
// the driver asks whether tx want is committed, before answering: what
// block sync does on another goroutine of a node at that moment.
type syncingLedger struct {
	Ledger
	want      common.Hash
	once      *sync.Once
	meanwhile func()
}

func (l syncingLedger) TxCommitted(h common.Hash) (bool, error) {
	if h == l.want {
		l.once.Do(l.meanwhile)
	}
	return l.Ledger.TxCommitted(h)
}

// TestVerifyOfHeightSyncedMeanwhile: a lagging sealer verifies a proposal
// while block sync commits the block of that height (found in a 4-node
// benchmark). The proposal's txs then read as committed; that must not
// make the sealer reject the proposal and blame its leader.
func TestVerifyOfHeightSyncedMeanwhile(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	live, all := []int{0, 1, 2}, []int{0, 1, 2, 3}
	for _, i := range live {
		c.Start(i)
	}
	tx := c.NewTx(500)
	logs := logtest.NewCounter()
	var once sync.Once
	synced := make(chan uint64, 1)
	c.Start(3, func(p *Params) {
		p.Logger = slog.New(logs)
		p.Ledger = syncingLedger{Ledger: p.Ledger, want: tx.Hash(), once: &once, meanwhile: func() {
			// On node 3's driver goroutine, inside its verification: the
			// others commit the block without it, and it is synced.
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if ok, _ := c.Nodes[0].Ledger.TxCommitted(tx.Hash()); ok {
					break
				}
			}
			h := c.Nodes[0].Ledger.Height()
			c.syncFrom(3, 0, h)
			synced <- h
		}}
	})
	// Node 3 never holds the tx in its pool, so it never proposes it:
	// its first question about it comes from verifying the proposal.
	c.Submit([]*types.Transaction{tx}, live...)
	c.WaitCommitted([]*types.Transaction{tx}, all...)
	select {
	case <-synced:
	case <-time.After(30 * time.Second):
		t.Fatal("node 3 never verified the proposal holding the tx")
	}
	if n := logs.Count(slog.LevelWarn, "proposal rejected by verification"); n != 0 {
		t.Fatalf("node 3 rejected %d proposals after syncing their height", n)
	}
	if n := logs.Count(slog.LevelWarn, "view change: leader misbehaved"); n != 0 {
		t.Fatalf("node 3 blamed the leader %d times", n)
	}
	c.commitOne(all...)
}

// TestDeferredRefusals: the driver's refusals whose cause passes by itself
// are, wrapped as the driver returns them, still themselves and
// pbft.ErrExecDeferred (the core logs them as information); the others
// are not.
func TestDeferredRefusals(t *testing.T) {
	for _, sentinel := range []error{ErrBodiesMissing, ErrParentNotHead, ErrNotPipelined} {
		err := fmt.Errorf("%w: block 7", sentinel)
		if !errors.Is(err, sentinel) || !errors.Is(err, pbft.ErrExecDeferred) {
			t.Errorf("%v: is itself %v, is deferred %v", err, errors.Is(err, sentinel), errors.Is(err, pbft.ErrExecDeferred))
		}
	}
	for _, other := range []error{ErrInvalidTx, ErrWrongForm, ErrPersist} {
		if errors.Is(fmt.Errorf("%w: block 7", other), pbft.ErrExecDeferred) {
			t.Errorf("%v counts as deferred", other)
		}
	}
	if errors.Is(ErrBodiesMissing, ErrNotPipelined) {
		t.Error("two deferred refusals match each other")
	}
}
