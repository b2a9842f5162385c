package executor

import (
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/core"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/state"
)

// Transactions run without the EVM's tracing hooks when that gives the
// same result: go-ethereum interprets contract code with a faster loop
// when no tracer is set (it walks the operation table for each opcode
// otherwise) and skips the hooks' work on every call. The system
// contracts' session sets hooks to learn each call frame, for two rules:
// the permission check of the calls and creations contracts make, and the
// caller of a system contract.

// runMessage applies msg to sdb with evm, whose tracing hooks are the
// session's. It runs it without them when the session allows
// (precompiled.Session.BeginUntraced, with what the code the message runs
// could do), and if a contract called a system contract meanwhile it
// undoes the run and does it again with them, so that the result is
// always the traced run's. gp may be nil (a call).
func (e *Executor) runMessage(evm *vm.EVM, sess *precompiled.Session, sdb *state.StateDB, msg *core.Message, gp *core.GasPool) (*core.ExecutionResult, error) {
	if e.alwaysTraced || evm.Config.Tracer == nil {
		return core.ApplyMessage(evm, msg, gp)
	}
	mayCall := sess.ChecksInnerCalls() && e.calls.mayCall(sdb, msg)
	if !sess.BeginUntraced(msg.From, msg.To, msg.Value, mayCall) {
		return core.ApplyMessage(evm, msg, gp)
	}
	if e.runCounts != nil {
		e.runCounts.untraced.Add(1)
	}
	snap := sdb.Snapshot()
	var pool *core.GasPool
	if gp != nil {
		pool = gp.Snapshot()
	}
	var again bool
	out, err := func() (*core.ExecutionResult, error) {
		hooks := evm.Config.Tracer
		evm.Config.Tracer = nil
		defer func() { // a panic leaves the EVM and the session as they were
			evm.Config.Tracer = hooks
			again = sess.EndUntraced()
		}()
		return core.ApplyMessage(evm, msg, gp)
	}()
	if !again {
		return out, err
	}
	sdb.RevertToSnapshot(snap)
	if gp != nil {
		gp.Set(pool)
	}
	if e.runCounts != nil {
		e.runCounts.again.Add(1)
	}
	return core.ApplyMessage(evm, msg, gp)
}

// runCounts are the transactions run without the tracing hooks, and those
// of them run again with the hooks.
type runCounts struct{ untraced, again atomic.Int64 }

// callScans remembers, by code hash, whether contract code could make a
// call or creation (codeMayCall), for up to about maxCallScans codes at a
// time. Every transaction of a block looks its recipient's code up here,
// on each worker: a sync.Map answers a code seen before without writing
// shared memory.
type callScans struct {
	seen sync.Map // common.Hash -> bool
	size atomic.Int64
}

const maxCallScans = 4096

// mayCall reports whether the code msg runs could make a call or
// creation: the recipient's code, or the init code of a creation. A
// recipient with no code runs none (an account, a precompile, a system
// contract); one whose code delegates to another's (EIP-7702) counts as
// calling, and so does a message that sets delegations (the code it runs
// is then not the code its recipient has now; gobcos accepts no such
// transaction).
func (c *callScans) mayCall(sdb *state.StateDB, msg *core.Message) bool {
	if len(msg.SetCodeAuthorizations) > 0 {
		return true
	}
	if msg.To == nil {
		return codeMayCall(msg.Data)
	}
	code := sdb.GetCode(*msg.To)
	if len(code) == 0 {
		return false
	}
	if _, delegated := ethtypes.ParseDelegation(code); delegated {
		return true
	}
	h := sdb.GetCodeHash(*msg.To)
	if v, ok := c.seen.Load(h); ok {
		return v.(bool)
	}
	v := codeMayCall(code)
	if c.size.Add(1) > maxCallScans {
		c.seen.Clear()
		c.size.Store(1)
	}
	c.seen.Store(h, v)
	return v
}

// codeMayCall reports whether EVM code holds an instruction that makes a
// call or creation (CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE,
// CREATE2) outside the data of its PUSH instructions. Code runs only
// instructions outside push data (a jump lands on a JUMPDEST, which is
// never inside it), so code without one makes no call.
func codeMayCall(code []byte) bool {
	for i := 0; i < len(code); i++ {
		switch op := vm.OpCode(code[i]); {
		case op >= vm.PUSH1 && op <= vm.PUSH32:
			i += int(op - vm.PUSH1 + 1)
		case op == vm.CALL, op == vm.CALLCODE, op == vm.DELEGATECALL, op == vm.STATICCALL, op == vm.CREATE, op == vm.CREATE2:
			return true
		}
	}
	return false
}
