package chainbuild

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gobcos/gobcos/internal/fileutil"
)

// PrometheusFile is the Prometheus scrape configuration Build writes in
// the chain directory.
const PrometheusFile = "prometheus.yml"

// placeMetrics gives node i the metrics port MetricsPort plus its index
// among the nodes of its host (as its P2P and RPC ports), refusing ports
// beyond 65535 or used by a node's P2P or RPC server on the same host.
func placeMetrics(opts Options, places []placement, nodes []*nodeMaterial) error {
	if opts.MetricsPort == 0 {
		return nil
	}
	if err := checkPort("--metrics-port", opts.MetricsPort); err != nil {
		return err
	}
	used := map[string]string{}
	for i, pl := range places {
		used[fmt.Sprintf("%s:%d", pl.host, pl.p2pPort)] = fmt.Sprintf("node%d's P2P port", i)
		used[fmt.Sprintf("%s:%d", pl.host, pl.rpcPort)] = fmt.Sprintf("node%d's RPC port", i)
	}
	for i, pl := range places {
		port := opts.MetricsPort + (pl.rpcPort - opts.RPCPort)
		if port > 65535 {
			return badOption("--metrics-port %d: node%d would need port %d, beyond 65535", opts.MetricsPort, i, port)
		}
		if other, clash := used[fmt.Sprintf("%s:%d", pl.host, port)]; clash {
			return badOption("node%d's metrics port %d is also %s: choose a --metrics-port range that does not overlap --p2p-port and --rpc-port", i, port, other)
		}
		nodes[i].entry.MetricsPort = port
	}
	return nil
}

// writePrometheusConfig writes dir/prometheus.yml: one scrape job listing
// every node's metrics address, labelled with its name, organisation and
// role. Nothing is written when no node serves metrics.
func writePrometheusConfig(dir string, m *Manifest) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Prometheus scrape configuration of gobcos chain %d, group %s, written by gobcos chain build.\n", m.ChainID, m.GroupID)
	b.WriteString("# Run: prometheus --config.file=prometheus.yml   (metric names: docs/metrics.md)\n")
	b.WriteString("global:\n  scrape_interval: 5s\n  evaluation_interval: 15s\nscrape_configs:\n")
	fmt.Fprintf(&b, "  - job_name: %q\n    metrics_path: /metrics\n    static_configs:\n", "gobcos")
	n := 0
	for _, e := range m.Nodes {
		if e.MetricsAddr() == "" {
			continue
		}
		n++
		fmt.Fprintf(&b, "      - targets: [%q]\n        labels: {node: %q, org: %q, role: %q, chain_id: %q}\n",
			e.MetricsAddr(), e.Name, e.Org, e.Role, fmt.Sprint(m.ChainID))
	}
	if n == 0 {
		return nil
	}
	return fileutil.WriteAtomic(filepath.Join(dir, PrometheusFile), []byte(b.String()), 0o644)
}
