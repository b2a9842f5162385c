package console

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/sdk"
)

const targetHelp = `The target is a 0x address, a CNS name (resolved for the console's account,
gray route included) or a system contract (committee, systemconfig,
consensusnodes, permission, cns). The ABI is ABIFILE; without it, the system
contract's own or the one registered in CNS with the name's version.
`

const argsHelp = `Arguments follow the ABI, one word each:
  integers     decimal or 0x hex, negative for intN: 42, -7, 0xff
  bool         true or false
  address      0x address, or a CNS name
  string       the word; quote words with spaces: "hello world"
  bytes        0x hex; bytesN takes at most N bytes, padded on the right
  arrays       [1, 2, 3], nested [[1, 2], [3]], strings in them quoted ["a b", "c"]
  tuples       (0xabc..., 5) or [0xabc..., 5]; arrays of tuples [(a, 1), (b, 2)]
Spaces inside brackets stay in the word.`

// maxArtifact bounds the ABI and bytecode files the console reads.
const maxArtifact = 16 << 20

func commands() []*command {
	var all []*command
	for _, group := range [][]*command{baseCommands(), govCommands(), permissionCommands(), cnsCommands(), eventCommands(), accountCommands()} {
		all = append(all, group...)
	}
	return all
}

func baseCommands() []*command {
	return []*command{
		{name: "info", short: "chain information (bcos_getChainInfo)", max: 0, run: runRPC("bcos_getChainInfo")},
		{name: "block", args: "N|latest", short: "a block by number, without its transactions' bodies", min: 1, max: 1, run: runBlock},
		{name: "tx", args: "HASH", short: "a transaction by hash", min: 1, max: 1, run: runByHash("eth_getTransactionByHash", "transaction")},
		{name: "receipt", args: "HASH", short: "a transaction receipt by hash", min: 1, max: 1, run: runByHash("bcos_getTransactionReceipt", "receipt")},
		{name: "balance", args: "ADDR|CNSNAME", short: "an account's balance, in wei", min: 1, max: 1, run: runBalance},
		{name: "deploy", args: "ABIFILE BINFILE [args...] | FILE.sol[:NAME] [args...]", short: "deploy a contract from solc artifacts (.abi and .bin), or compile a .sol with solc", min: 1, max: -1, run: runDeploy,
			long: "Signs with the console's key and waits for the receipt. A .sol file is compiled\n" +
				"with solc --combined-json abi,bin (solc on PATH, or --solc); NAME picks the\n" +
				"contract when the file has several.\n" + argsHelp},
		{name: "call", args: "ADDR|CNSNAME [ABIFILE] METHOD [args...]", short: "call a contract method without a transaction", min: 2, max: -1, run: runCall,
			long: targetHelp + argsHelp},
		{name: "send", args: "ADDR|CNSNAME [ABIFILE] METHOD [args...]", short: "send a transaction calling a contract method and wait for its receipt", min: 2, max: -1, run: runSend,
			long: "Signs with the console's key. The receipt's events are decoded with the ABI.\n" + targetHelp + argsHelp},
		{name: "proposals", args: "[FIRST [COUNT]]", short: "governance proposals (by default the last 20)", max: 2, run: runProposals},
		{name: "proposal", args: "ID", short: "one governance proposal", min: 1, max: 1, run: runProposal},
		{name: "nodes", short: "consensus nodes (bcos_getConsensusNodes)", max: 0, run: runRPC("bcos_getConsensusNodes")},
		{name: "config", args: "[KEY]", short: "system configuration (bcos_getSystemConfig)", max: 1, run: runConfig},
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

// printRaw prints a JSON result; proposals get a readable "change".
func (c *Console) printRaw(raw json.RawMessage) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var g any
	if err := dec.Decode(&g); err != nil {
		return err
	}
	described := describeProposals(g)
	if c.json {
		if !described {
			fmt.Fprintln(c.out, string(raw))
			return nil
		}
		b, err := json.Marshal(g)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.out, string(b))
		return nil
	}
	printHuman(c.out, g, "")
	return nil
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
	addr, err := c.address(ctx, args[0])
	if err != nil {
		return err
	}
	var bal hexutil.Big
	if err := c.client.RPC().CallContext(ctx, &bal, "eth_getBalance", addr, "latest"); err != nil {
		return err
	}
	return c.print(map[string]string{"address": addr.Hex(), "balance": bal.ToInt().String()})
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

func runDeploy(ctx context.Context, c *Console, args []string) error {
	if c.key == nil {
		return fmt.Errorf("%w: start the console with --key or run account-use", ErrNoKey)
	}
	var (
		a    abi.ABI
		code []byte
		rest []string
		name string
	)
	if isSolSource(args[0]) {
		k, err := c.compileSol(ctx, args[0])
		if err != nil {
			return err
		}
		a, code, rest, name = k.abi, k.bin, args[1:], k.name
	} else {
		if len(args) < 2 {
			return fmt.Errorf("%w: deploy ABIFILE BINFILE [args...] or deploy FILE.sol[:NAME] [args...]", ErrUsage)
		}
		var err error
		if a, err = readABI(args[0]); err != nil {
			return err
		}
		if code, err = readBin(args[1]); err != nil {
			return err
		}
		rest = args[2:]
	}
	vals, err := convertArgs(a.Constructor.Inputs, rest, "constructor", c.resolver(ctx))
	if err != nil {
		return err
	}
	addr, r, err := c.client.Deploy(ctx, c.key, a, code, vals...)
	if err != nil {
		return err
	}
	res := map[string]any{
		"contractAddress": addr.Hex(), "transactionHash": r.TxHash.Hex(),
		"blockNumber": r.BlockNumber, "gasUsed": r.GasUsed,
	}
	if name != "" {
		res["contract"] = name
	}
	return c.print(res)
}

// target resolves an address or CNS name and reads the ABI.
func (c *Console) target(ctx context.Context, who, abiFile string) (*sdk.Contract, error) {
	a, err := readABI(abiFile)
	if err != nil {
		return nil, err
	}
	addr, err := c.address(ctx, who)
	if err != nil {
		return nil, err
	}
	return c.client.Contract(addr, a), nil
}

// address turns a 0x address or a CNS name (resolved for the console's
// account, gray route included) into an address.
func (c *Console) address(ctx context.Context, who string) (common.Address, error) {
	if strings.HasPrefix(who, "0x") || strings.HasPrefix(who, "0X") {
		if !common.IsHexAddress(who) {
			return common.Address{}, fmt.Errorf("%w: %q is not an address", ErrBadArg, who)
		}
		return common.HexToAddress(who), nil
	}
	if who == "" {
		return common.Address{}, fmt.Errorf("%w: empty address", ErrBadArg)
	}
	addr, _, err := c.client.ResolveName(ctx, who, c.from())
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %q is not an address nor a known CNS name: %v", ErrBadArg, who, err)
	}
	return addr, nil
}

// resolver resolves CNS names given for address arguments.
func (c *Console) resolver(ctx context.Context) resolver {
	return func(name string) (common.Address, error) {
		addr, _, err := c.client.ResolveName(ctx, name, c.from())
		return addr, err
	}
}

func (c *Console) from() common.Address {
	if c.key == nil {
		return common.Address{}
	}
	return c.key.Address()
}

// invocation reads the arguments of call and send, TARGET [ABIFILE]
// METHOD [args...]: it binds the target (see targetArgs) and converts the
// method's arguments.
func (c *Console) invocation(ctx context.Context, args []string) (*sdk.Contract, string, []any, error) {
	k, rest, err := c.targetArgs(ctx, args)
	if err != nil {
		return nil, "", nil, err
	}
	name := rest[0]
	m, ok := k.ABI().Methods[name]
	if !ok {
		return nil, "", nil, fmt.Errorf("%w: the ABI has no method %q", ErrBadArg, name)
	}
	vals, err := convertArgs(m.Inputs, rest[1:], name, c.resolver(ctx))
	if err != nil {
		return nil, "", nil, err
	}
	return k, name, vals, nil
}

func runCall(ctx context.Context, c *Console, args []string) error {
	k, method, vals, err := c.invocation(ctx, args)
	if err != nil {
		return err
	}
	out, err := k.Call(ctx, c.from(), method, vals...)
	if err != nil {
		return err
	}
	return c.printOutputs(k.ABI().Methods[method].Outputs, out)
}

// targetArgs binds the target of call and send: args are TARGET [ABIFILE]
// METHOD [args...]. Without an ABI file (args[1] names no file) the ABI is
// a system contract's for its name, or the one registered in CNS for the
// version the name resolves to. It returns the binding and METHOD [args...].
func (c *Console) targetArgs(ctx context.Context, args []string) (*sdk.Contract, []string, error) {
	who := args[0]
	if fi, err := os.Stat(args[1]); (err == nil && fi.Mode().IsRegular()) || len(args) >= 3 && looksLikeFile(args[1]) {
		if len(args) < 3 {
			return nil, nil, fmt.Errorf("%w: no METHOD after the ABI file", ErrUsage)
		}
		k, err := c.target(ctx, who, args[1])
		return k, args[2:], err
	}
	if sys, ok := systemAliases[strings.ToLower(who)]; ok {
		k, err := c.systemContract(sys)
		return k, args[1:], err
	}
	addr, err := c.address(ctx, who)
	if err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(who, "0x") || strings.HasPrefix(who, "0X") {
		return nil, nil, fmt.Errorf("%w: %q is no ABI file; give one for an address", ErrBadArg, args[1])
	}
	a := c.cnsABI(ctx, who)
	if a == nil {
		return nil, nil, fmt.Errorf("%w: %q is no ABI file and CNS holds no ABI for %q", ErrBadArg, args[1], who)
	}
	return c.client.Contract(addr, *a), args[1:], nil
}

// looksLikeFile reports whether an argument is meant as a file name.
func looksLikeFile(s string) bool {
	return strings.ContainsAny(s, "/\\") || strings.HasSuffix(s, ".abi") || strings.HasSuffix(s, ".json")
}

// printOutputs prints a method's return values: with --json a list, else
// one "name (type) value" line each, composite values in input syntax.
func (c *Console) printOutputs(outs abi.Arguments, vals []any) error {
	if c.json {
		res := make([]any, len(vals))
		for i, v := range vals {
			if i < len(outs) {
				res[i] = formatValue(outs[i].Type, v)
			} else {
				res[i] = formatScalar(v)
			}
		}
		return c.print(res)
	}
	for i, v := range vals {
		if i >= len(outs) {
			fmt.Fprintf(c.out, "%v\n", formatScalar(v))
			continue
		}
		name := ""
		if outs[i].Name != "" {
			name = outs[i].Name + " "
		}
		fmt.Fprintf(c.out, "%s(%s) %s\n", name, outs[i].Type.String(), renderValue(outs[i].Type, v, true))
	}
	if len(vals) == 0 {
		fmt.Fprintln(c.out, "(no return values)")
	}
	return nil
}

func runSend(ctx context.Context, c *Console, args []string) error {
	if c.key == nil {
		return fmt.Errorf("%w: start the console with --key or run account-use", ErrNoKey)
	}
	k, method, vals, err := c.invocation(ctx, args)
	if err != nil {
		return err
	}
	return c.transact(ctx, k, method, vals...)
}

// transact sends a transaction calling method and prints its receipt with
// the events decoded by the contract's ABI.
func (c *Console) transact(ctx context.Context, k *sdk.Contract, method string, vals ...any) error {
	res, err := c.transactResult(ctx, k, method, vals...)
	if err != nil {
		return err
	}
	return c.print(res)
}

// transactResult sends a transaction calling method and returns the
// receipt's summary, events decoded.
func (c *Console) transactResult(ctx context.Context, k *sdk.Contract, method string, vals ...any) (map[string]any, error) {
	if c.key == nil {
		return nil, fmt.Errorf("%w: start the console with --key or run account-use", ErrNoKey)
	}
	r, err := k.Transact(ctx, c.key, method, vals...)
	if err != nil {
		return nil, err
	}
	events := []map[string]any{}
	for _, l := range r.Logs {
		events = append(events, decodeLog(k.ABI(), l))
	}
	return map[string]any{
		"transactionHash": r.TxHash.Hex(), "blockNumber": r.BlockNumber,
		"status": r.Status, "gasUsed": r.GasUsed, "events": events,
	}, nil
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
