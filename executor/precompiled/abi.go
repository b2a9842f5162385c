package precompiled

import (
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// method is one function of a system contract's ABI.
type method struct {
	sig   string // canonical signature, e.g. "vote(uint64,bool)"
	id    [4]byte
	in    abi.Arguments
	out   abi.Arguments
	write bool // changes state: refused in a read-only call
}

// arguments builds ABI arguments from a comma-separated type list.
func arguments(types string) abi.Arguments {
	var args abi.Arguments
	if types == "" {
		return args
	}
	for i, ty := range strings.Split(types, ",") {
		t, err := abi.NewType(ty, "", nil)
		if err != nil {
			panic(fmt.Sprintf("precompiled: ABI type %q: %v", ty, err)) // fixed tables, cannot fail
		}
		args = append(args, abi.Argument{Name: fmt.Sprintf("a%d", i), Type: t})
	}
	return args
}

// newMethod parses "name(types)" with the comma-separated output types.
func newMethod(sig, outs string, write bool) *method {
	open := strings.IndexByte(sig, '(')
	m := &method{sig: sig, in: arguments(sig[open+1 : len(sig)-1]), out: arguments(outs), write: write}
	copy(m.id[:], crypto.Keccak256([]byte(sig))[:4])
	return m
}

// methods is a contract's function table.
type methods map[[4]byte]*method

func newMethods(ms ...*method) methods {
	t := make(methods, len(ms))
	for _, m := range ms {
		if _, dup := t[m.id]; dup {
			panic("precompiled: selector clash: " + m.sig)
		}
		t[m.id] = m
	}
	return t
}

// decode finds the function an input calls and unpacks its arguments.
// A failure is returned as a ready revert.
func (t methods) decode(name string, env *Env, input []byte) (*method, []any, []byte, error) {
	if env.Value.Sign() != 0 {
		ret, err := Revert(name + ": functions are not payable")
		return nil, nil, ret, err
	}
	if len(input) < 4 {
		ret, err := Revert(name + ": missing function selector")
		return nil, nil, ret, err
	}
	m, ok := t[[4]byte(input[:4])]
	if !ok {
		ret, err := Revert(fmt.Sprintf("%s: unknown function selector 0x%x", name, input[:4]))
		return nil, nil, ret, err
	}
	if m.write && env.ReadOnly {
		ret, err := Revert(fmt.Sprintf("%s: %s changes state: call it with CALL in a transaction, outside any STATICCALL", name, m.sig))
		return nil, nil, ret, err
	}
	args, err := m.in.Unpack(input[4:])
	if err != nil {
		ret, err := Revert(fmt.Sprintf("%s: bad arguments for %s: %v", name, m.sig, err))
		return nil, nil, ret, err
	}
	return m, args, nil, nil
}

// ret packs a function's outputs.
func (m *method) ret(vals ...any) ([]byte, error) {
	b, err := m.out.Pack(vals...)
	if err != nil {
		return nil, fmt.Errorf("pack %s outputs: %w", m.sig, err) // a bug: fails the call
	}
	return b, nil
}

// event is an EVM log a system contract emits: the first nIndexed
// arguments are topics (value types only), the rest ABI-encoded data.
type event struct {
	sig      string
	topic    common.Hash
	nIndexed int
	data     abi.Arguments
	indexed  abi.Arguments
}

func newEvent(sig string, nIndexed int) *event {
	open := strings.IndexByte(sig, '(')
	all := arguments(sig[open+1 : len(sig)-1])
	return &event{sig: sig, topic: crypto.Keccak256Hash([]byte(sig)), nIndexed: nIndexed, indexed: all[:nIndexed], data: all[nIndexed:]}
}

// emit logs the event from the contract at addr.
func (ev *event) emit(env *Env, addr common.Address, vals ...any) error {
	topics := []common.Hash{ev.topic}
	for i := 0; i < ev.nIndexed; i++ {
		w, err := abi.Arguments{ev.indexed[i]}.Pack(vals[i])
		if err != nil {
			return fmt.Errorf("event %s: %w", ev.sig, err)
		}
		topics = append(topics, common.BytesToHash(w))
	}
	data, err := ev.data.Pack(vals[ev.nIndexed:]...)
	if err != nil {
		return fmt.Errorf("event %s: %w", ev.sig, err)
	}
	other := *env
	other.Self = addr
	return other.EmitLog(topics, data)
}
