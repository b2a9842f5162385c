package txpool

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/types"
)

// OnCommitted updates the pool after block b was committed to the chain:
// it removes b's txs, drops pooled txs that b made invalid (Ethereum txs
// whose nonce is now used, by an Ethereum or a native tx of their sender,
// native txs reusing a nonce b committed, native txs whose block limit is
// not above b's number, txs above a lowered tx_gas_limit), and promotes
// queued Ethereum txs whose nonce gap is now filled.
func (p *Pool) OnCommitted(b *types.Block) {
	if b == nil || b.Header == nil {
		return
	}
	height := b.Header.Number
	limit, hasLimit, limitErr := p.txGasLimit(height) // read before the lock: admissions wait on it
	p.mu.Lock()
	// touched maps the senders whose account nonce b may have changed to
	// a lower bound of that nonce now: the nonce after their last Ethereum
	// tx in b, or 0 for senders of native txs only. Executing a native tx
	// advances its sender's account nonce too, and the sender's pooled
	// Ethereum txs must follow; native senders are recorded only when the
	// pool holds Ethereum txs of theirs (the others have nothing to refresh).
	touched := make(map[common.Address]uint64)
	removed := 0
	for _, tx := range b.Txs {
		if tx == nil {
			continue
		}
		if e := p.all[tx.Hash()]; e != nil {
			p.remove(e)
			removed++
		}
		if tx.IsEthereum() {
			if s, ok := p.senderOf(tx); ok {
				touched[s] = max(touched[s], tx.Nonce()+1)
			}
			continue
		}
		// A different pooled tx carrying a nonce b just used can never commit.
		if e := p.nativeNonces[nonceKey(tx.Native().Nonce)]; e != nil {
			p.log.Debug("dropping tx: native nonce used by a committed tx", "tx", e.hash, "block", height)
			p.remove(e)
			removed++
		}
		if len(p.accounts) == 0 {
			continue // no Ethereum tx pooled: nothing to refresh
		}
		if s, ok := p.senderOf(tx); ok && p.accounts[s] != nil {
			if _, seen := touched[s]; !seen {
				touched[s] = 0
			}
		}
	}

	for s, floor := range touched {
		acct := p.accounts[s]
		if acct == nil {
			continue
		}
		n, err := p.chain.AccountNonce(s)
		if err != nil {
			p.log.Warn("cannot read account nonce after commit; using the block's", "account", s, "err", err)
			n = floor
		}
		if n < acct.committed {
			n = acct.committed
		}
		acct.committed = n
		for nonce, e := range acct.txs {
			if nonce < n {
				p.log.Debug("dropping tx: nonce used by a committed tx", "tx", e.hash, "account", s, "nonce", nonce)
				p.remove(e)
				removed++
			}
		}
		if acct = p.accounts[s]; acct != nil {
			acct.next = acct.committed
			acct.advance()
		}
	}

	for _, e := range p.expiry.popExpired(height) {
		p.log.Debug("dropping tx: block limit expired", "tx", e.hash, "blockLimit", e.blockLimit, "height", height)
		p.remove(e)
		removed++
	}
	if hasLimit {
		removed += p.dropOverGas(height, limit, limitErr)
	}
	executable := p.hasExecutable()
	p.mu.Unlock()
	p.log.Debug("block committed", "number", height, "txs", len(b.Txs), "removed", removed)
	if executable {
		p.signal()
	}
}

// hasExecutable reports whether Pending would return anything. p.mu is held.
func (p *Pool) hasExecutable() bool {
	if len(p.nativeNonces) > 0 {
		return true
	}
	for _, a := range p.accounts {
		if a.next > a.committed {
			return true
		}
	}
	return false
}
