package node_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/node"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigDefaultsAndRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, node.ConfigFile)
	if err := node.WriteConfig(p, node.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RPC.Listen != node.DefaultConfig().RPC.Listen || cfg.Path(cfg.DataDir) != filepath.Join(dir, "data") {
		t.Fatalf("round trip changed the config: %+v", cfg)
	}
	// The executor section reaches the config.
	cfg, err = node.LoadConfig(writeFile(t, dir, "exec.toml", "[executor]\nworkers = -1\nparallel = 'chunks'\n"))
	if err != nil || cfg.Executor.Workers != -1 || cfg.Executor.Parallel != "chunks" {
		t.Fatalf("executor section: %+v, %v", cfg.Executor, err)
	}
	// An empty file takes every default.
	cfg, err = node.LoadConfig(writeFile(t, dir, "empty.toml", ""))
	if err != nil || cfg.TxPool.MaxTxs != node.DefaultConfig().TxPool.MaxTxs || cfg.Executor != (node.ExecutorConfig{Parallel: "chunks"}) {
		t.Fatalf("empty config: %+v, %v", cfg, err)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"unknown top-level key": "datadir = 'x'\n",
		"unknown section key":   "[rpc]\nlisten = '127.0.0.1:1'\nport = 3\n",
		"bad listen address":    "[rpc]\nlisten = 'localhost'\n",
		"negative workers":      "[txpool]\nverify_workers = -1\n",
		"wrong type":            "[txpool]\nmax_txs = 'many'\n",
		"bad log level":         "[log]\nlevel = 'loud'\n",
		"not TOML":              "[rpc\n",
		"pbft window":           "[pbft]\nwindow = 3\n",
		"negative fetch rate":   "[pbft]\nfetch_requests_per_second = -1\n",
		"parallel strategy":     "[executor]\nworkers = 2\nparallel = 'stm'\n",
		"state history":         "[state]\nhistory = 'recent'\n",
	}
	wants := map[string]string{
		"unknown top-level key": "datadir",
		"unknown section key":   "port",
		"bad listen address":    "rpc.listen",
		"negative workers":      "txpool.verify_workers",
		"wrong type":            "max_txs",
		"bad log level":         "log.level",
		"not TOML":              "bad.toml",
		"pbft window":           "pbft.window",
		"negative fetch rate":   "pbft.fetch_requests_per_second",
		"parallel strategy":     "executor.parallel",
		"state history":         "state.history",
	}
	for name, content := range cases {
		file := "bad.toml"
		_, err := node.LoadConfig(writeFile(t, dir, file, content))
		if !errors.Is(err, node.ErrConfig) {
			t.Errorf("%s: error %v is not ErrConfig", name, err)
			continue
		}
		if !strings.Contains(err.Error(), wants[name]) {
			t.Errorf("%s: error %q does not name %q", name, err, wants[name])
		}
	}
}

func TestGenesisValidation(t *testing.T) {
	k, _ := crypto.SM().GenerateKey()
	good := node.DefaultGenesis(crypto.NameSM, k.PublicKey())
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	breakers := map[string]func(g *node.Genesis){
		"chainId":       func(g *node.Genesis) { g.ChainID = 0 },
		"cryptoSuite":   func(g *node.Genesis) { g.CryptoSuite = "rsa" },
		"consensus":     func(g *node.Genesis) { g.Consensus = "pow" },
		"sealers":       func(g *node.Genesis) { g.Sealers = nil },
		"sealers[0]":    func(g *node.Genesis) { g.Sealers[0] = append([]byte{4}, make([]byte, 64)...) },
		"txGasLimit":    func(g *node.Genesis) { g.TxGasLimit = 10 },
		"blockGasLimit": func(g *node.Genesis) { g.BlockGasLimit = g.TxGasLimit - 1 },
		"blockTxLimit":  func(g *node.Genesis) { g.BlockTxLimit = 0 },
		"groupId":       func(g *node.Genesis) { g.GroupID = "" },
	}
	for key, brk := range breakers {
		g := *node.DefaultGenesis(crypto.NameSM, k.PublicKey())
		brk(&g)
		err := g.Validate()
		if !errors.Is(err, node.ErrGenesis) || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v", key, err)
		}
	}
	// The SM suite refuses an ECDSA sealer key that is not on its curve.
	ek, _ := crypto.ECDSA().GenerateKey()
	g := node.DefaultGenesis(crypto.NameSM, ek.PublicKey())
	if err := g.Validate(); err == nil {
		t.Error("an ECDSA public key was accepted as an SM2 sealer")
	}
	// Unknown fields in the file are refused.
	dir := t.TempDir()
	if _, err := node.LoadGenesis(writeFile(t, dir, "g.json", `{"chainId":1,"chainID":2}`)); !errors.Is(err, node.ErrGenesis) {
		t.Errorf("unknown genesis field: %v", err)
	}
}

// TestRestartWithOtherGenesisRefused: a data directory belongs to one chain.
func TestRestartWithOtherGenesisRefused(t *testing.T) {
	n, cfg := startNode(t, crypto.NameECDSA)
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	g, err := node.LoadGenesis(cfg.Path(cfg.Genesis))
	if err != nil {
		t.Fatal(err)
	}
	g.ChainID++
	if err := node.WriteGenesis(cfg.Path(cfg.Genesis), g); err != nil {
		t.Fatal(err)
	}
	if _, err := node.New(cfg, nil); !errors.Is(err, node.ErrGenesis) || !strings.Contains(err.Error(), "another genesis") {
		t.Fatalf("restart with another genesis: %v", err)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	if err := node.InitDir(dir, node.InitOptions{Suite: crypto.NameECDSA}); err != nil {
		t.Fatal(err)
	}
	if err := node.InitDir(dir, node.InitOptions{Suite: crypto.NameECDSA}); err == nil {
		t.Fatal("InitDir overwrote an existing chain")
	}
	info, err := os.Stat(filepath.Join(dir, "node.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("node key mode %v, %v", info.Mode(), err)
	}
}
