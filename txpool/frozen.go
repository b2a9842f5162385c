package txpool

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// ErrAccountFrozen: the sender's account is frozen by governance.
var ErrAccountFrozen = errors.New("account is frozen")

// FrozenAccounts is implemented by a Chain that knows which accounts
// governance has frozen; the pool then refuses their transactions on
// arrival (the executor refuses them in a block anyway).
type FrozenAccounts interface {
	// AccountFrozen reports whether addr is frozen for block.
	AccountFrozen(addr common.Address, block uint64) (bool, error)
}

// checkFrozen refuses a tx whose sender is frozen for the next block.
func (p *Pool) checkFrozen(sender common.Address, height uint64) error {
	fc, ok := p.chain.(FrozenAccounts)
	if !ok {
		return nil
	}
	frozen, err := fc.AccountFrozen(sender, height+1)
	if err != nil {
		return fmt.Errorf("%w: reading the status of %s: %v", ErrChainState, sender, err)
	}
	if frozen {
		return fmt.Errorf("%w: %s is frozen by governance: its transactions are refused until it is unfrozen", ErrAccountFrozen, sender)
	}
	return nil
}
