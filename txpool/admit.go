package txpool

import (
	"container/heap"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/types"
)

// admit applies the stateful admission rules to a verified tx that
// passed checkChain, and inserts it. It reports whether the tx is
// executable now. p.mu is held.
func (p *Pool) admit(tx *types.Transaction, height uint64) (bool, error) {
	h := tx.Hash()
	if _, ok := p.all[h]; ok {
		return false, fmt.Errorf("%w: %s", ErrAlreadyKnown, h)
	}
	// Every tx's hash is looked up, whatever its nonce: an Ethereum tx that
	// failed execution's pre-checks (value above the balance, nonce gap)
	// is committed with a failed receipt without consuming its nonce, so a
	// nonce at or above the committed one does not prove the tx new.
	if err := p.checkCommitted(h); err != nil {
		return false, err
	}
	e := &entry{tx: tx, hash: h, sender: tx.Sender(), size: tx.Size(), expiryIdx: -1}
	if tx.IsEthereum() {
		acct, err := p.ethAccount(e)
		if err != nil {
			return false, err
		}
		return p.admitEth(e, acct)
	}
	return p.admitNative(e, height)
}

// checkChain applies the admission rules that read only the chain's
// governance state (a frozen sender, the tx_gas_limit in force) for the
// block after height; g carries the tx_gas_limit from one tx of a batch
// to the next. Add runs it before taking p.mu, so that admissions and
// commits do not wait for these reads.
func (p *Pool) checkChain(tx *types.Transaction, height uint64, g *gasLimitRead) error {
	if err := p.checkFrozen(tx.Sender(), height); err != nil {
		return err
	}
	return p.checkGasLimit(tx, height, g)
}

// checkCommitted refuses a tx the chain already holds.
func (p *Pool) checkCommitted(h common.Hash) error {
	committed, err := p.chain.TxCommitted(h)
	if err != nil {
		return fmt.Errorf("%w: looking up tx %s: %v", ErrChainState, h, err)
	}
	if committed {
		return fmt.Errorf("%w: %s is already on the chain", ErrAlreadyCommitted, h)
	}
	return nil
}

// ethAccount returns the pool's record of an Ethereum tx's sender, a new
// one from the committed nonce when the pool holds none. p.mu is held.
func (p *Pool) ethAccount(e *entry) (*account, error) {
	e.nonce = e.tx.Nonce()
	if acct := p.accounts[e.sender]; acct != nil {
		return acct, nil
	}
	n, err := p.chain.AccountNonce(e.sender)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the nonce of %s: %v", ErrChainState, e.sender, err)
	}
	return &account{committed: n, next: n, txs: make(map[uint64]*entry)}, nil
}

// admitEth inserts an Ethereum tx of acct's sender (ethAccount).
func (p *Pool) admitEth(e *entry, acct *account) (bool, error) {
	if e.nonce < acct.committed {
		return false, fmt.Errorf("%w: nonce %d of account %s is already used; its next nonce is %d (see eth_getTransactionCount)",
			ErrNonceTooLow, e.nonce, e.sender, acct.next)
	}
	if e.nonce-acct.committed > p.cfg.MaxNonceGap {
		return false, fmt.Errorf("%w: nonce %d of account %s is more than %d ahead of its next committed nonce %d; send the missing nonces first",
			ErrNonceTooHigh, e.nonce, e.sender, p.cfg.MaxNonceGap, acct.committed)
	}
	if old := acct.txs[e.nonce]; old != nil {
		return false, fmt.Errorf("%w: nonce %d of account %s is taken by pending tx %s; wait for it to be committed or use nonce %d",
			ErrNonceAlreadyPending, e.nonce, e.sender, old.hash, acct.next)
	}
	if err := p.checkCapacity(e); err != nil {
		return false, err
	}
	if len(acct.txs) == 0 {
		p.accounts[e.sender] = acct
	}
	acct.txs[e.nonce] = e
	acct.advance()
	p.insert(e)
	return e.nonce < acct.next, nil
}

func (p *Pool) admitNative(e *entry, height uint64) (bool, error) {
	n := e.tx.Native()
	e.native = true
	e.blockLimit = n.BlockLimit
	e.nonceKey = nonceKey(n.Nonce)
	if n.BlockLimit <= height {
		return false, fmt.Errorf("%w: block limit %d expired (chain height %d); refresh the block limit (accepted: %d to %d) and sign again",
			ErrBlockLimitExpired, n.BlockLimit, height, height+1, height+p.cfg.BlockLimitWindow)
	}
	if n.BlockLimit-height > p.cfg.BlockLimitWindow {
		return false, fmt.Errorf("%w: block limit %d is more than %d blocks above the chain height %d; use a block limit from %d to %d",
			ErrBlockLimitTooFar, n.BlockLimit, p.cfg.BlockLimitWindow, height, height+1, height+p.cfg.BlockLimitWindow)
	}
	if old := p.nativeNonces[e.nonceKey]; old != nil {
		return false, fmt.Errorf("%w: nonce %v is taken by pending tx %s; sign the tx again with a fresh random nonce",
			ErrNativeNonceUsed, n.Nonce, old.hash)
	}
	used, err := p.chain.NativeNonceUsed(n.Nonce)
	if err != nil {
		return false, fmt.Errorf("%w: looking up native nonce %v: %v", ErrChainState, n.Nonce, err)
	}
	if used {
		// The committed tx may be this one, committed since checkCommitted
		// asked: say so, not that its nonce is taken.
		if err := p.checkCommitted(e.hash); err != nil {
			return false, err
		}
		return false, fmt.Errorf("%w: nonce %v is used by a committed tx; sign the tx again with a fresh random nonce",
			ErrNativeNonceUsed, n.Nonce)
	}
	if err := p.checkCapacity(e); err != nil {
		return false, err
	}
	p.nativeNonces[e.nonceKey] = e
	p.insert(e) // gives e its arrival order, which the heap compares
	heap.Push(&p.expiry, e)
	return true, nil
}

// checkCapacity applies the per-sender quota and the pool's bounds.
func (p *Pool) checkCapacity(e *entry) error {
	if c := p.perSender[e.sender]; c >= p.cfg.MaxPerSender {
		return fmt.Errorf("%w: %s has %d txs pending, the limit is %d; wait for some to be committed",
			ErrSenderQuota, e.sender, c, p.cfg.MaxPerSender)
	}
	if len(p.all) >= p.cfg.MaxTxs {
		return fmt.Errorf("%w: it holds %d txs, the limit; retry after the next block", ErrPoolFull, len(p.all))
	}
	if p.bytes+e.size > p.cfg.MaxBytes {
		return fmt.Errorf("%w: it holds %d bytes, the limit is %d; retry after the next block", ErrPoolFull, p.bytes, p.cfg.MaxBytes)
	}
	return nil
}

// insert records an admitted entry in the common indexes. p.mu is held.
func (p *Pool) insert(e *entry) {
	p.seq++
	e.seq = p.seq
	p.all[e.hash] = e
	p.order.pushBack(e)
	p.bytes += e.size
	p.perSender[e.sender]++
}

// remove takes an entry out of every index. p.mu is held. Accounts whose
// committed nonce changed are re-scanned by the caller.
func (p *Pool) remove(e *entry) {
	if e.removed {
		return
	}
	e.removed = true
	delete(p.all, e.hash)
	p.order.remove(e)
	p.bytes -= e.size
	if c := p.perSender[e.sender]; c <= 1 {
		delete(p.perSender, e.sender)
	} else {
		p.perSender[e.sender] = c - 1
	}
	if e.native {
		if p.nativeNonces[e.nonceKey] == e {
			delete(p.nativeNonces, e.nonceKey)
		}
		p.expiry.drop(e)
		return
	}
	acct := p.accounts[e.sender]
	if acct == nil || acct.txs[e.nonce] != e {
		return
	}
	delete(acct.txs, e.nonce)
	if len(acct.txs) == 0 {
		delete(p.accounts, e.sender)
		return
	}
	if e.nonce >= acct.committed && e.nonce < acct.next {
		acct.next = e.nonce
	}
}

// senderOf returns a committed tx's sender without verifying it again when
// possible: from the tx's cached sender or the verifier's cache.
func (p *Pool) senderOf(tx *types.Transaction) (common.Address, bool) {
	a, err := p.sigs.Verify(tx)
	return a, err == nil
}
