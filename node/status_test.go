package node_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// The status methods of a running 4-node PBFT chain: every node knows
// itself, its three peers and the group's node list with organisations.
func TestNodeStatusRPC(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node chain")
	}
	c := buildPBFTChain(t, "ecdsa", 4)
	m, err := chainbuild.ReadManifest(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	c.startAll()
	c.waitHeight(0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	orgOf := map[string]string{}
	for _, e := range m.Nodes {
		orgOf["0x04"+strings.TrimPrefix(strings.ToLower(e.NodeID), "0x")] = e.Org
	}
	leaders := 0
	for i, n := range c.nodes {
		client, err := sdk.Dial(ctx, "http://"+n.RPCAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		var info struct {
			NodeID    hexutil.Bytes  `json:"nodeId"`
			Org       string         `json:"org"`
			Role      string         `json:"role"`
			Block     hexutil.Uint64 `json:"blockNumber"`
			Consensus struct {
				Engine  string `json:"engine"`
				Running bool   `json:"running"`
				Leader  bool   `json:"leader"`
			} `json:"consensus"`
		}
		if err := client.RPC().CallContext(ctx, &info, "bcos_getNodeInfo"); err != nil {
			t.Fatal(err)
		}
		if info.NodeID.String() != "0x04"+m.Nodes[i].NodeID || info.Org != m.Nodes[i].Org || info.Role != "sealer" ||
			info.Consensus.Engine != "pbft" || !info.Consensus.Running {
			t.Fatalf("node %d info %+v, manifest %+v", i, info, m.Nodes[i])
		}
		if info.Consensus.Leader {
			leaders++
		}
		var peers []struct {
			NodeID    hexutil.Bytes `json:"nodeId"`
			Org       string        `json:"org"`
			Role      string        `json:"role"`
			Direction string        `json:"direction"`
		}
		if err := client.RPC().CallContext(ctx, &peers, "bcos_getPeers"); err != nil {
			t.Fatal(err)
		}
		if len(peers) != 3 {
			t.Fatalf("node %d has %d peers: %+v", i, len(peers), peers)
		}
		for _, p := range peers {
			if p.Org != orgOf[p.NodeID.String()] || p.Role != "sealer" || (p.Direction != "inbound" && p.Direction != "outbound") {
				t.Fatalf("node %d peer %+v (org %q in the manifest)", i, p, orgOf[p.NodeID.String()])
			}
		}
		var group []struct {
			NodeID    hexutil.Bytes `json:"nodeId"`
			Org       string        `json:"org"`
			Self      bool          `json:"self"`
			Connected bool          `json:"connected"`
		}
		if err := client.RPC().CallContext(ctx, &group, "bcos_getGroupNodes"); err != nil {
			t.Fatal(err)
		}
		selfs := 0
		for _, g := range group {
			if g.Self {
				selfs++
			}
			if !g.Connected || g.Org != orgOf[g.NodeID.String()] {
				t.Fatalf("node %d group node %+v", i, g)
			}
		}
		if len(group) != 4 || selfs != 1 {
			t.Fatalf("node %d group %+v", i, group)
		}
	}
	if leaders > 1 {
		t.Fatalf("%d nodes say they lead", leaders)
	}
}

func TestExplorerListenConfig(t *testing.T) {
	cfg := node.DefaultConfig()
	if err := cfg.Validate(); err != nil || cfg.Explorer.Listen != "" {
		t.Fatalf("default config: %v, explorer %q (off by default)", err, cfg.Explorer.Listen)
	}
	cfg.Explorer.Listen = "0.0.0.0:8080"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"8080", "127.0.0.1:99999", "a b:1"} {
		cfg.Explorer.Listen = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "explorer.listen") {
			t.Fatalf("listen %q: %v", bad, err)
		}
	}
}
