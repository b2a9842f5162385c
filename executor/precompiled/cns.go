package precompiled

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// CNS limits.
const (
	MaxNameLen    = 128
	MaxVersionLen = 64
	MaxABILen     = 64 << 10
	// GrayBuckets is the resolution of a gray route's share: shares are in
	// basis points of the senders.
	GrayBuckets = 10_000
)

// cnsRecord is one version of a name.
type cnsRecord struct {
	Address    common.Address
	ABI        string
	Registrant common.Address
}

// grayRecord routes ShareB of the senders (in basis points) to VersionB,
// the others to VersionA.
type grayRecord struct {
	VersionA string
	VersionB string
	ShareB   uint64
}

const (
	tblCNS      = "cns"       // name || 0 || version -> cnsRecord
	lstVersions = "versions/" // + name: versions in registration order
	tblOwner    = "owner"     // name -> owner address
	tblGray     = "gray"      // name -> grayRecord
)

func cnsKey(name, version string) []byte {
	return append(append([]byte(name), 0), version...)
}

// GrayBucket is the bucket, 0 to GrayBuckets-1, of a sender for a name:
// the first 8 bytes of keccak256(name || sender) modulo GrayBuckets. A
// sender in a bucket below a route's share gets version B.
func GrayBucket(name string, sender common.Address) uint64 {
	h := crypto.Keccak256([]byte(name), sender[:])
	return binary.BigEndian.Uint64(h[:8]) % GrayBuckets
}

// resolveName returns the version a sender is routed to (the gray route
// when the name has one, the latest version otherwise) and its record.
func resolveName(t *tables, name string, sender common.Address) (string, cnsRecord, bool) {
	var g grayRecord
	version := ""
	if t.get(tblGray, []byte(name), &g) {
		version = g.VersionA
		if GrayBucket(name, sender) < g.ShareB {
			version = g.VersionB
		}
	} else {
		n := t.listLen(lstVersions + name)
		if n == 0 {
			return "", cnsRecord{}, false
		}
		version = string(t.getBytes(lstVersions+name, indexKey(n-1)))
	}
	var r cnsRecord
	ok := t.get(tblCNS, cnsKey(name, version), &r)
	return version, r, ok
}

var (
	cnsMethods = newMethods(
		newMethod("register(string,string,address,string)", "", true),
		newMethod("resolve(string)", "address,string", false),
		newMethod("resolveFor(string,address)", "address,string", false),
		newMethod("resolveVersion(string,string)", "address,string", false),
		newMethod("versions(string)", "string[]", false),
		newMethod("owner(string)", "address", false),
		newMethod("setGray(string,string,string,uint16)", "", true),
		newMethod("clearGray(string)", "", true),
		newMethod("getGray(string)", "string,string,uint16", false),
	)
	evNameRegistered = newEvent("NameRegistered(address,address,string,string)", 2)
	evGraySet        = newEvent("GrayRouteSet(string,string,string,uint16)", 0)
	evGrayCleared    = newEvent("GrayRouteCleared(string)", 0)
)

// CNS is the contract name service (0x...1005): names with versions map
// to contract addresses and ABIs; a name may split its traffic between two
// versions (gray routing). See CNS.sol.
type CNS struct{}

// Name implements Contract.
func (CNS) Name() string { return "CNS" }

// RequiredGas implements Contract.
func (CNS) RequiredGas(input []byte) uint64 { return callGas(cnsMethods, input) }

// Run implements Contract.
func (c CNS) Run(env *Env, input []byte) ([]byte, error) {
	m, args, ret, err := cnsMethods.decode(c.Name(), env, input)
	if m == nil {
		return ret, err
	}
	t := env.tables(CNSAddress)
	name := args[0].(string)
	if len(name) == 0 || len(name) > MaxNameLen || strings.IndexByte(name, 0) >= 0 {
		return Revert(fmt.Sprintf("CNS: a name has 1 to %d bytes, none of them zero", MaxNameLen))
	}
	switch m.sig {
	case "register(string,string,address,string)":
		return c.register(env, t, name, args[1].(string), args[2].(common.Address), args[3].(string))
	case "resolve(string)", "resolveFor(string,address)":
		sender := env.Caller
		if len(args) > 1 {
			sender = args[1].(common.Address)
		}
		version, r, ok := resolveName(t, name, sender)
		if !ok {
			return Revert(fmt.Sprintf("CNS: no name %q", name))
		}
		return m.ret(r.Address, version)
	case "resolveVersion(string,string)":
		var r cnsRecord
		if !t.get(tblCNS, cnsKey(name, args[1].(string)), &r) {
			return Revert(fmt.Sprintf("CNS: no version %q of %q", args[1].(string), name))
		}
		return m.ret(r.Address, r.ABI)
	case "versions(string)":
		keys := t.listKeys(lstVersions + name)
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = string(k)
		}
		return m.ret(out)
	case "owner(string)":
		return m.ret(common.BytesToAddress(t.getBytes(tblOwner, []byte(name))))
	case "getGray(string)":
		var g grayRecord
		t.get(tblGray, []byte(name), &g)
		return m.ret(g.VersionA, g.VersionB, uint16(g.ShareB))
	}
	// setGray, clearGray: by the name's owner or an operator.
	if owner := common.BytesToAddress(t.getBytes(tblOwner, []byte(name))); owner != env.Caller && !hasRole(env, env.Caller, RoleOperator) {
		if t.listLen(lstVersions+name) == 0 {
			return Revert(fmt.Sprintf("CNS: no name %q", name))
		}
		return Revert(fmt.Sprintf("CNS: only the owner of %q (%v) or an operator may route it", name, owner))
	}
	if m.sig == "clearGray(string)" {
		t.del(tblGray, []byte(name))
		return nil, evGrayCleared.emit(env, CNSAddress, name)
	}
	a, b, share := args[1].(string), args[2].(string), args[3].(uint16)
	for _, v := range []string{a, b} {
		if !t.listHas(lstVersions+name, []byte(v)) {
			return Revert(fmt.Sprintf("CNS: no version %q of %q", v, name))
		}
	}
	if a == b || share > GrayBuckets {
		return Revert(fmt.Sprintf("CNS: a gray route needs two different versions and a share of 0 to %d basis points", GrayBuckets))
	}
	t.put(tblGray, []byte(name), &grayRecord{VersionA: a, VersionB: b, ShareB: uint64(share)})
	return nil, evGraySet.emit(env, CNSAddress, name, a, b, share)
}

func (c CNS) register(env *Env, t *tables, name, version string, addr common.Address, abiJSON string) ([]byte, error) {
	switch {
	case len(version) == 0 || len(version) > MaxVersionLen || strings.IndexByte(version, 0) >= 0:
		return Revert(fmt.Sprintf("CNS: a version has 1 to %d bytes, none of them zero", MaxVersionLen))
	case len(abiJSON) > MaxABILen:
		return Revert(fmt.Sprintf("CNS: an ABI has at most %d bytes", MaxABILen))
	case len(env.db.GetCode(addr)) == 0:
		return Revert(fmt.Sprintf("CNS: %v is not a contract", addr))
	}
	privileged := hasRole(env, env.Caller, RoleOperator) || hasRole(env, env.Caller, RoleGovernor)
	if owner := t.getBytes(tblOwner, []byte(name)); owner != nil && common.BytesToAddress(owner) != env.Caller && !privileged {
		return Revert(fmt.Sprintf("CNS: %q belongs to %v: only its owner or an operator registers versions", name, common.BytesToAddress(owner)))
	}
	if !privileged && !deployedBy(env, env.Caller, addr) {
		return Revert(fmt.Sprintf("CNS: %v did not deploy %v: only the deployer or an operator registers a contract", env.Caller, addr))
	}
	if t.listHas(lstVersions+name, []byte(version)) {
		return Revert(fmt.Sprintf("CNS: version %q of %q is already registered; versions are immutable", version, name))
	}
	if t.getBytes(tblOwner, []byte(name)) == nil {
		t.putBytes(tblOwner, []byte(name), env.Caller[:])
	}
	t.put(tblCNS, cnsKey(name, version), &cnsRecord{Address: addr, ABI: abiJSON, Registrant: env.Caller})
	t.listAdd(lstVersions+name, []byte(version))
	return nil, evNameRegistered.emit(env, CNSAddress, addr, env.Caller, name, version)
}
