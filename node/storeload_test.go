package node_test

import (
	"context"
	"math/big"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/contracttest"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// storeLoad is a Store contract under concurrent load on a started node.
type storeLoad struct {
	client   *sdk.Client
	store    contracttest.Artifact
	deployer crypto.PrivateKey
	addr     common.Address
	hashes   []common.Hash // every set call sent, in no particular order
}

// runStoreLoad deploys Store on n and sends it perSender set calls from
// each of senders new keys at once (native txs, so their order in blocks
// is the pool's). The caller closes l.client.
func runStoreLoad(t *testing.T, ctx context.Context, n *node.Node, senders, perSender int) *storeLoad {
	t.Helper()
	client, err := sdk.Dial(ctx, "ws://"+n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	l := &storeLoad{client: client, store: contracttest.Load(t, "Store"), deployer: cryptotest.Key(t, client.Suite())}
	if l.addr, _, err = client.Deploy(ctx, l.deployer, l.store.ABI, l.store.Bin, big.NewInt(1)); err != nil {
		t.Fatal(err)
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for s := range senders {
		wg.Go(func() {
			key, err := client.Suite().GenerateKey()
			if err != nil {
				t.Error(err)
				return
			}
			for i := range perSender {
				input, err := l.store.ABI.Pack("set", big.NewInt(int64(1000*s+i+1)))
				if err != nil {
					t.Error(err)
					return
				}
				h, err := client.SendNative(ctx, key, &l.addr, big.NewInt(0), input, 0)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				l.hashes = append(l.hashes, h)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return l
}
