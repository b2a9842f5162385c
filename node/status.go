package node

import (
	"bytes"
	"net"
	"slices"
	"strconv"

	"github.com/gobcos/gobcos/explorer"
	"github.com/gobcos/gobcos/network/certs"
	"github.com/gobcos/gobcos/rpc"
)

// Node and group status for bcos_getNodeInfo, bcos_getPeers and the node
// list methods.

var _ rpc.NodeStatusBackend = (*backend)(nil)

// certNames are the common name and organisation of a node certificate.
func certNames(nc *certs.NodeCert) (name, org string) {
	if nc == nil || nc.Cert == nil {
		return "", ""
	}
	name = nc.Cert.Subject.CommonName
	if o := nc.Cert.Subject.Organization; len(o) > 0 {
		org = o[0]
	}
	return name, org
}

// role is a node's role in the group's node list: the governance list in
// force for the next block, the genesis one while it cannot be read.
func (n *Node) role(pub []byte) string {
	if n.ledger != nil {
		if sealers, observers, err := n.liveNodes(); err == nil && len(sealers) > 0 {
			switch {
			case slices.ContainsFunc(sealers, func(k []byte) bool { return bytes.Equal(k, pub) }):
				return rpc.RoleSealer
			case slices.ContainsFunc(observers, func(k []byte) bool { return bytes.Equal(k, pub) }):
				return rpc.RoleObserver
			}
			return rpc.RoleNone
		}
	}
	switch {
	case n.genesis.IsSealer(pub):
		return rpc.RoleSealer
	case n.genesis.InNodeList(pub):
		return rpc.RoleObserver
	default:
		return rpc.RoleNone
	}
}

func (b *backend) NodeStatus() rpc.NodeStatus {
	n := b.n
	pub := n.key.PublicKey()
	st := rpc.NodeStatus{NodeID: pub, Name: n.certName, Org: n.certOrg, Role: n.role(pub), MaxCompatibility: n.maxCompat}
	if err := n.Halted(); err != nil {
		st.Halted = err.Error()
	}
	st.Consensus.Engine = n.genesis.Consensus
	if n.engine != nil {
		es := n.engine.Status()
		// Every node of a PBFT or Raft chain runs its engine, idle while it
		// is not a sealer: running means taking part in consensus.
		st.Consensus = rpc.ConsensusStatus{Engine: es.Engine, View: es.View, Leader: es.Leader, Running: es.Running && es.Sealer, LastCommit: es.LastBlockTime}
	}
	return st
}

func (b *backend) Peers() []rpc.PeerStatus {
	if b.n.host == nil {
		return []rpc.PeerStatus{}
	}
	ps := b.n.host.Peers()
	out := make([]rpc.PeerStatus, len(ps))
	for i, p := range ps {
		out[i] = rpc.PeerStatus{
			NodeID: p.NodeID[:], Name: p.Name, Org: p.Org, RemoteAddr: p.RemoteAddr,
			Outbound: p.Outbound, ConnectedAt: p.ConnectedAt,
		}
	}
	return out
}

func (b *backend) GroupNodes() []rpc.GroupNode {
	n := b.n
	self := n.key.PublicKey()
	peers := map[string]rpc.PeerStatus{}
	for _, p := range b.Peers() {
		peers[string(p.NodeID)] = p
	}
	g := n.genesis
	out := make([]rpc.GroupNode, 0, len(g.Sealers)+len(g.Observers))
	add := func(pub []byte, role string) {
		gn := rpc.GroupNode{NodeID: pub, Role: role}
		if string(pub) == string(self) {
			gn.Self, gn.Connected, gn.Name, gn.Org = true, true, n.certName, n.certOrg
		} else if p, ok := peers[string(pub)]; ok {
			gn.Connected, gn.Name, gn.Org = true, p.Name, p.Org
		}
		out = append(out, gn)
	}
	// The governance list in force for the next block; the genesis one
	// while it cannot be read.
	if n.ledger != nil {
		if sealers, observers, err := n.liveNodes(); err == nil && len(sealers) > 0 {
			for _, pub := range sealers {
				add(pub, rpc.RoleSealer)
			}
			for _, pub := range observers {
				add(pub, rpc.RoleObserver)
			}
			return out
		}
	}
	for _, pub := range g.Sealers {
		add(pub, rpc.RoleSealer)
	}
	for _, pub := range g.Observers {
		add(pub, rpc.RoleObserver)
	}
	return out
}

// startExplorer serves the block explorer on [explorer] listen, talking to
// this node's JSON-RPC server as a standalone explorer would.
func (n *Node) startExplorer() error {
	if n.cfg.Explorer.Listen == "" {
		return nil
	}
	// The explorer dials this node's RPC: on loopback when it listens on
	// every interface.
	rpcAddr := n.ln.Addr().String()
	if tcp, ok := n.ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		rpcAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	ex, err := explorer.New(explorer.Config{
		Endpoints: []explorer.Endpoint{{URL: "http://" + rpcAddr}},
		Logger:    n.logger.With("module", "explorer"),
	})
	if err != nil {
		return err
	}
	addr, err := ex.Start(n.cfg.Explorer.Listen)
	if err != nil {
		return err
	}
	n.explorer, n.explorerAddr = ex, addr
	return nil
}

// ExplorerAddr is the address the block explorer listens on, "" when it
// does not run.
func (n *Node) ExplorerAddr() string {
	if n.explorerAddr == nil {
		return ""
	}
	return n.explorerAddr.String()
}
