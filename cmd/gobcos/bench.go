package main

import (
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gobcos/gobcos/bench"
)

func newBenchCmd() *cobra.Command {
	var (
		cfg           bench.Config
		rpcURLs       []string
		rate, keyFile string
		value         string
		txType        string
		cpuProfile    string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load a chain with pre-signed txs and measure committed TPS and latency",
		Long: `bench sets up a workload (funds its accounts from --key, deploys its contracts),
signs every tx in advance, sends them over several connections per --rpc URL at
--rate, follows new blocks through an eth_subscribe newHeads subscription
(WebSocket on the first URL, or --ws), fetches each block's receipts once, and
prints committed TPS, latency percentiles, errors by kind, the fraction of the
signature-verification ceiling reached, a machine speed probe (the thread CPU
time a Keccak-256 hash of 1 KiB took during the run: higher means the cores ran
slower, as a virtual machine's do when its host is busy), and one JSON summary
line.

Workloads: transfer (value transfers), erc20 (token transfers), kv (key-value
writes), mixed (the three in turn). --conflict is the share of txs touching one
hot account (transfer, erc20) or one hot key (kv); the others touch fresh ones.

On ECDSA chains it sends Ethereum txs over plain Ethereum JSON-RPC, so it runs
unchanged against any Ethereum-compatible node (give --nodes and --ws there);
on SM chains it sends native txs (bcos_sendTransaction).

gobcos charges no gas: without --key, transfers carry value 0 and the
contracts are deployed by a fresh account. With --key FILE (a hex private key
of a funded account, e.g. from the genesis alloc) or --funder-node (the node's
unlocked account, as on geth --dev) each account is first given what its txs
spend and transfers carry --value wei.`,
		Example: `  gobcos bench --rpc http://127.0.0.1:8545 --workload transfer --txs 20000
  gobcos bench --rpc http://127.0.0.1:8545,http://127.0.0.1:8546 --workload erc20 --conflict 0.5 --rate 2000 --duration 30s
  gobcos bench --rpc http://127.0.0.1:8545 --ws ws://127.0.0.1:8546 --funder-node --nodes 1 --workload kv
  gobcos bench --rpc http://127.0.0.1:8545 --txs 1000000 --metrics 127.0.0.1:9100
  gobcos bench ceiling --nodes 1,4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, u := range rpcURLs {
				for _, p := range strings.Split(u, ",") {
					if p = strings.TrimSpace(p); p != "" {
						cfg.RPC = append(cfg.RPC, p)
					}
				}
			}
			switch rate {
			case "", "max":
			default:
				r, err := strconv.ParseFloat(rate, 64)
				if err != nil || r <= 0 {
					return fmt.Errorf("--rate %q: want txs per second or max", rate)
				}
				cfg.Rate = r
			}
			if value != "" {
				v, ok := new(big.Int).SetString(value, 10)
				if !ok {
					return fmt.Errorf("--value %q: want an integer amount of wei", value)
				}
				cfg.Value = v
			}
			switch txType {
			case "legacy":
			case "1559":
				cfg.DynamicFee = true
			default:
				return fmt.Errorf("--tx-type %q: want legacy or 1559", txType)
			}
			if keyFile != "" {
				b, err := os.ReadFile(keyFile)
				if err != nil {
					return err
				}
				if cfg.FunderKey, err = bench.ParseKeyHex(string(b)); err != nil {
					return fmt.Errorf("--key %s: %w", keyFile, err)
				}
			}
			// Progress bars redraw one line: only on a terminal.
			if f, ok := cmd.ErrOrStderr().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				cfg.Progress = f
			}
			cfg.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			if cpuProfile != "" {
				pf, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer pf.Close()
				cfg.CPUProfile = pf
			}
			res, err := bench.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			res.Print(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&rpcURLs, "rpc", []string{"http://127.0.0.1:8545"}, "JSON-RPC URLs of the nodes (http:// keeps connections alive, ws:// uses WebSocket); txs go round-robin over them")
	f.StringVar(&cfg.HeadsURL, "ws", "", "WebSocket URL for the newHeads subscription (default: the first --rpc URL as ws://)")
	f.StringVar(&cfg.Workload, "workload", bench.WorkloadTransfer, "transfer, erc20, kv or mixed")
	f.IntVar(&cfg.Accounts, "accounts", 0, "number of sending accounts (fresh keys; default max(1000, txs/32): nodes refuse nonces far ahead of an account's committed one)")
	f.Float64Var(&cfg.Conflict, "conflict", 0, "share of txs (0 to 1) touching the hot account or key")
	f.StringVar(&rate, "rate", "max", "send rate in txs per second, or max")
	f.DurationVar(&cfg.Duration, "duration", 0, "stop sending after this long (with --rate and no --txs, signs rate x duration txs)")
	f.IntVar(&cfg.Txs, "txs", 0, fmt.Sprintf("number of txs to sign and send (default rate x duration, else %d)", bench.DefaultTxs))
	f.IntVar(&cfg.Conns, "conns", bench.DefaultConns, "connections per --rpc URL")
	f.IntVar(&cfg.Batch, "batch", 0, "send up to this many txs (at most 1000, the default bound of gobcos and geth) per request as a JSON-RPC batch: those due when the connection is free; 0: one tx per request")
	f.StringVar(&keyFile, "key", "", "file holding the hex private key of a funded account that funds the accounts and deploys the contracts")
	f.BoolVar(&cfg.FunderNode, "funder-node", false, "fund the accounts and deploy from the node's first unlocked account (eth_sendTransaction; geth --dev has one) instead of --key")
	f.StringVar(&value, "value", "", "wei per transfer (default 1 with --key, 0 without)")
	f.StringVar(&cfg.Format, "format", "", "tx format: eth or native (default eth on ECDSA chains, native on SM chains)")
	f.StringVar(&txType, "tx-type", "legacy", "Ethereum tx type: legacy (EIP-155) or 1559")
	f.DurationVar(&cfg.Wait, "wait", bench.DefaultWait, "how long to wait for receipts after the last send")
	f.IntVar(&cfg.Nodes, "nodes", 0, "node count for the ceiling (default: the chain's sealers from bcos_getChainInfo, else 1)")
	f.StringVar(&cfg.Suite, "suite", "", "crypto suite for the ceiling (default: the chain's)")
	f.Float64Var(&cfg.VerifyPerSec, "verify-rate", 0, "verifications per second per core of the suite, from 'gobcos bench ceiling' (default: measured for --ceiling-time before the run)")
	f.DurationVar(&cfg.CeilingTime, "ceiling-time", time.Second, "how long the suite's verify cost is measured before the run")
	f.StringSliceVar(&cfg.Metrics, "metrics", nil, "Prometheus /metrics addresses of the nodes (host:port or URL, comma-separated); each node's resident memory (RSS) after the run is reported, and the CPU time the nodes used while the txs were sent and committed, per committed tx")
	f.BoolVar(&cfg.Timeline, "timeline", false, "also report the run second by second: the txs sent in each second of the sending phase, how many were committed, and their latency p50 and p95")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the bench process's timed phase (sending and tracking) to this file, for go tool pprof")
	_ = f.MarkHidden("cpuprofile")
	cmd.AddCommand(newBenchCeilingCmd())
	return cmd
}

func newBenchCeilingCmd() *cobra.Command {
	var (
		nodes []int
		d     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "ceiling",
		Short: "Measure signature verifications per second per core and the cluster ceiling",
		Long: `ceiling measures, for each crypto suite, how many txs a core verifies per
second along the txpool's path (decode and verify: sender recovery of Ethereum
txs on ECDSA, SM2 verification of native txs on SM) with every core verifying
at once, and prints the ceiling of a cluster on this machine: cores / (nodes x
verify cost). Every node verifies every tx once, so no chain of that many nodes
on this machine can commit more. The checks are timed in slices with the garbage
collector run between them, so the rate is theirs, not the collector's. It also
prints each core's rate and the rate of one core alone (the others idle), which
is higher where cores share caches, memory or a virtual machine's host, or
differ: a loaded cluster never has that rate on every core at once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, n := range nodes {
				if n < 1 {
					return fmt.Errorf("--nodes %d: at least one node", n)
				}
			}
			r, err := bench.MeasureCeiling(nodes, d)
			if err != nil {
				return err
			}
			r.Print(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().IntSliceVar(&nodes, "nodes", []int{1, 4}, "node counts to compute the ceiling for")
	cmd.Flags().DurationVar(&d, "time", 2*time.Second, "how long each suite is measured on one core, and again on all cores")
	return cmd
}
