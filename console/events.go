package console

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/sdk"
)

// logRangeChunk is the block range of one eth_getLogs request, the node's
// default limit.
const logRangeChunk = 10000

// maxEventsShown bounds the events one command prints.
const maxEventsShown = 10000

func eventCommands() []*command {
	return []*command{
		{name: "events", args: "TARGET [ABIFILE] [EVENT] [FROM [TO]]", short: "a contract's events over a block range, decoded by ABI", min: 1, max: 5, run: runEvents,
			choices: systemNames(),
			long: "TARGET is a 0x address, a CNS name or a system contract (committee, systemconfig,\n" +
				"consensusnodes, permission, cns). The ABI comes from ABIFILE, else the system\n" +
				"contract's own, else the one registered in CNS for the name; without one the\n" +
				"events are shown raw. EVENT, an event name of that ABI, keeps only those\n" +
				"events (the node filters them by topic). FROM defaults to 0, TO to the latest\n" +
				"block."},
		{name: "history", args: "[FROM [TO]]", short: "the governance history: every event of the system contracts", max: 2, run: runHistory,
			long: "Lists the events of Committee, SystemConfig, ConsensusNodes, Permission and CNS\n" +
				"in chain order: proposals, votes, executions, config, node, role, freeze and\n" +
				"name changes. FROM defaults to 0, TO to the latest block."},
	}
}

// systemAliases names the system contracts for the commands that accept
// them as targets.
var systemAliases = map[string]common.Address{
	"committee":      precompiled.CommitteeAddress,
	"systemconfig":   precompiled.SystemConfigAddress,
	"consensusnodes": precompiled.ConsensusNodesAddress,
	"permission":     precompiled.PermissionAddress,
	"cns":            precompiled.CNSAddress,
}

func systemNames() []string {
	out := make([]string, 0, len(systemAliases))
	for n := range systemAliases {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// systemContract returns the SDK binding of a system contract.
func (c *Console) systemContract(addr common.Address) (*sdk.Contract, error) {
	a, ok := precompiled.ABI(addr)
	if !ok {
		return nil, fmt.Errorf("no ABI for system contract %v", addr)
	}
	return c.client.Contract(addr, a), nil
}

// blockRange parses optional FROM and TO words.
func (c *Console) blockRange(ctx context.Context, words []string) (uint64, uint64, error) {
	head, err := c.client.BlockNumber(ctx)
	if err != nil {
		return 0, 0, err
	}
	from, to := uint64(0), head
	for i, w := range words {
		if w == "latest" {
			if i == 0 {
				from = head
			}
			continue
		}
		n, err := parseUint(w)
		if err != nil {
			return 0, 0, fmt.Errorf("%w: block %q: want a number or latest", ErrBadArg, w)
		}
		if i == 0 {
			from = n
		} else {
			to = n
		}
	}
	if from > head {
		return 0, 0, fmt.Errorf("%w: block %d is past the head, %d", ErrBadArg, from, head)
	}
	if from > to {
		return 0, 0, fmt.Errorf("%w: block range %d..%d is empty", ErrBadArg, from, to)
	}
	to = min(to, head)
	return from, to, nil
}

// logs fetches the logs of addrs in from..to, chunk by chunk.
func (c *Console) logs(ctx context.Context, addrs []common.Address, from, to uint64) ([]sdk.Log, error) {
	return c.logsOf(ctx, addrs, nil, from, to)
}

// logsOf is logs keeping only the logs whose first topic (the event's id)
// is one of topic0, when given.
func (c *Console) logsOf(ctx context.Context, addrs []common.Address, topic0 []common.Hash, from, to uint64) ([]sdk.Log, error) {
	var topics [][]common.Hash
	if len(topic0) > 0 {
		topics = [][]common.Hash{topic0}
	}
	var out []sdk.Log
	for lo := from; ; lo += logRangeChunk {
		hi := min(to, lo+logRangeChunk-1)
		got, err := c.client.FilterLogs(ctx, sdk.FilterQuery{FromBlock: &lo, ToBlock: &hi, Addresses: addrs, Topics: topics})
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if len(out) > maxEventsShown {
			return nil, fmt.Errorf("more than %d events in blocks %d..%d: give a smaller range", maxEventsShown, from, to)
		}
		if hi >= to {
			return out, nil
		}
	}
}

func runEvents(ctx context.Context, c *Console, args []string) error {
	target, rest := args[0], args[1:]
	var (
		addr   common.Address
		a      *abi.ABI
		system = false
	)
	if sys, ok := systemAliases[strings.ToLower(target)]; ok {
		addr, system = sys, true
		sa, _ := precompiled.ABI(sys)
		a = &sa
	} else {
		var err error
		if addr, err = c.address(ctx, target); err != nil {
			return err
		}
	}
	if a == nil && !system && !strings.HasPrefix(target, "0x") && !strings.HasPrefix(target, "0X") {
		a = c.cnsABI(ctx, target)
	}
	isEvent := func(w string) bool {
		if a == nil {
			return false
		}
		_, ok := a.Events[w]
		return ok
	}
	if len(rest) > 0 && !isBlockWord(rest[0]) && !isEvent(rest[0]) {
		fa, err := readABI(rest[0])
		if err != nil {
			if _, serr := os.Stat(rest[0]); a != nil && errors.Is(serr, fs.ErrNotExist) {
				return fmt.Errorf("%w: the ABI has no event %q (and no ABI file has that name)", ErrBadArg, rest[0])
			}
			return err
		}
		a, rest = &fa, rest[1:]
	}
	var topic []common.Hash
	if len(rest) > 0 && !isBlockWord(rest[0]) {
		if !isEvent(rest[0]) {
			if a == nil {
				return fmt.Errorf("%w: %q: no ABI to find the event in (give ABIFILE)", ErrBadArg, rest[0])
			}
			return fmt.Errorf("%w: the ABI has no event %q", ErrBadArg, rest[0])
		}
		topic, rest = []common.Hash{a.Events[rest[0]].ID}, rest[1:]
	}
	if len(rest) > 2 {
		return fmt.Errorf("%w: events TARGET [ABIFILE] [EVENT] [FROM [TO]]", ErrUsage)
	}
	from, to, err := c.blockRange(ctx, rest)
	if err != nil {
		return err
	}
	logs, err := c.logsOf(ctx, []common.Address{addr}, topic, from, to)
	if err != nil {
		return err
	}
	out := make([]eventRecord, len(logs))
	for i, l := range logs {
		out[i] = decodeEvent(a, l)
	}
	return c.printEvents(out)
}

func runHistory(ctx context.Context, c *Console, args []string) error {
	from, to, err := c.blockRange(ctx, args)
	if err != nil {
		return err
	}
	names := precompiled.GovernanceContracts()
	addrs := make([]common.Address, 0, len(names))
	abis := map[common.Address]*abi.ABI{}
	for a := range names {
		addrs = append(addrs, a)
		if x, ok := precompiled.ABI(a); ok {
			abis[a] = &x
		}
	}
	logs, err := c.logs(ctx, addrs, from, to)
	if err != nil {
		return err
	}
	sort.SliceStable(logs, func(i, j int) bool {
		if logs[i].BlockNumber != logs[j].BlockNumber {
			return logs[i].BlockNumber < logs[j].BlockNumber
		}
		return logs[i].Index < logs[j].Index
	})
	out := make([]eventRecord, len(logs))
	for i, l := range logs {
		out[i] = decodeEvent(abis[l.Address], l)
		out[i].Contract = names[l.Address]
	}
	return c.printEvents(out)
}

// cnsABI returns the ABI registered in CNS for the version name resolves
// to, nil when there is none or it does not parse.
func (c *Console) cnsABI(ctx context.Context, name string) *abi.ABI {
	_, version, err := c.client.ResolveName(ctx, name, c.from())
	if err != nil {
		return nil
	}
	k, err := c.systemContract(precompiled.CNSAddress)
	if err != nil {
		return nil
	}
	out, err := k.Call(ctx, c.from(), "resolveVersion", name, version)
	if err != nil || len(out) != 2 {
		return nil
	}
	s, _ := out[1].(string)
	if s == "" {
		return nil
	}
	a, err := abi.JSON(strings.NewReader(s))
	if err != nil {
		return nil
	}
	return &a
}

func isBlockWord(s string) bool {
	if s == "latest" {
		return true
	}
	_, err := parseUint(s)
	return err == nil
}

// eventRecord is one decoded log.
type eventRecord struct {
	Block    uint64         `json:"blockNumber"`
	Tx       string         `json:"transactionHash"`
	Index    uint64         `json:"logIndex"`
	Address  string         `json:"address"`
	Contract string         `json:"contract,omitempty"`
	Event    string         `json:"event,omitempty"`
	Args     map[string]any `json:"args,omitempty"`
	Topics   []string       `json:"topics,omitempty"` // undecoded logs only
	Data     string         `json:"data,omitempty"`   // undecoded logs only
	text     []string       // name=value, in ABI order
}

// decodeEvent decodes l by a (which may be nil); a log a does not know is
// kept raw.
func decodeEvent(a *abi.ABI, l sdk.Log) eventRecord {
	r := eventRecord{Block: l.BlockNumber, Tx: l.TxHash.Hex(), Index: l.Index, Address: l.Address.Hex()}
	ev := eventOf(a, l)
	if ev == nil {
		for _, t := range l.Topics {
			r.Topics = append(r.Topics, t.Hex())
		}
		r.Data = hexutil.Encode(l.Data)
		return r
	}
	vals, err := ev.Inputs.NonIndexed().Unpack(l.Data)
	if err != nil {
		r.Data = hexutil.Encode(l.Data)
		return r
	}
	r.Event, r.Args = ev.Name, map[string]any{}
	var kind, payload any
	topics := l.Topics[1:]
	for i, in := range ev.Inputs {
		name := in.Name
		if name == "" {
			name = fmt.Sprintf("arg%d", i)
		}
		var (
			js   any
			text string
		)
		if in.Indexed {
			if len(topics) == 0 {
				continue
			}
			topic := topics[0]
			topics = topics[1:]
			js, text = topic.Hex(), topic.Hex()+" (hash)"
			if isWordType(in.Type) {
				if v, err := (abi.Arguments{{Type: in.Type}}).Unpack(topic[:]); err == nil && len(v) == 1 {
					js, text = formatValue(in.Type, v[0]), renderValue(in.Type, v[0], false)
				}
			}
		} else {
			v := vals[0]
			vals = vals[1:]
			js, text = formatValue(in.Type, v), renderValue(in.Type, v, false)
		}
		r.Args[name] = js
		r.text = append(r.text, name+"="+text)
		switch {
		case in.Name == "kind" && !in.Indexed:
			kind = js
		case in.Name == "payload" && !in.Indexed:
			payload = js
		}
	}
	// A proposal's payload, read.
	if l.Address == precompiled.CommitteeAddress && ev.Name == "ProposalCreated" {
		k, _ := kind.(string)
		p, _ := payload.(string)
		if b, err := hexutil.Decode(p); err == nil {
			if change := describeChange(kindNames[k], b); change != "" {
				r.Args["change"] = change
				r.text = append(r.text, "change="+strconv.Quote(change))
			}
		}
	}
	return r
}

// kindNames names the Committee's proposal kinds as the RPC does.
var kindNames = map[string]string{"1": "config", "2": "node", "3": "role", "4": "governor", "5": "freeze",
	"6": "upgrade", "7": "thresholds", "8": "deployMode", "9": "resetAdmin"}

func eventOf(a *abi.ABI, l sdk.Log) *abi.Event {
	if a == nil || len(l.Topics) == 0 {
		return nil
	}
	ev, err := a.EventByID(l.Topics[0])
	if err != nil {
		return nil
	}
	return ev
}

// isWordType reports whether an indexed argument of type t is stored
// in its topic as its value rather than as a hash.
func isWordType(t abi.Type) bool {
	switch t.T {
	case abi.IntTy, abi.UintTy, abi.BoolTy, abi.AddressTy, abi.FixedBytesTy:
		return true
	}
	return false
}

// printEvents prints events one a line (text) or as a JSON list.
func (c *Console) printEvents(evs []eventRecord) error {
	if c.json {
		return c.print(evs)
	}
	if len(evs) == 0 {
		fmt.Fprintln(c.out, "no events")
		return nil
	}
	for _, e := range evs {
		who := e.Contract
		if who == "" {
			who = e.Address
		}
		if e.Event == "" {
			fmt.Fprintf(c.out, "block %d log %d %s tx %s: topics %s data %s\n", e.Block, e.Index, who, e.Tx, strings.Join(e.Topics, ","), e.Data)
			continue
		}
		fmt.Fprintf(c.out, "block %d log %d %s.%s(%s) tx %s\n", e.Block, e.Index, who, e.Event, strings.Join(e.text, ", "), e.Tx)
	}
	fmt.Fprintf(c.out, "%d events\n", len(evs))
	return nil
}

// decodeLog decodes a receipt's log for the send output, by the system
// contract's ABI when a system contract emitted it, else by a.
func decodeLog(a *abi.ABI, l sdk.Log) map[string]any {
	if sa, ok := precompiled.ABI(l.Address); ok {
		a = &sa
	}
	r := decodeEvent(a, l)
	ev := map[string]any{"address": r.Address}
	if r.Event != "" {
		ev["event"], ev["args"] = r.Event, r.Args
	} else {
		ev["topics"], ev["data"] = r.Topics, r.Data
	}
	return ev
}
