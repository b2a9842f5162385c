package pbft

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus/enginetest"
	"github.com/gobcos/gobcos/crypto"
)

func TestQuorum(t *testing.T) {
	for _, tc := range []struct{ n, f, q int }{{1, 0, 1}, {2, 0, 2}, {3, 0, 2}, {4, 1, 3}, {5, 1, 4}, {6, 1, 4}, {7, 2, 5}, {10, 3, 7}, {100, 33, 67}} {
		if f, q := MaxFaulty(tc.n), Quorum(tc.n); f != tc.f || q != tc.q {
			t.Errorf("n=%d: f=%d q=%d, want f=%d q=%d", tc.n, f, q, tc.f, tc.q)
		}
		// Two quorums share at least f+1 sealers, so an honest one.
		if q := Quorum(tc.n); 2*q-tc.n < MaxFaulty(tc.n)+1 || q > tc.n-MaxFaulty(tc.n) {
			t.Errorf("n=%d: quorum %d does not intersect in an honest sealer or is not live", tc.n, q)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	suite := fastSuite{}
	keys, pubs := testKeys(suite, 4, 1)
	good := testConfig(suite, pubs)
	good.Key = keys[2]
	if self, err := good.Validate(); err != nil || self != 2 {
		t.Fatalf("valid config: self %d, %v", self, err)
	}
	outsider, _ := testKeys(suite, 5, 2)
	ecdsaKeys, _ := testKeys(crypto.ECDSA(), 1, 1)
	for name, tweak := range map[string]func(*Config){
		"no suite":             func(c *Config) { c.Suite = nil },
		"no key":               func(c *Config) { c.Key = nil },
		"key of another suite": func(c *Config) { c.Key = ecdsaKeys[0] },
		"no sealers":           func(c *Config) { c.Sealers = nil },
		"duplicate sealer":     func(c *Config) { c.Sealers = [][]byte{pubs[0], pubs[1], pubs[2], pubs[2]} },
		"bad sealer key":       func(c *Config) { c.Sealers = [][]byte{pubs[0], {1, 2}, pubs[2], pubs[3]} },
		"zero period":          func(c *Config) { c.LeaderPeriod = 0 },
		"zero window":          func(c *Config) { c.Window = 0 },
		"huge window":          func(c *Config) { c.Window = 1000 },
		"no block txs":         func(c *Config) { c.MaxBlockTxs = 0 },
		"message too small":    func(c *Config) { c.MaxMessageSize = c.MaxProposalBytes },
		"tiny timeout":         func(c *Config) { c.TimeoutTicks = 1 },
		"heartbeat too slow":   func(c *Config) { c.HeartbeatTicks = c.TimeoutTicks },
		"no resend":            func(c *Config) { c.ResendTicks = 0 },
	} {
		c := good
		tweak(&c)
		if _, err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
	c := good
	c.Key = outsider[4]
	if _, err := c.Validate(); !errors.Is(err, ErrNotSealer) {
		t.Errorf("outsider key: %v, want ErrNotSealer", err)
	}
}

func TestRestoreRejectsBadState(t *testing.T) {
	suite := fastSuite{}
	keys, pubs := testKeys(suite, 4, 1)
	cfg := testConfig(suite, pubs)
	cfg.Key = keys[0]
	genesis := enginetest.Genesis(suite)
	noProposal := func(common.Hash) (*Proposal, error) { return nil, errors.New("none") }
	if _, err := New(cfg, genesis, &HardState{Height: 5}, noProposal); !errors.Is(err, ErrStateAhead) {
		t.Errorf("state ahead of the ledger: %v", err)
	}
	hs := &HardState{Height: 3, Decided: []Decision{{Height: 2, Digest: common.Hash{1}}}}
	if _, err := New(cfg, genesis, hs, noProposal); !errors.Is(err, ErrCorruptState) {
		t.Errorf("gap in decided heights: %v", err)
	}
	hs = &HardState{Height: 2, Decided: []Decision{{Height: 1, Digest: common.Hash{1}}}}
	if _, err := New(cfg, genesis, hs, noProposal); !errors.Is(err, ErrCorruptState) {
		t.Errorf("missing proposal: %v", err)
	}
	other := &Proposal{Height: 1, Parent: genesis.Hash(suite), Txs: [][]byte{{1}}}
	if _, err := New(cfg, genesis, hs, func(common.Hash) (*Proposal, error) { return other, nil }); !errors.Is(err, ErrCorruptState) {
		t.Errorf("proposal not matching its digest: %v", err)
	}
	// A state older than the ledger is superseded by it.
	c, err := New(cfg, genesis, &HardState{Height: 1, View: 4}, noProposal)
	if err != nil || c.Status().Height != 1 || c.Status().View != 4 {
		t.Fatalf("restore at the ledger head: %v %+v", err, c.Status())
	}
}
