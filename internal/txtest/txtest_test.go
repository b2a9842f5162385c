package txtest

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

func TestSignedTxsVerify(t *testing.T) {
	const chainID, group = 20, "group0"
	to := common.Address{0xaa}
	key := cryptotest.Key(t, crypto.ECDSA())
	for name, inner := range map[string]ethtypes.TxData{
		"legacy":  &ethtypes.LegacyTx{Nonce: 1, To: &to, Gas: 21000, GasPrice: new(big.Int), Value: big.NewInt(1)},
		"dynamic": &ethtypes.DynamicFeeTx{ChainID: big.NewInt(chainID), Nonce: 2, To: &to, Gas: 21000, GasFeeCap: new(big.Int), GasTipCap: new(big.Int)},
	} {
		tx := SignEth(t, key, chainID, inner)
		if from, err := tx.Verify(crypto.ECDSA(), chainID, group); err != nil || from != key.Address() {
			t.Fatalf("%s: sender %s, %v; want %s", name, from, err, key.Address())
		}
	}
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		k := cryptotest.Key(t, suite)
		n := &types.NativeTx{ChainID: chainID, GroupID: group, BlockLimit: 10, Nonce: big.NewInt(7), To: &to, Value: new(big.Int)}
		tx := SignNative(t, suite, k, n)
		if from, err := tx.Verify(suite, chainID, group); err != nil || from != k.Address() {
			t.Fatalf("%s native: sender %s, %v; want %s", suite.Name(), from, err, k.Address())
		}
	}
}
