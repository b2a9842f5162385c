package consensus

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/types"
)

// TxLedger is what the ordering rules of transactions read of the chain.
type TxLedger interface {
	TxCommitted(hash common.Hash) (bool, error)
	NativeNonceUsed(nonce *big.Int) (bool, error)
}

// TxSet holds the transactions ordered ahead of the one being checked
// (earlier in its block, or in blocks decided but not yet committed):
// their hashes and native nonces.
type TxSet struct {
	hashes map[common.Hash]bool
	nonces map[string]bool
}

// NewTxSet returns an empty set.
func NewTxSet() *TxSet {
	return &TxSet{hashes: make(map[common.Hash]bool), nonces: make(map[string]bool)}
}

// Add records tx.
func (s *TxSet) Add(tx *types.Transaction) {
	s.hashes[tx.Hash()] = true
	if n := tx.Native(); n != nil && n.Nonce != nil {
		s.nonces[nonceKey(n.Nonce)] = true
	}
}

// Len is the number of transactions recorded.
func (s *TxSet) Len() int { return len(s.hashes) }

func nonceKey(n *big.Int) string { return string(n.Bytes()) + "/" + fmt.Sprint(n.Sign()) }

// TxChecker applies the deterministic ordering rules every engine applies
// to the transactions of a block it seals or validates (the signature is
// checked apart, once per node): not committed before, not ordered twice,
// and for native transactions a block limit within BlockLimitWindow of the
// parent and a native nonce used by no other transaction.
type TxChecker struct {
	Ledger           TxLedger
	BlockLimitWindow uint64
	// Invalid is the error a refusal wraps (the engine's ErrInvalidTx);
	// a failure to read the ledger wraps no verdict.
	Invalid error
}

// Check applies the rules to tx in the block at height, with ahead the
// transactions ordered before it; it records tx in ahead[0] when it
// passes.
func (c TxChecker) Check(tx *types.Transaction, height uint64, ahead ...*TxSet) error {
	h := tx.Hash()
	for _, s := range ahead {
		if s.hashes[h] {
			return fmt.Errorf("%w: %s appears twice in the chain being ordered", c.Invalid, h)
		}
	}
	if ok, err := c.Ledger.TxCommitted(h); err != nil {
		return fmt.Errorf("checking tx %s: %w", h, err)
	} else if ok {
		return fmt.Errorf("%w: %s is already committed", c.Invalid, h)
	}
	if n := tx.Native(); n != nil {
		parent := height - 1
		if n.BlockLimit <= parent || n.BlockLimit-parent > c.BlockLimitWindow {
			return fmt.Errorf("%w: %s has block limit %d, outside (%d, %d]", c.Invalid, h, n.BlockLimit, parent, parent+c.BlockLimitWindow)
		}
		if n.Nonce == nil || n.Nonce.Sign() < 0 {
			return fmt.Errorf("%w: %s has no valid nonce", c.Invalid, h)
		}
		k := nonceKey(n.Nonce)
		for _, s := range ahead {
			if s.nonces[k] {
				return fmt.Errorf("%w: %s repeats native nonce %v", c.Invalid, h, n.Nonce)
			}
		}
		if used, err := c.Ledger.NativeNonceUsed(n.Nonce); err != nil {
			return fmt.Errorf("checking native nonce of %s: %w", h, err)
		} else if used {
			return fmt.Errorf("%w: %s repeats committed native nonce %v", c.Invalid, h, n.Nonce)
		}
	}
	if len(ahead) > 0 {
		ahead[0].Add(tx)
	}
	return nil
}
