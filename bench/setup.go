package bench

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

// mintBatchSize is how many accounts one BenchToken.mintBatch call funds.
const mintBatchSize = 200

// setup funds the accounts (value and fees of their planned txs), deploys
// the workload's contracts and mints tokens, each step waiting for its
// receipts.
func (r *runner) setup(ctx context.Context, ops []Op) error {
	r.value = r.cfg.Value
	if r.value == nil {
		r.value = new(big.Int)
		if r.funder != nil {
			r.value.SetInt64(1)
		}
	}
	need := make([]*big.Int, len(r.keys))
	for i := range need {
		need[i] = new(big.Int)
	}
	kinds := map[Kind]bool{}
	for _, op := range ops {
		kinds[op.Kind] = true
		to, value, data, gas, err := r.ct.opTx(op, r.value)
		_, _ = to, data
		if err != nil {
			return err
		}
		if value != nil {
			need[op.From].Add(need[op.From], value)
		}
		need[op.From].Add(need[op.From], r.sg.maxFee(gas))
	}
	deployer := r.funder
	if deployer == nil {
		var err error
		if deployer, err = r.chain.Suite.GenerateKey(); err != nil {
			return err
		}
	}
	nonce, err := r.nonceOf(ctx, deployer.Address())
	if err != nil {
		return err
	}
	next := func() uint64 { nonce++; return nonce - 1 }

	var txs []*types.Transaction
	for i, amount := range need {
		if amount.Sign() == 0 {
			continue
		}
		if r.funder == nil {
			return fmt.Errorf("%w: the txs need %v wei per account (value and fees): pass --key with a funded account, or --value 0 on a chain that charges no gas", ErrNoFunds, amount)
		}
		to := r.keys[i].Address()
		tx, err := r.sg.sign(deployer, next(), &to, amount, nil, gasTransfer)
		if err != nil {
			return err
		}
		txs = append(txs, tx)
	}
	var deploys []*types.Transaction
	for _, c := range []struct {
		need bool
		k    *contract
	}{{kinds[KindERC20], r.ct.token}, {kinds[KindKV], r.ct.kv}} {
		if !c.need {
			deploys = append(deploys, nil)
			continue
		}
		tx, err := r.sg.sign(deployer, next(), nil, nil, c.k.bin, gasDeploy)
		if err != nil {
			return err
		}
		deploys = append(deploys, tx)
		txs = append(txs, tx)
	}
	if len(txs) == 0 {
		return nil
	}
	if err := r.runSetup(ctx, "funding and deploying", txs); err != nil {
		return err
	}
	addrs := []*common.Address{&r.ct.tokenAddr, &r.ct.kvAddr}
	for i, tx := range deploys {
		if tx == nil {
			continue
		}
		var rcpt struct {
			ContractAddress *common.Address `json:"contractAddress"`
		}
		if err := r.conns[0].CallContext(ctx, &rcpt, "eth_getTransactionReceipt", tx.Hash()); err != nil || rcpt.ContractAddress == nil {
			return fmt.Errorf("%w: no contract address in the deployment receipt of %s (%v)", ErrSetup, tx.Hash(), err)
		}
		*addrs[i] = *rcpt.ContractAddress
	}
	if !kinds[KindERC20] {
		return nil
	}
	txs = txs[:0]
	for start := 0; start < len(r.keys); start += mintBatchSize {
		batch := r.keys[start:min(start+mintBatchSize, len(r.keys))]
		to := make([]common.Address, len(batch))
		for i, k := range batch {
			to[i] = k.Address()
		}
		// Enough tokens for every planned transfer of 1.
		data, err := r.ct.token.abi.Pack("mintBatch", to, big.NewInt(1<<40))
		if err != nil {
			return err
		}
		tx, err := r.sg.sign(deployer, next(), &r.ct.tokenAddr, nil, data, gasMint)
		if err != nil {
			return err
		}
		txs = append(txs, tx)
	}
	return r.runSetup(ctx, "minting tokens", txs)
}

// nonceOf is the next nonce of addr (0 for native txs, which have none).
func (r *runner) nonceOf(ctx context.Context, addr common.Address) (uint64, error) {
	if r.sg.format == FormatNative {
		return 0, nil
	}
	var n hexutil.Uint64
	if err := r.conns[0].CallContext(ctx, &n, "eth_getTransactionCount", addr, "pending"); err != nil {
		return 0, fmt.Errorf("bench: eth_getTransactionCount: %w", err)
	}
	return uint64(n), nil
}

// setupChunk is how many txs of the one setup sender are sent before
// waiting for them to commit: nodes bound how far a sender's nonces may
// run ahead (gobcos 64, geth's per-account slots 16 pending + 64 queued).
const setupChunk = 48

// runSetup sends txs in order over the first connection, in chunks of
// setupChunk, and waits for all of them to commit with status 1.
func (r *runner) runSetup(ctx context.Context, what string, txs []*types.Transaction) error {
	bar := newProgress(r.cfg.Progress, what, len(txs))
	defer bar.finish()
	for start := 0; start < len(txs); start += setupChunk {
		chunk := txs[start:min(start+setupChunk, len(txs))]
		if err := r.setupChunk(ctx, what, chunk, bar); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) setupChunk(ctx context.Context, what string, txs []*types.Transaction, bar *progress) error {
	hashes := make([]common.Hash, len(txs))
	for i, tx := range txs {
		hashes[i] = tx.Hash()
	}
	w := newWatch(hashes)
	r.tr.add(w)
	defer r.tr.remove(w)
	for i, tx := range txs {
		w.markSent(i, time.Now())
		if err := r.send(ctx, r.conns[0], tx); err != nil {
			return fmt.Errorf("%w: %s: sending tx %s: %v", ErrSetup, what, tx.Hash(), err)
		}
	}
	w.wait(ctx, len(txs), time.Now().Add(r.cfg.Wait))
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.count < len(txs) {
		return fmt.Errorf("%w: %s: %d of %d txs committed within %v", ErrSetup, what, w.count, len(txs), r.cfg.Wait)
	}
	for i, s := range w.status {
		if s != 1 {
			return fmt.Errorf("%w: %s: tx %s failed (status %d)", ErrSetup, what, hashes[i], s)
		}
	}
	bar.add(len(txs))
	return nil
}

// ParseKeyHex decodes a hex private key (with or without 0x).
func ParseKeyHex(hexKey string) ([]byte, error) {
	raw, err := hexutil.Decode(ensure0x(strings.TrimSpace(hexKey)))
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("%w: a key is 32 bytes of hex (64 hex digits)", ErrConfig)
	}
	return raw, nil
}

func ensure0x(s string) string {
	if len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X") {
		return s
	}
	return "0x" + s
}
