package engine

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/txpool"
	"github.com/gobcos/gobcos/types"
)

// epochTransport addresses the sealers of the sender's running
// configuration: OnEpoch maps their indexes to cluster nodes.
type epochTransport struct {
	c     *cluster
	self  int // cluster node
	mu    sync.Mutex
	peers []int // cluster node of each sealer index
	index int   // own index, -1 when not a sealer
}

func (t *epochTransport) onEpoch(sealers [][]byte, self int) {
	peers := make([]int, len(sealers))
	for i, s := range sealers {
		peers[i] = -1
		for j, k := range t.c.Sealers {
			if bytes.Equal(k, s) {
				peers[i] = j
			}
		}
	}
	t.mu.Lock()
	t.peers, t.index = peers, self
	t.mu.Unlock()
}

func (t *epochTransport) Send(to int, data []byte) error {
	t.mu.Lock()
	peers, from := t.peers, t.index
	t.mu.Unlock()
	if to >= 0 && to < len(peers) && peers[to] >= 0 {
		(&memTransport{c: t.c, self: t.self}).deliverAs(from, peers[to], data)
	}
	return nil
}

func (t *epochTransport) Broadcast(data []byte) error {
	t.mu.Lock()
	peers, from := t.peers, t.index
	t.mu.Unlock()
	for i, p := range peers {
		if i != from && p >= 0 {
			(&memTransport{c: t.c, self: t.self}).deliverAs(from, p, data)
		}
	}
	return nil
}

// startEpochs (re)starts cluster node i with Params.Epochs: genesis
// configuration initial, then epochs. Its proposals carry tx bodies: it
// has no fetch transport (that one addresses cluster nodes, not the
// sealer indexes of a configuration).
func (c *cluster) startEpochs(i int, initial [][]byte, epochs func(uint64) (Epoch, error)) {
	c.T.Helper()
	tr := &epochTransport{c: c, self: i, index: -1}
	c.Start(i, func(p *Params) {
		p.Core.Sealers, p.Transport, p.Epochs, p.OnEpoch = initial, tr, epochs, tr.onEpoch
		p.Fetch = nil
	})
}

// step commits one block holding one new tx on the nodes in on.
func (c *cluster) step(on ...int) {
	c.T.Helper()
	txs := []*types.Transaction{c.NewTx(c.Nodes[on[0]].Ledger.Height() + 100)}
	// The first nodes may commit the tx before the later ones get it: a
	// pool then refuses it as committed, which is what the step wants.
	for _, i := range on {
		for _, err := range c.Nodes[i].Pool.Add(c.Ctx, txs) {
			if err != nil && !errors.Is(err, txpool.ErrAlreadyCommitted) {
				c.T.Fatalf("node %d refused the tx: %v", i, err)
			}
		}
	}
	c.WaitCommitted(txs, on...)
}

// TestEpochSwitch: sealers {0,1,2,3} until height 3, then {1,2,3,4}
// with leader period 2. Node 0 stops voting and idles at the switch, node
// 4 (an observer brought up to date by sync) starts; every certificate
// verifies against the set of its height; a sealer restarted within the
// new epoch keeps voting in it.
func TestEpochSwitch(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 5, false)
	const switchAt = 4
	setA, setB := c.Sealers[:4], c.Sealers[1:]
	epochs := func(h uint64) (Epoch, error) {
		if h < switchAt {
			return Epoch{Sealers: setA, LeaderPeriod: 1}, nil
		}
		return Epoch{Sealers: setB, LeaderPeriod: 2}, nil
	}
	for i := range 5 {
		c.startEpochs(i, setA, epochs)
	}
	if c.Drivers[4].Index() != -1 || c.Drivers[4].Status().Sealer {
		t.Fatal("node 4 is a sealer before the switch")
	}
	for c.Nodes[1].Ledger.Height() < switchAt-1 {
		c.step(0, 1, 2, 3)
	}
	if h := c.Nodes[1].Ledger.Height(); h != switchAt-1 {
		t.Fatalf("height %d, want %d", h, switchAt-1)
	}
	// Node 4 follows by sync (simulated) and becomes a sealer at switchAt.
	c.syncFrom(4, 1, switchAt-1)
	for range 4 {
		c.step(1, 2, 3, 4)
	}
	waitUntil(t, "node 0 idles and node 4 is sealer 3", func() bool {
		return c.Drivers[0].Index() == -1 && !c.Drivers[0].Status().Sealer && c.Drivers[4].Index() == 3
	})
	if h := c.Nodes[0].Ledger.Height(); h != switchAt-1 {
		t.Fatalf("removed node 0 committed up to %d without block sync", h)
	}

	// Node 2 restarts within the epoch, then node 3 stops: 1, 2 and 4 are
	// the quorum, so node 2 must vote in the new epoch after its restart.
	c.Stop(2)
	st := &store{kv: c.Nodes[2].KV, saved: make(map[common.Hash]uint64)}
	hs, id, err := st.loadHardState()
	if err != nil || hs == nil {
		t.Fatalf("node 2's persisted state: %v, %v", hs, err)
	}
	if want := c.Drivers[1].epochID(Epoch{Sealers: setB, LeaderPeriod: 2}); id != want || hs.Height < switchAt {
		t.Fatalf("node 2's state is of height %d, configuration %s; want the new epoch %s", hs.Height, id, want)
	}
	c.Nodes[2].Reopen(t, c.Suite)
	c.startEpochs(2, setA, epochs)
	c.Stop(3)
	c.step(1, 2, 4)
	c.step(1, 2, 4)

	top := c.Nodes[1].Ledger.Height()
	for h := uint64(1); h <= top; h++ {
		hdr, err := c.Nodes[1].Ledger.HeaderByNumber(h)
		if err != nil {
			t.Fatal(err)
		}
		set := setA
		if h >= switchAt {
			set = setB
		}
		if err := consensus.VerifyCommit(c.Suite, hdr, set, pbft.Quorum(len(set))); err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		for _, i := range []int{2, 4} {
			got, err := c.Nodes[i].Ledger.HashByNumber(h)
			if err != nil {
				t.Fatal(err)
			}
			if want := hdr.Hash(c.Suite); got != want {
				t.Fatalf("block %d: node %d has %s, node 1 %s", h, i, got, want)
			}
		}
	}
	// The leader schedule of the new epoch: period 2 over setB.
	for h := uint64(switchAt); h <= top; h++ {
		hdr, _ := c.Nodes[1].Ledger.HeaderByNumber(h)
		if hdr.Sealer == c.Keys[0].Address() {
			t.Fatalf("block %d sealed by the removed node 0", h)
		}
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// TestEpochWeights: sealers {0,1,2,3} with unit weights until height 3,
// then the same sealers weighing 3,1,1,1 (W = 6, Q = 4). From the switch
// sealers 0 and 1 alone (weight 4, two of four) certify blocks, which
// the unit quorum (three signatures) would not accept.
func TestEpochWeights(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	const switchAt = 4
	weights := []uint64{3, 1, 1, 1}
	epochs := func(h uint64) (Epoch, error) {
		if h < switchAt {
			return Epoch{Sealers: c.Sealers, Weights: []uint64{1, 1, 1, 1}, LeaderPeriod: 1}, nil
		}
		return Epoch{Sealers: c.Sealers, Weights: weights, LeaderPeriod: 1}, nil
	}
	for i := range 4 {
		c.startEpochs(i, c.Sealers, epochs)
	}
	for c.Nodes[1].Ledger.Height() < switchAt-1 {
		c.step(0, 1, 2, 3)
	}
	c.Stop(2)
	c.Stop(3)
	c.step(0, 1)
	c.step(0, 1)

	top := c.Nodes[1].Ledger.Height()
	if top < switchAt+1 {
		t.Fatalf("height %d", top)
	}
	c.checkCerts(top, switchAt, weights, func(h uint64, hdr *types.Header) {
		if err := consensus.VerifyCommit(c.Suite, hdr, c.Sealers, pbft.Quorum(4)); !errors.Is(err, consensus.ErrNoQuorum) {
			t.Fatalf("block %d certified by sealers 0 and 1 passes the unit quorum: %v", h, err)
		}
	})
}

func TestEpochIdentity(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	plain := Epoch{Sealers: c.Sealers, LeaderPeriod: 1}
	e := &Engine{suite: c.Suite, initial: plain, baseDomain: []byte("test/group0")}
	unit := Epoch{Sealers: c.Sealers, Weights: []uint64{1, 1, 1, 1}, LeaderPeriod: 1}
	heavy := Epoch{Sealers: c.Sealers, Weights: []uint64{3, 1, 1, 1}, LeaderPeriod: 1}
	heavy2 := Epoch{Sealers: c.Sealers, Weights: []uint64{1, 3, 1, 1}, LeaderPeriod: 1}
	if !plain.Equal(unit) || e.epochID(plain) != e.epochID(unit) || !bytes.Equal(e.domainFor(unit), e.domainFor(plain)) {
		t.Fatal("unit weights are another configuration than no weights")
	}
	if plain.Equal(heavy) || heavy.Equal(heavy2) || e.epochID(heavy) == e.epochID(plain) || e.epochID(heavy) == e.epochID(heavy2) {
		t.Fatal("a weight change is not a new configuration")
	}
	if bytes.Equal(e.domainFor(heavy), e.domainFor(plain)) || bytes.Equal(e.domainFor(heavy), e.domainFor(heavy2)) {
		t.Fatal("a weight change keeps the signing domain")
	}
	e.epochs = func(uint64) (Epoch, error) {
		return Epoch{Sealers: c.Sealers, Weights: []uint64{3, 0, 1, 1}, LeaderPeriod: 1}, nil
	}
	if _, err := e.epochOf(5); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("zero weight: %v", err)
	}
}
