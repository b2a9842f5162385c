package txpool

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

// frozenChain is a fakeChain with frozen accounts.
type frozenChain struct {
	*fakeChain
	frozen map[common.Address]bool
}

func (c *frozenChain) AccountFrozen(a common.Address, block uint64) (bool, error) {
	if block != c.Height()+1 {
		return false, errors.New("asked about the wrong block")
	}
	return c.frozen[a], nil
}

func TestFrozenSenderRefused(t *testing.T) {
	ec := crypto.ECDSA()
	bad, good := cryptotest.Key(t, ec), cryptotest.Key(t, ec)
	c := &frozenChain{fakeChain: newFakeChain(10), frozen: map[common.Address]bool{bad.Address(): true}}
	p := newTestPool(t, ec, testConfig(), c)
	if err := p.Add(t.Context(), []*types.Transaction{nativeTx(t, ec, bad, 1, 20)})[0]; !errors.Is(err, ErrAccountFrozen) {
		t.Fatalf("frozen sender: %v", err)
	}
	if err := p.Add(t.Context(), []*types.Transaction{nativeTx(t, ec, good, 2, 20)})[0]; err != nil {
		t.Fatalf("other sender: %v", err)
	}
}
