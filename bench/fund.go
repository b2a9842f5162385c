package bench

import (
	"context"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/crypto"
)

// setupInFlight bounds the funding txs in the pool at once: go-ethereum's
// pool trims the senders holding more than 16 executable txs once it
// holds more than 4096 (its global slots), and gobcos has its own bounds.
const setupInFlight = 2048

// fundGroup is what one intermediate account sends: at most setupChunk
// funding txs, from a fresh key (nonce 0).
type fundGroup struct {
	key crypto.PrivateKey
	txs []setupTx
}

// fundPlan is the funding of the accounts as a tree: the payer sends root
// (at most setupChunk txs, one round); then each level's groups send
// theirs, all in parallel, once the level above has committed. Every
// sender stays within the nodes' bound on how far its nonces run ahead,
// and the funding takes as many block rounds as the tree has levels:
// 1 up to setupChunk accounts, 2 up to setupChunk², 3 up to setupChunk³.
type fundPlan struct {
	root   []setupTx
	levels [][]fundGroup
	txs    int // all funding txs, the intermediates' included
}

// planFunding arranges leaves, the accounts' funding txs, into a tree of
// intermediate accounts with fresh keys (never the workload's senders:
// their nonces stay as the pre-signed txs expect). An intermediate is
// given the value of its txs and their fees.
func (r *runner) planFunding(leaves []setupTx) (*fundPlan, error) {
	plan := &fundPlan{txs: len(leaves)}
	cur := leaves
	for len(cur) > setupChunk {
		n := (len(cur) + setupChunk - 1) / setupChunk
		groups := make([]fundGroup, n)
		up := make([]setupTx, n)
		for g := range groups {
			// Even shares: the round lasts as long as its largest group.
			part := cur[g*len(cur)/n : (g+1)*len(cur)/n]
			key, err := r.chain.Suite.GenerateKey()
			if err != nil {
				return nil, err
			}
			amount := new(big.Int)
			for _, t := range part {
				amount.Add(amount, t.value)
				amount.Add(amount, r.sg.maxFee(t.gas))
			}
			addr := key.Address()
			groups[g] = fundGroup{key: key, txs: part}
			up[g] = setupTx{to: &addr, value: amount, gas: gasTransfer}
		}
		plan.levels = append([][]fundGroup{groups}, plan.levels...)
		plan.txs += n
		cur = up
	}
	plan.root = cur
	return plan, nil
}

// fund gives each account its funding tx's value, through the tree of
// planFunding, after checking the payer can pay for all of it.
func (r *runner) fund(ctx context.Context, p *payer, leaves []setupTx) error {
	plan, err := r.planFunding(leaves)
	if err != nil {
		return err
	}
	// The root's values hold everything below them.
	if err := p.checkBalance(ctx, plan.root, len(leaves)); err != nil {
		return err
	}
	bar := newProgress(r.cfg.Progress, "funding", plan.txs)
	defer bar.finish()
	if _, err := p.run(ctx, "funding", plan.root, bar); err != nil {
		return err
	}
	for _, level := range plan.levels {
		if err := r.fundLevel(ctx, level, bar); err != nil {
			return err
		}
	}
	return nil
}

// fundLevel sends the groups of one level, each in one batch request,
// at most setupInFlight txs at once, and waits for all to commit.
func (r *runner) fundLevel(ctx context.Context, groups []fundGroup, bar *progress) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conns := r.setupConns()
	workers := min(len(groups), max(1, setupInFlight/setupChunk))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		next  int
		first error
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := conns[w%len(conns)]
			for {
				mu.Lock()
				g := next
				next++
				mu.Unlock()
				if g >= len(groups) || ctx.Err() != nil {
					return
				}
				if _, err := r.sendSigned(ctx, "funding", rc, groups[g].key, 0, groups[g].txs); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
					return
				}
				bar.add(len(groups[g].txs))
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// setupConns are the connections to the first --rpc URL's node, which
// the setup txs go to.
func (r *runner) setupConns() []*rpc.Client {
	var out []*rpc.Client
	for i := 0; i < len(r.cfg.RPC)*r.cfg.Conns && i < len(r.conns); i += len(r.cfg.RPC) {
		out = append(out, r.conns[i])
	}
	return out
}
