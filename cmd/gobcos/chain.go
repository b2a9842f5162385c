package main

import (
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/node"
)

// newChainCmd is `gobcos chain`: generate multi-node chains.
func newChainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "Generate the certificates, genesis and configs of a multi-node chain",
		Long: `Generate the files of a consortium chain: a chain CA, a certificate per
organisation, per node a consensus key and a TLS certificate binding it, the
genesis and a config.toml per node. docs/chain-build.md describes every file.`,
	}
	cmd.AddCommand(newChainBuildCmd(), newChainAddNodeCmd())
	return cmd
}

func newChainBuildCmd() *cobra.Command {
	o := chainbuild.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Generate a new chain: CA, organisations, node keys, certificates, genesis, configs",
		Long: `Generate a new chain in --dir: a chain CA (or the one given by --ca-cert and
--ca-key), organisations org1..orgN, and nodes node0..nodeN-1 assigned to the
organisations in turn. Every node is a sealer; the organisations' admin accounts
form the committee (weight 1 each).

Ports: without --hosts every node runs on 127.0.0.1 and node i uses the base
ports plus i. With --hosts (one host per node), node i runs on hosts[i] with the
base ports; a host listed twice gets the base ports plus 1 for its second node.

An existing non-empty --dir is refused unless --force, which replaces what an
earlier build generated there (chain.json, genesis.json, ca/, orgs/, nodeN/
including their data) and leaves other files alone.`,
		Example: `  gobcos chain build --nodes 4 --dir ./chain
  gobcos chain build --nodes 7 --orgs 3 --crypto sm --dir ./sm-chain
  gobcos chain build --nodes 4 --hosts 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4 --dir ./chain
  gobcos chain build --nodes 4 --ca-cert ca.crt --ca-key ca.key --dir ./chain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := chainbuild.Build(o)
			if err != nil {
				return err
			}
			printBuild(cmd.OutOrStdout(), o.Dir, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", o.Dir, "output directory of the chain")
	f.IntVar(&o.Nodes, "nodes", o.Nodes, "number of nodes, all sealers (PBFT tolerates f faulty of 3f+1: 4, 7, 10...)")
	f.IntVar(&o.Orgs, "orgs", o.Orgs, "number of organisations (org1..orgN); nodes are assigned to them in turn")
	f.StringVar(&o.Crypto, "crypto", o.Crypto, "crypto suite: ecdsa (secp256k1 + Keccak-256, P-256 TLS) or sm (SM2 + SM3, GM TLS)")
	f.StringVar(&o.Consensus, "consensus", o.Consensus, "consensus engine: pbft (tolerates byzantine nodes), raft (crash faults only), or solo (one node only)")
	f.IntVar(&o.P2PPort, "p2p-port", o.P2PPort, "base P2P port (node i on a shared host uses base+i)")
	f.IntVar(&o.RPCPort, "rpc-port", o.RPCPort, "base JSON-RPC port (node i on a shared host uses base+i)")
	f.IntVar(&o.MetricsPort, "metrics-port", o.MetricsPort, "base port of the nodes' Prometheus /metrics (node i on a shared host uses base+i); 0 turns metrics off")
	f.StringSliceVar(&o.Hosts, "hosts", nil, "comma-separated host of each node (IP or DNS name, one per node); default all on 127.0.0.1")
	f.StringVar(&o.CACert, "ca-cert", "", "existing chain CA certificate (PEM) to sign the organisations, instead of a new CA")
	f.StringVar(&o.CAKey, "ca-key", "", "private key (PKCS#8 PEM) of --ca-cert; it is not copied into --dir")
	f.Uint64Var(&o.ChainID, "chain-id", o.ChainID, "chain id (EIP-155 and native transactions)")
	f.StringVar(&o.GroupID, "group", o.GroupID, "group (ledger) id")
	f.BoolVar(&o.Force, "force", false, "replace a chain generated earlier in --dir, including its nodes' data")
	return cmd
}

func printBuild(out io.Writer, dir string, res *chainbuild.Result) {
	m := res.Manifest
	fmt.Fprintf(out, "built a %d-node %s chain (%s) in %s: chain id %d, group %s\n", len(m.Nodes), m.Consensus, m.CryptoSuite, dir, m.ChainID, m.GroupID)
	if m.Consensus == node.ConsensusPBFT {
		n := len(m.Nodes)
		f := (n - 1) / 3
		note := ""
		if n != 3*f+1 {
			note = fmt.Sprintf("; %d nodes tolerate no more than %d would (3f+1 = %d)", n, 3*f+1, 3*f+1)
		}
		fmt.Fprintf(out, "PBFT with %d sealers tolerates %d faulty; a quorum is %d%s\n", n, f, 2*f+1, note)
	}
	if m.Consensus == node.ConsensusRaft {
		n := len(m.Nodes)
		fmt.Fprintf(out, "Raft with %d voters tolerates %d crashed or cut off (not byzantine); a majority is %d\n", n, (n-1)/2, n/2+1)
	}
	if res.CAGenerated {
		fmt.Fprintf(out, "chain CA: %s (new; its key %s signs organisations: keep it offline)\n", filepath.Join(dir, chainbuild.CADir, chainbuild.CACertFile), filepath.Join(dir, chainbuild.CADir, chainbuild.CAKeyFile))
	} else {
		fmt.Fprintf(out, "chain CA: %s (given; key stays at %s)\n", filepath.Join(dir, chainbuild.CADir, chainbuild.CACertFile), res.CAKeyPath)
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORG\tADMIN ACCOUNT (committee)\tKEY FILE")
	for _, o := range m.Orgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", o.Name, o.Admin.Hex(), filepath.Join(dir, chainbuild.OrgsDir, o.Name, chainbuild.AdminKeyFile))
	}
	tw.Flush()
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tORG\tP2P\tRPC\tNODE ID")
	for _, n := range m.Nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, n.Org, n.P2PAddr(), n.RPCAddr(), n.NodeID)
	}
	tw.Flush()
	fmt.Fprintln(out)
	fmt.Fprintf(out, "admin keys are plain hex files (mode 0600): encrypt them with `gobcos account import` and delete them\n")
	if m.MetricsPort != 0 {
		fmt.Fprintf(out, "metrics: node i serves Prometheus metrics on port %d+i (pprof off); scrape config: %s\n", m.MetricsPort, filepath.Join(dir, chainbuild.PrometheusFile))
	}
	fmt.Fprintf(out, "run a node:  gobcos node --config %s\n", filepath.Join(dir, m.Nodes[0].Name, node.ConfigFile))
	fmt.Fprintf(out, "every file is described in docs/chain-build.md\n")
}

func newChainAddNodeCmd() *cobra.Command {
	var o chainbuild.AddOptions
	cmd := &cobra.Command{
		Use:   "add-node",
		Short: "Issue the keys, certificate and config of one more node (an observer that syncs)",
		Long: `Issue one more node for a chain made by "gobcos chain build": a consensus key,
a TLS certificate signed by the organisation --org, and a directory nodeN/ with
the chain's genesis.json (unchanged) and a config.toml dialing every existing node.

The genesis does not name the new node, so it joins as an observer that syncs;
making it a sealer takes a governance vote (a later release). Existing nodes admit
it through their local allow-list: add the printed allow line to the [network]
section of their config.toml, or pass --update-allow-lists to do it here (each
file is rewritten; the previous version is kept as config.toml.bak).`,
		Example: `  gobcos chain add-node --dir ./chain --org org1
  gobcos chain add-node --dir ./chain --org org2 --host 10.0.0.5 --update-allow-lists`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := chainbuild.AddNode(o)
			if err != nil {
				return err
			}
			printAddNode(cmd.OutOrStdout(), o.Dir, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", "chain", "the chain directory made by gobcos chain build")
	f.StringVar(&o.Org, "org", "", "organisation that issues the node's certificate (e.g. org1; optional if the chain has one)")
	f.StringVar(&o.Host, "host", "", "host the node runs on (IP or DNS name); default 127.0.0.1")
	f.IntVar(&o.P2PPort, "p2p-port", 0, "P2P port; default the chain's base port plus the nodes already on the host")
	f.IntVar(&o.RPCPort, "rpc-port", 0, "JSON-RPC port; default the chain's base port plus the nodes already on the host")
	f.IntVar(&o.MetricsPort, "metrics-port", 0, "Prometheus /metrics port; default the chain's base metrics port plus the nodes already on the host (none if the chain has no metrics)")
	f.BoolVar(&o.UpdateAllowLists, "update-allow-lists", false, "add the new node id to the allow-list of every existing node's config.toml")
	return cmd
}

func printAddNode(out io.Writer, dir string, res *chainbuild.AddResult) {
	n := res.Node
	nd := filepath.Join(dir, n.Name)
	fmt.Fprintf(out, "added %s (organisation %s) in %s\n", n.Name, n.Org, nd)
	fmt.Fprintf(out, "  P2P %s, RPC %s\n", n.P2PAddr(), n.RPCAddr())
	if n.MetricsAddr() != "" {
		fmt.Fprintf(out, "  metrics http://%s/metrics (added to %s)\n", n.MetricsAddr(), filepath.Join(dir, chainbuild.PrometheusFile))
	}
	fmt.Fprintf(out, "  node id %s (also in %s)\n", n.NodeID, filepath.Join(nd, chainbuild.NodeIDFile))
	fmt.Fprintln(out, "It joins as an observer that syncs; becoming a sealer needs a governance vote (a later release).")
	if len(res.Updated) > 0 {
		fmt.Fprintln(out, "Added the node id to the allow-list of:")
		for _, p := range res.Updated {
			fmt.Fprintf(out, "  %s\n", p)
		}
		fmt.Fprintln(out, "Restart those nodes to apply it.")
	} else {
		fmt.Fprintln(out, "Existing nodes admit it once this line is in the [network] section of their config.toml")
		fmt.Fprintln(out, "(merge it with ids already listed there), or rerun with --update-allow-lists:")
		fmt.Fprintf(out, "  %s\n", res.AllowLine)
	}
	fmt.Fprintf(out, "run it:  gobcos node --config %s\n", filepath.Join(nd, node.ConfigFile))
}
