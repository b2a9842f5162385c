package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/consensus/pbft"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// hashesFrom is a chain whose proposals carry tx hashes from height from
// (its compatibility version reaches 0.3.0 there).
func hashesFrom(from uint64) consensus.RulesSource {
	return consensus.RulesFunc(func(h uint64) (consensus.Rules, error) {
		return consensus.Rules{TxHashProposals: h >= from}, nil
	})
}

// blockForm tells from a committed block's header which proposal form was
// ordered: the header's Extra is the digest of the proposal, made of the
// block's tx bodies ("bodies") or of their hashes ("hashes").
func (c *cluster) blockForm(i int, h uint64) string {
	c.T.Helper()
	l := c.Nodes[i].Ledger
	b, err := l.BlockByNumber(h)
	if err != nil {
		c.T.Fatal(err)
	}
	prev, err := l.HeaderByNumber(h - 1)
	if err != nil {
		c.T.Fatal(err)
	}
	parent := common.BytesToHash(prev.Extra)
	if h == 1 {
		parent = prev.Hash(c.Suite)
	}
	bodies, hashes := make([][]byte, len(b.Txs)), make([][]byte, len(b.Txs))
	for j, tx := range b.Txs {
		bodies[j], hashes[j] = tx.Bytes(), tx.Hash().Bytes()
	}
	for proposer := range c.Sealers {
		for form, txs := range map[string][][]byte{"bodies": bodies, "hashes": hashes} {
			p := &pbft.Proposal{Height: h, Parent: parent, Timestamp: b.Header.Timestamp, Proposer: uint64(proposer), Txs: txs}
			if p.Digest(c.Suite) == common.BytesToHash(b.Header.Extra) {
				return form
			}
		}
	}
	return "unknown"
}

func (c *cluster) fetched(i int) uint64 { return c.Drivers[i].Stats().TxsFetched }

// TestTxHashProposalsFetch: proposals carry hashes; a sealer whose pool
// lacks some or all of a block's txs fetches them and votes, and every
// node commits the same blocks with full bodies.
func TestTxHashProposalsFetch(t *testing.T) {
	c := newClusterWith(t, crypto.ECDSA(), 4, true, hashesFrom(1))
	all := []int{0, 1, 2, 3}

	// Node 3 lacks every tx: it fetches them at least to execute.
	first := []*types.Transaction{c.NewTx(500), c.NewTx(500)}
	c.Submit(first, 0, 1, 2)
	c.WaitCommitted(first, all...)
	if c.fetched(3) == 0 {
		t.Fatal("node 3 committed txs it never had without fetching them")
	}

	// With node 2 down, node 3's votes are needed: it must fetch the txs
	// it lacks to verify the proposals. One tx it has, one it lacks.
	c.Stop(2)
	before := c.fetched(3)
	have, lack := c.NewTx(500), c.NewTx(500)
	c.Submit([]*types.Transaction{have}, 0, 1, 3)
	c.Submit([]*types.Transaction{lack}, 0, 1)
	c.WaitCommitted([]*types.Transaction{have, lack}, 0, 1, 3)
	if c.fetched(3) == before {
		t.Fatal("node 3 voted without fetching the tx it lacked")
	}
	top := c.checkSameChain(0, 1, 3)
	for h := uint64(1); h <= top; h++ {
		if f := c.blockForm(0, h); f != "hashes" {
			t.Fatalf("block %d ordered with %s", h, f)
		}
		b, err := c.Nodes[3].Ledger.BlockByNumber(h)
		if err != nil || len(b.Txs) == 0 {
			t.Fatalf("block %d on node 3: %v, %d txs", h, err, len(b.Txs))
		}
	}
	for i, e := range c.Drivers {
		if s := e.Stats(); s.FetchBadBodies != 0 || s.FetchMalformed != 0 {
			t.Fatalf("node %d: %+v", i, s)
		}
	}
	// The bodies stored with proposals are pruned once committed.
	for _, i := range []int{0, 1, 3} {
		it := c.Nodes[i].KV.NewIterator(keyBodies, nil)
		n := 0
		for it.Next() {
			n++
		}
		it.Release()
		if n > 2 {
			t.Errorf("node %d keeps the bodies of %d proposals at height %d", i, n, c.Nodes[i].Ledger.Height())
		}
	}
}

// TestTxHashWrongBodies: sealers 0 and 1 answer fetches with a body that
// is not the one asked for; sealer 3, which has none of the txs, ignores
// those answers, counts them, and gets the bodies from sealer 2.
func TestTxHashWrongBodies(t *testing.T) {
	c := newClusterWith(t, crypto.ECDSA(), 4, true, hashesFrom(1))
	all := []int{0, 1, 2, 3}
	c.fmu.Lock()
	c.corrupt[0], c.corrupt[1] = true, true
	c.wrong = c.NewTx(500).Bytes()
	c.fmu.Unlock()
	// Height 1 in view 0 is node 1's (leader period 1), and node 3 asks
	// the proposer first.
	for range 3 {
		txs := []*types.Transaction{c.NewTx(500), c.NewTx(500)}
		c.Submit(txs, 0, 1, 2)
		c.WaitCommitted(txs, all...)
	}
	c.checkSameChain(all...)
	s := c.Drivers[3].Stats()
	if s.FetchBadBodies == 0 || s.TxsFetched < 6 {
		t.Fatalf("node 3: %d bad bodies, %d fetched", s.FetchBadBodies, s.TxsFetched)
	}
	if s2 := c.Drivers[2].Stats(); s2.TxsServed == 0 {
		t.Fatal("node 2 served nothing")
	}
}

// TestTxHashVersionGating: below the version bodies, from it hashes; the
// chain goes on across the switch, and a proposal in the wrong form for
// its height is invalid.
func TestTxHashVersionGating(t *testing.T) {
	c := newClusterWith(t, crypto.ECDSA(), 4, true, hashesFrom(3))
	all := []int{0, 1, 2, 3}
	for c.Nodes[0].Ledger.Height() < 4 {
		txs := []*types.Transaction{c.NewTx(500)}
		c.Submit(txs, all...)
		c.WaitCommitted(txs, all...)
	}
	top := c.checkSameChain(all...)
	for h := uint64(1); h <= top; h++ {
		want := "bodies"
		if h >= 3 {
			want = "hashes"
		}
		if f := c.blockForm(1, h); f != want {
			t.Fatalf("block %d ordered with %s, want %s", h, f, want)
		}
	}
}

func TestTxHashWrongForm(t *testing.T) {
	c := newClusterWith(t, crypto.ECDSA(), 4, false, hashesFrom(3))
	e := c.Drivers[0]
	a := c.NewTx(500)
	c.Submit([]*types.Transaction{a}, 0)
	req := func(h uint64, txs ...[]byte) pbft.VerifyRequest {
		p := &pbft.Proposal{Height: h, Txs: txs}
		return pbft.VerifyRequest{Height: h, Digest: p.Digest(c.Suite), Proposal: p}
	}
	for _, tc := range []struct {
		name string
		req  pbft.VerifyRequest
		ok   bool
	}{
		{"bodies below the version", req(1, a.Bytes()), true},
		{"hashes below the version", req(1, a.Hash().Bytes()), false},
		{"hashes from the version", req(3, a.Hash().Bytes()), true},
		{"bodies from the version", req(3, a.Bytes()), false},
		{"mixed from the version", req(3, a.Hash().Bytes(), c.NewTx(500).Bytes()), false},
	} {
		wait, err := e.verdict(t.Context(), tc.req)
		switch {
		case wait:
			t.Errorf("%s: waits", tc.name)
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !tc.ok && !errors.Is(err, ErrWrongForm):
			t.Errorf("%s: %v, want the wrong form", tc.name, err)
		}
	}
	// A decided block in the wrong form is not executed either.
	x := pbft.ExecRequest{Height: 3, Proposal: &pbft.Proposal{Height: 3, Txs: [][]byte{a.Bytes()}}}
	if _, err := e.execTxs(t.Context(), x); !errors.Is(err, ErrWrongForm) {
		t.Fatalf("decided bodies from the version: %v", err)
	}
}

// TestTxHashRestartAfterVote: a sealer fetches a tx to vote, decides the
// block, and is stopped before it executes it; restarted with an empty
// pool and no peer answering fetches, it executes the block from the
// bodies it persisted with its vote.
func TestTxHashRestartAfterVote(t *testing.T) {
	c := newClusterWith(t, crypto.ECDSA(), 4, true, hashesFrom(1))
	all := []int{0, 1, 3}
	warm := []*types.Transaction{c.NewTx(500)}
	c.Submit(warm, 0, 1, 2, 3)
	c.WaitCommitted(warm, 0, 1, 2, 3)

	// Node 2 down: node 3's votes are needed. Node 3 cannot execute.
	c.Stop(2)
	c.Nodes[3].HoldExec.Store(true)
	decided := c.Drivers[3].Stats().Core.Decided
	tx := c.NewTx(500)
	c.Submit([]*types.Transaction{tx}, 0, 1)
	deadline := time.Now().Add(60 * time.Second)
	for c.Drivers[3].Stats().Core.Decided == decided {
		if time.Now().After(deadline) {
			t.Fatalf("node 3 did not decide the block; stats %+v", c.Drivers[3].Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c.fetched(3) == 0 {
		t.Fatal("node 3 decided without fetching the tx it lacked")
	}
	c.Stop(3)
	if ok, _ := c.Nodes[3].Ledger.TxCommitted(tx.Hash()); ok {
		t.Fatal("node 3 committed the block while its execution was held")
	}

	// Nobody answers fetches now; node 3 restarts with an empty pool.
	c.fmu.Lock()
	for i := range c.Nodes {
		c.noServe[i] = true
	}
	c.fmu.Unlock()
	c.Nodes[3].HoldExec.Store(false)
	c.Restart(3)
	c.WaitCommitted([]*types.Transaction{tx}, all...)
	c.checkSameChain(all...)
	if n := c.fetched(3); n != 0 {
		t.Fatalf("restarted node 3 fetched %d txs although no peer answers", n)
	}
}

// fakeFetch answers requests with respond(peer, request) at once.
type fakeFetch struct {
	f       *fetcher
	respond func(peer int, req *FetchMsg) [][]byte
}

func (t *fakeFetch) SendFetch(to int, data []byte) error {
	m, err := DecodeFetch(data, 1<<30)
	if err != nil {
		return err
	}
	t.f.deliver(to, EncodeFetch(&FetchMsg{Kind: FetchResponse, ID: m.ID, Bodies: t.respond(to, m)}))
	return nil
}

// TestFetchWrongBody: a peer answering with a body that is not the one
// asked for (or garbage) is ignored and counted; the body comes from the
// next peer.
func TestFetchWrongBody(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, false)
	e := c.Drivers[0]
	want, other := c.NewTx(500), c.NewTx(500)
	tr := &fakeFetch{f: e.fetch, respond: func(peer int, req *FetchMsg) [][]byte {
		switch peer {
		case 1:
			return [][]byte{other.Bytes()}
		case 2:
			return [][]byte{{0xc0, 0x01}}
		}
		if len(req.Hashes) != 1 || req.Hashes[0] != want.Hash() {
			t.Errorf("asked for %v", req.Hashes)
		}
		return [][]byte{want.Bytes()}
	}}
	e.fetch.tr = tr
	e.fetch.timeout = 5 * time.Second
	res := e.fetch.run(t.Context(), fetchJob{height: 1, hashes: []common.Hash{want.Hash()}, peers: []int{1, 2, 3}})
	if !res.ok || len(res.txs) != 1 || res.txs[0].Hash() != want.Hash() {
		t.Fatalf("result %+v", res)
	}
	if s := e.Stats(); s.FetchBadBodies != 2 || s.TxsFetched != 1 {
		t.Fatalf("stats %+v", s)
	}

	// Only bad answers: the job ends (bounded) without the body.
	tr.respond = func(int, *FetchMsg) [][]byte { return [][]byte{other.Bytes()} }
	if res := e.fetch.run(t.Context(), fetchJob{height: 1, hashes: []common.Hash{want.Hash()}, peers: []int{1, 2}}); res.ok || len(res.txs) != 0 {
		t.Fatalf("result %+v", res)
	}
}

// TestFetchServe: a node answers from its pool, its cache and its ledger,
// drops malformed messages and requests beyond a peer's rate, and never
// sends more than it may.
func TestFetchServe(t *testing.T) {
	c := newCluster(t, crypto.ECDSA(), 4, true)
	committed := []*types.Transaction{c.NewTx(500)}
	c.Submit(committed, 0, 1, 2, 3)
	c.WaitCommitted(committed, 0, 1, 2, 3)
	e := c.Drivers[0]
	pooled, cached, unknown := c.NewTx(500), c.NewTx(500), c.NewTx(500)
	c.Submit([]*types.Transaction{pooled}, 0)
	e.fetch.cache.put(cached)

	c.Stop(0) // its fetch server is driven by hand below
	var got [][]byte
	e.fetch.tr = fetchFunc(func(to int, data []byte) error {
		m, err := DecodeFetch(data, 1<<30)
		if err != nil || m.Kind != FetchResponse || m.ID != 7 {
			t.Errorf("answer to %d: %+v %v", to, m, err)
		}
		got = m.Bodies
		return nil
	})
	e.fetch.answer(2, &FetchMsg{Kind: FetchRequest, ID: 7,
		Hashes: []common.Hash{unknown.Hash(), pooled.Hash(), cached.Hash(), committed[0].Hash()}})
	if len(got) != 3 || string(got[0]) != string(pooled.Bytes()) || string(got[1]) != string(cached.Bytes()) || string(got[2]) != string(committed[0].Bytes()) {
		t.Fatalf("answered %d bodies", len(got))
	}
	// An answer never exceeds the message size.
	e.fetch.maxSize = len(pooled.Bytes()) + 100
	e.fetch.answer(2, &FetchMsg{Kind: FetchRequest, ID: 7, Hashes: []common.Hash{pooled.Hash(), cached.Hash()}})
	if len(got) != 1 {
		t.Fatalf("answered %d bodies in a small message", len(got))
	}

	// A peer over its byte budget gets an empty answer (the budget of a
	// new peer is two seconds' worth, here a fiftieth of one body).
	e.fetch.maxSize = 1 << 20
	e.fetch.byteRate = float64(len(pooled.Bytes())) / 100
	e.fetch.answer(5, &FetchMsg{Kind: FetchRequest, ID: 7, Hashes: []common.Hash{pooled.Hash()}})
	if len(got) != 0 {
		t.Fatalf("answered %d bodies over the byte budget", len(got))
	}
	e.fetch.byteRate = 16 << 20
	e.fetch.answer(6, &FetchMsg{Kind: FetchRequest, ID: 7, Hashes: []common.Hash{pooled.Hash()}})
	if len(got) != 1 {
		t.Fatalf("answered %d bodies within the byte budget", len(got))
	}

	for _, bad := range [][]byte{nil, {0x01}, {0xc0}, EncodeFetch(&FetchMsg{Kind: 9}), EncodeFetch(&FetchMsg{Kind: FetchRequest})} {
		e.DeliverFetch(1, bad)
	}
	if m := e.Stats().FetchMalformed; m != 5 {
		t.Fatalf("%d malformed", m)
	}
	for range 1000 {
		e.DeliverFetch(3, EncodeFetch(&FetchMsg{Kind: FetchRequest, ID: 1, Hashes: []common.Hash{pooled.Hash()}}))
	}
	if d := e.Stats().FetchDropped; d == 0 {
		t.Fatal("a flood of requests was served in full")
	}
}

type fetchFunc func(int, []byte) error

func (f fetchFunc) SendFetch(to int, data []byte) error { return f(to, data) }

// TestStoredBodiesServedAfterRestart: bodies stored with a proposal of a
// height not yet committed are loaded at start, so that the node serves
// them to sealers fetching them (it may be the one that holds them).
func TestStoredBodiesServedAfterRestart(t *testing.T) {
	c := newClusterWith(t, crypto.ECDSA(), 4, false, hashesFrom(1))
	tx := c.NewTx(500)
	p := &pbft.Proposal{Height: 1, Txs: [][]byte{tx.Hash().Bytes()}}
	d := p.Digest(c.Suite)
	st := &store{kv: c.Nodes[0].KV, saved: make(map[common.Hash]uint64), bodies: make(map[common.Hash]uint64)}
	rec := map[common.Hash]*bodiesRecord{d: {Height: 1, Bodies: [][]byte{tx.Bytes()}}}
	if err := st.persist([]*pbft.Proposal{p}, rec, nil, common.Hash{}, 0, func(*pbft.Proposal) common.Hash { return d }, true); err != nil {
		t.Fatal(err)
	}
	e := c.Build(0)
	if e.fetch.cache.get(tx.Hash()) != nil {
		t.Fatal("cache filled before start")
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := e.fetch.body(tx.Hash()); string(got) != string(tx.Bytes()) {
		t.Fatalf("after a restart the stored body is not served: %x", got)
	}
}

// TestExecutionRetriedWhenBodiesArrive: a sealer that decided a block
// without its bodies (it could not fetch them to vote; the others
// decided) fails the execution, fetches, and executes again as soon as
// the bodies arrive: no tick comes (the tick interval is an hour), so a
// retry that waited for one would never commit the block.
func TestExecutionRetriedWhenBodiesArrive(t *testing.T) {
	c := newClusterWith(t, crypto.ECDSA(), 4, false, hashesFrom(1))
	c.fmu.Lock()
	for i := range c.Nodes {
		c.noServe[i] = true
	}
	c.fmu.Unlock()
	for i := range c.Nodes {
		c.Start(i, func(p *Params) { p.Config.TickInterval, p.Config.FetchTimeout = time.Hour, 20*time.Millisecond })
	}
	tx := c.NewTx(500)
	c.Submit([]*types.Transaction{tx}, 0, 1, 2)
	c.WaitCommitted([]*types.Transaction{tx}, 0, 1, 2)
	// Node 3 decides the block but cannot execute it: nobody serves.
	deadline := time.Now().Add(30 * time.Second)
	for c.Drivers[3].Stats().Core.Decided == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("node 3 did not decide the block; stats %+v", c.Drivers[3].Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a failed execution and fetch or two
	if ok, _ := c.Nodes[3].Ledger.TxCommitted(tx.Hash()); ok {
		t.Fatal("node 3 committed a block whose bodies nobody served")
	}
	c.fmu.Lock()
	clear(c.noServe)
	c.fmu.Unlock()
	c.WaitCommitted([]*types.Transaction{tx}, 3)
	c.checkSameChain(0, 1, 2, 3)
}
