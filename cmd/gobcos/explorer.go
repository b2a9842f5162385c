package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/explorer"
	"github.com/gobcos/gobcos/node"
)

func newExplorerCmd() *cobra.Command {
	var (
		rpcURLs string
		dir     string
		listen  string
	)
	cmd := &cobra.Command{
		Use:   "explorer",
		Short: "Serve the block explorer web UI for a running chain",
		Long: `Serve the block explorer, a web UI over the chain's JSON-RPC: the group's nodes,
latest blocks, tx totals and a txs-per-block chart; block, transaction, address and
pending pages; search by height, hash or address. Every asset is built in, so it
works offline.

The first --rpc URL is the node the explorer reads the chain from; further URLs (or
the nodes of the chain manifest in --dir) add their status to the node list. A node
serves the same explorer itself when its config.toml sets [explorer] listen.`,
		Example: `  gobcos explorer --rpc http://127.0.0.1:8545
  gobcos explorer --dir ./chain --listen 127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eps, err := endpoints(rpcURLs, dir)
			if err != nil {
				return err
			}
			logger, err := newLogger(node.DefaultConfig().Log)
			if err != nil {
				return err
			}
			ex, err := explorer.New(explorer.Config{Endpoints: eps, Logger: logger})
			if err != nil {
				return err
			}
			addr, err := ex.Start(listen)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Explorer: http://%s  (reading the chain from %s)\n", addr, eps[0].URL)
			fmt.Fprintln(out, "Press Ctrl-C to stop.")
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sig)
			<-sig
			return ex.Stop()
		},
	}
	cmd.Flags().StringVar(&rpcURLs, "rpc", "", "JSON-RPC URL(s) of the chain's nodes, comma-separated (http://host:port)")
	cmd.Flags().StringVar(&dir, "dir", "", "directory of a chain built by 'gobcos chain build' or 'gobcos up': its manifest gives every node's RPC address")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to serve the explorer on")
	return cmd
}

// endpoints are the JSON-RPC endpoints named by --rpc (comma-separated)
// and by the manifest of the chain in dir, without duplicates.
func endpoints(rpcURLs, dir string) ([]explorer.Endpoint, error) {
	var eps []explorer.Endpoint
	seen := map[string]bool{}
	add := func(ep explorer.Endpoint) {
		if !seen[ep.URL] {
			seen[ep.URL] = true
			eps = append(eps, ep)
		}
	}
	for _, u := range strings.Split(rpcURLs, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !strings.Contains(u, "://") {
			u = "http://" + u
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("--rpc %q: want an http:// or https:// URL", u)
		}
		add(explorer.Endpoint{URL: strings.TrimRight(u, "/")})
	}
	if dir != "" {
		m, err := chainbuild.ReadManifest(dir)
		if err != nil {
			return nil, fmt.Errorf("--dir: %w", err)
		}
		for _, ep := range manifestEndpoints(m) {
			add(ep)
		}
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("no node to ask: give --rpc URL[,URL...] or --dir with a chain manifest")
	}
	return eps, nil
}

// manifestEndpoints are the RPC endpoints of a chain manifest's nodes.
func manifestEndpoints(m *chainbuild.Manifest) []explorer.Endpoint {
	eps := make([]explorer.Endpoint, 0, len(m.Nodes))
	for _, e := range m.Nodes {
		host := e.Host
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		eps = append(eps, explorer.Endpoint{
			URL:    "http://" + net.JoinHostPort(host, strconv.Itoa(e.RPCPort)),
			NodeID: "0x04" + strings.TrimPrefix(strings.ToLower(e.NodeID), "0x"),
			Name:   e.Name,
			Org:    e.Org,
		})
	}
	return eps
}

// startChainExplorer serves the explorer over every node of a manifest.
func startChainExplorer(m *chainbuild.Manifest, listen string) (*explorer.Server, net.Addr, error) {
	ex, err := explorer.New(explorer.Config{Endpoints: manifestEndpoints(m)})
	if err != nil {
		return nil, nil, err
	}
	addr, err := ex.Start(listen)
	if err != nil {
		return nil, nil, err
	}
	return ex, addr, nil
}
