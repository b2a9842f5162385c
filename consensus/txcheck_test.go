package consensus

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

type fakeTxLedger struct {
	committed map[common.Hash]bool
	nonces    map[string]bool
	err       error
}

func (l *fakeTxLedger) TxCommitted(h common.Hash) (bool, error) { return l.committed[h], l.err }
func (l *fakeTxLedger) NativeNonceUsed(n *big.Int) (bool, error) {
	return l.nonces[n.String()], l.err
}

var errRefused = errors.New("refused")

func TestTxChecker(t *testing.T) {
	suite := crypto.ECDSA()
	native := func(limit uint64, nonce *big.Int) *types.Transaction {
		return types.NewNativeTx(suite, &types.NativeTx{ChainID: 1, GroupID: "g", BlockLimit: limit, Nonce: nonce})
	}
	l := &fakeTxLedger{committed: map[common.Hash]bool{}, nonces: map[string]bool{"7": true}}
	c := TxChecker{Ledger: l, BlockLimitWindow: 10, Invalid: errRefused}
	const height = 21 // parent 20: block limits 21..30 pass

	seen, pending := NewTxSet(), NewTxSet()
	ok := native(25, big.NewInt(1))
	if err := c.Check(ok, height, seen, pending); err != nil {
		t.Fatal(err)
	}
	if seen.Len() != 1 || pending.Len() != 0 {
		t.Fatalf("a passing tx goes into the first set only: %d %d", seen.Len(), pending.Len())
	}
	inPending := native(25, big.NewInt(2))
	pending.Add(inPending)
	committed := native(25, big.NewInt(3))
	l.committed[committed.Hash()] = true
	eth, err := types.NewEthTx(ethtypes.NewTx(&ethtypes.LegacyTx{Nonce: 1}))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		tx   *types.Transaction
		want string
	}{
		{"twice in the block", ok, "appears twice"},
		{"decided ahead", inPending, "appears twice"},
		{"committed", committed, "already committed"},
		{"block limit at the parent", native(20, big.NewInt(4)), "outside (20, 30]"},
		{"block limit beyond the window", native(31, big.NewInt(4)), "outside (20, 30]"},
		{"no nonce", native(25, nil), "no valid nonce"},
		{"nonce in the block", native(26, big.NewInt(1)), "repeats native nonce"},
		{"nonce decided ahead", native(26, big.NewInt(2)), "repeats native nonce"},
		{"nonce committed", native(25, big.NewInt(7)), "repeats committed native nonce"},
	} {
		err := c.Check(tc.tx, height, seen, pending)
		if !errors.Is(err, errRefused) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a refusal with %q", tc.name, err, tc.want)
		}
	}
	if seen.Len() != 1 {
		t.Fatalf("refused txs were recorded: %d", seen.Len())
	}
	// Ethereum txs have no block limit or native nonce.
	if err := c.Check(eth, height, seen); err != nil {
		t.Fatalf("ethereum tx: %v", err)
	}
	// A ledger failure is no verdict on the tx.
	l.err = errors.New("disk on fire")
	if err := c.Check(native(25, big.NewInt(9)), height, seen); err == nil || errors.Is(err, errRefused) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("ledger failure: %v", err)
	}
	// Without sets only the ledger and the tx itself count.
	l.err = nil
	if err := c.Check(native(25, big.NewInt(1)), height); err != nil {
		t.Fatalf("no sets: %v", err)
	}
}
