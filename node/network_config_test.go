package node_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/network/certs"
	"github.com/gobcos/gobcos/node"
)

// A config without [network] (as `gobcos up` writes) has no network and
// is written without the section.
func TestConfigWithoutNetwork(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, node.ConfigFile)
	if err := node.WriteConfig(p, node.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p)
	if strings.Contains(string(raw), "[network]") {
		t.Fatal("a config without network was written with a [network] section")
	}
	cfg, err := node.LoadConfig(p)
	if err != nil || cfg.Network != nil {
		t.Fatalf("network %+v, %v", cfg.Network, err)
	}
	if _, err := cfg.LoadNetworkMaterial(); !errors.Is(err, node.ErrConfig) {
		t.Fatalf("material without a section: %v", err)
	}
}

func TestNetworkConfigDefaultsAndRoundTrip(t *testing.T) {
	dir := t.TempDir()
	// Keys absent from a present section take their defaults.
	cfg, err := node.LoadConfig(writeFile(t, dir, "partial.toml", "[network]\npeers = ['10.0.0.2:30300', 'node3.example.com:30301']\n"))
	if err != nil {
		t.Fatal(err)
	}
	def := node.DefaultNetworkConfig()
	n := cfg.Network
	if n == nil || n.Listen != def.Listen || n.CertDir != "tls" || len(n.CACerts) != 1 || n.MaxFrameSize != network.DefaultMaxFrameSize ||
		n.SendQueueSize != def.SendQueueSize || len(n.Peers) != 2 {
		t.Fatalf("network %+v", n)
	}
	// An empty section is a network with defaults too.
	if cfg, err = node.LoadConfig(writeFile(t, dir, "empty.toml", "[network]\n")); err != nil || cfg.Network == nil {
		t.Fatalf("empty section: %+v, %v", cfg.Network, err)
	}
	// Round trip of every key.
	k, _ := crypto.ECDSA().GenerateKey()
	id, _ := network.ParseNodeID(k.PublicKey())
	full := node.DefaultConfig()
	full.Network = &node.NetworkConfig{
		Listen: "", Peers: []string{"[fd00::1]:30300"}, CertDir: "/etc/gobcos/tls", CACerts: []string{"a.crt", "b.crt"},
		CRLFiles: []string{"org1.crl"}, Allow: []string{id.String()}, Deny: []string{"0x" + hex.EncodeToString(k.PublicKey())},
		MaxFrameSize: 1 << 20, SendQueueSize: 10, KeepaliveIdleMs: 2000, KeepaliveTimeoutMs: 9000, RecheckIntervalMs: 1000,
	}
	p := filepath.Join(dir, "full.toml")
	if err := node.WriteConfig(p, full); err != nil {
		t.Fatal(err)
	}
	got, err := node.LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got.Network)
	wb, _ := json.Marshal(full.Network)
	if string(gb) != string(wb) {
		t.Fatalf("round trip:\n got %s\nwant %s", gb, wb)
	}
	if idle, timeout := got.Network.Keepalive(); idle != 2*time.Second || timeout != 9*time.Second || got.Network.RecheckInterval() != time.Second {
		t.Fatalf("keepalive %s %s, recheck %s", idle, timeout, got.Network.RecheckInterval())
	}
	// Zero means the defaults; a custom idle time alone gets a timeout of
	// at least twice it.
	z := node.NetworkConfig{KeepaliveIdleMs: 10_000}
	if idle, timeout := z.Keepalive(); idle != 10*time.Second || timeout != 20*time.Second || z.RecheckInterval() != 5*time.Second {
		t.Fatalf("defaults: keepalive %s %s, recheck %s", idle, timeout, z.RecheckInterval())
	}
	ids, err := node.NodeIDs(got.Network.Deny)
	if err != nil || len(ids) != 1 || ids[0] != id {
		t.Fatalf("deny ids %v, %v", ids, err)
	}
}

func TestNetworkConfigErrorsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"network.listen":                "listen = 'localhost'",
		"network.peers[1]":              "peers = ['10.0.0.1:1', '10.0.0.2']",
		"network.peers[0]":              "peers = [':30300']",
		"is listed twice":               "peers = ['a:1', 'a:1']",
		"port":                          "peers = ['a:70000']",
		"network.cert_dir":              "cert_dir = ''",
		"network.ca_certs":              "ca_certs = []",
		"network.ca_certs[1]":           "ca_certs = ['a.crt', '']",
		"network.crl_files[0]":          "crl_files = ['']",
		"network.allow[0]":              "allow = ['zz']",
		"network.deny[1]":               "deny = ['" + strings.Repeat("ab", 64) + "', '04']",
		"network.max_frame_size":        "max_frame_size = 100",
		"network.send_queue_size":       "send_queue_size = 0",
		"network.keepalive_idle_ms":     "keepalive_idle_ms = 50",
		"network.recheck_interval_ms":   "recheck_interval_ms = -1",
		"network.keepalive_timeout_ms":  "keepalive_idle_ms = 20000\nkeepalive_timeout_ms = 20000",
		"must exceed keepalive_idle_ms": "keepalive_timeout_ms = 4000",
		"bogus":                         "bogus = 1",
	}
	for want, line := range cases {
		_, err := node.LoadConfig(writeFile(t, dir, "bad.toml", "[network]\n"+line+"\n"))
		if !errors.Is(err, node.ErrConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
}

// TestLoadNetworkMaterial reads the files a [network] section names,
// relative to the config file.
func TestLoadNetworkMaterial(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	v := certs.ValidFor(now.Add(-time.Hour), 24*time.Hour)
	ca, err := certs.GenerateCA(certs.SM2, "ca", v)
	if err != nil {
		t.Fatal(err)
	}
	org, err := ca.IssueOrg("org1", v)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := crypto.SM().GenerateKey()
	nc, err := org.IssueNode(certs.NodeRequest{Name: "node0", ConsensusKey: k, Validity: v})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.WriteFiles(filepath.Join(dir, "tls")); err != nil {
		t.Fatal(err)
	}
	if err := certs.WriteCertsFile(filepath.Join(dir, "ca.crt"), ca.Cert); err != nil {
		t.Fatal(err)
	}
	crl, err := org.IssueCRL(1, now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.WriteCRLFile(filepath.Join(dir, "org1.crl"), crl); err != nil {
		t.Fatal(err)
	}
	other, _ := crypto.SM().GenerateKey()
	otherID, _ := network.ParseNodeID(other.PublicKey())
	cfgText := "[network]\ncrl_files = ['org1.crl']\nallow = ['" + otherID.String() + "']\n"
	cfg, err := node.LoadConfig(writeFile(t, dir, node.ConfigFile, cfgText))
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.LoadNetworkMaterial()
	if err != nil {
		t.Fatal(err)
	}
	if !m.Node.Cert.Equal(nc.Cert) || m.Node.EncCert == nil || len(m.TrustedCAs) != 1 || !m.TrustedCAs[0].Equal(ca.Cert) ||
		len(m.CRLs) != 1 || len(m.CRLFiles) != 1 || m.CRLFiles[0] != filepath.Join(dir, "org1.crl") || len(m.Allow) != 1 || m.Allow[0] != otherID || len(m.Deny) != 0 {
		t.Fatalf("material %+v", m)
	}
	// A missing CA file is named.
	cfg, err = node.LoadConfig(writeFile(t, dir, node.ConfigFile, "[network]\nca_certs = ['missing.crt']\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.LoadNetworkMaterial(); err == nil || !strings.Contains(err.Error(), "network.ca_certs") {
		t.Fatalf("missing CA: %v", err)
	}
}

// Genesis files written before the PBFT fields existed load, validate and
// hash exactly as they did (hashes computed by the previous version).
func TestOldGenesisHashesUnchanged(t *testing.T) {
	cases := []struct{ json, hash string }{
		{`{
  "chainId": 20200,
  "groupId": "group0",
  "cryptoSuite": "ecdsa",
  "consensus": "solo",
  "timestamp": 1767225600,
  "sealers": [
    "0x0432d87c5cd4b31d81c5b010af42a2e413af253dc3a91bd3d53c6b2c45291c3de71633bf7793447a0d3ddde601f8d21668fca5b33324f14ebe7516eab0da8bab8f"
  ],
  "txGasLimit": 30000000,
  "blockGasLimit": 3000000000,
  "blockTxLimit": 1000,
  "minSealIntervalMs": 0,
  "blockLimitWindow": 1000,
  "alloc": {
    "0x00000000000000000000000000000000000000aa": {"balance": "0x3e8", "nonce": 1, "code": "0x6001", "storage": {"0x0000000000000000000000000000000000000000000000000000000000000001": "0x0000000000000000000000000000000000000000000000000000000000000002"}}
  }
}`, "0xcd63648b20f239127b5c9741aec5097a01944c6cb087ea0cb90096e3fb1ce5de"},
		{`{
  "chainId": 7,
  "groupId": "group0",
  "cryptoSuite": "sm",
  "consensus": "solo",
  "timestamp": 0,
  "sealers": [
    "0x04800e76472ca186c20cfe7e73d80d567d56f7e0317ba499d950d94588ee1220edd83f1bb29c9826d3b9bbb3e25e8d96a64c6c088318beae38ca1c3d9c5b2d26e4"
  ],
  "txGasLimit": 30000000,
  "blockGasLimit": 3000000000,
  "blockTxLimit": 1000,
  "minSealIntervalMs": 0,
  "blockLimitWindow": 1000
}`, "0x94cce6425c5916967563c61e1122b86f8f4a95a5a89d061fea286186f30e606a"},
	}
	dir := t.TempDir()
	for i, c := range cases {
		p := writeFile(t, dir, "old.json", c.json)
		g, err := node.LoadGenesis(p)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if got := g.Hash().Hex(); got != c.hash {
			t.Fatalf("case %d: hash %s, was %s", i, got, c.hash)
		}
		// Rewriting it does not change the hash either.
		if err := node.WriteGenesis(p, g); err != nil {
			t.Fatal(err)
		}
		if g2, err := node.LoadGenesis(p); err != nil || g2.Hash().Hex() != c.hash {
			t.Fatalf("case %d: rewritten: %v", i, err)
		}
	}
}

func pbftGenesis(t *testing.T, n int) *node.Genesis {
	t.Helper()
	g := node.DefaultGenesis(crypto.NameECDSA, nil)
	g.Consensus = node.ConsensusPBFT
	g.Sealers = nil
	for range n {
		k, _ := crypto.ECDSA().GenerateKey()
		g.Sealers = append(g.Sealers, k.PublicKey())
	}
	g.LeaderPeriod, g.ConsensusTimeoutMs = 2, 5000
	g.Organisations = []node.Organisation{{Name: "org1", CertSHA256: make([]byte, 32)}, {Name: "org2", CertSHA256: make([]byte, 32)}}
	g.Committee = []node.CommitteeMember{{Address: common.Address{1}, Weight: 1, Org: "org1"}, {Address: common.Address{2}, Weight: 3}}
	return g
}

func TestPBFTGenesisValidation(t *testing.T) {
	good := pbftGenesis(t, 4)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if good.PBFTLeaderPeriod() != 2 || good.PBFTConsensusTimeout() != 5*time.Second {
		t.Fatal("configured PBFT values not returned")
	}
	// One sealer is a valid (if fault-intolerant) PBFT chain; defaults apply.
	one := pbftGenesis(t, 1)
	one.LeaderPeriod, one.ConsensusTimeoutMs = 0, 0
	if err := one.Validate(); err != nil || one.PBFTLeaderPeriod() != 1 || one.PBFTConsensusTimeout() != 3*time.Second {
		t.Fatalf("one sealer: %v", err)
	}
	obs, _ := crypto.ECDSA().GenerateKey()
	breakers := map[string]func(g *node.Genesis){
		"applies to pbft only":        func(g *node.Genesis) { g.Consensus = "raft" },
		"sealers":                     func(g *node.Genesis) { g.Sealers = nil },
		"sealers[2]: the same node":   func(g *node.Genesis) { g.Sealers[2] = g.Sealers[0] },
		"observers[0]: the same":      func(g *node.Genesis) { g.Observers = []hexutil.Bytes{g.Sealers[1]} },
		"observers[1]: the same":      func(g *node.Genesis) { g.Observers = []hexutil.Bytes{obs.PublicKey(), obs.PublicKey()} },
		"observers[0]":                func(g *node.Genesis) { g.Observers = []hexutil.Bytes{{4, 1, 2}} },
		"leaderPeriod":                func(g *node.Genesis) { g.LeaderPeriod = 1 << 20 },
		"consensusTimeoutMs":          func(g *node.Genesis) { g.ConsensusTimeoutMs = 10 },
		"committee[1].address":        func(g *node.Genesis) { g.Committee[1].Address = common.Address{} },
		"committee[1].address: 0x":    func(g *node.Genesis) { g.Committee[1].Address = g.Committee[0].Address },
		"committee[0].weight":         func(g *node.Genesis) { g.Committee[0].Weight = 0 },
		"committee[1].org":            func(g *node.Genesis) { g.Committee[1].Org = "org9" },
		"organisations[1].name":       func(g *node.Genesis) { g.Organisations[1].Name = "org1" },
		"organisations[0].name":       func(g *node.Genesis) { g.Organisations[0].Name = "../x" },
		"organisations[0].certSha256": func(g *node.Genesis) { g.Organisations[0].CertSHA256 = []byte{1} },
	}
	for want, brk := range breakers {
		g := pbftGenesis(t, 4)
		brk(g)
		err := g.Validate()
		if !errors.Is(err, node.ErrGenesis) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
	// PBFT-only fields are refused on solo chains; solo keeps one sealer.
	k, _ := crypto.ECDSA().GenerateKey()
	solo := node.DefaultGenesis(crypto.NameECDSA, k.PublicKey())
	solo.LeaderPeriod, solo.ConsensusTimeoutMs = 1, 3000
	err := solo.Validate()
	if err == nil || !strings.Contains(err.Error(), "leaderPeriod: applies to pbft only") || !strings.Contains(err.Error(), "consensusTimeoutMs") {
		t.Fatalf("solo with pbft fields: %v", err)
	}
	// Raft takes the consensus timeout (its election timeout), not the
	// leader period.
	rg := pbftGenesis(t, 3)
	rg.Consensus, rg.LeaderPeriod, rg.ConsensusTimeoutMs = node.ConsensusRaft, 0, 1000
	if err := rg.Validate(); err != nil || rg.PBFTConsensusTimeout() != time.Second {
		t.Fatalf("raft with a consensus timeout: %v", err)
	}
	rg.LeaderPeriod = 2
	if err := rg.Validate(); err == nil || !strings.Contains(err.Error(), "leaderPeriod: applies to pbft only") {
		t.Fatalf("raft with a leader period: %v", err)
	}
	solo = node.DefaultGenesis(crypto.NameECDSA, k.PublicKey())
	solo.Sealers = append(solo.Sealers, obs.PublicKey())
	if err := solo.Validate(); err == nil || !strings.Contains(err.Error(), "exactly one sealer") {
		t.Fatalf("solo with two sealers: %v", err)
	}
}

func TestPBFTGenesisRoundTrip(t *testing.T) {
	g := pbftGenesis(t, 4)
	obs, _ := crypto.ECDSA().GenerateKey()
	g.Observers = []hexutil.Bytes{obs.PublicKey()}
	p := filepath.Join(t.TempDir(), "genesis.json")
	if err := node.WriteGenesis(p, g); err != nil {
		t.Fatal(err)
	}
	got, err := node.LoadGenesis(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != g.Hash() || len(got.Committee) != 2 || got.Committee[1].Weight != 3 || len(got.Observers) != 1 {
		t.Fatalf("round trip: %+v", got)
	}
	if !got.InNodeList(obs.PublicKey()) || got.IsSealer(obs.PublicKey()) || !got.IsSealer(g.Sealers[3]) {
		t.Fatal("node list membership")
	}
	// Every new field takes part in the hash.
	for name, change := range map[string]func(*node.Genesis){
		"observers":    func(g *node.Genesis) { g.Observers = nil },
		"leaderPeriod": func(g *node.Genesis) { g.LeaderPeriod = 3 },
		"timeout":      func(g *node.Genesis) { g.ConsensusTimeoutMs = 4000 },
		"committee":    func(g *node.Genesis) { g.Committee[0].Weight = 2 },
		"organisations": func(g *node.Genesis) {
			g.Organisations[0].CertSHA256 = make([]byte, 32)
			g.Organisations[0].CertSHA256[0] = 1
		},
	} {
		c, _ := node.LoadGenesis(p)
		change(c)
		if c.Hash() == g.Hash() {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}
