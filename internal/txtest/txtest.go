package txtest

import (
	"math/big"
	"testing"

	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// SignEth signs inner for chainID with key, which must be an ECDSA key,
// using the signer go-ethereum picks for the chain (EIP-155 for legacy
// txs), and wraps it.
func SignEth(t testing.TB, key crypto.PrivateKey, chainID uint64, inner ethtypes.TxData) *types.Transaction {
	t.Helper()
	k, ok := crypto.ECDSAKey(key)
	if !ok {
		t.Fatal("txtest: an Ethereum tx needs an ECDSA key")
	}
	etx, err := ethtypes.SignNewTx(k, ethtypes.LatestSignerForChainID(new(big.Int).SetUint64(chainID)), inner)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := types.NewEthTx(etx)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// SignNative signs n with key, a key of suite, and wraps it.
func SignNative(t testing.TB, suite crypto.Suite, key crypto.PrivateKey, n *types.NativeTx) *types.Transaction {
	t.Helper()
	if err := n.Sign(suite, key.PublicKey(), key.Sign); err != nil {
		t.Fatal(err)
	}
	return types.NewNativeTx(suite, n)
}
