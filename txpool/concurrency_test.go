package txpool

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

// TestConcurrentAddAndCommit runs producers, a sealer and readers at once
// (meant for -race) and checks that every accepted tx is committed exactly
// once and every sender's nonces are committed in order without gaps.
func TestConcurrentAddAndCommit(t *testing.T) {
	suite := crypto.ECDSA()
	chain := newFakeChain(10)
	cfg := testConfig()
	cfg.Workers = 3
	cfg.MaxNonceGap = 64
	cfg.BlockLimitWindow = 1 << 20
	p := newTestPool(t, suite, cfg, chain)

	const producers, perProducer, batch = 4, 40, 10
	type work struct {
		batches [][]*types.Transaction
	}
	jobs := make([]work, producers)
	for i := range producers {
		ethKey, natKey := cryptotest.Key(t, suite), cryptotest.Key(t, suite)
		var all []*types.Transaction
		for n := range perProducer {
			if n%2 == 0 {
				all = append(all, ethTx(t, ethKey, uint64(n/2)))
			} else {
				all = append(all, nativeTx(t, suite, natKey, int64(i*1000+n), 1<<19))
			}
		}
		for b := 0; b < len(all); b += batch {
			chunk := slices.Clone(all[b:min(b+batch, len(all))])
			if (b/batch)%2 == 1 {
				slices.Reverse(chunk) // later nonces first: they queue, then promote
			}
			jobs[i].batches = append(jobs[i].batches, chunk)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var accepted sync.Map // hash -> struct{}
	var producersWG, othersWG sync.WaitGroup
	for i := range producers {
		producersWG.Go(func() {
			for _, b := range jobs[i].batches {
				for k, err := range p.Add(ctx, b) {
					if err != nil {
						t.Errorf("producer %d: tx %s: %v", i, b[k].Hash(), err)
						continue
					}
					accepted.Store(b[k].Hash(), struct{}{})
				}
				// Resubmitting is harmless: already known or already committed.
				for _, err := range p.Add(ctx, b[:1]) {
					if err == nil {
						t.Errorf("producer %d: duplicate accepted", i)
					}
				}
			}
		})
	}
	// Readers.
	for range 2 {
		othersWG.Go(func() {
			for ctx.Err() == nil {
				for _, tx := range p.Content() {
					p.Has(tx.Hash())
					if tx.IsEthereum() {
						p.PendingNonce(tx.Sender())
					}
				}
				p.Stats()
			}
		})
	}
	// Sealer.
	committed := make(map[common.Hash]int)
	nextNonce := make(map[common.Address]uint64)
	seal := func() int {
		txs := p.Pending(7)
		for _, tx := range txs {
			committed[tx.Hash()]++
			if tx.IsEthereum() {
				s := tx.Sender()
				if tx.Nonce() != nextNonce[s] {
					t.Errorf("sender %s: sealed nonce %d, want %d", s, tx.Nonce(), nextNonce[s])
				}
				nextNonce[s] = tx.Nonce() + 1
			}
		}
		if len(txs) > 0 {
			p.OnCommitted(chain.commit(t, txs...))
		}
		return len(txs)
	}
	sealerDone := make(chan struct{})
	go func() {
		defer close(sealerDone)
		for {
			select {
			case <-p.Notify():
				for seal() > 0 {
				}
			case <-ctx.Done():
				return
			}
		}
	}()

	producersWG.Wait()
	cancel()
	<-sealerDone
	othersWG.Wait()
	for seal() > 0 {
	}

	n := 0
	accepted.Range(func(k, _ any) bool {
		n++
		if c := committed[k.(common.Hash)]; c != 1 {
			t.Errorf("tx %s committed %d times", k, c)
		}
		return true
	})
	if n != producers*perProducer {
		t.Errorf("%d txs accepted, want %d", n, producers*perProducer)
	}
	if len(committed) != n {
		t.Errorf("%d txs committed, %d accepted", len(committed), n)
	}
	if c, _ := p.Stats(); c != 0 {
		t.Errorf("%d txs left in the pool", c)
	}
}
