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
	"github.com/gobcos/gobcos/network"
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
	n := &Node{logger: log, pool: pool, sigs: v, flow: newTxFlow(log, nil, 0, pool.Has)}
	g := newGossipIntake()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.run(ctx, n)
	}()

	const peers, perPeer = 3, 40
	var wg sync.WaitGroup
	for p := range peers {
		key, err := suite.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		k, _ := crypto.ECDSAKey(key)
		var txs []*types.Transaction
		for i := range perPeer {
			cid := uint64(chainID)
			if i == 7 {
				cid++ // refused: another chain
			}
			to := common.Address{0xaa}
			etx, err := ethtypes.SignNewTx(k, ethtypes.NewEIP155Signer(new(big.Int).SetUint64(cid)), &ethtypes.LegacyTx{Nonce: uint64(i), To: &to, Gas: 21000, GasPrice: new(big.Int)})
			if err != nil {
				t.Fatal(err)
			}
			tx, err := types.NewEthTx(etx)
			if err != nil {
				t.Fatal(err)
			}
			txs = append(txs, tx)
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
