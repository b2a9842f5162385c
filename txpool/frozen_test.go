package txpool

import (
	"errors"
	"testing"
	"time"

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

// slowFrozenChain blocks in AccountFrozen until released.
type slowFrozenChain struct {
	*fakeChain
	asked   chan struct{}
	release chan struct{}
}

func (c *slowFrozenChain) AccountFrozen(common.Address, uint64) (bool, error) {
	c.asked <- struct{}{}
	<-c.release
	return false, nil
}

// The governance reads of admission run outside the pool's lock: the pool
// answers, and takes other txs, while one admission waits for them.
func TestGovernanceReadsOutsideLock(t *testing.T) {
	ec := crypto.ECDSA()
	c := &slowFrozenChain{fakeChain: newFakeChain(10), asked: make(chan struct{}), release: make(chan struct{})}
	p := newTestPool(t, ec, testConfig(), c)
	key := cryptotest.Key(t, ec)
	first := make(chan error, 1)
	go func() { first <- p.Add(t.Context(), []*types.Transaction{ethTx(t, key, 0)})[0] }()
	<-c.asked // the first admission is reading the chain
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.OnCommitted(c.commit(t)) // takes the pool's lock
		p.Stats()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the pool's lock was held during a governance read")
	}
	close(c.release)
	if err := <-first; err != nil {
		t.Fatalf("admission: %v", err)
	}
}
