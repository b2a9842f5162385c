package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/node"
)

func newUpCmd() *cobra.Command {
	var (
		dir       string
		rpcPort   int
		suite     string
		nodes     int
		consensus string
		p2pPort   int
		metrics   int
		explPort  int
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run a local chain (created on first use)",
		Long: `Run a local chain with embedded Pebble storage.

By default up builds (on first use) a 4-node PBFT chain in --dir, with a chain
CA, certificates and a config per node (as 'gobcos chain build' does), and runs
one node process per node on 127.0.0.1, node i serving JSON-RPC (HTTP and
WebSocket on one port) on --rpc-port + i and writing its log to DIR/nodeI/node.log.
--consensus raft builds a Raft chain instead (crash fault tolerant only).
--nodes 1 makes a single-node chain with the Solo engine, run in this process.
Later runs resume the chain found in --dir. Ctrl-C or SIGTERM stops every node
cleanly: each finishes the block it is committing. The node processes share
this machine's cores: unless GOMAXPROCS is set, each gets its share of them,
rounded up (GOMAXPROCS=1 for 4 nodes on 2 cores). They also get
GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (unless GLIBC_TUNABLES sets it): their
database memtables in transparent huge pages.`,
		Example: `  gobcos up
  gobcos up --nodes 1 --dir ./dev --rpc-port 8545
  gobcos up --consensus raft --nodes 3 --dir ./raft-chain
  gobcos up --crypto sm --dir ./sm-chain --rpc-port 8600 --p2p-port 30400`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rpcPort < 1 || rpcPort > 65535 {
				return fmt.Errorf("--rpc-port %d is not a TCP port (1-65535)", rpcPort)
			}
			// Ports not given follow --rpc-port, so that two chains started
			// with different --rpc-port values do not collide.
			for _, p := range []struct {
				name string
				port *int
			}{{"p2p-port", &p2pPort}, {"metrics-port", &metrics}, {"explorer-port", &explPort}} {
				if !cmd.Flags().Changed(p.name) {
					*p.port = followRPCPort(*p.port, rpcPort)
				}
			}
			if explPort < 0 || explPort > 65535 {
				return fmt.Errorf("--explorer-port %d is not a TCP port (1-65535, or 0 for none)", explPort)
			}
			explorerListen := ""
			if explPort > 0 {
				explorerListen = net.JoinHostPort("127.0.0.1", strconv.Itoa(explPort))
			}
			if nodes < 1 {
				return fmt.Errorf("--nodes %d: at least one node is needed", nodes)
			}
			// An existing chain decides the layout; --nodes only shapes a new one.
			_, manifestErr := chainbuild.ReadManifest(dir)
			multi := manifestErr == nil || (!node.IsInitialized(dir) && nodes > 1)
			if node.IsInitialized(dir) && cmd.Flags().Changed("nodes") && nodes > 1 {
				return fmt.Errorf("%s holds a single-node chain; --nodes %d cannot change it (use another --dir)", dir, nodes)
			}
			if multi {
				opts := chainbuild.DefaultOptions()
				opts.Nodes, opts.Crypto, opts.Consensus, opts.RPCPort, opts.P2PPort = nodes, suite, consensus, rpcPort, p2pPort
				opts.MetricsPort = metrics
				return superviseChain(cmd, dir, opts, explorerListen)
			}
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(rpcPort))
			if !node.IsInitialized(dir) {
				if err := node.InitDir(dir, node.InitOptions{Suite: suite, RPCAddr: addr}); err != nil {
					return fmt.Errorf("create chain in %s: %w", dir, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created a new %s chain in %s\n", suite, dir)
			}
			cfg, err := node.LoadConfig(filepath.Join(dir, node.ConfigFile))
			if err != nil {
				return err
			}
			g, err := node.LoadGenesis(cfg.Path(cfg.Genesis))
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("crypto") && g.CryptoSuite != suite {
				return fmt.Errorf("%s holds a %q chain; --crypto %s cannot change it (use another --dir)", dir, g.CryptoSuite, suite)
			}
			if cmd.Flags().Changed("rpc-port") {
				host, _, _ := net.SplitHostPort(cfg.RPC.Listen)
				cfg.RPC.Listen = net.JoinHostPort(host, strconv.Itoa(rpcPort))
			}
			if cmd.Flags().Changed("metrics-port") || cfg.Metrics.Listen == "" {
				cfg.Metrics.Listen = ""
				if metrics != 0 {
					cfg.Metrics.Listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(metrics))
				}
			}
			if cmd.Flags().Changed("explorer-port") || cfg.Explorer.Listen == "" {
				cfg.Explorer.Listen = explorerListen
			}
			return runNode(cmd, cfg)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "gobcos-data", "directory of the chain: key, genesis, config and database")
	cmd.Flags().IntVar(&rpcPort, "rpc-port", defaultRPCPort, "TCP port of the JSON-RPC server on 127.0.0.1 (HTTP and WebSocket)")
	cmd.Flags().StringVar(&suite, "crypto", "ecdsa", "crypto suite of a new chain: ecdsa (secp256k1 + Keccak-256) or sm (SM2 + SM3)")
	cmd.Flags().IntVar(&nodes, "nodes", 4, "number of nodes of a new chain: 1 runs a single-node Solo chain in this process; more builds a PBFT chain and supervises one node process per node on 127.0.0.1, node i serving JSON-RPC on --rpc-port + i (an existing --dir keeps its layout)")
	cmd.Flags().StringVar(&consensus, "consensus", "pbft", "consensus of a new multi-node chain (--nodes > 1): pbft or raft")
	cmd.Flags().IntVar(&explPort, "explorer-port", 8080, "TCP port of the block explorer web UI on 127.0.0.1 (when not given: 8080 moved as far as --rpc-port is from 8545); 0 serves none")
	cmd.Flags().IntVar(&p2pPort, "p2p-port", 30300, "base P2P port of a new multi-node chain: node i listens on --p2p-port + i (when not given: 30300 moved as far as --rpc-port is from 8545)")
	cmd.Flags().IntVar(&metrics, "metrics-port", chainbuild.DefaultMetricsPort, "base port of the Prometheus /metrics endpoints on 127.0.0.1: node i on --metrics-port + i (a new multi-node chain, or the single-node chain; when not given: 9100 moved as far as --rpc-port is from 8545); 0 turns metrics off")
	return cmd
}

// followRPCPort moves a default port by as much as rpcPort differs from
// the default 8545 (--rpc-port 8600 puts the explorer on 8135), keeping the
// default when that leaves the port range.
func followRPCPort(def, rpcPort int) int {
	p := def + rpcPort - defaultRPCPort
	if p < 1 || p > 65535 {
		return def
	}
	return p
}

// defaultRPCPort is up's default --rpc-port.
const defaultRPCPort = 8545

// runNode starts a node from cfg, prints where to reach it and runs until
// SIGINT or SIGTERM.
func runNode(cmd *cobra.Command, cfg node.Config) error {
	// Catch the stop signals before anything serves: a client that sees the
	// RPC up may signal at once, and the default action would kill the node
	// uncleanly. A signal during start is acted on once start is done.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	logger, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	n, err := node.New(cfg, logger)
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		n.Stop()
		return err
	}
	g := n.Genesis()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "gobcos %s: chain %d, group %s, crypto %s, consensus %s, height %d\n", node.Version, g.ChainID, g.GroupID, g.CryptoSuite, g.Consensus, n.Height())
	fmt.Fprintf(out, "JSON-RPC: http://%s  (WebSocket: ws://%s)\n", n.RPCAddr(), n.RPCAddr())
	if a := n.MetricsAddr(); a != "" {
		fmt.Fprintf(out, "metrics: http://%s/metrics\n", a)
	}
	if a := n.ExplorerAddr(); a != "" {
		fmt.Fprintf(out, "Explorer: http://%s\n", a)
	}
	fmt.Fprintln(out, "Press Ctrl-C to stop.")

	<-sig
	fmt.Fprintln(out, "stopping...")
	if err := n.Stop(); err != nil {
		return err
	}
	fmt.Fprintln(out, "stopped cleanly")
	return nil
}

func newLogger(c node.LogConfig) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", c.Level, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
}
