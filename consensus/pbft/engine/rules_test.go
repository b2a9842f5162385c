package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// TestVerifyAndProposeFollowRules: proposals are checked against, and
// built within, the block rules in force at their height.
func TestVerifyAndProposeFollowRules(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	e := c.Drivers[0]
	halt := errors.New("unsupported compatibility version")
	e.rules = consensus.RulesFunc(func(h uint64) (consensus.Rules, error) {
		switch h {
		case 1:
			return consensus.Rules{MaxTxs: 2, TxGasLimit: 50_000}, nil
		case 2:
			return consensus.Rules{MaxTxs: 2, TxGasLimit: 50_000, GasLimitInvalidates: true}, nil
		case 4:
			return consensus.Rules{MaxTxs: 10, TxGasLimit: 50_000}, nil
		}
		return consensus.Rules{}, halt
	})
	a, b, d := c.NewTx(100), c.NewTx(100), c.NewTx(100) // gas 0: under any limit
	req := func(h uint64, txs ...*types.Transaction) pbft.VerifyRequest {
		raw := make([][]byte, len(txs))
		for i, tx := range txs {
			raw[i] = tx.Bytes()
		}
		return pbft.VerifyRequest{Height: h, Proposal: &pbft.Proposal{Height: h, Txs: raw}}
	}
	if err := e.verify(req(1, a, b)); err != nil {
		t.Fatalf("2 txs, limit 2: %v", err)
	}
	if err := e.verify(req(1, a, b, d)); !errors.Is(err, consensus.ErrTooManyTxs) {
		t.Fatalf("3 txs, limit 2: %v", err)
	}
	big := c.gasTx(100, 60_000)
	if err := e.verify(req(1, big)); err != nil {
		t.Fatalf("a tx over the gas limit before it invalidates blocks: %v", err)
	}
	if err := e.verify(req(2, big)); !errors.Is(err, consensus.ErrTxGasLimit) {
		t.Fatalf("a tx over the gas limit: %v", err)
	}
	if err := e.verify(req(3, a)); !errors.Is(err, halt) {
		t.Fatalf("rules that cannot be read: %v", err)
	}

	c.Submit([]*types.Transaction{a, b, d, big}, 0)
	got := e.candidates(pbft.ProposalRequest{Height: 1, MaxTxs: 1000})
	if len(got) != 2 || string(got[0]) != string(a.Bytes()) || string(got[1]) != string(b.Bytes()) {
		t.Fatalf("candidates within tx_count_limit 2: %d txs", len(got))
	}
	if got := e.candidates(pbft.ProposalRequest{Height: 4, MaxTxs: 1000}); len(got) != 3 {
		t.Fatalf("candidates leaving out the tx over tx_gas_limit: %d txs", len(got))
	}
	if got := e.candidates(pbft.ProposalRequest{Height: 3, MaxTxs: 1000}); len(got) != 0 {
		t.Fatalf("candidates at a height whose rules cannot be read: %d", len(got))
	}
}

// TestTimingFollowsRules: the core's view-change timeout and minimum seal
// interval follow the values in force.
func TestTimingFollowsRules(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	e := c.Drivers[0]
	e.rules = consensus.RulesFunc(func(h uint64) (consensus.Rules, error) {
		return consensus.Rules{ConsensusTimeout: time.Second, MinSealInterval: 100 * time.Millisecond}, nil
	})
	core, err := pbft.New(e.ccfg, c.Nodes[0].Ledger.Head(), nil, e.st.loadProposal)
	if err != nil {
		t.Fatal(err)
	}
	e.core = core
	e.applyTiming(1)
	// 20 ms ticks: 1 s is 50 ticks; the seal interval is the driver's (seal.go).
	if timeout, seal := core.Timing(); timeout != 50 || seal != 0 || e.minSeal != 100*time.Millisecond {
		t.Fatalf("timing %d %d", timeout, seal)
	}
	if e.ccfg.TimeoutTicks != 50 || e.ccfg.MinSealTicks != 0 || e.ccfg.HeartbeatTicks >= e.ccfg.TimeoutTicks {
		t.Fatalf("kept for rebuilds: %+v", e.ccfg)
	}
	if _, err := e.ccfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// gasTx is a verified native tx asking for gas.
func (c *cluster) gasTx(blockLimit, gas uint64) *types.Transaction {
	c.T.Helper()
	tx := c.NewTx(blockLimit)
	n := *tx.Native()
	n.GasLimit = gas
	if err := n.Sign(c.Suite, c.User.PublicKey(), c.User.Sign); err != nil {
		c.T.Fatal(err)
	}
	out, err := types.DecodeTx(c.Suite, types.NewNativeTx(c.Suite, &n).Bytes())
	if err != nil {
		c.T.Fatal(err)
	}
	return out
}
