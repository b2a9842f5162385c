package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
)

// Genesis is the chain's genesis file: everything every node of the chain
// must agree on before block 0.
type Genesis struct {
	ChainID     uint64 `json:"chainId"`
	GroupID     string `json:"groupId"`
	CryptoSuite string `json:"cryptoSuite"` // "ecdsa" or "sm"
	Consensus   string `json:"consensus"`   // "solo", "pbft" or "raft"
	Timestamp   uint64 `json:"timestamp"`   // of block 0, seconds
	// Sealers are the public keys (0x04...) of the nodes that seal blocks.
	Sealers []hexutil.Bytes `json:"sealers"`
	// Observers are the public keys of nodes in the group's node list that
	// follow the chain without sealing.
	Observers []hexutil.Bytes `json:"observers,omitempty"`
	// System configuration (changed by governance in later versions).
	TxGasLimit        uint64 `json:"txGasLimit"`
	BlockGasLimit     uint64 `json:"blockGasLimit"`
	BlockTxLimit      int    `json:"blockTxLimit"`
	MinSealIntervalMs uint64 `json:"minSealIntervalMs"`
	BlockLimitWindow  uint64 `json:"blockLimitWindow"`
	// LeaderPeriod is how many consecutive blocks a PBFT leader proposes
	// (0 means DefaultLeaderPeriod). PBFT only.
	LeaderPeriod uint64 `json:"leaderPeriod,omitempty"`
	// ConsensusTimeoutMs is the initial consensus_timeout_ms: PBFT's
	// view-change timeout before it grows, Raft's election timeout (0
	// means DefaultConsensusTimeoutMs). PBFT and Raft only.
	ConsensusTimeoutMs uint64 `json:"consensusTimeoutMs,omitempty"`
	// CompatibilityVersion is the chain's first compatibility version, the
	// rule set of block 0 on (changed later by upgrade proposals). Empty
	// means 0.1.0, the first one; new genesis files name the version of
	// the binary that wrote them.
	CompatibilityVersion string `json:"compatibilityVersion,omitempty"`
	// Committee are the initial governors: the organisations' admin
	// accounts with their vote weights. Recorded now; governance uses it.
	Committee []CommitteeMember `json:"committee,omitempty"`
	// CommitteeParticipation and CommitteeApproval are the committee's
	// thresholds in percent (0 means 51): see docs/governance.md.
	CommitteeParticipation uint8 `json:"committeeParticipation,omitempty"`
	CommitteeApproval      uint8 `json:"committeeApproval,omitempty"`
	// MinSealers is the fewest sealers a node change may leave (0 means 1).
	MinSealers uint64 `json:"minSealers,omitempty"`
	// Organisations are the member organisations and the SHA-256
	// fingerprints of their certificates.
	Organisations []Organisation `json:"organisations,omitempty"`
	// Alloc pre-funds accounts and pre-deploys code.
	Alloc map[common.Address]GenesisAccount `json:"alloc,omitempty"`
}

// GenesisAccount is the initial state of one account.
type GenesisAccount struct {
	Balance *math.HexOrDecimal256       `json:"balance,omitempty"`
	Nonce   uint64                      `json:"nonce,omitempty"`
	Code    hexutil.Bytes               `json:"code,omitempty"`
	Storage map[common.Hash]common.Hash `json:"storage,omitempty"`
}

// CommitteeMember is one governor of the chain.
type CommitteeMember struct {
	Address common.Address `json:"address"`
	Weight  uint64         `json:"weight"`
	// Org names the member's organisation (optional; one of Organisations).
	Org string `json:"org,omitempty"`
}

// Organisation is a member organisation of the chain.
type Organisation struct {
	Name string `json:"name"`
	// CertSHA256 is the SHA-256 of the organisation certificate's DER.
	CertSHA256 hexutil.Bytes `json:"certSha256"`
}

// Consensus engine names of the genesis file.
const (
	ConsensusSolo = "solo"
	ConsensusPBFT = "pbft"
	ConsensusRaft = "raft"
)

// PBFT defaults for zero genesis fields (the consensus timeout is Raft's
// too).
const (
	DefaultLeaderPeriod       = 1
	DefaultConsensusTimeoutMs = 3000
)

// ChainMinSealIntervalMs is the minimum seal interval `gobcos chain build`
// writes for every chain. A block costs the sealers CPU and storage
// whatever it holds, and a leader seals as soon as it may: with no
// interval, 4 PBFT sealers sharing 2 cores made a block for every one to
// three txs at 100 to 400 tx/s and used up to three quarters of the cores
// doing it. 20 ms halved that CPU at 100 tx/s and cut it by a third at
// 400, for 8 to 14 ms more latency; 4 Raft sealers used 38 to 45% less
// CPU at 400 tx/s with it. A Solo sealer at its maximum rate made blocks
// of about 90 txs with none (each commit synced to disk) and 600 to 700
// with it, and committed 12% more txs a second on average (BENCHMARKS.md,
// "A minimum seal interval for Solo chains"). A full block is never held
// back (the engines' FullBlock checks; "A minimum seal interval for PBFT
// chains" and "A minimum seal interval for Raft chains"). The development
// chain of InitDir (DefaultGenesis) keeps none: a block as soon as a
// transaction arrives.
const ChainMinSealIntervalMs = 20

// RaftConsensusTimeoutMs is the election timeout `gobcos chain build`
// writes for Raft chains: elections after 1 to 2 s without a heartbeat.
const RaftConsensusTimeoutMs = 1000

// ErrGenesis marks genesis errors.
var ErrGenesis = errors.New("invalid genesis")

// DefaultGenesis is a single-sealer development chain.
func DefaultGenesis(suite string, sealer []byte) *Genesis {
	return &Genesis{
		ChainID:           20200,
		GroupID:           "group0",
		CryptoSuite:       suite,
		Consensus:         ConsensusSolo,
		Sealers:           []hexutil.Bytes{sealer},
		TxGasLimit:        30_000_000,
		BlockGasLimit:     3_000_000_000,
		BlockTxLimit:      1000,
		MinSealIntervalMs: 0,
		BlockLimitWindow:  1000,

		CompatibilityVersion: CompatibilityVersion(),
	}
}

// Compatibility is the chain's compatibility version at block 0.
func (g *Genesis) Compatibility() string {
	if g.CompatibilityVersion == "" {
		return precompiled.CompatV0_1
	}
	return g.CompatibilityVersion
}

// Validate checks the genesis and says which field is wrong.
func (g *Genesis) Validate() error {
	var errs []string
	bad := func(key, why string) { errs = append(errs, key+": "+why) }
	if g.ChainID == 0 {
		bad("chainId", "must be a positive integer")
	}
	if g.GroupID == "" || len(g.GroupID) > 64 {
		bad("groupId", "must be 1 to 64 characters")
	}
	suite, err := crypto.ByName(g.CryptoSuite)
	if err != nil || g.CryptoSuite == "" {
		bad("cryptoSuite", fmt.Sprintf("%q is neither \"ecdsa\" nor \"sm\"", g.CryptoSuite))
	}
	switch g.Consensus {
	case ConsensusSolo, ConsensusPBFT, ConsensusRaft:
	default:
		bad("consensus", fmt.Sprintf("%q is not a consensus engine (\"pbft\", \"raft\" or \"solo\")", g.Consensus))
	}
	if len(g.Sealers) == 0 {
		bad("sealers", "at least one sealer public key is required")
	}
	if g.Consensus == ConsensusSolo && len(g.Sealers) != 1 {
		bad("sealers", "the solo engine has exactly one sealer")
	}
	g.validateNodes(suite, bad)
	if g.Consensus != ConsensusPBFT {
		if g.LeaderPeriod != 0 {
			bad("leaderPeriod", "applies to pbft only")
		}
		if g.ConsensusTimeoutMs != 0 && g.Consensus != ConsensusRaft {
			bad("consensusTimeoutMs", "applies to pbft and raft only")
		}
	}
	if g.LeaderPeriod > 10_000 {
		bad("leaderPeriod", "must be between 1 and 10000 (0 means 1)")
	}
	if g.ConsensusTimeoutMs != 0 && (g.ConsensusTimeoutMs < 100 || g.ConsensusTimeoutMs > 600_000) {
		bad("consensusTimeoutMs", "must be between 100 and 600000 (0 means 3000)")
	}
	g.validateGovernance(bad)
	g.validateGovernanceState(bad)
	if g.TxGasLimit < 21000 {
		bad("txGasLimit", "must be at least 21000")
	}
	if g.BlockGasLimit < g.TxGasLimit {
		bad("blockGasLimit", "must be at least txGasLimit")
	}
	if g.BlockTxLimit < 1 {
		bad("blockTxLimit", "must be at least 1")
	}
	if g.BlockLimitWindow < 1 || g.BlockLimitWindow > 100_000 {
		bad("blockLimitWindow", "must be between 1 and 100000")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrGenesis, strings.Join(errs, "; "))
	}
	return nil
}

// validateNodes checks the sealer and observer public keys: valid for the
// suite, no key listed twice, no node both sealer and observer.
func (g *Genesis) validateNodes(suite crypto.Suite, bad func(key, why string)) {
	seen := make(map[string]string, len(g.Sealers)+len(g.Observers))
	check := func(list string, keys []hexutil.Bytes) {
		for i, k := range keys {
			key := fmt.Sprintf("%s[%d]", list, i)
			if suite != nil {
				if err := suite.ValidatePublicKey(k); err != nil {
					bad(key, err.Error())
					continue
				}
			}
			if first, dup := seen[string(k)]; dup {
				bad(key, "the same node as "+first)
				continue
			}
			seen[string(k)] = key
		}
	}
	check("sealers", g.Sealers)
	check("observers", g.Observers)
}

// validateGovernance checks the committee and the organisations.
func (g *Genesis) validateGovernance(bad func(key, why string)) {
	orgs := make(map[string]bool, len(g.Organisations))
	for i, o := range g.Organisations {
		key := fmt.Sprintf("organisations[%d]", i)
		switch {
		case !ValidOrgName(o.Name):
			bad(key+".name", fmt.Sprintf("%q must be 1 to 64 characters from A-Z a-z 0-9 . _ -", o.Name))
		case orgs[o.Name]:
			bad(key+".name", fmt.Sprintf("%q is listed twice", o.Name))
		}
		orgs[o.Name] = true
		if len(o.CertSHA256) != 32 {
			bad(key+".certSha256", fmt.Sprintf("must be a 32-byte SHA-256 fingerprint, got %d bytes", len(o.CertSHA256)))
		}
	}
	members := make(map[common.Address]bool, len(g.Committee))
	for i, m := range g.Committee {
		key := fmt.Sprintf("committee[%d]", i)
		if m.Address == (common.Address{}) {
			bad(key+".address", "must not be the zero address")
		} else if members[m.Address] {
			bad(key+".address", m.Address.Hex()+" is listed twice")
		}
		members[m.Address] = true
		if m.Weight == 0 {
			bad(key+".weight", "must be at least 1")
		}
		if m.Org != "" && !orgs[m.Org] {
			bad(key+".org", fmt.Sprintf("%q is not one of organisations", m.Org))
		}
	}
}

// ValidOrgName reports whether s may name an organisation: 1 to 64
// characters from A-Z a-z 0-9 . _ - and not "." or "..", as it becomes a
// directory name and a certificate common name.
func ValidOrgName(s string) bool {
	if s == "" || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// PBFTLeaderPeriod is the leader period with the default applied.
func (g *Genesis) PBFTLeaderPeriod() uint64 {
	if g.LeaderPeriod == 0 {
		return DefaultLeaderPeriod
	}
	return g.LeaderPeriod
}

// PBFTConsensusTimeout is the consensus timeout with the default applied
// (Raft's election timeout too).
func (g *Genesis) PBFTConsensusTimeout() time.Duration {
	if g.ConsensusTimeoutMs == 0 {
		return DefaultConsensusTimeoutMs * time.Millisecond
	}
	return time.Duration(g.ConsensusTimeoutMs) * time.Millisecond
}

// IsSealer reports whether pub is one of the sealers.
func (g *Genesis) IsSealer(pub []byte) bool { return containsKey(g.Sealers, pub) }

// InNodeList reports whether pub is a sealer or an observer: the group's
// node list as far as the genesis knows it.
func (g *Genesis) InNodeList(pub []byte) bool {
	return containsKey(g.Sealers, pub) || containsKey(g.Observers, pub)
}

func containsKey(keys []hexutil.Bytes, pub []byte) bool {
	for _, k := range keys {
		if bytes.Equal(k, pub) {
			return true
		}
	}
	return false
}

// Suite is the genesis' crypto suite; call after Validate.
func (g *Genesis) Suite() crypto.Suite {
	s, _ := crypto.ByName(g.CryptoSuite)
	return s
}

// Hash commits to the whole genesis: block 0 carries it so that a node
// started with a different genesis over existing data refuses to run.
func (g *Genesis) Hash() common.Hash {
	b, err := json.Marshal(g)
	if err != nil {
		panic(fmt.Sprintf("node: genesis encoding cannot fail: %v", err))
	}
	return g.Suite().Hash(b)
}

// LoadGenesis reads and validates a genesis file; unknown fields are errors.
func LoadGenesis(path string) (*Genesis, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	g := new(Genesis)
	if err := dec.Decode(g); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrGenesis, path, err)
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// WriteGenesis writes g as indented JSON.
func WriteGenesis(path string, g *Genesis) error {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// balanceBig converts a genesis balance.
func (a GenesisAccount) balanceBig() *big.Int {
	if a.Balance == nil {
		return new(big.Int)
	}
	return (*big.Int)(a.Balance)
}
