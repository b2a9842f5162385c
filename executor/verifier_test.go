package executor

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/txverify"
	"github.com/gobcos/gobcos/types"
)

// TestVerifierAvoidsSecondCheck: with a shared verifier, a block whose
// txs were verified before (other objects, same bytes, as a block decoded
// from a proposal carries them) executes without a signature check, with
// the same results; a forged tx still invalidates the block.
func TestVerifierAvoidsSecondCheck(t *testing.T) {
	for _, tc := range []struct {
		workers  int
		strategy string
	}{{0, ""}, {-1, ParallelBlockSTM}, {-1, ParallelChunks}} {
		workers := tc.workers
		suite := &cryptotest.CountingSuite{Suite: crypto.ECDSA()}
		v, err := txverify.New(suite, testChainID, testGroup, txverify.Config{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig()
		cfg.Verifier, cfg.Workers, cfg.Parallel = v, workers, tc.strategy
		rich := newNativeSigner(t, crypto.ECDSA())
		alloc := map[common.Address]GenesisAccount{rich.addr(): {Balance: big.NewInt(1e18)}}
		c := newChain(t, suite, cfg, alloc)
		plain := newChain(t, crypto.ECDSA(), testConfig(), alloc)

		var admitted, block, plainBlock []*types.Transaction
		for i := range 40 {
			to := common.BigToAddress(big.NewInt(int64(0x1000 + i)))
			tx := rich.tx(t, &to, big.NewInt(5), nil, 21000)
			admitted = append(admitted, tx)
			for _, dst := range []*[]*types.Transaction{&block, &plainBlock} {
				d, err := types.DecodeTx(crypto.ECDSA(), tx.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				*dst = append(*dst, d)
			}
		}
		for i, err := range v.VerifyBatch(context.Background(), admitted) {
			if err != nil {
				t.Fatalf("tx %d: %v", i, err)
			}
		}
		checks := suite.Calls()
		if checks != int64(len(admitted)) {
			t.Fatalf("%d checks for %d txs", checks, len(admitted))
		}
		res := c.block(block...)
		if got := suite.Calls(); got != checks {
			t.Fatalf("workers %d: executing verified txs made %d signature checks", workers, got-checks)
		}
		want := plain.block(plainBlock...)
		if res.StateRoot != want.StateRoot || res.GasUsed != want.GasUsed || len(res.Senders) != len(want.Senders) {
			t.Fatalf("workers %d: result differs from execution without a verifier", workers)
		}
		for i := range res.Senders {
			if res.Senders[i] != rich.addr() || want.Senders[i] != rich.addr() {
				t.Fatalf("workers %d: tx %d sender %s / %s", workers, i, res.Senders[i], want.Senders[i])
			}
		}

		user := newNativeSigner(t, suite)
		good := user.tx(t, addrPtr(common.HexToAddress("0x70")), nil, nil, 0)
		n := *good.Native()
		n.Signature = common.CopyBytes(n.Signature)
		n.Signature[10] ^= 1
		forged := types.NewNativeTx(suite, &n)
		_, err = c.e.ExecuteBlock(context.Background(), c.env(), c.root, []*types.Transaction{good, forged}, c.kv)
		if !errors.Is(err, ErrInvalidTx) || !errors.Is(err, types.ErrInvalidSig) {
			t.Fatalf("workers %d: block with a forged tx: %v, want ErrInvalidTx", workers, err)
		}
	}
}
