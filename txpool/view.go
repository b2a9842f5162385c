package txpool

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/types"
)

// Pending returns up to max executable txs for the sealer (max <= 0 means
// no limit), leaving them in the pool until OnCommitted. Ethereum txs come
// in nonce order per sender, starting at the sender's committed nonce with
// no gaps; native txs in arrival order. The interleaving is deterministic:
// at each step the executable tx that arrived first is taken.
func (p *Pool) Pending(max int) []*types.Transaction {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if max <= 0 || max > len(p.all) {
		max = len(p.all)
	}
	if max == 0 {
		return nil
	}
	out := make([]*types.Transaction, 0, max)
	// wanted[s] is the nonce of the next tx of sender s to take.
	wanted := make(map[common.Address]uint64)
	for e := p.order.head; e != nil && len(out) < max; e = e.next {
		if e.native {
			out = append(out, e.tx)
			continue
		}
		acct := p.accounts[e.sender]
		want, ok := wanted[e.sender]
		if !ok {
			want = acct.committed
		}
		if e.nonce != want {
			// Either taken already, or a gap precedes it (for now).
			continue
		}
		out = append(out, e.tx)
		want++
		// Later nonces that arrived before e were skipped while their
		// predecessor was missing: they are the oldest executable txs now.
		for len(out) < max {
			nx := acct.txs[want]
			if nx == nil || nx.seq > e.seq {
				break
			}
			out = append(out, nx.tx)
			want++
		}
		wanted[e.sender] = want
	}
	return out
}

// Get returns the pooled tx with hash h, or nil.
func (p *Pool) Get(h common.Hash) *types.Transaction {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if e := p.all[h]; e != nil {
		return e.tx
	}
	return nil
}

// Has reports whether a tx with hash h is in the pool.
func (p *Pool) Has(h common.Hash) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.all[h]
	return ok
}

// PendingNonce is the nonce addr's next Ethereum tx should carry, counting
// its contiguous pooled txs after the committed nonce (the "pending" view
// of eth_getTransactionCount). If the committed nonce cannot be read, the
// error is logged and 0 returned.
func (p *Pool) PendingNonce(addr common.Address) uint64 {
	p.mu.RLock()
	acct := p.accounts[addr]
	var next uint64
	if acct != nil {
		next = acct.next
	}
	p.mu.RUnlock()
	if acct != nil {
		return next
	}
	n, err := p.chain.AccountNonce(addr)
	if err != nil {
		p.log.Warn("cannot read account nonce", "account", addr, "err", err)
		return 0
	}
	return n
}

// Stats returns the number of txs in the pool and their encoded size.
func (p *Pool) Stats() (count int, bytes int) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.all), p.bytes
}

// Content returns every pooled tx, executable or queued, in arrival order.
func (p *Pool) Content() []*types.Transaction {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*types.Transaction, 0, len(p.all))
	for e := p.order.head; e != nil; e = e.next {
		out = append(out, e.tx)
	}
	return out
}
