package precompiled

import (
	"errors"
	"fmt"
	"maps"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"
)

// frame is one EVM call frame, as reported by the tracing hooks (or, for
// a transaction run without them, its own call: see BeginUntraced).
type frame struct {
	typ    vm.OpCode
	from   common.Address
	to     common.Address
	value  uint256.Int // held here: a frame costs no allocation
	hasVal bool        // value is set (not: none, or more than 256 bits)
	static bool        // this frame or one of its parents is a STATICCALL
}

// Session binds a Registry to one EVM and its StateDB. Use it for one EVM
// only (one block, one call); it is not safe for concurrent use.
type Session struct {
	reg    *Registry
	db     vm.StateDB
	block  BlockInfo
	frames []frame
	// refused is why the current transaction broke a permission rule in
	// an inner call or creation (nil: it did not); see Refused.
	refused error
	// gov is set when the permission rules apply (the registry holds the
	// Permission contract and there is a state); perm reads its state.
	gov  bool
	perm *tables
	// checkOn is the permission_check switch of the block, read once when
	// the session starts: a change takes effect from a block after the
	// proposal's (setConfig), so no transaction of the block changes it.
	checkOn bool
	// innerRules is set from compatibility version 0.2.0 on, when the
	// permission rules cover the calls and creations contracts make:
	// decided once, as every transaction and call frame asks.
	innerRules bool

	// untraced is set while a transaction runs without the tracing hooks
	// (BeginUntraced); needTrace records that a contract called a system
	// contract meanwhile, so the run must be done again with them.
	untraced, needTrace bool
	// untracedTo is the transaction's recipient in such a run (nil: a
	// creation); tracedTo holds the recipients whose transactions called
	// a system contract from a contract in this session, which then run
	// with the hooks from the start.
	untracedTo *common.Address
	tracedTo   map[common.Address]bool
}

// errNeedsTrace fails a system contract called by a contract while the
// transaction runs without the tracing hooks; the executor undoes the run
// and does it again with them (Session.EndUntraced).
var errNeedsTrace = errors.New("system contract called without call frames: the transaction runs again with them")

// NewSession starts a session over db for a block. db must hold the state
// the block starts from: the session reads the block-wide permission
// switch from it now.
func (r *Registry) NewSession(db vm.StateDB, block BlockInfo) *Session {
	s := &Session{reg: r, db: db, block: block, gov: r.governed() && db != nil, innerRules: block.compatAtLeast(CompatV0_2)}
	if s.gov {
		s.perm = getterTables(db, PermissionAddress)
		s.perm.slots = r.slots
		switch block.Permission {
		case PermissionOn, PermissionOff:
			s.checkOn = block.Permission == PermissionOn
		default:
			s.checkOn = permissionCheckOn(getterTables(db, SystemConfigAddress), block.Number)
		}
	}
	return s
}

// CheckTx is Registry.CheckTx on the session's state and block, with the
// permission switch read when the session started.
func (s *Session) CheckTx(from common.Address, to *common.Address, data []byte) error {
	if s == nil || !s.gov {
		return nil
	}
	return checkTx(s.db, s.perm, s.checkOn, s.block.Number, from, to, data)
}

// Hooks returns the tracing hooks to set as the EVM's vm.Config.Tracer,
// nil when the registry is empty.
func (s *Session) Hooks() *tracing.Hooks {
	if s.reg.Len() == 0 {
		return nil
	}
	return &tracing.Hooks{OnEnter: s.onEnter, OnExit: s.onExit}
}

// ChecksInnerCalls reports whether the permission rules apply to the
// calls and creations contracts make in this session's block (from 0.2.0,
// with the permission check on). The tracing hooks report each one, so a
// transaction may then run without them only if its code cannot make one.
func (s *Session) ChecksInnerCalls() bool {
	return s.gov && s.checkOn && s.innerRules
}

// BeginUntraced reports whether a transaction from from to to (nil: a
// creation) carrying value may run without the tracing hooks, which the
// EVM then runs with its faster interpreter loop (go-ethereum runs the
// table-walking one whenever a tracer is set), and if so prepares the
// session for it. mayCall says whether the code the transaction runs
// could make a call or creation; with ChecksInnerCalls it must not. The
// hooks also tell a system contract who called it, and how: without them
// the session knows the transaction's own call only, and a system
// contract called by a contract fails the run and sets what EndUntraced
// reports.
func (s *Session) BeginUntraced(from common.Address, to *common.Address, value *uint256.Int, mayCall bool) bool {
	if mayCall && s.ChecksInnerCalls() {
		return false
	}
	if to != nil && s.tracedTo[*to] {
		return false
	}
	f := frame{typ: vm.CALL, from: from}
	if value != nil {
		f.value, f.hasVal = *value, true
	}
	if to == nil {
		f.typ = vm.CREATE // its address is never a system contract's
	} else {
		f.to = *to
	}
	s.frames = append(s.frames[:0], f)
	s.refused = nil
	s.untraced, s.needTrace, s.untracedTo = true, false, to
	return true
}

// EndUntraced ends a run begun with BeginUntraced and reports whether the
// transaction must be run again, from the state before it, with the
// tracing hooks: a contract called a system contract during the run. The
// session then runs later transactions to the same recipient with the
// hooks from the start.
func (s *Session) EndUntraced() (again bool) {
	again = s.needTrace
	if again && s.untracedTo != nil {
		if s.tracedTo == nil {
			s.tracedTo = make(map[common.Address]bool)
		}
		s.tracedTo[*s.untracedTo] = true
	}
	s.untraced, s.needTrace, s.untracedTo = false, false, nil
	return again
}

func (s *Session) onEnter(depth int, typ byte, from, to common.Address, input []byte, _ uint64, value *big.Int) {
	if depth == 0 {
		s.frames = s.frames[:0]
		s.refused = nil
	}
	op := vm.OpCode(typ)
	static := op == vm.STATICCALL || (len(s.frames) > 0 && s.frames[len(s.frames)-1].static)
	f := frame{typ: op, from: from, to: to, static: static}
	if value != nil {
		f.hasVal = !f.value.SetFromBig(value)
	}
	s.frames = append(s.frames, f)
	if depth > 0 && s.refused == nil && s.innerRules {
		s.refused = s.checkInner(op, from, to, input)
	}
}

// checkInner (from compatibility version 0.2.0) applies the permission rules the transaction checks
// (Registry.CheckTx) apply to its own call to a call or creation made by
// a contract: a creation needs the transaction's sender (the origin) on
// the deploy allow-list when it is on, and a call of a function whose
// contract admin restricts it needs the caller (the calling contract) to
// be allowed. Code run by DELEGATECALL or CALLCODE runs as its caller and
// is not checked.
func (s *Session) checkInner(op vm.OpCode, from, to common.Address, input []byte) error {
	if !s.gov || !s.checkOn { // both rules need the permission check on
		return nil
	}
	switch op {
	case vm.CREATE, vm.CREATE2:
		return checkDeploy(s.db, s.perm, s.frames[0].from, fmt.Sprintf(": contract %v may not create %v for it", from, to))
	case vm.CALL, vm.STATICCALL:
		if IsSystemAddress(to) {
			return nil
		}
		return checkMethod(s.perm, from, to, input)
	}
	return nil
}

// Refused reports why the transaction last run broke a permission rule in
// a call or creation made by a contract (nil if it did not). The EVM
// cannot be stopped from a tracing hook, so the executor checks this after
// the transaction and, when it is set, undoes the transaction's effects
// and fails it with this reason.
func (s *Session) Refused() error {
	if s == nil {
		return nil
	}
	return s.refused
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
		if f.typ == vm.CALL && f.hasVal {
			env.Value.Set(&f.value)
		}
	} else if a.s.untraced {
		// Called by a contract in a run without the hooks: who called,
		// and how, is unknown here.
		a.s.needTrace = true
		return nil, errNeedsTrace
	}
	defer func() {
		if r := recover(); r != nil {
			ret, err = nil, fmt.Errorf("%w: %s: %v", ErrContractPanic, a.c.Name(), r)
		}
	}()
	return a.c.Run(env, input)
}
