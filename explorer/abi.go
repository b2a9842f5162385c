package explorer

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/executor/precompiled"
)

// systemInfoABI is the ABI of the SystemInfo system contract.
const systemInfoABI = `[
 {"type":"function","name":"chainId","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint256"}]},
 {"type":"function","name":"blockNumber","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint256"}]},
 {"type":"function","name":"info","stateMutability":"view","inputs":[],"outputs":[{"name":"chainId_","type":"uint256"},{"name":"number","type":"uint256"}]}
]`

// Limits of uploaded ABIs.
const (
	maxABIBytes = 1 << 20
	maxABIs     = 1000
)

// abiStore holds the contract ABIs the explorer knows: the system
// contracts' (SystemInfo and the five governance contracts) and those uploaded, by contract address. Uploads live in
// memory only.
type abiStore struct {
	mu   sync.RWMutex
	abis map[common.Address]namedABI
}

type namedABI struct {
	name   string
	abi    abi.ABI
	system bool
}

func newABIStore() *abiStore {
	st := &abiStore{abis: map[common.Address]namedABI{}}
	a, err := abi.JSON(strings.NewReader(systemInfoABI))
	if err != nil {
		panic(fmt.Sprintf("explorer: built-in SystemInfo ABI: %v", err)) // a constant of this file
	}
	st.abis[precompiled.SystemInfoAddress] = namedABI{name: "SystemInfo", abi: a, system: true}
	for addr, name := range precompiled.GovernanceContracts() {
		ga, ok := precompiled.ABI(addr)
		if !ok {
			panic(fmt.Sprintf("explorer: no ABI for the %s system contract", name)) // fixed table of precompiled
		}
		st.abis[addr] = namedABI{name: name, abi: ga, system: true}
	}
	return st
}

// add stores an ABI for a contract; system contracts' ABIs stay.
func (st *abiStore) add(addr common.Address, name string, raw []byte) error {
	a, err := abi.JSON(strings.NewReader(string(raw)))
	if err != nil {
		return fmt.Errorf("not a contract ABI (JSON array of functions and events): %v", err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if old, ok := st.abis[addr]; ok && old.system {
		return fmt.Errorf("%s is the %s system contract; its ABI is built in", addr.Hex(), old.name)
	}
	if _, ok := st.abis[addr]; !ok && len(st.abis) >= maxABIs {
		return fmt.Errorf("the explorer holds %d ABIs already", maxABIs)
	}
	st.abis[addr] = namedABI{name: name, abi: a}
	return nil
}

func (st *abiStore) get(addr common.Address) (namedABI, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	a, ok := st.abis[addr]
	return a, ok
}

// DecodedArg is one decoded argument.
type DecodedArg struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// DecodedCall is a decoded tx input or event.
type DecodedCall struct {
	Contract  string       `json:"contract"`
	Name      string       `json:"name"`
	Signature string       `json:"signature"`
	Args      []DecodedArg `json:"args"`
	Error     string       `json:"error,omitempty"`
}

type decodeRequest struct {
	To    *common.Address `json:"to"`
	Input hexutil.Bytes   `json:"input"`
	Logs  []struct {
		Address common.Address `json:"address"`
		Topics  []common.Hash  `json:"topics"`
		Data    hexutil.Bytes  `json:"data"`
	} `json:"logs"`
}

type decodeResponse struct {
	Input *DecodedCall   `json:"input"` // nil when the ABI is unknown
	Logs  []*DecodedCall `json:"logs"`  // nil entries for unknown events
}

// formatValue renders a decoded ABI value for people.
func formatValue(v any) string {
	switch x := v.(type) {
	case *big.Int:
		return x.String()
	case common.Address:
		return x.Hex()
	case []byte:
		return hexutil.Encode(x)
	case string:
		return x
	}
	if b, err := json.Marshal(v); err == nil {
		s := string(b)
		if len(s) > 2 && s[0] == '"' {
			return s[1 : len(s)-1]
		}
		return s
	}
	return fmt.Sprint(v)
}

func args(in abi.Arguments, vals []any) []DecodedArg {
	out := make([]DecodedArg, 0, len(vals))
	for i, v := range vals {
		name := fmt.Sprintf("arg%d", i)
		typ := ""
		if i < len(in) {
			if in[i].Name != "" {
				name = in[i].Name
			}
			typ = in[i].Type.String()
		}
		out = append(out, DecodedArg{Name: name, Type: typ, Value: formatValue(v)})
	}
	return out
}

// decodeInput decodes a call to a contract whose ABI is known.
func (st *abiStore) decodeInput(to common.Address, input []byte) *DecodedCall {
	na, ok := st.get(to)
	if !ok || len(input) < 4 {
		return nil
	}
	m, err := na.abi.MethodById(input[:4])
	if err != nil {
		return &DecodedCall{Contract: na.name, Error: fmt.Sprintf("selector %s is not in the %s ABI", hexutil.Encode(input[:4]), na.name)}
	}
	d := &DecodedCall{Contract: na.name, Name: m.Name, Signature: m.Sig}
	vals, err := m.Inputs.Unpack(input[4:])
	if err != nil {
		d.Error = fmt.Sprintf("arguments do not match %s: %v", m.Sig, err)
		return d
	}
	d.Args = args(m.Inputs, vals)
	return d
}

// decodeLog decodes an event of a contract whose ABI is known.
func (st *abiStore) decodeLog(addr common.Address, topics []common.Hash, data []byte) *DecodedCall {
	na, ok := st.get(addr)
	if !ok || len(topics) == 0 {
		return nil
	}
	ev, err := na.abi.EventByID(topics[0])
	if err != nil {
		return nil
	}
	d := &DecodedCall{Contract: na.name, Name: ev.Name, Signature: ev.Sig}
	var indexed abi.Arguments
	for _, in := range ev.Inputs {
		if in.Indexed {
			indexed = append(indexed, in)
		}
	}
	vals, err := ev.Inputs.NonIndexed().Unpack(data)
	if err != nil {
		d.Error = fmt.Sprintf("data does not match %s: %v", ev.Sig, err)
		return d
	}
	named := map[string]any{}
	if err := abi.ParseTopicsIntoMap(named, indexed, topics[1:]); err != nil {
		d.Error = fmt.Sprintf("topics do not match %s: %v", ev.Sig, err)
	}
	j := 0
	for i, in := range ev.Inputs {
		name := in.Name
		if name == "" {
			name = fmt.Sprintf("arg%d", i)
		}
		var v any
		if in.Indexed {
			v = named[in.Name]
		} else if j < len(vals) {
			v = vals[j]
			j++
		}
		if v == nil {
			continue
		}
		d.Args = append(d.Args, DecodedArg{Name: name, Type: in.Type.String(), Value: formatValue(v)})
	}
	return d
}

func (s *Server) serveDecode(w http.ResponseWriter, r *http.Request) {
	var req decodeRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxRPCBody)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad request: " + err.Error()})
		return
	}
	resp := decodeResponse{Logs: make([]*DecodedCall, len(req.Logs))}
	if req.To != nil {
		resp.Input = s.abis.decodeInput(*req.To, req.Input)
	}
	for i, l := range req.Logs {
		resp.Logs[i] = s.abis.decodeLog(l.Address, l.Topics, l.Data)
	}
	writeJSON(w, http.StatusOK, resp)
}

type abiEntry struct {
	Address common.Address `json:"address"`
	Name    string         `json:"name"`
	System  bool           `json:"system"`
}

func (s *Server) serveABIList(w http.ResponseWriter, r *http.Request) {
	s.abis.mu.RLock()
	out := make([]abiEntry, 0, len(s.abis.abis))
	for a, na := range s.abis.abis {
		out = append(out, abiEntry{Address: a, Name: na.name, System: na.system})
	}
	s.abis.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Address.Cmp(out[j].Address) < 0 })
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serveABIAdd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Address common.Address  `json:"address"`
		Name    string          `json:"name"`
		ABI     json.RawMessage `json:"abi"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxABIBytes)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad request: " + err.Error()})
		return
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > 64 {
		name = "Contract " + req.Address.Hex()[:10]
	}
	if err := s.abis.add(req.Address, name, req.ABI); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, abiEntry{Address: req.Address, Name: name})
}
