package txverify

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/txtest"
	"github.com/gobcos/gobcos/types"
)

const (
	testChainID = 20
	testGroup   = "group0"
)

func newVerifier(t testing.TB, suite types.Scheme, cfg Config) *Verifier {
	t.Helper()
	v, err := New(suite, testChainID, testGroup, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ethTx(t testing.TB, key crypto.PrivateKey, chainID, nonce uint64) *types.Transaction {
	t.Helper()
	to := common.Address{0xaa}
	return txtest.SignEth(t, key, chainID, &ethtypes.LegacyTx{
		Nonce: nonce, To: &to, Gas: 21000, GasPrice: new(big.Int), Value: big.NewInt(1),
	})
}

func nativeTx(t testing.TB, suite crypto.Suite, key crypto.PrivateKey, nonce int64) *types.Transaction {
	t.Helper()
	to := common.Address{0xbb}
	return txtest.SignNative(t, suite, key, &types.NativeTx{
		ChainID: testChainID, GroupID: testGroup, BlockLimit: 50,
		Nonce: big.NewInt(nonce), To: &to, Value: new(big.Int),
	})
}

// fresh decodes tx's bytes again: a new object without a cached sender,
// as a proposal or a block carries it.
func fresh(t testing.TB, h types.Hasher, tx *types.Transaction) *types.Transaction {
	t.Helper()
	c, err := types.DecodeTx(h, tx.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
