package precompiled

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// SlotReader reads committed contract storage; state.Reader is one.
type SlotReader interface {
	Storage(addr common.Address, slot common.Hash) (common.Hash, error)
}

// GovernanceReader reads the governance contracts' state from committed
// state, for the node, the RPC server and the transaction pool. Give it
// the state after block N-1 (or after N: changes made in block N take
// effect from N+1, so both give the same answer) to ask about block N;
// when the compatibility version in force at N-1 is 0.4.0 or later
// (Pipelined), the state after N-2 gives it too.
type GovernanceReader struct{ r SlotReader }

// NewGovernanceReader returns a reader over committed state.
func NewGovernanceReader(r SlotReader) *GovernanceReader { return &GovernanceReader{r: r} }

// read runs f over the tables of addr and returns the first read error; a
// record that does not decode is reported, not panicked on.
func (g *GovernanceReader) read(addr common.Address, f func(t *tables)) (err error) {
	var rerr error
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("governance state of %v: %v", addr, r)
		}
	}()
	f(&tables{io: readerIO{r: g.r, addr: addr, err: &rerr}})
	return rerr
}

// ConfigValue is a system configuration value in force at a block.
type ConfigValue struct {
	Value string
	// Enable is the block from which Value applies (0: since genesis, or
	// the previous value whose start is not kept).
	Enable uint64
}

// SystemConfig returns the configuration in force at block. Keys not set
// on the chain are absent.
func (g *GovernanceReader) SystemConfig(block uint64) (map[string]ConfigValue, error) {
	out := make(map[string]ConfigValue, len(ConfigKeys))
	err := g.read(SystemConfigAddress, func(t *tables) {
		for _, k := range ConfigKeys {
			if r, ok := configAt(t, k); ok && r.at(block) != "" {
				v, enable := r.entry(block)
				out[k] = ConfigValue{Value: v, Enable: enable}
			}
		}
	})
	return out, err
}

// Nodes returns the consensus node list in force at height.
func (g *GovernanceReader) Nodes(height uint64) ([]ConsensusNode, error) {
	var out []ConsensusNode
	err := g.read(ConsensusNodesAddress, func(t *tables) { out = nodesAt(t, height) })
	return out, err
}

// AccountFrozen reports whether addr is frozen at block.
func (g *GovernanceReader) AccountFrozen(addr common.Address, block uint64) (bool, error) {
	st, err := g.AccountFreezeStatus(addr)
	return st.FrozenAt(block), err
}

// FreezeStatus is an account's frozen status as governance recorded it,
// which answers for every block (FrozenAt). The zero value is the status
// of an account never frozen.
type FreezeStatus struct{ r statusRecord }

// FrozenAt reports whether the account is frozen at block.
func (s FreezeStatus) FrozenAt(block uint64) bool { return s.r.at(block) == 1 }

// AccountFreezeStatus returns addr's frozen status: a reader that asks
// about many blocks, or about the same account over and over, reads it
// once.
func (g *GovernanceReader) AccountFreezeStatus(addr common.Address) (FreezeStatus, error) {
	var st FreezeStatus
	err := g.read(PermissionAddress, func(t *tables) {
		if !t.get(tblAccount, addr[:], &st.r) {
			st.r = statusRecord{}
		}
	})
	if err != nil {
		return FreezeStatus{}, err
	}
	return st, nil
}

// ContractStatus returns a contract's status at block (ContractNormal,
// ContractFrozen or ContractAbolished).
func (g *GovernanceReader) ContractStatus(addr common.Address, block uint64) (uint8, error) {
	var st uint8
	err := g.read(PermissionAddress, func(t *tables) { st = statusAt(t, tblContract, addr, block) })
	return st, err
}

// Governor is a committee member.
type Governor struct {
	Address common.Address
	Weight  uint64
}

// Committee returns the governors and the participation and approval
// thresholds (percent).
func (g *GovernanceReader) Committee() ([]Governor, uint8, uint8, error) {
	var gs []Governor
	var p, a uint8
	err := g.read(CommitteeAddress, func(t *tables) {
		addrs, ws := governors(t)
		for i := range addrs {
			gs = append(gs, Governor{Address: addrs[i], Weight: ws[i]})
		}
		p, a = thresholds(t)
	})
	return gs, p, a, err
}

// ProposalInfo is a proposal as the RPC and tools show it.
type ProposalInfo struct {
	ID       uint64
	Kind     ProposalKind
	Proposer common.Address
	Created  uint64
	Expiry   uint64
	Status   ProposalStatus
	For      uint64
	Against  uint64
	Payload  []byte
	Reason   string
}

// ProposalCount returns the number of proposals made (ids are 1..count).
func (g *GovernanceReader) ProposalCount() (uint64, error) {
	var n uint64
	err := g.read(CommitteeAddress, func(t *tables) { n = t.getUint(tblParams, []byte("count")) })
	return n, err
}

// Proposal returns proposal id as of block (for its expired status); nil
// when there is none.
func (g *GovernanceReader) Proposal(id, block uint64) (*ProposalInfo, error) {
	var out *ProposalInfo
	err := g.read(CommitteeAddress, func(t *tables) {
		var p proposal
		if t.get(tblProposal, idKey(id), &p) {
			out = &ProposalInfo{ID: id, Kind: ProposalKind(p.Kind), Proposer: p.Proposer, Created: p.Created,
				Expiry: p.Expiry, Status: p.status(block), For: p.For, Against: p.Against, Payload: p.Payload, Reason: p.Reason}
		}
	})
	return out, err
}

// Resolve returns the address and version a name resolves to for sender
// (through its gray route, if any); ok is false for an unknown name.
func (g *GovernanceReader) Resolve(name string, sender common.Address) (addr common.Address, version string, ok bool, err error) {
	err = g.read(CNSAddress, func(t *tables) {
		var r cnsRecord
		version, r, ok = resolveName(t, name, sender)
		addr = r.Address
	})
	return addr, version, ok, err
}
