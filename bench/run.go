package bench

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// runner holds one run's connections and state.
type runner struct {
	cfg   Config
	log   *slog.Logger
	conns []*rpc.Client
	chain *Chain
	tr    *tracker
	sg    *signer
	ct    *contracts
	keys  []crypto.PrivateKey
	// funder pays for and deploys the setup; nil without --key.
	funder crypto.PrivateKey
	value  *big.Int
}

// Run sets up the workload's accounts and contracts, signs every tx, sends
// them and follows them to their receipts.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Conns == 0 {
		cfg.Conns = DefaultConns
	}
	if cfg.Wait == 0 {
		cfg.Wait = DefaultWait
	}
	if cfg.CeilingTime == 0 {
		cfg.CeilingTime = time.Second
	}
	r := &runner{cfg: cfg, log: cfg.Log}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	defer r.close()
	for i := range len(cfg.RPC) * cfg.Conns {
		url := cfg.RPC[i%len(cfg.RPC)]
		c, err := dial(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("bench: connecting to %s: %w", url, err)
		}
		r.conns = append(r.conns, c)
	}
	chain, err := detectChain(ctx, r.conns[0])
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", cfg.RPC[0], err)
	}
	r.chain = chain
	format := cfg.Format
	if format == "" {
		format = FormatEth
		if chain.Suite.Name() != crypto.NameECDSA {
			format = FormatNative
		}
	}
	if format == FormatNative && !chain.Gobcos {
		return nil, fmt.Errorf("%w: native txs need a gobcos node (bcos_getChainInfo failed)", ErrUnsupported)
	}
	if format == FormatEth && chain.Suite.Name() != crypto.NameECDSA {
		return nil, fmt.Errorf("%w: %s chains refuse Ethereum txs; use --format native", ErrConfig, chain.Suite.Name())
	}
	r.sg = newSigner(chain, format, cfg.DynamicFee)
	if len(cfg.FunderKey) > 0 {
		if r.funder, err = chain.Suite.ParsePrivateKey(cfg.FunderKey); err != nil {
			return nil, fmt.Errorf("%w: the funder key is not a %s key: %v", ErrConfig, chain.Suite.Name(), err)
		}
	}
	if r.ct, err = loadContracts(); err != nil {
		return nil, err
	}

	headsURL := cfg.HeadsURL
	if headsURL == "" {
		headsURL = wsURL(cfg.RPC[0])
	}
	heads, err := dial(ctx, headsURL)
	if err != nil {
		r.log.Warn("no WebSocket for newHeads: polling instead", "url", headsURL, "err", err)
		heads = r.conns[0]
	} else {
		r.conns = append(r.conns, heads) // closed with the others
	}
	trCtx, stopTracker := context.WithCancel(ctx)
	defer stopTracker()
	r.tr = newTracker(heads, chain.Head+1, r.log)
	// Receipts come from the node that announces the heads: over plain
	// HTTP when that is the first --rpc URL's node.
	if raw := newRawClient(cfg.RPC[0]); raw != nil && cfg.HeadsURL == "" {
		r.tr.raw = raw
		defer raw.close()
	}
	go r.tr.run(trCtx)

	n := cfg.txCount()
	if cfg.Accounts == 0 {
		// Nodes bound how far an account's nonces may run ahead of its
		// committed ones: keep each account's share small.
		cfg.Accounts = max(DefaultAccounts, (n+txsPerAccount-1)/txsPerAccount)
		r.cfg.Accounts = cfg.Accounts
	}
	ops, err := Plan(cfg.Workload, n, cfg.Accounts, cfg.Conflict, uint64(time.Now().UnixNano()))
	if err != nil {
		return nil, err
	}
	r.keys = make([]crypto.PrivateKey, cfg.Accounts)
	for i := range r.keys {
		if r.keys[i], err = chain.Suite.GenerateKey(); err != nil {
			return nil, err
		}
	}
	if err := r.refreshBlockLimit(ctx); err != nil {
		return nil, err
	}
	if err := r.setup(ctx, ops); err != nil {
		return nil, err
	}
	if err := r.refreshBlockLimit(ctx); err != nil {
		return nil, err
	}

	signStart := time.Now()
	txs, err := r.presign(ops)
	if err != nil {
		return nil, err
	}
	signTime := time.Since(signStart)

	res := &Result{Workload: cfg.Workload, Format: format, Suite: chain.Suite.Name(), Accounts: cfg.Accounts,
		Conflict: cfg.Conflict, Rate: cfg.Rate, Conns: len(cfg.RPC) * cfg.Conns, Txs: n, Cores: runtime.NumCPU(),
		SignSeconds: round2(signTime.Seconds()), Errors: map[string]int{}}
	if cfg.Batch > 1 {
		res.Batch = cfg.Batch
	}
	res.Nodes = cfg.Nodes
	if res.Nodes == 0 {
		res.Nodes = max(1, chain.Sealers)
	}
	ceilSuite := chain.Suite
	if cfg.Suite != "" {
		if ceilSuite, err = crypto.ByName(cfg.Suite); err != nil {
			return nil, fmt.Errorf("%w: --suite: %v", ErrConfig, err)
		}
		res.Suite = ceilSuite.Name()
	}
	cost := VerifyCost{Suite: ceilSuite.Name(), PerSec: cfg.VerifyPerSec}
	if cost.PerSec <= 0 {
		if cost, err = MeasureVerifyAllCores(ceilSuite, res.Cores, cfg.CeilingTime); err != nil {
			return nil, err
		}
	}
	res.CeilingTPS = round2(cost.Ceiling(res.Cores, res.Nodes))

	before := scrapeNodes(ctx, cfg.Metrics)
	r.sendAndTrack(ctx, txs, res)
	// One reading after the run gives both the nodes' CPU and their memory.
	after := scrapeNodes(ctx, cfg.Metrics)
	res.NodeCPU = nodeCPU(cpuOf(before), cpuOf(after), res.Committed, res.Seconds)
	for _, s := range after {
		res.Memory = append(res.Memory, s.memory())
	}
	if res.CeilingTPS > 0 {
		res.CeilingFraction = round4(res.TPS / res.CeilingTPS)
	}
	return res, nil
}

// refreshBlockLimit makes the native txs signed next valid for the
// chain's block-limit window from its current head. A run whose txs are
// not all committed within that many blocks sees its last ones refused
// ("block limit") or left out of every block (ErrKindExpired): native
// txs cannot be signed long in advance.
func (r *runner) refreshBlockLimit(ctx context.Context) error {
	if r.sg.format != FormatNative {
		return nil
	}
	var head hexutil.Uint64
	if err := r.conns[0].CallContext(ctx, &head, "eth_blockNumber"); err != nil {
		return fmt.Errorf("bench: eth_blockNumber: %w", err)
	}
	r.sg.blockLimit = uint64(head) + r.chain.BlockLimitWindow
	return nil
}

func (r *runner) close() {
	for _, c := range r.conns {
		c.Close()
	}
}

// presign signs the txs of ops on every core, with a progress bar.
func (r *runner) presign(ops []Op) ([]*types.Transaction, error) {
	txs := make([]*types.Transaction, len(ops))
	bar := newProgress(r.cfg.Progress, "signing", len(ops))
	workers := runtime.NumCPU()
	var (
		wg       sync.WaitGroup
		firstErr atomic.Pointer[error]
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := 0
			defer func() { bar.add(done) }()
			for i := w; i < len(ops); i += workers {
				op := ops[i]
				to, value, data, gas, err := r.ct.opTx(op, r.value)
				if err == nil {
					txs[i], err = r.sg.sign(r.keys[op.From], op.Seq, to, value, data, gas)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				if done++; done == 64 {
					bar.add(done)
					done = 0
				}
			}
		}()
	}
	wg.Wait()
	bar.finish()
	if e := firstErr.Load(); e != nil {
		return nil, *e
	}
	return txs, nil
}

// send sends one signed tx over rc.
func (r *runner) send(ctx context.Context, rc *rpc.Client, tx *types.Transaction) error {
	method, args := sendCall(tx)
	var res any
	return rc.CallContext(ctx, &res, method, args...)
}

// sendCall is the JSON-RPC method and arguments that send tx.
func sendCall(tx *types.Transaction) (string, []any) {
	raw := hexutil.Bytes(tx.Bytes())
	if tx.IsEthereum() {
		return "eth_sendRawTransaction", []any{raw}
	}
	return "bcos_sendTransaction", []any{raw, false}
}

// sendBatch sends txs in one JSON-RPC batch over rc and returns one error
// per tx: the node's answer to each, or the request's error for all.
func (r *runner) sendBatch(ctx context.Context, rc *rpc.Client, txs []*types.Transaction) []error {
	elems := make([]rpc.BatchElem, len(txs))
	results := make([]any, len(txs))
	for j, tx := range txs {
		method, args := sendCall(tx)
		elems[j] = rpc.BatchElem{Method: method, Args: args, Result: &results[j]}
	}
	errs := make([]error, len(txs))
	if err := rc.BatchCallContext(ctx, elems); err != nil {
		for j := range errs {
			errs[j] = err
		}
		return errs
	}
	for j := range elems {
		errs[j] = elems[j].Error
	}
	return errs
}

// encodedSends holds the JSON-RPC request object that sends each tx (its
// id is the tx's index), encoded in advance, back to back in one buffer.
type encodedSends struct {
	buf []byte
	end []int // request i is buf[end[i-1]:end[i]] (end[-1] = 0)
}

func encodeSends(txs []*types.Transaction) *encodedSends {
	e := &encodedSends{end: make([]int, len(txs))}
	var params []byte
	for i, tx := range txs {
		raw := tx.Bytes()
		params = append(params[:0], `["0x`...)
		params = hex.AppendEncode(params, raw)
		params = append(params, '"')
		method := "eth_sendRawTransaction"
		if !tx.IsEthereum() {
			method = "bcos_sendTransaction"
			params = append(params, ",false"...)
		}
		params = append(params, ']')
		if e.buf == nil { // the envelope around params is under 100 bytes
			e.buf = make([]byte, 0, len(txs)*(len(params)+100))
		}
		e.buf = appendRequest(e.buf, i, method, params)
		e.end[i] = len(e.buf)
	}
	return e
}

func (e *encodedSends) request(i int) []byte {
	start := 0
	if i > 0 {
		start = e.end[i-1]
	}
	return e.buf[start:e.end[i]]
}

// sendEncoded sends the encoded requests of the txs at indexes idx (one
// request, or a batch of them) and returns one error per tx, as sendBatch
// does. answers holds the answer while it is read.
func (r *runner) sendEncoded(ctx context.Context, raw *rawClient, answers *bytes.Buffer, enc *encodedSends, idx []int) []error {
	var body []byte
	if len(idx) == 1 {
		body = enc.request(idx[0])
	} else {
		size := len(idx) + 1
		for _, i := range idx {
			size += len(enc.request(i))
		}
		body = make([]byte, 0, size)
		body = append(body, '[')
		for j, i := range idx {
			if j > 0 {
				body = append(body, ',')
			}
			body = append(body, enc.request(i)...)
		}
		body = append(body, ']')
	}
	answer, err := raw.post(ctx, body, answers)
	var errs []error
	if err == nil {
		// The ids are the txs' indexes, answered in order as a rule.
		next := 0
		errs, err = batchResults(answer, len(idx), func(id int) int {
			if next < len(idx) && idx[next] == id {
				next++
				return next - 1
			}
			for j, i := range idx {
				if i == id {
					return j
				}
			}
			return -1
		}, nil)
	}
	if err != nil {
		errs = make([]error, len(idx))
		for j := range errs {
			errs[j] = err
		}
	}
	return errs
}

// startProfile starts the CPU profile of the timed phase, if asked for,
// and returns what stops it.
func (r *runner) startProfile() func() {
	if r.cfg.CPUProfile == nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(r.cfg.CPUProfile); err != nil {
		r.log.Warn("no CPU profile", "err", err)
		return func() {}
	}
	return pprof.StopCPUProfile
}

// sendAndTrack is the timed phase: send txs, paced, over every connection
// (an account's txs always over the same one, in nonce order), then wait
// for their receipts, and fill res.
func (r *runner) sendAndTrack(ctx context.Context, txs []*types.Transaction, res *Result) {
	hashes := make([]common.Hash, len(txs))
	for i, tx := range txs {
		hashes[i] = tx.Hash()
	}
	w := newWatch(hashes)
	r.tr.add(w)
	r.tr.mu.Lock()
	r.tr.blocks = 0 // count only the timed phase's blocks
	r.tr.mu.Unlock()
	defer r.tr.remove(w)

	workers := len(r.cfg.RPC) * r.cfg.Conns
	queues := make([][]int, workers)
	for i := range txs {
		q := (i % r.cfg.Accounts) % workers
		queues[q] = append(queues[q], i)
	}
	// Over HTTP the requests are encoded now, before the clock starts,
	// and sent without the generic client.
	var enc *encodedSends
	raws := make([]*rawClient, workers)
	for q := range raws {
		if raws[q] = newRawClient(r.cfg.RPC[q%len(r.cfg.RPC)]); raws[q] != nil {
			defer raws[q].close()
			if enc == nil {
				enc = encodeSends(txs)
			}
		}
	}
	sendErr := make([]string, len(txs))
	attempted := make([]bool, len(txs))
	var sentOK atomic.Int64
	bar := newProgress(r.cfg.Progress, "sending", len(txs))
	stopProfile := r.startProfile()
	stopProbe := startSpeedProbe(speedProbeInterval)
	start := time.Now()
	var wg sync.WaitGroup
	for q := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, raw := r.conns[q], raws[q]
			var answers bytes.Buffer
			queue := queues[q]
			due := func(i int) time.Time {
				return start.Add(time.Duration(float64(i) / r.cfg.Rate * float64(time.Second)))
			}
			batch := make([]*types.Transaction, 0, max(1, r.cfg.Batch))
			for k := 0; k < len(queue); {
				if r.cfg.Rate > 0 {
					if d := time.Until(due(queue[k])); d > 0 {
						time.Sleep(d)
					}
				}
				if ctx.Err() != nil || (r.cfg.Duration > 0 && time.Since(start) > r.cfg.Duration) {
					return
				}
				// The txs due by now, up to the batch size, leave together.
				end := k + 1
				now := time.Now()
				for end < len(queue) && end-k < r.cfg.Batch && (r.cfg.Rate <= 0 || !due(queue[end]).After(now)) {
					end++
				}
				idx := queue[k:end]
				k = end
				for _, i := range idx {
					attempted[i] = true
				}
				w.markSent(idx, now)
				var errs []error
				if raw != nil {
					errs = r.sendEncoded(ctx, raw, &answers, enc, idx)
				} else if len(idx) == 1 {
					errs = []error{r.send(ctx, rc, txs[idx[0]])}
				} else {
					batch = batch[:0]
					for _, i := range idx {
						batch = append(batch, txs[i])
					}
					errs = r.sendBatch(ctx, rc, batch)
				}
				for j, i := range idx {
					if errs[j] != nil {
						sendErr[i] = classifySend(errs[j])
					} else {
						sentOK.Add(1)
					}
				}
				bar.add(len(idx))
			}
		}()
	}
	wg.Wait()
	bar.finish()
	sendTime := time.Since(start)
	// A native tx is valid up to its block limit: once the tracker has
	// scanned that block, those still missing expired.
	var expired func() bool
	if limit := r.sg.blockLimit; r.sg.format == FormatNative && limit > 0 {
		expired = func() bool { return r.tr.scanned() >= limit }
	}
	w.wait(ctx, int(sentOK.Load()), time.Now().Add(r.cfg.Wait), expired)
	stopProfile()
	res.Speed = stopProbe()
	pastLimit := expired != nil && expired()

	w.mu.Lock()
	defer w.mu.Unlock()
	var (
		lat  []time.Duration
		last time.Time
	)
	for i := range txs {
		switch {
		case !w.commit[i].IsZero():
			res.Committed++
			lat = append(lat, w.commit[i].Sub(w.sent[i]))
			if w.commit[i].After(last) {
				last = w.commit[i]
			}
			if w.status[i] == 1 {
				res.Succeeded++
			} else {
				res.Errors[ErrKindReverted]++
			}
		case !attempted[i]:
			res.Unsent++
		case sendErr[i] != "":
			res.Errors[sendErr[i]]++
		case pastLimit:
			res.Errors[ErrKindExpired]++
		default:
			res.Errors[ErrKindNotCommitted]++
		}
	}
	res.Sent = int(sentOK.Load())
	res.SendSeconds = round2(sendTime.Seconds())
	if sendTime > 0 {
		res.SendTPS = round2(float64(res.Sent) / sendTime.Seconds())
	}
	if res.Committed > 0 {
		span := last.Sub(start)
		res.Seconds = round2(span.Seconds())
		if span > 0 {
			res.TPS = round2(float64(res.Committed) / span.Seconds())
		}
	}
	res.Latency = latencyOf(lat)
	if r.cfg.Timeline {
		res.Timeline = timeline(start, w.sent, w.commit)
	}
	r.tr.mu.Lock()
	res.Blocks = r.tr.blocks
	r.tr.mu.Unlock()
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
func round4(f float64) float64 { return float64(int64(f*10000+0.5)) / 10000 }
