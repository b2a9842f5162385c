package consensus

import (
	"errors"
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

func rulesTxs(t *testing.T, gas ...uint64) []*types.Transaction {
	t.Helper()
	suite := crypto.ECDSA()
	key, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var out []*types.Transaction
	for i, g := range gas {
		nt := &types.NativeTx{ChainID: 1, GroupID: "g", BlockLimit: 100, GasLimit: g, Input: []byte{byte(i)}}
		if err := nt.Sign(suite, key.PublicKey(), key.Sign); err != nil {
			t.Fatal(err)
		}
		out = append(out, types.NewNativeTx(suite, nt))
	}
	return out
}

func TestRulesCheckBlock(t *testing.T) {
	txs := rulesTxs(t, 10, 20, 30)
	r := Rules{MaxTxs: 3, TxGasLimit: 25}
	if err := r.CheckBlock(5, txs); err != nil {
		t.Fatalf("gas over the limit before it invalidates blocks: %v", err)
	}
	r.GasLimitInvalidates = true
	if err := r.CheckBlock(5, txs); !errors.Is(err, ErrTxGasLimit) {
		t.Fatalf("gas over the limit: %v", err)
	}
	if r.Sealable(txs[2]) || !r.Sealable(txs[1]) {
		t.Fatal("Sealable")
	}
	r = Rules{MaxTxs: 2}
	if err := r.CheckBlock(5, txs); !errors.Is(err, ErrTooManyTxs) {
		t.Fatalf("3 txs, limit 2: %v", err)
	}
	if err := (Rules{}).CheckBlock(5, txs); err != nil || !(Rules{}).Sealable(txs[2]) {
		t.Fatalf("zero rules limit nothing: %v", err)
	}
}
