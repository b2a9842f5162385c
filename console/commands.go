package console

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/sdk"
)

// maxArtifact bounds the ABI and bytecode files the console reads.
const maxArtifact = 16 << 20

func commands() []*command {
	return []*command{
		{name: "info", short: "chain information (bcos_getChainInfo)", max: 0, run: runRPC("bcos_getChainInfo")},
		{name: "block", args: "N|latest", short: "a block by number, without its transactions' bodies", min: 1, max: 1, run: runBlock},
		{name: "tx", args: "HASH", short: "a transaction by hash", min: 1, max: 1, run: runByHash("eth_getTransactionByHash", "transaction")},
		{name: "receipt", args: "HASH", short: "a transaction receipt by hash", min: 1, max: 1, run: runByHash("bcos_getTransactionReceipt", "receipt")},
		{name: "balance", args: "ADDR", short: "an account's balance, in wei", min: 1, max: 1, run: runBalance},
		{name: "deploy", args: "ABIFILE BINFILE [args...]", short: "deploy a contract from solc artifacts (.abi and .bin)", min: 2, max: -1, run: runDeploy,
			long: "Signs with the console's key and waits for the receipt. Constructor arguments\nfollow the ABI: integers in decimal or 0x hex, addresses, true/false, strings,\nbytes as 0x hex."},
		{name: "call", args: "ADDR|CNSNAME ABIFILE METHOD [args...]", short: "call a contract method without a transaction", min: 3, max: -1, run: runCall,
			long: "The target is a 0x address or a CNS name (resolved for the console's account).\nArguments as for deploy."},
		{name: "send", args: "ADDR|CNSNAME ABIFILE METHOD [args...]", short: "send a transaction calling a contract method and wait for its receipt", min: 3, max: -1, run: runSend,
			long: "Signs with the console's key. The target is a 0x address or a CNS name.\nThe receipt's events are decoded with the ABI."},
		{name: "proposals", args: "[FIRST [COUNT]]", short: "governance proposals (by default the last 20)", max: 2, run: runProposals},
		{name: "proposal", args: "ID", short: "one governance proposal", min: 1, max: 1, run: runProposal},
		{name: "nodes", short: "consensus nodes (bcos_getConsensusNodes)", max: 0, run: runRPC("bcos_getConsensusNodes")},
		{name: "config", args: "[KEY]", short: "system configuration (bcos_getSystemConfig)", max: 1, run: runConfig},
		{name: "propose-config", args: "KEY VALUE [BLOCKS]", short: "propose a system config change to the Committee", min: 2, max: 3, run: runProposeConfig,
			long: "Sends Committee.proposeConfig signed with the console's key, which must be a\ngovernor's. BLOCKS is how many blocks the proposal stays open (0 or absent: the\nCommittee's default). The ProposalCreated event gives the proposal id."},
		{name: "vote", args: "ID yes|no", short: "vote on a governance proposal", min: 2, max: 2, run: runVote,
			long: "Sends Committee.vote signed with the console's key, which must be a governor's."},
		{name: "account", short: "the console's signing account", max: 0, run: runAccount},
	}
}

// rpcCall calls method and prints its result.
func (c *Console) rpcCall(ctx context.Context, what, method string, args ...any) error {
	var raw json.RawMessage
	if err := c.client.RPC().CallContext(ctx, &raw, method, args...); err != nil {
		return err
	}
	if len(raw) == 0 || string(raw) == "null" {
		return fmt.Errorf("%s not found", what)
	}
	return c.printRaw(raw)
}

// printRaw prints a JSON result.
func (c *Console) printRaw(raw json.RawMessage) error {
	if c.json {
		fmt.Fprintln(c.out, string(raw))
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var g any
	if err := dec.Decode(&g); err != nil {
		return err
	}
	describeProposals(g)
	printHuman(c.out, g, "")
	return nil
}

// describeProposals adds a readable "change" to config proposals, whose
// payload is the ABI encoding of (key, value).
func describeProposals(g any) {
	var list []any
	switch x := g.(type) {
	case []any:
		list = x
	case map[string]any:
		list = []any{x}
	}
	args := abi.Arguments{{Type: mustType("string")}, {Type: mustType("string")}}
	for _, e := range list {
		p, ok := e.(map[string]any)
		if !ok || p["kind"] != "config" {
			continue
		}
		s, _ := p["payload"].(string)
		b, err := hexutil.Decode(s)
		if err != nil {
			continue
		}
		if vals, err := args.Unpack(b); err == nil && len(vals) == 2 {
			p["change"] = fmt.Sprintf("%v = %v", vals[0], vals[1])
		}
	}
}

func mustType(t string) abi.Type {
	typ, err := abi.NewType(t, "", nil)
	if err != nil {
		panic(err) // only called with constant, valid type names
	}
	return typ
}

func runRPC(method string) func(context.Context, *Console, []string) error {
	return func(ctx context.Context, c *Console, _ []string) error {
		return c.rpcCall(ctx, "result", method)
	}
}

func runBlock(ctx context.Context, c *Console, args []string) error {
	tag := args[0]
	if tag != "latest" {
		n, err := parseUint(tag)
		if err != nil {
			return fmt.Errorf("%w: block number %q: want a number or latest", ErrBadArg, tag)
		}
		tag = hexutil.EncodeUint64(n)
	}
	return c.rpcCall(ctx, "block "+args[0], "eth_getBlockByNumber", tag, false)
}

func runByHash(method, what string) func(context.Context, *Console, []string) error {
	return func(ctx context.Context, c *Console, args []string) error {
		h, err := parseHash(args[0])
		if err != nil {
			return err
		}
		return c.rpcCall(ctx, what+" "+h.Hex(), method, h)
	}
}

func runBalance(ctx context.Context, c *Console, args []string) error {
	if !common.IsHexAddress(args[0]) {
		return fmt.Errorf("%w: %q is not an address", ErrBadArg, args[0])
	}
	var bal hexutil.Big
	if err := c.client.RPC().CallContext(ctx, &bal, "eth_getBalance", common.HexToAddress(args[0]), "latest"); err != nil {
		return err
	}
	return c.print(map[string]string{"address": common.HexToAddress(args[0]).Hex(), "balance": bal.ToInt().String()})
}

func runProposals(ctx context.Context, c *Console, args []string) error {
	var params []any
	for _, a := range args {
		n, err := parseUint(a)
		if err != nil {
			return fmt.Errorf("%w: %q is not a number", ErrBadArg, a)
		}
		params = append(params, hexutil.EncodeUint64(n))
	}
	var raw json.RawMessage
	if err := c.client.RPC().CallContext(ctx, &raw, "bcos_getProposals", params...); err != nil {
		return err
	}
	if !c.json && (string(raw) == "[]" || string(raw) == "null") {
		fmt.Fprintln(c.out, "no proposals")
		return nil
	}
	return c.printRaw(raw)
}

func runProposal(ctx context.Context, c *Console, args []string) error {
	id, err := parseUint(args[0])
	if err != nil {
		return fmt.Errorf("%w: proposal id %q is not a number", ErrBadArg, args[0])
	}
	return c.rpcCall(ctx, "proposal "+args[0], "bcos_getProposal", hexutil.EncodeUint64(id))
}

func runConfig(ctx context.Context, c *Console, args []string) error {
	params := make([]any, len(args))
	for i, a := range args {
		params[i] = a
	}
	return c.rpcCall(ctx, "config", "bcos_getSystemConfig", params...)
}

func runAccount(_ context.Context, c *Console, _ []string) error {
	if c.key == nil {
		return ErrNoKey
	}
	return c.print(map[string]string{"address": c.key.Address().Hex(), "suite": c.client.Suite().Name()})
}

func runDeploy(ctx context.Context, c *Console, args []string) error {
	if c.key == nil {
		return fmt.Errorf("%w: start the console with --key", ErrNoKey)
	}
	a, err := readABI(args[0])
	if err != nil {
		return err
	}
	code, err := readBin(args[1])
	if err != nil {
		return err
	}
	vals, err := convertArgs(a.Constructor.Inputs, args[2:], "constructor")
	if err != nil {
		return err
	}
	addr, r, err := c.client.Deploy(ctx, c.key, a, code, vals...)
	if err != nil {
		return err
	}
	return c.print(map[string]any{
		"contractAddress": addr.Hex(), "transactionHash": r.TxHash.Hex(),
		"blockNumber": r.BlockNumber, "gasUsed": r.GasUsed,
	})
}

// target resolves an address or CNS name and reads the ABI.
func (c *Console) target(ctx context.Context, who, abiFile string) (*sdk.Contract, error) {
	a, err := readABI(abiFile)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(who, "0x") || strings.HasPrefix(who, "0X") {
		if !common.IsHexAddress(who) {
			return nil, fmt.Errorf("%w: %q is not an address", ErrBadArg, who)
		}
		return c.client.Contract(common.HexToAddress(who), a), nil
	}
	return c.client.ContractByName(ctx, who, c.from(), a)
}

func (c *Console) from() common.Address {
	if c.key == nil {
		return common.Address{}
	}
	return c.key.Address()
}

func methodArgs(k *sdk.Contract, name string, args []string) ([]any, error) {
	m, ok := k.ABI().Methods[name]
	if !ok {
		return nil, fmt.Errorf("%w: the ABI has no method %q", ErrBadArg, name)
	}
	return convertArgs(m.Inputs, args, name)
}

func runCall(ctx context.Context, c *Console, args []string) error {
	k, err := c.target(ctx, args[0], args[1])
	if err != nil {
		return err
	}
	vals, err := methodArgs(k, args[2], args[3:])
	if err != nil {
		return err
	}
	out, err := k.Call(ctx, c.from(), args[2], vals...)
	if err != nil {
		return err
	}
	outs := k.ABI().Methods[args[2]].Outputs
	res := make([]any, len(out))
	for i, v := range out {
		res[i] = formatValue(v)
	}
	if c.json {
		return c.print(res)
	}
	for i, v := range res {
		name := ""
		if i < len(outs) && outs[i].Name != "" {
			name = outs[i].Name + " "
		}
		typ := ""
		if i < len(outs) {
			typ = outs[i].Type.String()
		}
		fmt.Fprintf(c.out, "%s(%s) %v\n", name, typ, v)
	}
	if len(res) == 0 {
		fmt.Fprintln(c.out, "(no return values)")
	}
	return nil
}

func runSend(ctx context.Context, c *Console, args []string) error {
	if c.key == nil {
		return fmt.Errorf("%w: start the console with --key", ErrNoKey)
	}
	k, err := c.target(ctx, args[0], args[1])
	if err != nil {
		return err
	}
	vals, err := methodArgs(k, args[2], args[3:])
	if err != nil {
		return err
	}
	return c.transact(ctx, k, args[2], vals...)
}

// transact sends a transaction calling method and prints its receipt with
// the events decoded by the contract's ABI.
func (c *Console) transact(ctx context.Context, k *sdk.Contract, method string, vals ...any) error {
	r, err := k.Transact(ctx, c.key, method, vals...)
	if err != nil {
		return err
	}
	events := []map[string]any{}
	for _, l := range r.Logs {
		ev := map[string]any{"address": l.Address.Hex()}
		if len(l.Topics) > 0 {
			if e, err := k.ABI().EventByID(l.Topics[0]); err == nil {
				ev["event"] = e.Name
				if fields, err := k.ParseEvent(e.Name, l); err == nil {
					for n, v := range fields {
						fields[n] = formatValue(v)
					}
					ev["args"] = fields
				}
			}
		}
		events = append(events, ev)
	}
	return c.print(map[string]any{
		"transactionHash": r.TxHash.Hex(), "blockNumber": r.BlockNumber,
		"status": r.Status, "gasUsed": r.GasUsed, "events": events,
	})
}

func readABI(path string) (abi.ABI, error) {
	b, err := readSmall(path)
	if err != nil {
		return abi.ABI{}, err
	}
	a, err := abi.JSON(strings.NewReader(string(b)))
	if err != nil {
		return abi.ABI{}, fmt.Errorf("%w: ABI file %s: %v", ErrBadArg, path, err)
	}
	return a, nil
}

func readBin(path string) ([]byte, error) {
	b, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(b))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	code, err := hex.DecodeString(s)
	if err != nil || len(code) == 0 {
		return nil, fmt.Errorf("%w: bytecode file %s is not hex bytecode", ErrBadArg, path)
	}
	return code, nil
}

func readSmall(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxArtifact {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadArg, path, maxArtifact)
	}
	return os.ReadFile(path)
}

func parseUint(s string) (uint64, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return strconv.ParseUint(s[2:], 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

func parseHash(s string) (common.Hash, error) {
	b, err := hexutil.Decode(s)
	if err != nil || len(b) != common.HashLength {
		return common.Hash{}, fmt.Errorf("%w: %q is not a 32-byte 0x hash", ErrBadArg, s)
	}
	return common.BytesToHash(b), nil
}

var errUnsupportedType = errors.New("unsupported ABI type")

// convertArgs converts console words to the Go values the ABI packer wants.
func convertArgs(in abi.Arguments, words []string, what string) ([]any, error) {
	if len(words) != len(in) {
		return nil, fmt.Errorf("%w: %s takes %d arguments, got %d", ErrBadArg, what, len(in), len(words))
	}
	out := make([]any, len(in))
	for i, arg := range in {
		v, err := convertArg(arg.Type, words[i])
		if err != nil {
			return nil, fmt.Errorf("%w: argument %d (%s %s): %v", ErrBadArg, i+1, arg.Type.String(), arg.Name, err)
		}
		out[i] = v
	}
	return out, nil
}

func convertArg(t abi.Type, s string) (any, error) {
	switch t.T {
	case abi.UintTy, abi.IntTy:
		n, ok := new(big.Int).SetString(s, 0)
		if !ok {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		if t.T == abi.UintTy && n.Sign() < 0 {
			return nil, fmt.Errorf("%s is negative", s)
		}
		if lim := t.Size - boolInt(t.T == abi.IntTy); n.BitLen() > lim {
			return nil, fmt.Errorf("%s does not fit", s)
		}
		return sizedInt(t, n), nil
	case abi.BoolTy:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", s)
		}
		return b, nil
	case abi.StringTy:
		return s, nil
	case abi.AddressTy:
		if !common.IsHexAddress(s) {
			return nil, fmt.Errorf("%q is not an address", s)
		}
		return common.HexToAddress(s), nil
	case abi.BytesTy:
		b, err := hexutil.Decode(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not 0x hex", s)
		}
		return b, nil
	case abi.FixedBytesTy:
		b, err := hexutil.Decode(s)
		if err != nil || len(b) > t.Size {
			return nil, fmt.Errorf("%q is not 0x hex of at most %d bytes", s, t.Size)
		}
		arr := reflectFixedBytes(t.Size, b)
		return arr, nil
	}
	return nil, errUnsupportedType
}

func (c *Console) committee() (*sdk.Contract, error) {
	if c.key == nil {
		return nil, fmt.Errorf("%w: start the console with --key", ErrNoKey)
	}
	a, ok := precompiled.ABI(precompiled.CommitteeAddress)
	if !ok {
		return nil, errors.New("no Committee ABI")
	}
	return c.client.Contract(precompiled.CommitteeAddress, a), nil
}

func runProposeConfig(ctx context.Context, c *Console, args []string) error {
	k, err := c.committee()
	if err != nil {
		return err
	}
	var blocks uint64
	if len(args) == 3 {
		if blocks, err = parseUint(args[2]); err != nil {
			return fmt.Errorf("%w: blocks %q is not a number", ErrBadArg, args[2])
		}
	}
	return c.transact(ctx, k, "proposeConfig", args[0], args[1], blocks)
}

func runVote(ctx context.Context, c *Console, args []string) error {
	k, err := c.committee()
	if err != nil {
		return err
	}
	id, err := parseUint(args[0])
	if err != nil {
		return fmt.Errorf("%w: proposal id %q is not a number", ErrBadArg, args[0])
	}
	var agree bool
	switch strings.ToLower(args[1]) {
	case "yes", "y", "true":
		agree = true
	case "no", "n", "false":
	default:
		return fmt.Errorf("%w: vote %q: want yes or no", ErrBadArg, args[1])
	}
	return c.transact(ctx, k, "vote", id, agree)
}
