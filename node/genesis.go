package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"

	"github.com/gobcos/gobcos/crypto"
)

// Genesis is the chain's genesis file: everything every node of the chain
// must agree on before block 0.
type Genesis struct {
	ChainID     uint64 `json:"chainId"`
	GroupID     string `json:"groupId"`
	CryptoSuite string `json:"cryptoSuite"` // "ecdsa" or "sm"
	Consensus   string `json:"consensus"`   // "solo" (PBFT and Raft come later)
	Timestamp   uint64 `json:"timestamp"`   // of block 0, seconds
	// Sealers are the public keys (0x04...) of the nodes that seal blocks.
	Sealers []hexutil.Bytes `json:"sealers"`
	// System configuration (changed by governance in later versions).
	TxGasLimit        uint64 `json:"txGasLimit"`
	BlockGasLimit     uint64 `json:"blockGasLimit"`
	BlockTxLimit      int    `json:"blockTxLimit"`
	MinSealIntervalMs uint64 `json:"minSealIntervalMs"`
	BlockLimitWindow  uint64 `json:"blockLimitWindow"`
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

// ErrGenesis marks genesis errors.
var ErrGenesis = errors.New("invalid genesis")

// DefaultGenesis is a single-sealer development chain.
func DefaultGenesis(suite string, sealer []byte) *Genesis {
	return &Genesis{
		ChainID:           20200,
		GroupID:           "group0",
		CryptoSuite:       suite,
		Consensus:         "solo",
		Sealers:           []hexutil.Bytes{sealer},
		TxGasLimit:        30_000_000,
		BlockGasLimit:     3_000_000_000,
		BlockTxLimit:      1000,
		MinSealIntervalMs: 0,
		BlockLimitWindow:  1000,
	}
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
	if g.Consensus != "solo" {
		bad("consensus", fmt.Sprintf("%q is not supported (this version runs \"solo\")", g.Consensus))
	}
	if len(g.Sealers) == 0 {
		bad("sealers", "at least one sealer public key is required")
	}
	if g.Consensus == "solo" && len(g.Sealers) != 1 {
		bad("sealers", "the solo engine has exactly one sealer")
	}
	if suite != nil {
		for i, s := range g.Sealers {
			if err := suite.ValidatePublicKey(s); err != nil {
				bad(fmt.Sprintf("sealers[%d]", i), err.Error())
			}
		}
	}
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
