package txpool

import "github.com/gobcos/gobcos/types"

// Inspect returns the pooled txs in arrival order, split as Ethereum's
// txpool_content shows them: executable ones (native txs, and Ethereum
// txs in the contiguous nonce run from the sender's committed nonce) and
// queued ones (Ethereum txs behind a nonce gap).
func (p *Pool) Inspect() (executable, queued []*types.Transaction) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for e := p.order.head; e != nil; e = e.next {
		if e.native || e.nonce < p.accounts[e.sender].next {
			executable = append(executable, e.tx)
		} else {
			queued = append(queued, e.tx)
		}
	}
	return executable, queued
}
