package node

import (
	"context"
	"log/slog"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/txgossip"
	"github.com/gobcos/gobcos/txpool"
	"github.com/gobcos/gobcos/txverify"
	"github.com/gobcos/gobcos/types"
)

// emptyChain is a chain at height 0 with nothing committed.
type emptyChain struct{}

func (emptyChain) Height() uint64                              { return 0 }
func (emptyChain) AccountNonce(common.Address) (uint64, error) { return 0, nil }
func (emptyChain) NativeNonceUsed(*big.Int) (bool, error)      { return false, nil }
func (emptyChain) TxCommitted(common.Hash) (bool, error)       { return false, nil }

// TestGossipIntake: txs offered by several peers at once reach the pool,
// each checked once by the verifier, the refused ones too; after the
// intake stops, offering returns at once.
func TestGossipIntake(t *testing.T) {
	suite := crypto.ECDSA()
	const chainID = 5
	n, v, pool := gossipNode(t, suite, chainID)
	g := n.gossip
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.run(ctx, n)
	}()

	const peers, perPeer = 3, 40
	var wg sync.WaitGroup
	for p := range peers {
		key := cryptotest.Key(t, suite)
		var txs []*types.Transaction
		for i := range perPeer {
			cid := uint64(chainID)
			if i == 7 {
				cid++ // refused: another chain
			}
			to := common.Address{0xaa}
			txs = append(txs, txtest.SignEth(t, key, cid, &ethtypes.LegacyTx{Nonce: uint64(i), To: &to, Gas: 21000, GasPrice: new(big.Int)}))
		}
		wg.Go(func() {
			for _, tx := range txs {
				g.offer(network.NodeID{byte(p)}, tx)
			}
		})
	}
	wg.Wait()
	// Each peer's tx 7 is refused, so its later nonces wait queued: the
	// pool holds them all but tx 7.
	want := peers * (perPeer - 1)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, _ := pool.Stats(); c == want {
			break
		}
		if time.Now().After(deadline) {
			c, _ := pool.Stats()
			t.Fatalf("pool holds %d txs, want %d", c, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := v.Stats(); st.Checks != peers*perPeer {
		t.Fatalf("%d signature checks for %d gossiped txs", st.Checks, peers*perPeer)
	}

	cancel()
	<-done
	for range gossipQueue + 1 { // would block without a running intake
		g.offer(network.NodeID{}, nil)
	}
}

// gossipNode is a node with a pool and verifier, and a gossip intake not
// yet running.
func gossipNode(t *testing.T, suite crypto.Suite, chainID uint64) (*Node, *txverify.Verifier, *txpool.Pool) {
	t.Helper()
	v, err := txverify.New(suite, chainID, "g", txverify.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	pcfg := txpool.DefaultConfig()
	pcfg.Verifier = v
	pool, err := txpool.New(pcfg, suite, chainID, "g", emptyChain{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	n := &Node{logger: log, suite: suite, pool: pool, sigs: v, flow: newTxFlow(log, nil, 0, pool.Has), gossip: newGossipIntake()}
	return n, v, pool
}

// signedTxs are count transfers of one new sender on chainID.
func signedTxs(t *testing.T, suite crypto.Suite, chainID uint64, count int) []*types.Transaction {
	t.Helper()
	key := cryptotest.Key(t, suite)
	var txs []*types.Transaction
	for i := range count {
		to := common.Address{0xbb}
		txs = append(txs, txtest.SignEth(t, key, chainID, &ethtypes.LegacyTx{Nonce: uint64(i), To: &to, Gas: 21000, GasPrice: new(big.Int)}))
	}
	return txs
}

// TestGossipBadMessages: malformed batches, batches holding a tx that
// does not decode and unknown versions are dropped whole and counted; the
// batches and single txs (from older nodes) that follow still reach the
// pool.
func TestGossipBadMessages(t *testing.T) {
	suite := crypto.ECDSA()
	const chainID = 5
	n, _, pool := gossipNode(t, suite, chainID)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.gossip.run(ctx, n)
	}()
	defer func() { cancel(); <-done }()

	txs := signedTxs(t, suite, chainID, 6)
	raw := func(txs ...*types.Transaction) [][]byte {
		var out [][]byte
		for _, tx := range txs {
			out = append(out, tx.Bytes())
		}
		return out
	}
	batch := func(b [][]byte) []byte {
		p, err := txgossip.Encode(b, txgossip.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := batch(raw(txs[0], txs[1], txs[2]))
	peer := network.NodeID{4, 1}
	bad := [][]byte{
		nil,
		{txgossip.BatchV1},
		{0xb7, 0xc0},                         // unknown version
		good[:len(good)-3],                   // truncated
		append(append([]byte{}, good...), 1), // trailing byte
		batch(append(raw(txs[3]), []byte{0x02, 0xc0})),  // a tx that does not decode: dropped whole
		batch(append(raw(txs[4]), txs[4].Bytes()[:20])), // a truncated tx
	}
	for _, p := range bad {
		n.onGossipTx(peer, network.Message{Module: network.ModuleTxGossip, Payload: p})
	}
	if st := n.GossipStats(); st.BadMessages != uint64(len(bad)) || st.BatchesReceived != 0 {
		t.Fatalf("after bad messages: %+v", st)
	}
	n.onGossipTx(peer, network.Message{Module: network.ModuleTxGossip, Payload: good})
	for _, tx := range txs[3:] { // single txs, as older nodes send them
		n.onGossipTx(peer, network.Message{Module: network.ModuleTxGossip, Payload: tx.Bytes()})
	}
	deadline := time.Now().Add(30 * time.Second)
	for c, _ := pool.Stats(); c != len(txs); c, _ = pool.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("pool holds %d txs, want %d", c, len(txs))
		}
		time.Sleep(10 * time.Millisecond)
	}
	st := n.GossipStats()
	if st.BadMessages != uint64(len(bad)) || st.BatchesReceived != 4 || st.TxsReceived != 6 {
		t.Fatalf("stats %+v", st)
	}
	// Re-gossip does not send a tx back to the peer it came from.
	if from, ok := n.gossip.origin(txs[0].Hash()); !ok || from != peer {
		t.Fatalf("origin of a gossiped tx: %x, %v", from[:2], ok)
	}
}

// TestGossipedTxsFoundBeforeAdmission: the PBFT driver's view of the pool
// (enginePool) finds a gossiped tx from the moment its batch is decoded,
// while it waits for the pool, so that a proposal naming it is resolved
// without fetching it; once its admission ends the intake forgets it,
// accepted (then the pool has it) or refused.
func TestGossipedTxsFoundBeforeAdmission(t *testing.T) {
	suite := crypto.ECDSA()
	const chainID = 5
	n, _, pool := gossipNode(t, suite, chainID)
	g := n.gossip
	view := enginePool{pool, g}

	good := signedTxs(t, suite, chainID, 3)
	refused := signedTxs(t, suite, chainID+1, 1)[0] // another chain's
	txs := append(append([]*types.Transaction{}, good...), refused)
	raw := make([][]byte, len(txs))
	for i, tx := range txs {
		raw[i] = tx.Bytes()
	}
	payload, err := txgossip.Encode(raw, txgossip.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	n.onGossipTx(network.NodeID{1}, network.Message{Module: network.ModuleTxGossip, Payload: payload})
	for _, tx := range txs {
		if pool.Get(tx.Hash()) != nil {
			t.Fatal("a gossiped tx reached the pool with no intake running")
		}
		if got := view.Get(tx.Hash()); got == nil || got.Hash() != tx.Hash() {
			t.Fatalf("gossiped tx %s waiting for the pool not found", tx.Hash())
		}
	}
	if view.Get(common.Hash{1}) != nil {
		t.Fatal("found a tx never gossiped")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.run(ctx, n)
	}()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for c, _ := pool.Stats(); c != len(good); c, _ = pool.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("pool holds %d txs, want %d", c, len(good))
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Admission ends after the pool call returns: wait for the intake to
	// forget the batch.
	for g.arrivingTx(refused.Hash()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the intake still holds a refused tx after its admission")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, tx := range good {
		if g.arrivingTx(tx.Hash()) != nil {
			t.Fatalf("the intake still holds admitted tx %s", tx.Hash())
		}
		if view.Get(tx.Hash()) == nil {
			t.Fatalf("admitted tx %s not found", tx.Hash())
		}
	}
	if view.Get(refused.Hash()) != nil {
		t.Fatal("a refused tx is still found")
	}
}
