package rpc

import (
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// The node and group status methods: bcos_getNodeInfo, bcos_getPeers,
// bcos_getGroupNodes, bcos_getSealerList, bcos_getObserverList and
// bcos_getConsensusStatus. They need a NodeStatusBackend, except
// bcos_getSealerList, which falls back to ChainInfo.

// Roles of a node in its group.
const (
	RoleSealer   = "sealer"
	RoleObserver = "observer"
	RoleNone     = "none" // admitted (for example by an allow list) but not in the node list
)

// NodeStatusBackend is an optional Backend extension: a backend that
// implements it gets the node and group status methods; others answer
// "method not found" (bcos_getSealerList excepted).
type NodeStatusBackend interface {
	// NodeStatus describes this node and its consensus engine.
	NodeStatus() NodeStatus
	// Peers are the node's connected peers.
	Peers() []PeerStatus
	// GroupNodes are the group's sealers, then its observers, in node
	// list order.
	GroupNodes() []GroupNode
}

// NodeStatus is one node's identity and consensus progress.
type NodeStatus struct {
	NodeID    []byte // uncompressed public key
	Name      string // common name of the node certificate, if any
	Org       string // organisation of the node certificate, if any
	Role      string // RoleSealer, RoleObserver or RoleNone
	Consensus ConsensusStatus
	// MaxCompatibility is the highest chain compatibility version the
	// node's binary supports.
	MaxCompatibility string
	// Halted says why the node stopped executing blocks (the chain moved
	// to a compatibility version it does not support); "" while it follows.
	Halted string
}

// ConsensusStatus is a snapshot of a node's consensus engine.
type ConsensusStatus struct {
	Engine  string // "pbft", "raft", "solo"
	View    uint64 // PBFT view or Raft term; 0 for Solo
	Leader  bool   // this node proposes blocks now
	Running bool   // the engine runs on this node (false on observers)
	// LastCommit is when this node committed its latest block; zero before
	// the first one since it started.
	LastCommit time.Time
}

// PeerStatus is one connected peer.
type PeerStatus struct {
	NodeID      []byte
	Name, Org   string // from the peer's certificate
	RemoteAddr  string
	Outbound    bool // this node dialed
	ConnectedAt time.Time
}

// GroupNode is one node of the group's node list.
type GroupNode struct {
	NodeID    []byte
	Role      string // RoleSealer or RoleObserver
	Name, Org string // known from this node's or a peer's certificate; "" if not
	Self      bool   // this node
	Connected bool   // this node, or a connected peer
}

// NodeInfo is the answer to bcos_getNodeInfo (the explorer and `gobcos
// status` decode it too).
type NodeInfo struct {
	NodeID        hexutil.Bytes  `json:"nodeId"`
	Address       common.Address `json:"address"`
	Name          string         `json:"name"`
	Org           string         `json:"org"`
	Role          string         `json:"role"`
	ChainID       hexutil.Uint64 `json:"chainId"`
	GroupID       string         `json:"groupId"`
	CryptoSuite   string         `json:"cryptoSuite"`
	ClientVersion string         `json:"clientVersion"`
	BlockNumber   hexutil.Uint64 `json:"blockNumber"`
	BlockHash     common.Hash    `json:"blockHash"`
	BlockTime     hexutil.Uint64 `json:"blockTimestamp"` // seconds, of the head block
	PendingTxSize hexutil.Uint64 `json:"pendingTxSize"`
	PeerCount     hexutil.Uint64 `json:"peerCount"`
	Syncing       bool           `json:"syncing"`
	Consensus     ConsensusInfo  `json:"consensus"`
	// MaxCompatibility and Halted: see NodeStatus.
	MaxCompatibility string `json:"maxCompatibilityVersion,omitempty"`
	Halted           string `json:"halted,omitempty"`
}

// ConsensusInfo is the answer to bcos_getConsensusStatus and the
// consensus of NodeInfo.
type ConsensusInfo struct {
	Engine  string         `json:"engine"`
	View    hexutil.Uint64 `json:"view"`
	Leader  bool           `json:"leader"`
	Running bool           `json:"running"`
	// LastCommit is the Unix time in milliseconds of the node's latest
	// commit, 0 before the first since it started.
	LastCommit hexutil.Uint64 `json:"lastCommitTime"`
}

type rpcPeer struct {
	NodeID      hexutil.Bytes  `json:"nodeId"`
	Address     common.Address `json:"address"`
	Name        string         `json:"name"`
	Org         string         `json:"org"`
	Role        string         `json:"role"`
	RemoteAddr  string         `json:"remoteAddr"`
	Direction   string         `json:"direction"` // "outbound" (this node dialed) or "inbound"
	ConnectedAt hexutil.Uint64 `json:"connectedAt"`
}

// GroupNodeInfo is one entry of bcos_getGroupNodes and
// bcos_getObserverList.
type GroupNodeInfo struct {
	NodeID    hexutil.Bytes  `json:"nodeId"`
	Address   common.Address `json:"address"`
	Role      string         `json:"role"`
	Name      string         `json:"name"`
	Org       string         `json:"org"`
	Self      bool           `json:"self"`
	Connected bool           `json:"connected"`
}

func unixMilli(t time.Time) hexutil.Uint64 {
	if t.IsZero() || t.UnixMilli() < 0 {
		return 0
	}
	return hexutil.Uint64(t.UnixMilli())
}

func (s *Server) statusBackend() NodeStatusBackend {
	nb, _ := s.b.(NodeStatusBackend)
	return nb
}

func marshalConsensus(c ConsensusStatus) ConsensusInfo {
	return ConsensusInfo{Engine: c.Engine, View: hexutil.Uint64(c.View), Leader: c.Leader, Running: c.Running, LastCommit: unixMilli(c.LastCommit)}
}

func (s *Server) bcosGetNodeInfo(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	st := s.statusBackend().NodeStatus()
	head := s.b.Head()
	out := &NodeInfo{
		NodeID: nonNilBytes(st.NodeID), Name: st.Name, Org: st.Org, Role: st.Role,
		ChainID: hexutil.Uint64(s.chainID), GroupID: s.groupID, CryptoSuite: s.suite.Name(), ClientVersion: s.b.ClientVersion(),
		PendingTxSize: hexutil.Uint64(s.b.PendingTxCount()), PeerCount: hexutil.Uint64(s.b.PeerCount()),
		Consensus: marshalConsensus(st.Consensus), MaxCompatibility: st.MaxCompatibility, Halted: st.Halted,
	}
	out.Address = s.addressOf(st.NodeID)
	if head != nil {
		out.BlockNumber, out.BlockHash, out.BlockTime = hexutil.Uint64(head.Number), s.headerHash(head), hexutil.Uint64(head.Timestamp)
	}
	_, out.Syncing = s.b.Syncing()
	return out, nil
}

func (s *Server) bcosGetConsensusStatus(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return marshalConsensus(s.statusBackend().NodeStatus().Consensus), nil
}

func (s *Server) bcosGetPeers(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	nb := s.statusBackend()
	roles := map[string]string{}
	for _, g := range nb.GroupNodes() {
		roles[string(g.NodeID)] = g.Role
	}
	peers := nb.Peers()
	out := make([]rpcPeer, len(peers))
	for i, p := range peers {
		role, ok := roles[string(p.NodeID)]
		if !ok {
			role = RoleNone
		}
		dir := "inbound"
		if p.Outbound {
			dir = "outbound"
		}
		out[i] = rpcPeer{
			NodeID: nonNilBytes(p.NodeID), Address: s.addressOf(p.NodeID), Name: p.Name, Org: p.Org, Role: role,
			RemoteAddr: p.RemoteAddr, Direction: dir, ConnectedAt: unixMilli(p.ConnectedAt),
		}
	}
	return out, nil
}

// groupNodes lists the group's nodes with role (any role if "").
func (s *Server) groupNodes(role string) []GroupNodeInfo {
	var nodes []GroupNode
	if nb := s.statusBackend(); nb != nil {
		nodes = nb.GroupNodes()
	} else {
		for _, sl := range s.b.ChainInfo().Sealers {
			nodes = append(nodes, GroupNode{NodeID: sl.NodeID, Role: RoleSealer})
		}
	}
	out := []GroupNodeInfo{}
	for _, g := range nodes {
		if role != "" && g.Role != role {
			continue
		}
		out = append(out, GroupNodeInfo{
			NodeID: nonNilBytes(g.NodeID), Address: s.addressOf(g.NodeID), Role: g.Role,
			Name: g.Name, Org: g.Org, Self: g.Self, Connected: g.Connected,
		})
	}
	return out
}

func (s *Server) bcosGetGroupNodes(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return s.groupNodes(""), nil
}

func (s *Server) bcosGetSealerList(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return s.groupNodes(RoleSealer), nil
}

func (s *Server) bcosGetObserverList(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return s.groupNodes(RoleObserver), nil
}

// addressOf is the account of a node id, zero for a missing id.
func (s *Server) addressOf(pub []byte) common.Address {
	if len(pub) == 0 {
		return common.Address{}
	}
	return s.suite.Address(pub)
}
