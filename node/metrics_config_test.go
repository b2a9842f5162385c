package node_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gobcos/gobcos/node"
)

func TestMetricsConfig(t *testing.T) {
	def := node.DefaultConfig()
	if def.Metrics.Listen != "" || def.Metrics.Pprof || def.Log.TxFlowSample != 100 {
		t.Fatalf("defaults: metrics %+v, tx_flow_sample %d; want metrics off, pprof off, 1 in 100", def.Metrics, def.Log.TxFlowSample)
	}
	dir := t.TempDir()
	cfg, err := node.LoadConfig(writeFile(t, dir, "ok.toml", "[metrics]\nlisten = \"127.0.0.1:9100\"\npprof = true\n[log]\ntx_flow_sample = 10\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics.Listen != "127.0.0.1:9100" || !cfg.Metrics.Pprof || cfg.Log.TxFlowSample != 10 {
		t.Fatalf("read %+v %+v", cfg.Metrics, cfg.Log)
	}
	for name, tc := range map[string]struct{ toml, key string }{
		"bad listen":         {"[metrics]\nlisten = \"9100\"\n", "metrics.listen"},
		"pprof alone":        {"[metrics]\npprof = true\n", "metrics.pprof"},
		"negative sample":    {"[log]\ntx_flow_sample = -1\n", "log.tx_flow_sample"},
		"unknown metric key": {"[metrics]\nport = 9100\n", "port"},
	} {
		_, err := node.LoadConfig(writeFile(t, dir, "bad.toml", tc.toml))
		if !errors.Is(err, node.ErrConfig) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: %v, want a config error naming %s", name, err, tc.key)
		}
	}
}
