package precompiled

import (
	"embed"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// contractABI is what a governance contract exposes.
type contractABI struct {
	name    string
	methods methods
	events  []*event
}

var governanceABIs = map[common.Address]contractABI{
	CommitteeAddress: {"Committee", committeeMethods, []*event{evProposalCreated, evVoteCast, evProposalExecuted,
		evProposalRejected, evProposalFailed, evProposalRevoked, evGovernorChanged, evThresholdsChanged}},
	SystemConfigAddress:   {"SystemConfig", sysConfigMethods, []*event{evConfigChanged}},
	ConsensusNodesAddress: {"ConsensusNodes", nodeMethods, []*event{evNodeChanged}},
	PermissionAddress: {"Permission", permissionMethods, []*event{evRoleChanged, evAccountStatusChanged,
		evContractStatusChanged, evDeployModeChanged, evAdminChanged, evMethodAuthModeSet, evMethodAuthSet}},
	CNSAddress: {"CNS", cnsMethods, []*event{evNameRegistered, evGraySet, evGrayCleared}},
}

// solFiles are the Solidity interfaces; ABI takes argument names from them.
//
//go:embed *.sol
var solFiles embed.FS

var (
	reSolFunc  = regexp.MustCompile(`function\s+(\w+)\s*\(([^)]*)\)([^;]*);`)
	reSolEvent = regexp.MustCompile(`event\s+(\w+)\s*\(([^)]*)\)`)
	reSolRet   = regexp.MustCompile(`returns\s*\(([^)]*)\)`)
)

// solNames returns the parameter names of a Solidity parameter list.
func solNames(params string) []string {
	var out []string
	for _, p := range strings.Split(params, ",") {
		if f := strings.Fields(p); len(f) > 0 {
			n := f[len(f)-1]
			if len(f) == 1 || n == "calldata" || n == "memory" || n == "indexed" {
				n = ""
			}
			out = append(out, n)
		}
	}
	return out
}

// named copies args with the names given (where there is one).
func named(args abi.Arguments, names []string, prefix string) abi.Arguments {
	out := make(abi.Arguments, len(args))
	for i, a := range args {
		out[i] = a
		out[i].Name = ""
		if prefix != "" {
			out[i].Name = prefix + a.Name
		}
		if i < len(names) && names[i] != "" {
			out[i].Name = names[i]
		}
	}
	return out
}

func sigName(sig string) string { return sig[:strings.IndexByte(sig, '(')] }

// ABI returns the ABI of the governance contract at addr, with the
// argument names of its Solidity interface file.
func ABI(addr common.Address) (abi.ABI, bool) {
	c, ok := governanceABIs[addr]
	if !ok {
		return abi.ABI{}, false
	}
	src, _ := solFiles.ReadFile(c.name + ".sol")
	ins, outs, evs := map[string][]string{}, map[string][]string{}, map[string][]string{}
	for _, m := range reSolFunc.FindAllStringSubmatch(string(src), -1) {
		ins[m[1]] = solNames(m[2])
		if r := reSolRet.FindStringSubmatch(m[3]); r != nil {
			outs[m[1]] = solNames(r[1])
		}
	}
	for _, m := range reSolEvent.FindAllStringSubmatch(string(src), -1) {
		evs[m[1]] = solNames(m[2])
	}
	out := abi.ABI{Methods: map[string]abi.Method{}, Events: map[string]abi.Event{}}
	for _, m := range c.methods {
		mut := "view"
		if m.write {
			mut = "nonpayable"
		}
		n := sigName(m.sig)
		out.Methods[n] = abi.NewMethod(n, n, abi.Function, mut, !m.write, false, named(m.in, ins[n], "in"), named(m.out, outs[n], ""))
	}
	for _, ev := range c.events {
		n := sigName(ev.sig)
		var in abi.Arguments
		for _, a := range ev.indexed {
			a.Indexed = true
			in = append(in, a)
		}
		for _, a := range ev.data {
			in = append(in, abi.Argument{Name: "d" + a.Name, Type: a.Type})
		}
		in = named(in, evs[n], "")
		out.Events[n] = abi.NewEvent(n, n, false, in)
	}
	return out, true
}

// ABIJSON returns the JSON ABI of the governance contract at addr, sorted
// by name, as solc would emit it for the Solidity interface.
func ABIJSON(addr common.Address) ([]byte, bool) {
	a, ok := ABI(addr)
	if !ok {
		return nil, false
	}
	type param struct {
		Name    string `json:"name"`
		Type    string `json:"type"`
		Indexed *bool  `json:"indexed,omitempty"`
	}
	type entry struct {
		Type            string  `json:"type"`
		Name            string  `json:"name"`
		Inputs          []param `json:"inputs"`
		Outputs         []param `json:"outputs,omitempty"`
		StateMutability string  `json:"stateMutability,omitempty"`
		Anonymous       *bool   `json:"anonymous,omitempty"`
	}
	params := func(args abi.Arguments, event bool) []param {
		out := []param{}
		for _, x := range args {
			p := param{Name: x.Name, Type: x.Type.String()}
			if event {
				ix := x.Indexed
				p.Indexed = &ix
			}
			out = append(out, p)
		}
		return out
	}
	var entries []entry
	for _, m := range a.Methods {
		entries = append(entries, entry{Type: "function", Name: m.Name, Inputs: params(m.Inputs, false),
			Outputs: params(m.Outputs, false), StateMutability: m.StateMutability})
		if entries[len(entries)-1].Outputs == nil {
			entries[len(entries)-1].Outputs = []param{}
		}
	}
	for _, ev := range a.Events {
		f := false
		entries = append(entries, entry{Type: "event", Name: ev.Name, Inputs: params(ev.Inputs, true), Anonymous: &f})
	}
	slices.SortFunc(entries, func(x, y entry) int { return strings.Compare(x.Type+x.Name, y.Type+y.Name) })
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return nil, false
	}
	return append(b, '\n'), true
}

// GovernanceContracts lists the governance contracts by address with
// their names.
func GovernanceContracts() map[common.Address]string {
	out := make(map[common.Address]string, len(governanceABIs))
	for a, c := range governanceABIs {
		out[a] = c.name
	}
	return out
}
