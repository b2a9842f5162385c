package types_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// TestToAddressAndValueU256 holds ToAddress and ValueU256 to To and Value,
// for native and Ethereum txs, with and without a recipient and a value,
// and a native value too large for 256 bits; for a native tx they
// allocate nothing.
func TestToAddressAndValueU256(t *testing.T) {
	s := crypto.ECDSA()
	k, _ := s.GenerateKey()
	huge := new(big.Int).Lsh(big.NewInt(1), 256)
	var txs []*types.Transaction
	for _, m := range []func(*types.NativeTx){
		nil,
		func(n *types.NativeTx) { n.To, n.Value = nil, nil },
		func(n *types.NativeTx) { n.Value = big.NewInt(12345) },
		func(n *types.NativeTx) { n.Value = huge },
	} {
		txs = append(txs, nativeTx(t, s, k, m))
	}
	ek, _ := crypto.ECDSAKey(k)
	to := common.HexToAddress("0x5678")
	for _, inner := range []ethtypes.TxData{
		&ethtypes.LegacyTx{Nonce: 1, Gas: 21000, GasPrice: big.NewInt(0), To: &to, Value: big.NewInt(7)},
		&ethtypes.LegacyTx{Nonce: 2, Gas: 90000, GasPrice: big.NewInt(0), Value: big.NewInt(0)},
	} {
		txs = append(txs, signEth(t, ek, testChainID, inner))
	}
	for i, tx := range txs {
		a, ok := tx.ToAddress()
		if want := tx.To(); (want != nil) != ok || (ok && a != *want) {
			t.Fatalf("tx %d: ToAddress %v %v, To %v", i, a, ok, want)
		}
		var v uint256.Int
		overflow := tx.ValueU256(&v)
		var want uint256.Int
		if wantOverflow := want.SetFromBig(tx.Value()); overflow != wantOverflow || (!overflow && v != want) {
			t.Fatalf("tx %d: ValueU256 %v (overflow %v), Value %v", i, &v, overflow, tx.Value())
		}
	}
	native := txs[2]
	var v uint256.Int
	if n := testing.AllocsPerRun(100, func() {
		native.ToAddress()
		native.ValueU256(&v)
	}); n != 0 {
		t.Fatalf("%v allocations for a native tx", n)
	}
}
