package precompiled

import (
	"fmt"
	"maps"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"
)

// frame is one EVM call frame, as reported by the tracing hooks.
type frame struct {
	typ    vm.OpCode
	from   common.Address
	to     common.Address
	value  *big.Int
	static bool // this frame or one of its parents is a STATICCALL
}

// Session binds a Registry to one EVM and its StateDB. Use it for one EVM
// only (one block, one call); it is not safe for concurrent use.
type Session struct {
	reg    *Registry
	db     vm.StateDB
	block  BlockInfo
	frames []frame
}

// NewSession starts a session over db for a block.
func (r *Registry) NewSession(db vm.StateDB, block BlockInfo) *Session {
	return &Session{reg: r, db: db, block: block}
}

// Hooks returns the tracing hooks to set as the EVM's vm.Config.Tracer,
// nil when the registry is empty.
func (s *Session) Hooks() *tracing.Hooks {
	if s.reg.Len() == 0 {
		return nil
	}
	return &tracing.Hooks{OnEnter: s.onEnter, OnExit: s.onExit}
}

func (s *Session) onEnter(depth int, typ byte, from, to common.Address, _ []byte, _ uint64, value *big.Int) {
	if depth == 0 {
		s.frames = s.frames[:0]
	}
	op := vm.OpCode(typ)
	static := op == vm.STATICCALL || (len(s.frames) > 0 && s.frames[len(s.frames)-1].static)
	s.frames = append(s.frames, frame{typ: op, from: from, to: to, value: value, static: static})
}

func (s *Session) onExit(int, []byte, uint64, error, bool) {
	if len(s.frames) > 0 {
		s.frames = s.frames[:len(s.frames)-1]
	}
}

// Precompiles returns base (the EVM's own precompiles for its rules, from
// vm.ActivePrecompiledContracts) plus the system contracts, to pass to
// evm.SetPrecompiles. base is not modified.
func (s *Session) Precompiles(base vm.PrecompiledContracts) vm.PrecompiledContracts {
	out := maps.Clone(base)
	if out == nil {
		out = make(vm.PrecompiledContracts)
	}
	for _, addr := range s.reg.addrs {
		out[addr] = &adapter{s: s, addr: addr, c: s.reg.byAddr[addr]}
	}
	s.addFrozen(out)
	return out
}

// adapter presents a system contract as a vm.PrecompiledContract.
type adapter struct {
	s    *Session
	addr common.Address
	c    Contract
}

func (a *adapter) Name() string                    { return a.c.Name() }
func (a *adapter) RequiredGas(input []byte) uint64 { return a.c.RequiredGas(input) }

func (a *adapter) Run(input []byte) (ret []byte, err error) {
	env := &Env{Self: a.addr, Value: new(uint256.Int), ReadOnly: true, Block: a.s.block, db: a.s.db}
	// The innermost frame is the call into this contract.
	if n := len(a.s.frames); n > 0 && a.s.frames[n-1].to == a.addr {
		f := a.s.frames[n-1]
		env.Caller = f.from
		env.ReadOnly = f.static || f.typ != vm.CALL
		if f.typ == vm.CALL && f.value != nil {
			if v, overflow := uint256.FromBig(f.value); !overflow {
				env.Value = v
			}
		}
	}
	defer func() {
		if r := recover(); r != nil {
			ret, err = nil, fmt.Errorf("%w: %s: %v", ErrContractPanic, a.c.Name(), r)
		}
	}()
	return a.c.Run(env, input)
}
