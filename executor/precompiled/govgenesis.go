package precompiled

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// DefaultThreshold is the participation and approval threshold (percent)
// when the genesis sets none.
const DefaultThreshold = 51

// ErrGovernanceGenesis marks a bad initial governance state.
var ErrGovernanceGenesis = errors.New("invalid governance genesis")

// GovernanceGenesis is the initial state of the governance contracts.
type GovernanceGenesis struct {
	Governors []Governor
	// Participation and Approval are percentages (0 means DefaultThreshold).
	Participation, Approval uint8
	// Sealers (weight 1 each) and Observers are node public keys.
	Sealers, Observers [][]byte
	// MinSealers is the fewest sealers a node change may leave (0 means
	// DefaultMinSealers).
	MinSealers uint64
	// Config seeds the system configuration (keys of ConfigKeys).
	Config map[string]string
}

// Storage returns the storage of each governance contract, to put in the
// genesis allocation.
func (g *GovernanceGenesis) Storage() (map[common.Address]map[common.Hash]common.Hash, error) {
	out := make(map[common.Address]map[common.Hash]common.Hash)
	tbl := func(addr common.Address) *tables {
		if out[addr] == nil {
			out[addr] = make(map[common.Hash]common.Hash)
		}
		return &tables{io: mapIO(out[addr])}
	}
	part, appr := g.Participation, g.Approval
	if part == 0 {
		part = DefaultThreshold
	}
	if appr == 0 {
		appr = DefaultThreshold
	}
	if part > 100 || appr > 100 {
		return nil, fmt.Errorf("%w: thresholds are percentages up to 100", ErrGovernanceGenesis)
	}
	com := tbl(CommitteeAddress)
	com.putUint(tblParams, []byte("participation"), uint64(part))
	com.putUint(tblParams, []byte("approval"), uint64(appr))
	for i, gv := range g.Governors {
		switch {
		case gv.Weight == 0 || gv.Weight > MaxGovernorWeight:
			return nil, fmt.Errorf("%w: governor %d (%v): weight must be 1 to %d", ErrGovernanceGenesis, i, gv.Address, uint64(MaxGovernorWeight))
		case gv.Address == (common.Address{}) || com.listHas(lstGovernors, gv.Address[:]):
			return nil, fmt.Errorf("%w: governor %d: zero or repeated address %v", ErrGovernanceGenesis, i, gv.Address)
		}
		com.putUint(tblGovernor, gv.Address[:], gv.Weight)
		com.listAdd(lstGovernors, gv.Address[:])
	}
	nodes := tbl(ConsensusNodesAddress)
	if g.MinSealers > 0 {
		if int(g.MinSealers) > len(g.Sealers) {
			return nil, fmt.Errorf("%w: minimum sealers %d is above the %d genesis sealers", ErrGovernanceGenesis, g.MinSealers, len(g.Sealers))
		}
		nodes.putUint(tblParams, []byte(keyMinSealer), g.MinSealers)
	}
	for _, list := range []struct {
		ids [][]byte
		typ NodeType
		w   uint64
	}{{g.Sealers, NodeSealer, 1}, {g.Observers, NodeObserver, 0}} {
		for _, id := range list.ids {
			if why := checkNodeID(id); why != "" {
				return nil, fmt.Errorf("%w: %s: %s", ErrGovernanceGenesis, list.typ, why)
			}
			if nodes.listHas(lstNodes, id) {
				return nil, fmt.Errorf("%w: node %x listed twice", ErrGovernanceGenesis, id)
			}
			nodes.put(tblNode, id, &nodeRecord{Type: uint8(list.typ), Weight: list.w})
			nodes.listAdd(lstNodes, id)
		}
	}
	conf := tbl(SystemConfigAddress)
	keys := make([]string, 0, len(g.Config))
	for k := range g.Config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if why := checkConfigValue(k, g.Config[k], func(k string) string { return g.Config[k] }); why != "" {
			return nil, fmt.Errorf("%w: %s", ErrGovernanceGenesis, why)
		}
		conf.put(tblConfig, []byte(k), &configRecord{Value: g.Config[k]})
	}
	tbl(PermissionAddress)
	tbl(CNSAddress)
	return out, nil
}
