package explorer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/rpc"
)

// The governance views read the system contracts with eth_call at one
// block (the head when asked), so a page shows one consistent state.

// govTimeout bounds the RPC work of one governance view.
const govTimeout = 20 * time.Second

// govCall is one eth_call of a system contract's function.
type govCall struct {
	to     common.Address
	method string
	args   []any
}

// callSystem runs calls in one JSON-RPC batch at block (hex number) and
// returns each one's unpacked outputs.
func (s *Server) callSystem(ctx context.Context, block string, calls []govCall) ([][]any, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	params := make([][]any, len(calls))
	raws := make([]hexutil.Bytes, len(calls))
	outs := make([]any, len(calls))
	methods := make([]abi.Method, len(calls))
	for i, c := range calls {
		na, ok := s.abis.get(c.to)
		if !ok {
			return nil, fmt.Errorf("no ABI for %s", c.to.Hex())
		}
		m, ok := na.abi.Methods[c.method]
		if !ok {
			return nil, fmt.Errorf("%s has no function %s", na.name, c.method)
		}
		in, err := m.Inputs.Pack(c.args...)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %v", na.name, c.method, err)
		}
		methods[i] = m
		params[i] = []any{map[string]any{"to": c.to, "data": hexutil.Bytes(append(m.ID[:4:4], in...))}, block}
		outs[i] = &raws[i]
	}
	if err := s.rpc.batch(ctx, "eth_call", params, outs); err != nil {
		return nil, err
	}
	res := make([][]any, len(calls))
	for i, raw := range raws {
		v, err := methods[i].Outputs.Unpack(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: eth_call %s: bad answer: %v", ErrRPC, methods[i].Sig, err)
		}
		res[i] = v
	}
	return res, nil
}

// Governor is one committee member.
type Governor struct {
	Address common.Address `json:"address"`
	Weight  uint64         `json:"weight"`
}

// ConfigValue is a system configuration value and the block it applies from.
type ConfigValue struct {
	Key          string `json:"key"`
	Value        string `json:"value"`
	EnableNumber uint64 `json:"enableNumber"`
}

// ConsensusNodeView is one entry of the consensus node list.
type ConsensusNodeView struct {
	NodeID       string `json:"nodeId"`
	Type         string `json:"type"` // sealer or observer
	Weight       uint64 `json:"weight"`
	EnableNumber uint64 `json:"enableNumber"`
}

// RoleView lists a role's members.
type RoleView struct {
	Role    uint8            `json:"role"`
	Name    string           `json:"name"`
	Members []common.Address `json:"members"`
}

// Governance is the governance state the explorer shows.
type Governance struct {
	Block           uint64              `json:"block"` // the state read is the one after this block
	Governors       []Governor          `json:"governors"`
	TotalWeight     uint64              `json:"totalWeight"`
	Participation   uint8               `json:"participation"` // percent
	Approval        uint8               `json:"approval"`      // percent
	ProposalCount   uint64              `json:"proposalCount"`
	Config          []ConfigValue       `json:"config"`
	Nodes           []ConsensusNodeView `json:"nodes"`
	MinSealers      uint64              `json:"minSealers"`
	Roles           []RoleView          `json:"roles"`
	DeployAllowList bool                `json:"deployAllowList"`
	// History is what the explorer found in the event logs: frozen
	// accounts and contracts, CNS names.
	History GovHistory `json:"history"`
}

var (
	cm = precompiled.CommitteeAddress
	sc = precompiled.SystemConfigAddress
	cn = precompiled.ConsensusNodesAddress
	pm = precompiled.PermissionAddress
)

// roles are the Permission roles, in order.
var roles = []precompiled.Role{precompiled.RoleGovernor, precompiled.RoleOperator, precompiled.RoleDeployer,
	precompiled.RoleRegulator, precompiled.RoleAuditor}

// readGovernance reads the governance state after block head.
func (s *Server) readGovernance(ctx context.Context) (*Governance, error) {
	var head hexutil.Uint64
	if err := s.rpc.call(ctx, &head, "eth_blockNumber"); err != nil {
		return nil, err
	}
	at := hexutil.EncodeUint64(uint64(head))
	calls := []govCall{
		{cm, "getGovernors", nil}, {cm, "getThresholds", nil}, {cm, "proposalCount", nil},
		{sc, "keys", nil}, {cn, "getSealers", nil}, {cn, "getObservers", nil}, {cn, "minSealers", nil},
		{pm, "deployAllowList", nil},
	}
	for _, r := range roles {
		calls = append(calls, govCall{pm, "getRoleMembers", []any{uint8(r)}})
	}
	res, err := s.callSystem(ctx, at, calls)
	if err != nil {
		return nil, err
	}
	g := &Governance{Block: uint64(head)}
	accounts, weights := res[0][0].([]common.Address), res[0][1].([]uint64)
	for i, a := range accounts {
		w := uint64(0)
		if i < len(weights) {
			w = weights[i]
		}
		g.Governors = append(g.Governors, Governor{Address: a, Weight: w})
		g.TotalWeight += w
	}
	g.Participation, g.Approval = res[1][0].(uint8), res[1][1].(uint8)
	g.ProposalCount = res[2][0].(uint64)
	keys := res[3][0].([]string)
	sealers, sealerWeights := res[4][0].([][]byte), res[4][1].([]uint64)
	observers := res[5][0].([][]byte)
	g.MinSealers = res[6][0].(uint64)
	g.DeployAllowList = res[7][0].(bool)
	for i, r := range roles {
		g.Roles = append(g.Roles, RoleView{Role: uint8(r), Name: r.String(), Members: res[8+i][0].([]common.Address)})
	}

	// The values with their enable heights, the nodes with theirs.
	calls = calls[:0]
	for _, k := range keys {
		calls = append(calls, govCall{sc, "getValueByKey", []any{k}})
	}
	ids := append(append([][]byte{}, sealers...), observers...)
	for _, id := range ids {
		calls = append(calls, govCall{cn, "getNode", []any{id}})
	}
	res, err = s.callSystem(ctx, at, calls)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		g.Config = append(g.Config, ConfigValue{Key: k, Value: res[i][0].(string), EnableNumber: res[i][1].(uint64)})
	}
	for i, id := range ids {
		r := res[len(keys)+i]
		v := ConsensusNodeView{NodeID: hexutil.Encode(id), Type: "observer", EnableNumber: r[2].(uint64)}
		if i < len(sealers) {
			v.Type = "sealer"
			if i < len(sealerWeights) {
				v.Weight = sealerWeights[i]
			}
		}
		g.Nodes = append(g.Nodes, v)
	}

	hist, err := s.gov.history(ctx, s, uint64(head))
	if err != nil {
		return nil, err
	}
	g.History = *hist
	return g, nil
}

func (s *Server) serveGovernance(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), govTimeout)
	defer cancel()
	g, err := s.readGovernance(ctx)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, g)
}

// ProposalView is a committee proposal as the node's RPC gives it
// (bcos_getProposal) with its payload decoded.
type ProposalView struct {
	rpc.Proposal
	// Summary says what the proposal changes, e.g. "config
	// tx_count_limit = 500"; Args are its decoded payload.
	Summary string       `json:"summary"`
	Args    []DecodedArg `json:"args,omitempty"`
}

// maxProposalsPage bounds one page of proposals (the node's own bound).
const maxProposalsPage = 100

// queryUint reads an optional unsigned query parameter.
func queryUint(r *http.Request, name string, def, lo, hi uint64) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be a whole number from %d to %d, not %q", name, lo, hi, truncateStr(v, 40))
	}
	return n, nil
}

func truncateStr(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// serveProposals is GET /api/governance/proposals[?first=ID][&count=N]:
// count proposals (default 20, at most 100) from id first, by default the
// latest; newest first.
func (s *Server) serveProposals(w http.ResponseWriter, r *http.Request) {
	count, err := queryUint(r, "count", 20, 1, maxProposalsPage)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	first, err := queryUint(r, "first", 0, 1, 1<<63)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), govTimeout)
	defer cancel()
	res, err := s.callSystem(ctx, "latest", []govCall{{cm, "proposalCount", nil}})
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	total := res[0][0].(uint64)
	if first == 0 {
		first = 1
		if total > count {
			first = total - count + 1
		}
	}
	var ps []ProposalView
	if first <= total {
		if err := s.rpc.call(ctx, &ps, "bcos_getProposals", hexutil.EncodeUint64(first), hexutil.EncodeUint64(count)); err != nil {
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
			return
		}
	}
	out := make([]ProposalView, 0, len(ps))
	for i := len(ps) - 1; i >= 0; i-- {
		s.describe(&ps[i])
		out = append(out, ps[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "first": first, "count": count, "proposals": out})
}

// Vote is a governor's vote on a proposal.
type Vote struct {
	Governor common.Address `json:"governor"`
	Weight   uint64         `json:"weight"`
	Vote     string         `json:"vote"` // for, against or none
}

// ProposalDetail is a proposal, every governor's vote and its events.
type ProposalDetail struct {
	Proposal      ProposalView `json:"proposal"`
	Votes         []Vote       `json:"votes"`
	TotalWeight   uint64       `json:"totalWeight"`
	Participation uint8        `json:"participation"`
	Approval      uint8        `json:"approval"`
	Events        []GovEvent   `json:"events"`
	// EventsFrom..EventsTo is the block range searched for its events;
	// EventsComplete is false when the search stopped before the
	// proposal's end (a very long-lived proposal).
	EventsFrom     uint64 `json:"eventsFrom"`
	EventsTo       uint64 `json:"eventsTo"`
	EventsComplete bool   `json:"eventsComplete"`
}

var errNoProposal = errors.New("no such proposal")

// serveProposal is GET /api/governance/proposals/{id}.
func (s *Server) serveProposal(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("id")
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || id == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("proposal id must be a whole number from 1, not %q", truncateStr(raw, 40))})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), govTimeout)
	defer cancel()
	d, err := s.readProposal(ctx, id)
	switch {
	case errors.Is(err, errNoProposal):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusOK, d)
	}
}

func (s *Server) readProposal(ctx context.Context, id uint64) (*ProposalDetail, error) {
	var head hexutil.Uint64
	if err := s.rpc.call(ctx, &head, "eth_blockNumber"); err != nil {
		return nil, err
	}
	at := hexutil.EncodeUint64(uint64(head))
	res, err := s.callSystem(ctx, at, []govCall{{cm, "proposalCount", nil}, {cm, "getGovernors", nil}, {cm, "getThresholds", nil}})
	if err != nil {
		return nil, err
	}
	if id > res[0][0].(uint64) {
		return nil, fmt.Errorf("%w: %d (there are %d)", errNoProposal, id, res[0][0].(uint64))
	}
	var p ProposalView
	if err := s.rpc.call(ctx, &p, "bcos_getProposal", hexutil.EncodeUint64(id)); err != nil {
		return nil, err
	}
	s.describe(&p)
	d := &ProposalDetail{Proposal: p, Participation: res[2][0].(uint8), Approval: res[2][1].(uint8)}
	govs, weights := res[1][0].([]common.Address), res[1][1].([]uint64)
	calls := make([]govCall, len(govs))
	for i, g := range govs {
		calls[i] = govCall{cm, "getVote", []any{id, g}}
	}
	votes, err := s.callSystem(ctx, at, calls)
	if err != nil {
		return nil, err
	}
	for i, g := range govs {
		v := Vote{Governor: g, Vote: "none"}
		if i < len(weights) {
			v.Weight = weights[i]
			d.TotalWeight += weights[i]
		}
		switch votes[i][0].(uint8) {
		case 1:
			v.Vote = "for"
		case 2:
			v.Vote = "against"
		}
		d.Votes = append(d.Votes, v)
	}
	// Its events, from its creation until it ended or expired.
	end := min(uint64(head), uint64(p.Expiry))
	d.EventsFrom = uint64(p.Created)
	d.Events, d.EventsTo, d.EventsComplete, err = s.gov.proposalEvents(ctx, s, id, uint64(p.Created), end)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// proposalKinds maps the RPC's kind names to the Committee functions that
// make them; a payload is those functions' arguments but the last
// ("blocks").
var proposalKinds = map[string]string{
	"config": "proposeConfig", "node": "proposeNode", "role": "proposeRole", "governor": "proposeGovernor",
	"freeze": "proposeFreeze", "upgrade": "proposeUpgrade", "thresholds": "proposeThresholds",
	"deployMode": "proposeDeployMode", "resetAdmin": "proposeResetAdmin",
}

// describe decodes a proposal's payload and sums it up.
func (s *Server) describe(p *ProposalView) {
	p.Summary = p.Kind + " (payload " + truncateStr(hexutil.Encode(p.Payload), 42) + ")"
	name, ok := proposalKinds[p.Kind]
	if !ok {
		return
	}
	na, _ := s.abis.get(cm)
	m, ok := na.abi.Methods[name]
	if !ok || len(m.Inputs) == 0 {
		return
	}
	in := m.Inputs[:len(m.Inputs)-1]
	vals, err := in.Unpack(p.Payload)
	if err != nil || len(vals) != len(in) {
		p.Summary += ": does not decode as " + name
		return
	}
	p.Args = args(in, vals)
	if sum := summarize(p.Kind, vals); sum != "" {
		p.Summary = sum
	}
}

// summarize says in a few words what a proposal's payload changes.
func summarize(kind string, v []any) (out string) {
	defer func() {
		if recover() != nil { // a payload of unexpected types: no summary
			out = ""
		}
	}()
	switch kind {
	case "config":
		return fmt.Sprintf("config %s = %s", v[0].(string), v[1].(string))
	case "node":
		id, w := hexutil.Encode(v[1].([]byte)), v[2].(uint64)
		switch v[0].(uint8) {
		case 1:
			return fmt.Sprintf("add sealer %s (weight %d)", id, w)
		case 2:
			return "add observer " + id
		case 3:
			return "remove node " + id
		case 4:
			return fmt.Sprintf("set the weight of sealer %s to %d", id, w)
		}
		return fmt.Sprintf("node operation %d on %s", v[0].(uint8), id)
	case "role":
		role := precompiled.Role(v[1].(uint8)).String()
		if v[2].(bool) {
			return fmt.Sprintf("grant %s to %s", role, v[0].(common.Address).Hex())
		}
		return fmt.Sprintf("revoke %s from %s", role, v[0].(common.Address).Hex())
	case "governor":
		a, w := v[0].(common.Address).Hex(), v[1].(uint64)
		if w == 0 {
			return "remove governor " + a
		}
		return fmt.Sprintf("governor %s with weight %d", a, w)
	case "freeze":
		a := v[0].(common.Address).Hex()
		switch v[1].(uint8) {
		case precompiled.FreezeAccount:
			return "freeze account " + a
		case precompiled.UnfreezeAccount:
			return "unfreeze account " + a
		case precompiled.FreezeContract:
			return "freeze contract " + a
		case precompiled.UnfreezeContract:
			return "unfreeze contract " + a
		case precompiled.AbolishContract:
			return "abolish contract " + a
		}
		return fmt.Sprintf("freeze action %d on %s", v[1].(uint8), a)
	case "upgrade":
		return "upgrade compatibility_version to " + v[0].(string)
	case "thresholds":
		return fmt.Sprintf("thresholds: participation %d%%, approval %d%%", v[0].(uint8), v[1].(uint8))
	case "deployMode":
		if v[0].(bool) {
			return "deploy allow-list on"
		}
		return "deploy allow-list off"
	case "resetAdmin":
		return fmt.Sprintf("set the admin of contract %s to %s", v[0].(common.Address).Hex(), v[1].(common.Address).Hex())
	}
	return ""
}
