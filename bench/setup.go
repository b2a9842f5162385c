package bench

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/crypto"
)

// Setup limits.
const (
	// mintBatchSize is how many accounts one BenchToken.mintBatch call funds.
	mintBatchSize = 200
	// setupChunk is how many txs one setup sender sends before waiting for
	// them to commit: nodes bound how far a sender's nonces may run ahead
	// (gobcos 64, geth's per-account slots 16 pending + 64 queued).
	setupChunk = 48
	// setupPoll is how often setup asks the node for the receipts the
	// tracker has not reported yet: a safety net, the tracker reports them
	// as their blocks arrive.
	setupPoll = time.Second
	// setupRetries and setupRetryDelay bound how long a funded account's
	// txs are sent again while the pool does not see its funds yet.
	setupRetries    = 40
	setupRetryDelay = 50 * time.Millisecond
	// setupResigns is how many times native setup txs that expired are
	// signed again.
	setupResigns = 20
)

// setupTx is one tx of the setup phase, before it is sent.
type setupTx struct {
	to    *common.Address // nil deploys
	value *big.Int
	data  []byte
	gas   uint64
}

// payer sends the setup txs: a key of ours (signed txs) or the node's own
// unlocked account (eth_sendTransaction, as geth --dev offers).
type payer struct {
	r       *runner
	key     crypto.PrivateKey // nil: the node's account
	account common.Address    // the node's account
	nonce   uint64
}

func (r *runner) newPayer(ctx context.Context) (*payer, error) {
	p := &payer{r: r, key: r.funder}
	if r.cfg.FunderNode {
		var accts []common.Address
		if err := r.conns[0].CallContext(ctx, &accts, "eth_accounts"); err != nil || len(accts) == 0 {
			return nil, fmt.Errorf("%w: --funder node: the node has no unlocked account (eth_accounts: %v)", ErrNoFunds, err)
		}
		p.account = accts[0]
		// The node's own nonce assignment can lag behind its pool after a
		// block: count nonces here.
		return p, p.fetchNonce(ctx, p.account)
	}
	if p.key == nil {
		// gobcos charges no gas: a fresh key can deploy.
		var err error
		if p.key, err = r.chain.Suite.GenerateKey(); err != nil {
			return nil, err
		}
	}
	if r.sg.format == FormatEth {
		return p, p.fetchNonce(ctx, p.key.Address())
	}
	return p, nil
}

func (p *payer) fetchNonce(ctx context.Context, a common.Address) error {
	var n hexutil.Uint64
	if err := p.r.conns[0].CallContext(ctx, &n, "eth_getTransactionCount", a, "pending"); err != nil {
		return fmt.Errorf("bench: eth_getTransactionCount: %w", err)
	}
	p.nonce = uint64(n)
	return nil
}

// sendNode sends one setup tx from the node's account and returns its hash.
func (p *payer) sendNode(ctx context.Context, t setupTx) (common.Hash, error) {
	arg := map[string]any{"from": p.account, "gas": hexutil.Uint64(t.gas), "nonce": hexutil.Uint64(p.nonce)}
	if t.to != nil {
		arg["to"] = t.to
	}
	if t.value != nil {
		arg["value"] = (*hexutil.Big)(t.value)
	}
	if len(t.data) > 0 {
		arg["input"] = hexutil.Bytes(t.data)
	}
	var h common.Hash
	if err := p.r.conns[0].CallContext(ctx, &h, "eth_sendTransaction", arg); err != nil {
		return common.Hash{}, err
	}
	p.nonce++
	return h, nil
}

// checkBalance refuses to fund from an account that cannot pay for txs:
// their values and fees would fail one by one (on gobcos a tx over its
// sender's balance commits as failed and leaves its nonce unused, so the
// following txs would wait behind a nonce gap until the wait runs out).
// accounts is how many accounts txs fund in the end.
func (p *payer) checkBalance(ctx context.Context, txs []setupTx, accounts int) error {
	from := p.address()
	total := new(big.Int)
	for _, t := range txs {
		if t.value != nil {
			total.Add(total, t.value)
		}
		total.Add(total, p.r.sg.maxFee(t.gas))
	}
	var bal hexutil.Big
	if err := p.r.conns[0].CallContext(ctx, &bal, "eth_getBalance", from, "latest"); err != nil {
		return fmt.Errorf("%w: funding: eth_getBalance of %v: %v", ErrSetup, from, err)
	}
	if have := (*big.Int)(&bal); have.Cmp(total) < 0 {
		return fmt.Errorf("%w: the funding account %v holds %v wei; funding %d accounts needs %v wei: give it a balance first (on a chain of `gobcos chain build`, in the genesis alloc before the first start; see BENCHMARKS.md, \"Chains\"), or run with --value 0 on a chain that charges no gas",
			ErrNoFunds, from, have, accounts, total)
	}
	return nil
}

type setupReceipt struct {
	Status          hexutil.Uint64  `json:"status"`
	ContractAddress *common.Address `json:"contractAddress"`
}

// run sends txs in chunks of setupChunk, each once the previous one has
// committed, requires status 1 of all and returns their hashes. bar, if
// not nil, counts the committed txs.
func (p *payer) run(ctx context.Context, what string, txs []setupTx, bar *progress) ([]common.Hash, error) {
	var out []common.Hash
	for start := 0; start < len(txs); start += setupChunk {
		chunk := txs[start:min(start+setupChunk, len(txs))]
		var (
			hashes []common.Hash
			err    error
		)
		if p.key == nil {
			hashes, err = p.runNode(ctx, what, chunk)
		} else {
			hashes, err = p.r.sendSigned(ctx, what, p.r.conns[0], p.key, p.nonce, chunk)
			p.nonce += uint64(len(chunk))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, hashes...)
		bar.add(len(chunk))
	}
	return out, nil
}

// runNode sends chunk from the node's account and waits for it.
func (p *payer) runNode(ctx context.Context, what string, chunk []setupTx) ([]common.Hash, error) {
	hashes := make([]common.Hash, len(chunk))
	for i, t := range chunk {
		h, err := p.sendNode(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: sending: %v", ErrSetup, what, err)
		}
		hashes[i] = h
	}
	// The hashes are known only once sent: the watch starts late.
	_, err := p.r.commitSetup(ctx, what, hashes, 0, nil)
	return hashes, err
}

// setup deploys the workload's contracts, mints tokens, sets the gas of
// the workload's calls from the node's estimates and funds the accounts
// (value and fees of their planned txs), each step waiting for its
// receipts.
func (r *runner) setup(ctx context.Context, ops []Op) error {
	funded := r.funder != nil || r.cfg.FunderNode
	r.value = r.cfg.Value
	if r.value == nil {
		r.value = new(big.Int)
		if funded {
			r.value.SetInt64(1)
		}
	}
	kinds := map[Kind]bool{}
	for _, op := range ops {
		kinds[op.Kind] = true
	}
	// Without a funder, refuse before deploying when the txs cost
	// anything (the estimates only raise their gas).
	if !funded {
		need, err := r.needs(ops)
		if err != nil {
			return err
		}
		for _, amount := range need {
			if amount.Sign() != 0 {
				return fmt.Errorf("%w: the txs need %v wei per account (value and fees): pass --key with a funded account, or --value 0 on a chain that charges no gas", ErrNoFunds, amount)
			}
		}
	}
	p, err := r.newPayer(ctx)
	if err != nil {
		return err
	}
	e := &estimator{r: r}
	if err := r.deploy(ctx, p, e, kinds); err != nil {
		return err
	}
	if kinds[KindERC20] {
		if err := r.mint(ctx, p, e); err != nil {
			return err
		}
	}
	// The calls' estimates need the contracts and the senders' tokens.
	if err := r.estimateCalls(ctx, e, ops); err != nil {
		return err
	}
	if !funded {
		return nil
	}
	need, err := r.needs(ops)
	if err != nil {
		return err
	}
	var txs []setupTx
	for i, amount := range need {
		if amount.Sign() == 0 {
			continue
		}
		to := r.keys[i].Address()
		txs = append(txs, setupTx{to: &to, value: amount, gas: gasTransfer})
	}
	if len(txs) == 0 {
		return nil
	}
	return r.fund(ctx, p, txs)
}

// needs returns what each account's planned txs spend: values and fees.
func (r *runner) needs(ops []Op) ([]*big.Int, error) {
	need := make([]*big.Int, len(r.keys))
	for i := range need {
		need[i] = new(big.Int)
	}
	for _, op := range ops {
		_, value, _, gas, err := r.ct.opTx(op, r.value)
		if err != nil {
			return nil, err
		}
		if value != nil {
			need[op.From].Add(need[op.From], value)
		}
		need[op.From].Add(need[op.From], r.sg.maxFee(gas))
	}
	return need, nil
}

// mint gives every account tokens, in mintBatch calls of as many accounts
// as the node's per-tx gas cap allows (at most mintBatchSize).
func (r *runner) mint(ctx context.Context, p *payer, e *estimator) error {
	batch, gas, err := r.mintPlan(ctx, e, p.address())
	if err != nil {
		return err
	}
	r.log.Info("gas limit", "tx", "mintBatch", "accounts", batch, "gas", gas)
	var txs []setupTx
	for start := 0; start < len(r.keys); start += batch {
		data, err := r.mintData(start, min(batch, len(r.keys)-start))
		if err != nil {
			return err
		}
		txs = append(txs, setupTx{to: &r.ct.tokenAddr, data: data, gas: gas})
	}
	bar := newProgress(r.cfg.Progress, "minting tokens", len(txs))
	defer bar.finish()
	_, err = p.run(ctx, "minting tokens", txs, bar)
	return err
}

// deploy deploys the contracts the workload's kinds need, together.
func (r *runner) deploy(ctx context.Context, p *payer, e *estimator, kinds map[Kind]bool) error {
	var (
		txs   []setupTx
		addrs []*common.Address
	)
	for _, c := range []struct {
		need bool
		k    *contract
		addr *common.Address
		name string
	}{{kinds[KindERC20], r.ct.token, &r.ct.tokenAddr, "BenchToken"}, {kinds[KindKV], r.ct.kv, &r.ct.kvAddr, "BenchKV"}} {
		if c.need {
			t := setupTx{data: c.k.bin}
			var err error
			if t.gas, err = e.gasFor(ctx, "deploying "+c.name, p.address(), t, gasDeploy); err != nil {
				return err
			}
			r.log.Info("gas limit", "tx", "deploy "+c.name, "gas", t.gas)
			txs = append(txs, t)
			addrs = append(addrs, c.addr)
		}
	}
	if len(txs) == 0 {
		return nil
	}
	bar := newProgress(r.cfg.Progress, "deploying", len(txs))
	defer bar.finish()
	hashes, err := p.run(ctx, "deploying", txs, bar)
	if err != nil {
		return err
	}
	rs, err := r.waitReceipts(ctx, hashes)
	if err != nil {
		return fmt.Errorf("%w: deploying: %v", ErrSetup, err)
	}
	for i, rc := range rs {
		if rc.ContractAddress == nil {
			return fmt.Errorf("%w: no contract address in a deployment receipt", ErrSetup)
		}
		*addrs[i] = *rc.ContractAddress
	}
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
