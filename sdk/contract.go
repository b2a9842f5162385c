package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/crypto"
)

// Contract binds a deployed contract's address to its ABI.
type Contract struct {
	c   *Client
	adr common.Address
	abi abi.ABI
	eth bool
}

// Contract returns a binding for the contract at addr.
func (c *Client) Contract(addr common.Address, a abi.ABI) *Contract {
	return &Contract{c: c, adr: addr, abi: a}
}

// Address is the contract's address.
func (k *Contract) Address() common.Address { return k.adr }

// ABI is the contract's ABI.
func (k *Contract) ABI() *abi.ABI { return &k.abi }

// WithEthereumTxs returns a copy of the binding whose Transact sends
// Ethereum-signed transactions instead of native ones (ECDSA chains only).
func (k *Contract) WithEthereumTxs() *Contract {
	cp := *k
	cp.eth = true
	return &cp
}

// Deploy creates a contract from its init bytecode and constructor
// arguments with a native transaction, waits for the receipt and returns
// the new address. A failed deployment returns the receipt and a
// *RevertError.
func (c *Client) Deploy(ctx context.Context, key crypto.PrivateKey, a abi.ABI, bytecode []byte, args ...any) (common.Address, *Receipt, error) {
	ctor, err := a.Pack("", args...)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("sdk: packing constructor arguments: %w", err)
	}
	input := append(common.CopyBytes(bytecode), ctor...)
	r, err := c.sendWait(ctx, key, nil, nil, input, 0, false, &a)
	if err != nil {
		return common.Address{}, r, err
	}
	if r.ContractAddress == nil {
		return common.Address{}, r, fmt.Errorf("sdk: deployment receipt of %s has no contract address", r.TxHash)
	}
	return *r.ContractAddress, r, nil
}

// Call runs a method without a transaction (eth_call at the latest block)
// and returns its decoded outputs. A revert comes back as a *RevertError.
func (k *Contract) Call(ctx context.Context, from common.Address, method string, args ...any) ([]any, error) {
	m, ok := k.abi.Methods[method]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMethod, method)
	}
	input, err := k.abi.Pack(method, args...)
	if err != nil {
		return nil, fmt.Errorf("sdk: packing %s arguments: %w", method, err)
	}
	out, err := k.c.call(ctx, from, k.adr, input, &k.abi)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 && len(m.Outputs) > 0 {
		return nil, fmt.Errorf("%w: %s at %s", ErrNoCode, method, k.adr.Hex())
	}
	vals, err := m.Outputs.Unpack(out)
	if err != nil {
		return nil, fmt.Errorf("sdk: decoding %s outputs: %w", method, err)
	}
	return vals, nil
}

// CallContract runs eth_call with raw input and returns the raw output. A
// revert comes back as a *RevertError (reason decoded for Error(string)
// and Panic(uint256); custom errors need Contract.Call).
func (c *Client) CallContract(ctx context.Context, from, to common.Address, input []byte) ([]byte, error) {
	return c.call(ctx, from, to, input, nil)
}

func (c *Client) call(ctx context.Context, from, to common.Address, input []byte, a errorABI) ([]byte, error) {
	var out hexutil.Bytes
	if err := c.rc.CallContext(ctx, &out, "eth_call", callArgs(from, &to, nil, input), "latest"); err != nil {
		if rerr, ok := revertFromRPC(err, a); ok {
			return nil, rerr
		}
		return nil, fmt.Errorf("sdk: eth_call: %w", err)
	}
	return out, nil
}

// Transact sends a native transaction (or an Ethereum one, see
// WithEthereumTxs) calling method, and waits for the receipt. A failed
// execution returns the receipt and a *RevertError.
func (k *Contract) Transact(ctx context.Context, key crypto.PrivateKey, method string, args ...any) (*Receipt, error) {
	if _, ok := k.abi.Methods[method]; !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMethod, method)
	}
	input, err := k.abi.Pack(method, args...)
	if err != nil {
		return nil, fmt.Errorf("sdk: packing %s arguments: %w", method, err)
	}
	return k.c.sendWait(ctx, key, &k.adr, nil, input, 0, k.eth, &k.abi)
}

// ParseEvent decodes a log of the named event into its arguments by name,
// indexed ones included (indexed dynamic types come back as their hash).
func (k *Contract) ParseEvent(name string, log Log) (map[string]any, error) {
	ev, ok := k.abi.Events[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEvent, name)
	}
	topics := log.Topics
	if !ev.Anonymous {
		if len(topics) == 0 || topics[0] != ev.ID {
			return nil, fmt.Errorf("sdk: log is not a %s event", name)
		}
		topics = topics[1:]
	}
	out := map[string]any{}
	if err := ev.Inputs.NonIndexed().UnpackIntoMap(out, log.Data); err != nil {
		return nil, fmt.Errorf("sdk: decoding %s data: %w", name, err)
	}
	var indexed abi.Arguments
	for _, arg := range ev.Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopicsIntoMap(out, indexed, topics); err != nil {
		return nil, fmt.Errorf("sdk: decoding %s topics: %w", name, err)
	}
	return out, nil
}

// errorABI is the ABI used to name custom errors; nil knows none.
type errorABI = *abi.ABI

var (
	errorSelector = ethcrypto.Keccak256([]byte("Error(string)"))[:4]
	panicSelector = ethcrypto.Keccak256([]byte("Panic(uint256)"))[:4]
)

// RevertError is a failed execution: a revert from eth_call or a failed
// receipt. It wraps ErrReverted when the contract reverted, ErrTxFailed
// otherwise (for example out of gas).
type RevertError struct {
	Data    []byte // the revert data as returned (may be empty)
	Reason  string // Error(string) reason, or "panic: ..." for Panic(uint256)
	Name    string // custom error name, when the ABI declares the selector
	Args    []any  // custom error arguments
	Message string // the node's message (JSON-RPC error or receipt errorMessage)
}

func newRevertError(a errorABI, data []byte, message string) *RevertError {
	e := &RevertError{Data: data, Message: message}
	if len(data) < 4 {
		return e
	}
	switch {
	case bytes.Equal(data[:4], errorSelector), bytes.Equal(data[:4], panicSelector):
		reason, err := abi.UnpackRevert(data)
		if err != nil {
			return e
		}
		if bytes.Equal(data[:4], panicSelector) {
			reason = "panic: " + reason
		}
		e.Reason = reason
	case a != nil:
		var id [4]byte
		copy(id[:], data[:4])
		ae, err := a.ErrorByID(id)
		if err != nil {
			return e
		}
		v, err := ae.Unpack(data)
		if err != nil {
			return e
		}
		args, _ := v.([]any)
		e.Name, e.Args = ae.Name, args
	}
	return e
}

// revertFromRPC recognises an execution error of eth_call or
// eth_estimateGas (JSON-RPC code 3, or revert data, or a message naming a
// revert) and decodes it.
func revertFromRPC(err error, a errorABI) (*RevertError, bool) {
	var data []byte
	var de rpc.DataError
	if errors.As(err, &de) {
		if s, ok := de.ErrorData().(string); ok {
			if b, derr := hexutil.Decode(s); derr == nil {
				data = b
			}
		}
	}
	code := 0
	var re rpc.Error
	if errors.As(err, &re) {
		code = re.ErrorCode()
	}
	if code != 3 && len(data) == 0 && !strings.Contains(strings.ToLower(err.Error()), "revert") {
		return nil, false
	}
	return newRevertError(a, data, err.Error()), true
}

// Reverted reports whether the contract reverted (as opposed to failing
// for another reason, such as running out of gas).
func (e *RevertError) Reverted() bool {
	return len(e.Data) > 0 || strings.Contains(strings.ToLower(e.Message), "revert")
}

func (e *RevertError) Error() string {
	prefix := "execution reverted"
	if !e.Reverted() {
		prefix = "execution failed"
	}
	switch {
	case e.Name != "":
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			args[i] = fmt.Sprint(a)
		}
		return fmt.Sprintf("%s: %s(%s)", prefix, e.Name, strings.Join(args, ", "))
	case e.Reason != "":
		return prefix + ": " + e.Reason
	case len(e.Data) > 0:
		return fmt.Sprintf("%s with data %s", prefix, hexutil.Encode(e.Data))
	case e.Message != "" && !strings.EqualFold(e.Message, prefix):
		msg := strings.TrimPrefix(e.Message, prefix+": ")
		return prefix + ": " + msg
	}
	return prefix
}

// Unwrap makes errors.Is(err, ErrReverted) (or ErrTxFailed) work.
func (e *RevertError) Unwrap() error {
	if e.Reverted() {
		return ErrReverted
	}
	return ErrTxFailed
}
