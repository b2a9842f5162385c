package bench

import (
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"time"
)

// Config is one bench run.
type Config struct {
	// RPC are the nodes' JSON-RPC URLs (http(s):// or ws(s)://); txs go
	// round-robin over them.
	RPC []string
	// HeadsURL is the WebSocket URL of the newHeads subscription; empty
	// takes the first RPC URL in its ws:// form.
	HeadsURL string
	Workload string
	// Accounts is the number of sending accounts; 0 takes max(1000,
	// txs/32).
	Accounts int
	// Conflict is the share (0 to 1) of txs that touch the hot account or key.
	Conflict float64
	// Rate is the target send rate in tx/s; 0 sends as fast as possible.
	Rate float64
	// Duration bounds the sending phase (0: until all Txs are sent).
	Duration time.Duration
	// Txs is how many txs are signed in advance; 0 means Rate x Duration.
	Txs int
	// Conns is the number of connections per URL.
	Conns int
	// Batch is the most txs one request carries, as a JSON-RPC 2.0 batch
	// (an array of eth_sendRawTransaction or bcos_sendTransaction calls,
	// which Ethereum nodes accept); 0 or 1 sends one tx per request. A
	// connection sends what is due when it is free, so batches are full
	// only when the sender runs behind its rate (always at --rate max).
	Batch int
	// FunderKey is the 32-byte private key (of the chain's suite) of an
	// account that pays the accounts' value and gas in a setup phase and
	// deploys the contracts (nil: no funding; then transfers carry no value,
	// which chains that charge no gas, such as gobcos, accept).
	FunderKey []byte
	// FunderNode funds and deploys from the node's first unlocked account
	// (eth_accounts, eth_sendTransaction), as geth --dev offers.
	FunderNode bool
	// Value is the wei of each transfer; nil: 1 with a funder, else 0.
	Value *big.Int
	// Format is FormatEth or FormatNative; empty picks eth on ECDSA chains
	// and native on SM chains.
	Format string
	// DynamicFee sends EIP-1559 txs instead of EIP-155 legacy ones.
	DynamicFee bool
	// Wait bounds the wait for receipts after the last send.
	Wait time.Duration
	// Nodes and Suite override what bcos_getChainInfo says for the ceiling
	// (needed for non-gobcos nodes); 0 / "" detect.
	Nodes int
	Suite string
	// VerifyPerSec is the suite's verifications per second per core, as
	// `gobcos bench ceiling` measured it; 0 measures it before the run, on
	// all cores at once (MeasureVerifyAllCores).
	VerifyPerSec float64
	// CeilingTime is how long the suite's verify cost is measured (0: 1s).
	CeilingTime time.Duration
	// Metrics are the nodes' Prometheus /metrics addresses (host:port or
	// URL); after the run each node's resident memory is read from them
	// and reported, and the nodes' CPU time is read before and after the
	// timed phase (Result.NodeCPU).
	Metrics []string
	// Timeline adds the run's course to the result, second by second of
	// the sending phase: the txs sent, committed, and their latency.
	Timeline bool
	// CPUProfile, when set, receives a CPU profile (runtime/pprof) of the
	// timed phase: sending the txs and following them to their receipts.
	CPUProfile io.Writer
	// Progress receives the progress bars (nil: none); Log the warnings.
	Progress io.Writer
	Log      *slog.Logger
}

// Defaults of the configuration.
const (
	DefaultAccounts = 1000
	// txsPerAccount is the most txs per account the default account count
	// allows (gobcos refuses nonces 64 ahead of the committed one).
	txsPerAccount = 32
	DefaultTxs    = 20_000
	DefaultConns  = 4
	DefaultWait   = 60 * time.Second
	// MaxBatch is the largest Config.Batch.
	MaxBatch = 1000
)

func (c *Config) validate() error {
	if len(c.RPC) == 0 {
		return fmt.Errorf("%w: no RPC URL", ErrConfig)
	}
	if _, err := Kinds(c.Workload); err != nil {
		return err
	}
	if c.Accounts < 0 {
		return fmt.Errorf("%w: --accounts %d: need at least 1 (0 picks a default)", ErrConfig, c.Accounts)
	}
	if c.Conflict < 0 || c.Conflict > 1 {
		return fmt.Errorf("%w: --conflict %v: want a share from 0 to 1", ErrConfig, c.Conflict)
	}
	if c.Rate < 0 {
		return fmt.Errorf("%w: --rate %v: want a positive rate or max", ErrConfig, c.Rate)
	}
	if c.Txs < 0 || c.Conns < 0 || c.Duration < 0 || c.Batch < 0 {
		return fmt.Errorf("%w: negative --txs, --conns, --batch or --duration", ErrConfig)
	}
	if c.Value != nil && c.Value.Sign() < 0 {
		return fmt.Errorf("%w: negative --value", ErrConfig)
	}
	if c.Batch > MaxBatch {
		return fmt.Errorf("%w: --batch %d: at most %d (nodes refuse larger batches: %d is the default bound of gobcos and go-ethereum)", ErrConfig, c.Batch, MaxBatch, MaxBatch)
	}
	switch c.Format {
	case "", FormatEth, FormatNative:
	default:
		return fmt.Errorf("%w: --format %q: want eth or native", ErrConfig, c.Format)
	}
	return nil
}

// txCount is how many txs to sign.
func (c *Config) txCount() int {
	switch {
	case c.Txs > 0:
		return c.Txs
	case c.Rate > 0 && c.Duration > 0:
		return max(1, int(c.Rate*c.Duration.Seconds()))
	}
	return DefaultTxs
}
