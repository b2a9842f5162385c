package precompiled

import (
	"bytes"
	"fmt"
)

// NodeType is a node's role in consensus.
type NodeType uint8

// Node types.
const (
	NodeNone     NodeType = 0
	NodeSealer   NodeType = 1
	NodeObserver NodeType = 2
)

func (t NodeType) String() string {
	switch t {
	case NodeSealer:
		return "sealer"
	case NodeObserver:
		return "observer"
	}
	return "none"
}

// Node operations of a node proposal.
const (
	NodeOpAddSealer   uint8 = 1
	NodeOpAddObserver uint8 = 2
	NodeOpRemove      uint8 = 3
	NodeOpSetWeight   uint8 = 4
)

// DefaultMinSealers is the fewest sealers a node change may leave when
// the genesis does not say.
const DefaultMinSealers = 1

// MaxSealerWeight bounds a sealer's weight from compatibility version
// 0.3.0 on, when PBFT votes count by weight (consensus.MaxSealerWeight;
// the sum of all weights then cannot overflow). Below 0.3.0 weights are
// recorded unchecked above 1 and PBFT counts each sealer once.
const MaxSealerWeight = 1 << 32

// nodeRecord is a node of the consensus node list: Type and Weight apply
// from block Enable on, PrevType and PrevWeight before (from PrevEnable
// on when it is set, Prev2Type and Prev2Weight before that: the second
// level of configRecord, for 0.4.0's two-block delay; empty, and left out
// of the encoding, in every record written below 0.4.0).
type nodeRecord struct {
	Type        uint8
	Weight      uint64
	PrevType    uint8
	PrevWeight  uint64
	Enable      uint64
	PrevEnable  uint64 `rlp:"optional"`
	Prev2Type   uint8  `rlp:"optional"`
	Prev2Weight uint64 `rlp:"optional"`
}

func (r *nodeRecord) at(height uint64) (NodeType, uint64) {
	switch {
	case height >= r.Enable:
		return NodeType(r.Type), r.Weight
	case height >= r.PrevEnable:
		return NodeType(r.PrevType), r.PrevWeight
	}
	return NodeType(r.Prev2Type), r.Prev2Weight
}

const (
	tblNode      = "node"  // node id -> nodeRecord
	lstNodes     = "nodes" // every node ever listed
	keyMinSealer = "minSealers"
)

// ConsensusNode is one entry of the node list at a height.
type ConsensusNode struct {
	ID     []byte
	Type   NodeType
	Weight uint64
}

// nodesAt returns the nodes in force at height, in list order.
func nodesAt(t *tables, height uint64) []ConsensusNode {
	var out []ConsensusNode
	for _, id := range t.listKeys(lstNodes) {
		var r nodeRecord
		if !t.get(tblNode, id, &r) {
			continue
		}
		if typ, w := r.at(height); typ != NodeNone {
			out = append(out, ConsensusNode{ID: id, Type: typ, Weight: w})
		}
	}
	return out
}

func minSealers(t *tables) uint64 {
	if n := t.getUint(tblParams, []byte(keyMinSealer)); n > 0 {
		return n
	}
	return DefaultMinSealers
}

func checkNodeID(id []byte) string {
	if len(id) != 65 || id[0] != 4 {
		return fmt.Sprintf("node id must be a 65-byte uncompressed public key starting 0x04, got %d bytes", len(id))
	}
	return ""
}

// checkNodeChange says why a node change cannot be made at the next
// block; weightCap (compatibility 0.3.0 on) bounds a sealer's weight by
// MaxSealerWeight.
func checkNodeChange(t *tables, next uint64, op uint8, id []byte, weight uint64, weightCap bool) string {
	if why := checkNodeID(id); why != "" {
		return why
	}
	var r nodeRecord
	exists := t.get(tblNode, id, &r)
	cur := NodeNone
	if exists {
		cur, _ = r.at(next)
	}
	newType := cur
	switch op {
	case NodeOpAddSealer:
		if weight == 0 {
			return "a sealer's weight must be at least 1"
		}
		if weightCap && weight > MaxSealerWeight {
			return fmt.Sprintf("a sealer's weight is at most %d", uint64(MaxSealerWeight))
		}
		if cur == NodeSealer {
			return fmt.Sprintf("node %x… is already a sealer", id[1:9])
		}
		newType = NodeSealer
	case NodeOpAddObserver:
		if cur == NodeObserver {
			return fmt.Sprintf("node %x… is already an observer", id[1:9])
		}
		newType = NodeObserver
	case NodeOpRemove:
		if cur == NodeNone {
			return fmt.Sprintf("node %x… is not in the node list", id[1:9])
		}
		newType = NodeNone
	case NodeOpSetWeight:
		if cur != NodeSealer {
			return fmt.Sprintf("node %x… is not a sealer: only sealers have a weight", id[1:9])
		}
		if weight == 0 {
			return "a sealer's weight must be at least 1"
		}
		if weightCap && weight > MaxSealerWeight {
			return fmt.Sprintf("a sealer's weight is at most %d", uint64(MaxSealerWeight))
		}
	default:
		return fmt.Sprintf("unknown node operation %d (1 add sealer, 2 add observer, 3 remove, 4 set weight)", op)
	}
	if cur == NodeSealer && newType != NodeSealer {
		sealers := uint64(0)
		for _, n := range nodesAt(t, next) {
			if n.Type == NodeSealer && !bytes.Equal(n.ID, id) {
				sealers++
			}
		}
		if min := minSealers(t); sealers < min {
			return fmt.Sprintf("refused: the change would leave %d sealer(s), fewer than the minimum of %d", sealers, min)
		}
	}
	return ""
}

// applyNodeChange records a checked node change, made in block, taking
// effect at next (> block). Only entries in force at block or later are
// kept (see setConfig).
func applyNodeChange(t *tables, block, next uint64, op uint8, id []byte, weight uint64) (NodeType, uint64) {
	var r nodeRecord
	if t.get(tblNode, id, &r) {
		switch {
		case r.Enable <= block:
			r.PrevType, r.PrevWeight, r.PrevEnable, r.Prev2Type, r.Prev2Weight = r.Type, r.Weight, 0, 0, 0
		case r.Enable < next:
			r.Prev2Type, r.Prev2Weight = r.PrevType, r.PrevWeight
			r.PrevType, r.PrevWeight, r.PrevEnable = r.Type, r.Weight, r.Enable
		}
	}
	switch op {
	case NodeOpAddSealer:
		r.Type, r.Weight = uint8(NodeSealer), weight
	case NodeOpAddObserver:
		r.Type, r.Weight = uint8(NodeObserver), 0
	case NodeOpRemove:
		r.Type, r.Weight = uint8(NodeNone), 0
	case NodeOpSetWeight:
		r.Weight = weight
	}
	r.Enable = next
	t.put(tblNode, id, &r)
	t.listAdd(lstNodes, id)
	return NodeType(r.Type), r.Weight
}

var (
	nodeMethods = newMethods(
		newMethod("getSealers()", "bytes[],uint64[]", false),
		newMethod("getObservers()", "bytes[]", false),
		newMethod("getNode(bytes)", "uint8,uint64,uint64", false),
		newMethod("minSealers()", "uint64", false),
		newMethod("addSealer(bytes,uint64)", "", true),
		newMethod("addObserver(bytes)", "", true),
		newMethod("remove(bytes)", "", true),
		newMethod("setWeight(bytes,uint64)", "", true),
	)
	evNodeChanged = newEvent("NodeChanged(bytes,uint8,uint64,uint64)", 0)
)

// ConsensusNodes is the group's consensus node list (0x...1003): sealers
// with weights and observers. It changes only by committee proposal; a
// change takes effect from the block after the one that executes it (the
// second block after it from compatibility version 0.4.0). See
// ConsensusNodes.sol.
type ConsensusNodes struct{}

// Name implements Contract.
func (ConsensusNodes) Name() string { return "ConsensusNodes" }

// RequiredGas implements Contract.
func (ConsensusNodes) RequiredGas(input []byte) uint64 { return callGas(nodeMethods, input) }

// Run implements Contract.
func (c ConsensusNodes) Run(env *Env, input []byte) ([]byte, error) {
	m, args, ret, err := nodeMethods.decode(c.Name(), env, input)
	if m == nil {
		return ret, err
	}
	t := env.tables(ConsensusNodesAddress)
	switch m.sig {
	case "getSealers()":
		ids, ws := [][]byte{}, []uint64{}
		for _, n := range nodesAt(t, env.Block.Number) {
			if n.Type == NodeSealer {
				ids, ws = append(ids, n.ID), append(ws, n.Weight)
			}
		}
		return m.ret(ids, ws)
	case "getObservers()":
		ids := [][]byte{}
		for _, n := range nodesAt(t, env.Block.Number) {
			if n.Type == NodeObserver {
				ids = append(ids, n.ID)
			}
		}
		return m.ret(ids)
	case "getNode(bytes)":
		var r nodeRecord
		if !t.get(tblNode, args[0].([]byte), &r) {
			return m.ret(uint8(0), uint64(0), uint64(0))
		}
		typ, w := r.at(env.Block.Number)
		return m.ret(uint8(typ), w, r.Enable)
	case "minSealers()":
		return m.ret(minSealers(t))
	default:
		return Revert("ConsensusNodes: the node list changes only by proposal: call proposeNode on the Committee at " + CommitteeAddress.Hex())
	}
}
