package rpc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// statusChain adds node status to the fake chain.
type statusChain struct {
	*fakeChain
	status NodeStatus
	peers  []PeerStatus
	nodes  []GroupNode
}

func (s *statusChain) NodeStatus() NodeStatus  { return s.status }
func (s *statusChain) Peers() []PeerStatus     { return s.peers }
func (s *statusChain) GroupNodes() []GroupNode { return s.nodes }

func newStatusEnv(t *testing.T) (*testEnv, *statusChain) {
	e := newTestEnv(t, Config{})
	self := e.f.sealer.PublicKey()
	peer := testKey(t, 7).PublicKey()
	obs := testKey(t, 8).PublicKey()
	sc := &statusChain{
		fakeChain: e.f,
		status: NodeStatus{NodeID: self, Name: "node0", Org: "org1", Role: RoleSealer, Consensus: ConsensusStatus{
			Engine: "pbft", View: 3, Leader: true, Running: true, LastCommit: time.UnixMilli(1700000010123),
		}},
		peers: []PeerStatus{
			{NodeID: peer, Name: "node1", Org: "org2", RemoteAddr: "127.0.0.1:30301", Outbound: true, ConnectedAt: time.UnixMilli(1700000000000)},
			{NodeID: testKey(t, 9).PublicKey(), Org: "org3", RemoteAddr: "127.0.0.1:40000"},
		},
		nodes: []GroupNode{
			{NodeID: self, Role: RoleSealer, Name: "node0", Org: "org1", Self: true, Connected: true},
			{NodeID: peer, Role: RoleSealer, Name: "node1", Org: "org2", Connected: true},
			{NodeID: obs, Role: RoleObserver},
		},
	}
	s := NewServer(sc, Config{}, nil)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	e.s = s
	return e, sc
}

func TestNodeInfo(t *testing.T) {
	e, sc := newStatusEnv(t)
	info := decode[map[string]any](t, e.ok("bcos_getNodeInfo"))
	cons := info["consensus"].(map[string]any)
	if info["nodeId"] != hexutil.Encode(sc.status.NodeID) || info["address"] != strings.ToLower(e.f.sealer.Address().Hex()) ||
		info["name"] != "node0" || info["org"] != "org1" || info["role"] != "sealer" || info["groupId"] != testGroupID ||
		info["blockNumber"] != "0x1" || info["blockTimestamp"] != hexutil.EncodeUint64(1700000010) || info["pendingTxSize"] != "0x0" ||
		info["syncing"] != false {
		t.Fatalf("node info %v", info)
	}
	if cons["engine"] != "pbft" || cons["view"] != "0x3" || cons["leader"] != true || cons["running"] != true ||
		cons["lastCommitTime"] != hexutil.EncodeUint64(1700000010123) {
		t.Fatalf("consensus %v", cons)
	}
	if got := decode[map[string]any](t, e.ok("bcos_getConsensusStatus")); got["view"] != "0x3" || got["engine"] != "pbft" {
		t.Fatalf("consensus status %v", got)
	}
	e.fails(CodeInvalidParams, nil, "bcos_getNodeInfo", 1)
}

func TestPeersAndGroupNodes(t *testing.T) {
	e, sc := newStatusEnv(t)
	peers := decode[[]map[string]any](t, e.ok("bcos_getPeers"))
	if len(peers) != 2 {
		t.Fatalf("peers %v", peers)
	}
	if p := peers[0]; p["nodeId"] != hexutil.Encode(sc.peers[0].NodeID) || p["org"] != "org2" || p["name"] != "node1" ||
		p["role"] != "sealer" || p["direction"] != "outbound" || p["remoteAddr"] != "127.0.0.1:30301" || p["connectedAt"] != hexutil.EncodeUint64(1700000000000) {
		t.Fatalf("peer 0 %v", p)
	}
	if p := peers[1]; p["role"] != "none" || p["direction"] != "inbound" || p["connectedAt"] != "0x0" {
		t.Fatalf("peer 1 %v", p)
	}

	all := decode[[]map[string]any](t, e.ok("bcos_getGroupNodes"))
	if len(all) != 3 || all[0]["self"] != true || all[1]["connected"] != true || all[2]["connected"] != false || all[2]["role"] != "observer" {
		t.Fatalf("group nodes %v", all)
	}
	sealers := decode[[]map[string]any](t, e.ok("bcos_getSealerList"))
	if len(sealers) != 2 || sealers[1]["org"] != "org2" {
		t.Fatalf("sealers %v", sealers)
	}
	obs := decode[[]map[string]any](t, e.ok("bcos_getObserverList"))
	if len(obs) != 1 || obs[0]["nodeId"] != hexutil.Encode(sc.nodes[2].NodeID) {
		t.Fatalf("observers %v", obs)
	}
}

// A backend without node status still lists its sealers; the other status
// methods do not exist.
func TestStatusMethodsWithoutExtension(t *testing.T) {
	e := newTestEnv(t, Config{})
	sealers := decode[[]map[string]any](t, e.ok("bcos_getSealerList"))
	if len(sealers) != 1 || sealers[0]["nodeId"] != hexutil.Encode(e.f.sealer.PublicKey()) || sealers[0]["role"] != "sealer" {
		t.Fatalf("sealers %v", sealers)
	}
	for _, m := range []string{"bcos_getNodeInfo", "bcos_getPeers", "bcos_getGroupNodes", "bcos_getObserverList", "bcos_getConsensusStatus"} {
		e.fails(CodeMethodNotFound, nil, m)
	}
}
