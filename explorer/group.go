package explorer

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/rpc"
)

// Endpoint is a node's JSON-RPC URL, with the node id when known
// beforehand (from a chain manifest), so an unreachable node is matched to
// its row.
type Endpoint struct {
	URL    string
	NodeID string // hex public key (0x04...), optional
	Name   string // optional
	Org    string // optional
}

// NodeInfo is a node's answer to bcos_getNodeInfo.
type NodeInfo = rpc.NodeInfo

// NodeRow is one node of a survey.
type NodeRow struct {
	NodeID  string         `json:"nodeId"`
	Address common.Address `json:"address"`
	Name    string         `json:"name"`
	Org     string         `json:"org"`
	Role    string         `json:"role"`
	// RPC is the node's JSON-RPC URL, "" when none was given for it.
	RPC string `json:"rpc"`
	// Reachable: its RPC answered. Connected: the surveying node (or the
	// node itself) is connected to it over P2P.
	Reachable bool      `json:"reachable"`
	Connected bool      `json:"connected"`
	Info      *NodeInfo `json:"info,omitempty"` // nil unless reachable
	Err       string    `json:"error,omitempty"`
}

// Survey is the status of a group's nodes.
type Survey struct {
	GroupID   string    `json:"groupId"`
	ChainID   uint64    `json:"chainId"`
	Consensus string    `json:"consensus"`
	Height    uint64    `json:"height"` // highest block any node reported
	Nodes     []NodeRow `json:"nodes"`
	// Unknown are endpoints that answered as nodes not in the node list.
	Unknown []NodeRow `json:"unknown,omitempty"`
}

// TakeSurvey asks every endpoint for its status and the first that answers
// for the group's node list, and returns a row per node of the list
// (sealers, then observers), marking the nodes it could not reach. It
// fails only when no endpoint answers.
func TakeSurvey(ctx context.Context, hc *http.Client, endpoints []Endpoint) (*Survey, error) {
	if len(endpoints) == 0 {
		return nil, fmt.Errorf("%w: no JSON-RPC endpoint given", ErrRPC)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	type answer struct {
		info  *NodeInfo
		group []rpc.GroupNodeInfo
		err   error
	}
	answers := make([]answer, len(endpoints))
	var wg sync.WaitGroup
	for i, ep := range endpoints {
		wg.Go(func() {
			c := &rpcClient{url: ep.URL, http: hc}
			var info NodeInfo
			if err := c.call(ctx, &info, "bcos_getNodeInfo"); err != nil {
				answers[i].err = err
				return
			}
			answers[i].info = &info
			if err := c.call(ctx, &answers[i].group, "bcos_getGroupNodes"); err != nil {
				answers[i].err = err
			}
		})
	}
	wg.Wait()

	s := &Survey{}
	var firstErr error
	var list []rpc.GroupNodeInfo
	for _, a := range answers {
		if a.info == nil {
			if firstErr == nil {
				firstErr = a.err
			}
			continue
		}
		if s.GroupID == "" {
			s.GroupID, s.ChainID, s.Consensus = a.info.GroupID, uint64(a.info.ChainID), a.info.Consensus.Engine
		}
		if list == nil && a.err == nil {
			list = a.group
		}
		s.Height = max(s.Height, uint64(a.info.BlockNumber))
	}
	if s.GroupID == "" {
		return nil, firstErr
	}
	byID := map[string]int{}
	for _, g := range list {
		id := strings.ToLower(g.NodeID.String())
		byID[id] = len(s.Nodes)
		s.Nodes = append(s.Nodes, NodeRow{NodeID: id, Address: g.Address, Name: g.Name, Org: g.Org, Role: g.Role, Connected: g.Connected})
	}
	for i, a := range answers {
		ep := endpoints[i]
		id := strings.ToLower(ep.NodeID)
		if a.info != nil {
			id = strings.ToLower(a.info.NodeID.String())
		}
		j, ok := byID[id]
		if !ok {
			if a.info == nil && id == "" {
				// An endpoint that did not answer and is not tied to a node.
				s.Unknown = append(s.Unknown, NodeRow{Name: ep.Name, RPC: ep.URL, Err: a.err.Error()})
				continue
			}
			if a.info == nil {
				s.Unknown = append(s.Unknown, NodeRow{NodeID: id, Name: ep.Name, RPC: ep.URL, Err: a.err.Error()})
				continue
			}
			s.Unknown = append(s.Unknown, NodeRow{NodeID: id, Address: a.info.Address, Name: a.info.Name, Org: a.info.Org,
				Role: a.info.Role, RPC: ep.URL, Reachable: true, Info: a.info})
			continue
		}
		row := &s.Nodes[j]
		if row.Reachable {
			continue // two URLs of one node: keep the first that answered
		}
		row.RPC = ep.URL
		if ep.Name != "" && row.Name == "" {
			row.Name = ep.Name
		}
		if ep.Org != "" && row.Org == "" {
			row.Org = ep.Org
		}
		if a.info == nil {
			row.Err = a.err.Error()
			continue
		}
		row.Reachable, row.Connected, row.Info, row.Err = true, true, a.info, ""
		if a.info.Name != "" {
			row.Name = a.info.Name
		}
		if a.info.Org != "" {
			row.Org = a.info.Org
		}
	}
	return s, nil
}
