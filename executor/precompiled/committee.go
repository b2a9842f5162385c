package precompiled

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Addresses of the governance contracts (SystemInfo is at 0x...1000).
var (
	CommitteeAddress      = common.HexToAddress("0x0000000000000000000000000000000000001001")
	SystemConfigAddress   = common.HexToAddress("0x0000000000000000000000000000000000001002")
	ConsensusNodesAddress = common.HexToAddress("0x0000000000000000000000000000000000001003")
	PermissionAddress     = common.HexToAddress("0x0000000000000000000000000000000000001004")
	CNSAddress            = common.HexToAddress("0x0000000000000000000000000000000000001005")
)

// Gas of governance calls: RequiredGas cannot read state, so a call costs
// a flat amount by kind plus a charge per input byte.
const (
	ReadGas      = 3000
	WriteGas     = 60000
	InputByteGas = 40
)

func callGas(t methods, input []byte) uint64 {
	g := uint64(ReadGas)
	if len(input) >= 4 {
		if m, ok := t[[4]byte(input[:4])]; ok && m.write {
			g = WriteGas
		}
	}
	return g + InputByteGas*uint64(len(input))
}

// ProposalKind is the type of a committee proposal.
type ProposalKind uint8

// Proposal kinds.
const (
	ProposalConfig     ProposalKind = 1 // payload (string key, string value)
	ProposalNode       ProposalKind = 2 // payload (uint8 op, bytes nodeId, uint64 weight)
	ProposalRole       ProposalKind = 3 // payload (address account, uint8 role, bool grant)
	ProposalGovernor   ProposalKind = 4 // payload (address account, uint64 weight); weight 0 removes
	ProposalFreeze     ProposalKind = 5 // payload (address target, uint8 action)
	ProposalUpgrade    ProposalKind = 6 // payload (string compatibilityVersion)
	ProposalThresholds ProposalKind = 7 // payload (uint8 participation, uint8 approval)
	ProposalDeployMode ProposalKind = 8 // payload (bool allowList)
	ProposalResetAdmin ProposalKind = 9 // payload (address contract, address admin)
)

// payloadTypes are the ABI types of each kind's payload.
var payloadTypes = map[ProposalKind]string{
	ProposalConfig:     "string,string",
	ProposalNode:       "uint8,bytes,uint64",
	ProposalRole:       "address,uint8,bool",
	ProposalGovernor:   "address,uint64",
	ProposalFreeze:     "address,uint8",
	ProposalUpgrade:    "string",
	ProposalThresholds: "uint8,uint8",
	ProposalDeployMode: "bool",
	ProposalResetAdmin: "address,address",
}

var proposeNames = map[ProposalKind]string{
	ProposalConfig:     "proposeConfig",
	ProposalNode:       "proposeNode",
	ProposalRole:       "proposeRole",
	ProposalGovernor:   "proposeGovernor",
	ProposalFreeze:     "proposeFreeze",
	ProposalUpgrade:    "proposeUpgrade",
	ProposalThresholds: "proposeThresholds",
	ProposalDeployMode: "proposeDeployMode",
	ProposalResetAdmin: "proposeResetAdmin",
}

// ProposalStatus is where a proposal stands.
type ProposalStatus uint8

// Proposal statuses. Expired is reported for an open proposal past its
// expiry height; it is not stored.
const (
	StatusOpen     ProposalStatus = 1
	StatusExecuted ProposalStatus = 2
	StatusRejected ProposalStatus = 3
	StatusRevoked  ProposalStatus = 4
	StatusFailed   ProposalStatus = 5 // approved, but its change was refused when executed
	StatusExpired  ProposalStatus = 6
)

// Proposal TTLs, in blocks.
const (
	DefaultProposalTTL = 100_000
	MaxProposalTTL     = 10_000_000
)

// proposal is the stored record of a proposal.
type proposal struct {
	Kind     uint8
	Proposer common.Address
	Created  uint64
	Expiry   uint64 // last block in which it can be voted
	Status   uint8
	For      uint64
	Against  uint64
	Payload  []byte
	Reason   string
}

func (p *proposal) status(block uint64) ProposalStatus {
	if ProposalStatus(p.Status) == StatusOpen && block > p.Expiry {
		return StatusExpired
	}
	return ProposalStatus(p.Status)
}

// Committee tables.
const (
	tblGovernor  = "governor"  // addr -> weight (uint)
	lstGovernors = "governors" // list of addr
	tblParams    = "params"    // "participation", "approval", "count" -> uint
	tblProposal  = "proposal"  // id -> proposal
	tblVote      = "vote"      // id || addr -> 1 for, 2 against
)

func idKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

var (
	committeeMethods = func() methods {
		ms := []*method{
			newMethod("vote(uint64,bool)", "", true),
			newMethod("revoke(uint64)", "", true),
			newMethod("getProposal(uint64)", "uint8,address,uint64,uint64,uint8,uint64,uint64,bytes,string", false),
			newMethod("proposalCount()", "uint64", false),
			newMethod("getGovernors()", "address[],uint64[]", false),
			newMethod("getThresholds()", "uint8,uint8", false),
			newMethod("getVote(uint64,address)", "uint8", false),
		}
		for k := ProposalConfig; k <= ProposalResetAdmin; k++ {
			ms = append(ms, newMethod(proposeNames[k]+"("+payloadTypes[k]+",uint64)", "uint64", true))
		}
		return newMethods(ms...)
	}()
	evProposalCreated   = newEvent("ProposalCreated(uint64,address,uint8,uint64,bytes)", 2)
	evVoteCast          = newEvent("VoteCast(uint64,address,bool,uint64)", 2)
	evProposalExecuted  = newEvent("ProposalExecuted(uint64)", 1)
	evProposalRejected  = newEvent("ProposalRejected(uint64)", 1)
	evProposalFailed    = newEvent("ProposalFailed(uint64,string)", 1)
	evProposalRevoked   = newEvent("ProposalRevoked(uint64)", 1)
	evGovernorChanged   = newEvent("GovernorChanged(address,uint64)", 1)
	evThresholdsChanged = newEvent("ThresholdsChanged(uint8,uint8)", 0)
)

// Committee is the governance committee (0x...1001): governors with
// weights propose changes and vote on them; a proposal that reaches the
// participation and approval thresholds is executed in the transaction of
// the deciding vote. See Committee.sol.
type Committee struct{}

// Name implements Contract.
func (Committee) Name() string { return "Committee" }

// RequiredGas implements Contract.
func (Committee) RequiredGas(input []byte) uint64 { return callGas(committeeMethods, input) }

// Run implements Contract.
func (c Committee) Run(env *Env, input []byte) ([]byte, error) {
	m, args, ret, err := committeeMethods.decode(c.Name(), env, input)
	if m == nil {
		return ret, err
	}
	t := env.tables(CommitteeAddress)
	switch m.sig {
	case "vote(uint64,bool)":
		return c.vote(env, t, args[0].(uint64), args[1].(bool))
	case "revoke(uint64)":
		return c.revoke(env, t, args[0].(uint64))
	case "getProposal(uint64)":
		var p proposal
		if !t.get(tblProposal, idKey(args[0].(uint64)), &p) {
			return Revert(fmt.Sprintf("Committee: no proposal %d", args[0].(uint64)))
		}
		return m.ret(p.Kind, p.Proposer, p.Created, p.Expiry, uint8(p.status(env.Block.Number)), p.For, p.Against, p.Payload, p.Reason)
	case "proposalCount()":
		return m.ret(t.getUint(tblParams, []byte("count")))
	case "getGovernors()":
		addrs, weights := governors(t)
		return m.ret(addrs, weights)
	case "getThresholds()":
		p, a := thresholds(t)
		return m.ret(p, a)
	case "getVote(uint64,address)":
		addr := args[1].(common.Address)
		return m.ret(uint8(t.getUint(tblVote, append(idKey(args[0].(uint64)), addr[:]...))))
	default:
		return c.propose(env, t, m, args)
	}
}

func governors(t *tables) ([]common.Address, []uint64) {
	keys := t.listKeys(lstGovernors)
	addrs, weights := make([]common.Address, len(keys)), make([]uint64, len(keys))
	for i, k := range keys {
		addrs[i] = common.BytesToAddress(k)
		weights[i] = t.getUint(tblGovernor, k)
	}
	return addrs, weights
}

func totalWeight(t *tables) uint64 {
	var sum uint64
	for _, k := range t.listKeys(lstGovernors) {
		sum += t.getUint(tblGovernor, k)
	}
	return sum
}

func thresholds(t *tables) (uint8, uint8) {
	return uint8(t.getUint(tblParams, []byte("participation"))), uint8(t.getUint(tblParams, []byte("approval")))
}

// kindOf finds the proposal kind of a propose method.
func kindOf(m *method) ProposalKind {
	for k, n := range proposeNames {
		if len(m.sig) > len(n) && m.sig[:len(n)+1] == n+"(" {
			return k
		}
	}
	return 0
}

func (c Committee) propose(env *Env, t *tables, m *method, args []any) ([]byte, error) {
	kind := kindOf(m)
	weight := t.getUint(tblGovernor, env.Caller[:])
	if weight == 0 {
		return Revert(fmt.Sprintf("Committee: %v is not a governor: only governors may propose", env.Caller))
	}
	ttl := args[len(args)-1].(uint64)
	if ttl == 0 {
		ttl = DefaultProposalTTL
	}
	if ttl > MaxProposalTTL {
		return Revert(fmt.Sprintf("Committee: a proposal lives at most %d blocks, not %d", MaxProposalTTL, ttl))
	}
	payload, err := arguments(payloadTypes[kind]).Pack(args[:len(args)-1]...)
	if err != nil {
		return nil, err
	}
	// Refuse now what could not be executed now, with the reason.
	if reason := checkChange(env, kind, args[:len(args)-1]); reason != "" {
		return Revert("Committee: " + reason)
	}
	id := t.getUint(tblParams, []byte("count")) + 1
	t.putUint(tblParams, []byte("count"), id)
	p := &proposal{Kind: uint8(kind), Proposer: env.Caller, Created: env.Block.Number,
		Expiry: env.Block.Number + ttl, Status: uint8(StatusOpen), Payload: payload}
	if err := evProposalCreated.emit(env, CommitteeAddress, id, env.Caller, uint8(kind), p.Expiry, payload); err != nil {
		return nil, err
	}
	// The proposer votes for.
	if err := c.cast(env, t, id, p, true, weight); err != nil {
		return nil, err
	}
	return m.ret(id)
}

func (c Committee) vote(env *Env, t *tables, id uint64, agree bool) ([]byte, error) {
	weight := t.getUint(tblGovernor, env.Caller[:])
	if weight == 0 {
		return Revert(fmt.Sprintf("Committee: %v is not a governor: only governors may vote", env.Caller))
	}
	var p proposal
	if !t.get(tblProposal, idKey(id), &p) {
		return Revert(fmt.Sprintf("Committee: no proposal %d", id))
	}
	switch st := p.status(env.Block.Number); st {
	case StatusOpen:
	case StatusExpired:
		return Revert(fmt.Sprintf("Committee: proposal %d expired at block %d", id, p.Expiry))
	default:
		return Revert(fmt.Sprintf("Committee: proposal %d is %s, not open", id, st))
	}
	if t.getUint(tblVote, append(idKey(id), env.Caller[:]...)) != 0 {
		return Revert(fmt.Sprintf("Committee: %v already voted on proposal %d", env.Caller, id))
	}
	return nil, c.cast(env, t, id, &p, agree, weight)
}

// cast records a vote, then decides the proposal if the votes allow:
// executed when participation and approval are reached, rejected when
// approval can no longer be reached.
func (c Committee) cast(env *Env, t *tables, id uint64, p *proposal, agree bool, weight uint64) error {
	v := uint64(2)
	if agree {
		v = 1
		p.For += weight
	} else {
		p.Against += weight
	}
	t.putUint(tblVote, append(idKey(id), env.Caller[:]...), v)
	if err := evVoteCast.emit(env, CommitteeAddress, id, env.Caller, agree, weight); err != nil {
		return err
	}
	part, appr := thresholds(t)
	total := totalWeight(t)
	cast := p.For + p.Against
	rest := uint64(0)
	if total > cast {
		rest = total - cast
	}
	switch {
	case cast*100 >= uint64(part)*total && p.For*100 >= uint64(appr)*cast:
		if reason := c.execute(env, p); reason != "" {
			p.Status, p.Reason = uint8(StatusFailed), reason
			if err := evProposalFailed.emit(env, CommitteeAddress, id, reason); err != nil {
				return err
			}
		} else {
			p.Status = uint8(StatusExecuted)
			if err := evProposalExecuted.emit(env, CommitteeAddress, id); err != nil {
				return err
			}
		}
	case (p.For+rest)*100 < uint64(appr)*(cast+rest):
		p.Status = uint8(StatusRejected)
		if err := evProposalRejected.emit(env, CommitteeAddress, id); err != nil {
			return err
		}
	}
	t.put(tblProposal, idKey(id), p)
	return nil
}

func (c Committee) revoke(env *Env, t *tables, id uint64) ([]byte, error) {
	var p proposal
	if !t.get(tblProposal, idKey(id), &p) {
		return Revert(fmt.Sprintf("Committee: no proposal %d", id))
	}
	if p.Proposer != env.Caller {
		return Revert(fmt.Sprintf("Committee: only the proposer %v may revoke proposal %d", p.Proposer, id))
	}
	if st := p.status(env.Block.Number); st != StatusOpen {
		return Revert(fmt.Sprintf("Committee: proposal %d is %s, not open", id, st))
	}
	p.Status = uint8(StatusRevoked)
	t.put(tblProposal, idKey(id), &p)
	return nil, evProposalRevoked.emit(env, CommitteeAddress, id)
}

// execute applies an approved proposal; it returns why it could not.
func (c Committee) execute(env *Env, p *proposal) string {
	kind := ProposalKind(p.Kind)
	args, err := arguments(payloadTypes[kind]).Unpack(p.Payload)
	if err != nil {
		return "bad payload: " + err.Error()
	}
	if reason := checkChange(env, kind, args); reason != "" {
		return reason
	}
	if err := applyChange(env, kind, args); err != nil {
		return err.Error()
	}
	return ""
}

// String names a status.
func (s ProposalStatus) String() string {
	switch s {
	case StatusOpen:
		return "open"
	case StatusExecuted:
		return "executed"
	case StatusRejected:
		return "rejected"
	case StatusRevoked:
		return "revoked"
	case StatusFailed:
		return "failed"
	case StatusExpired:
		return "expired"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}
