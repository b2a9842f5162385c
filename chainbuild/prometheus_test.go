package chainbuild

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"gopkg.in/yaml.v2"

	"github.com/gobcos/gobcos/node"
)

// promConfig is the part of prometheus.yml the test reads.
type promConfig struct {
	Global        map[string]string `yaml:"global"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

func readPromConfig(t *testing.T, dir string) (targets map[string]string, labels map[string]map[string]string) {
	t.Helper()
	var pc promConfig
	if err := yaml.UnmarshalStrict(readFile(t, filepath.Join(dir, PrometheusFile)), &pc); err != nil {
		t.Fatalf("%s: %v", PrometheusFile, err)
	}
	if len(pc.ScrapeConfigs) != 1 || pc.ScrapeConfigs[0].MetricsPath != "/metrics" {
		t.Fatalf("scrape configs: %+v", pc.ScrapeConfigs)
	}
	targets, labels = map[string]string{}, map[string]map[string]string{}
	for _, sc := range pc.ScrapeConfigs[0].StaticConfigs {
		for _, tg := range sc.Targets {
			targets[sc.Labels["node"]] = tg
			labels[sc.Labels["node"]] = sc.Labels
		}
	}
	return targets, labels
}

// TestMetricsPortsAndScrapeConfig: node i gets the metrics port base+i in
// its config (pprof off) and in prometheus.yml; add-node extends both.
func TestMetricsPortsAndScrapeConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	o := buildOpts(dir, "ecdsa")
	o.MetricsPort = 19100
	if _, err := Build(o); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	targets, labels := readPromConfig(t, dir)
	if len(targets) != len(m.Nodes) {
		t.Fatalf("prometheus.yml lists %d targets for %d nodes", len(targets), len(m.Nodes))
	}
	for i, e := range m.Nodes {
		want := "127.0.0.1:" + strconv.Itoa(19100+i)
		if e.MetricsAddr() != want || targets[e.Name] != want {
			t.Errorf("%s: manifest %s, prometheus.yml %s, want %s", e.Name, e.MetricsAddr(), targets[e.Name], want)
		}
		if labels[e.Name]["org"] != e.Org || labels[e.Name]["role"] != RoleSealer {
			t.Errorf("%s: labels %v", e.Name, labels[e.Name])
		}
		cfg, err := node.LoadConfig(filepath.Join(dir, e.Name, node.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Metrics.Listen != want || cfg.Metrics.Pprof {
			t.Errorf("%s: [metrics] %+v, want listen %s and pprof off", e.Name, cfg.Metrics, want)
		}
	}

	res, err := AddNode(AddOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Node.MetricsPort != 19104 {
		t.Errorf("added node's metrics port %d, want 19104", res.Node.MetricsPort)
	}
	targets, labels = readPromConfig(t, dir)
	if targets[res.Node.Name] != res.Node.MetricsAddr() || labels[res.Node.Name]["role"] != RoleObserver {
		t.Errorf("prometheus.yml after add-node: %v %v", targets, labels[res.Node.Name])
	}
}

func TestMetricsOff(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	o := buildOpts(dir, "ecdsa")
	o.MetricsPort = 0
	if _, err := Build(o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, PrometheusFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("prometheus.yml written with metrics off: %v", err)
	}
	cfg, err := node.LoadConfig(filepath.Join(dir, "node0", node.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics.Listen != "" {
		t.Errorf("metrics on: %q", cfg.Metrics.Listen)
	}
}

func TestMetricsPortClash(t *testing.T) {
	for _, tc := range []struct{ p2p, rpc, metrics int }{
		{30300, 8545, 8547},  // node 2's RPC port
		{30300, 8545, 30302}, // node 2's P2P port
		{30300, 8545, 65534}, // node 3 beyond 65535
	} {
		o := buildOpts(filepath.Join(t.TempDir(), "chain"), "ecdsa")
		o.P2PPort, o.RPCPort, o.MetricsPort = tc.p2p, tc.rpc, tc.metrics
		if _, err := Build(o); !errors.Is(err, ErrOptions) {
			t.Errorf("metrics port %d: %v, want an option error", tc.metrics, err)
		}
	}
}
