package precompiled

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// FirstAddress is the lowest system contract address, 0x...1000.
var FirstAddress = common.HexToAddress("0x0000000000000000000000000000000000001000")

// SystemInfoAddress is the address of the SystemInfo contract.
var SystemInfoAddress = FirstAddress

// Registry maps addresses to system contracts. Fill it before handing it
// to an executor; it is then only read and safe for concurrent use.
type Registry struct {
	byAddr map[common.Address]Contract
	addrs  []common.Address // sorted
	// slots remembers the record slots the sessions' transaction checks
	// read (nil: each is hashed).
	slots *recordSlots
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byAddr: make(map[common.Address]Contract), slots: newRecordSlots()}
}

// Default returns a registry with every system contract of this version.
func Default() *Registry {
	r := NewRegistry()
	for addr, c := range map[common.Address]Contract{
		SystemInfoAddress:     SystemInfo{},
		CommitteeAddress:      Committee{},
		SystemConfigAddress:   SystemConfig{},
		ConsensusNodesAddress: ConsensusNodes{},
		PermissionAddress:     Permission{},
		CNSAddress:            CNS{},
	} {
		if err := r.Register(addr, c); err != nil {
			panic(fmt.Sprintf("precompiled: default registry: %v", err)) // fixed entries, cannot fail
		}
	}
	return r
}

// IsSystemAddress reports whether addr is in the system contract range
// 0x...1000 to 0x...ffff.
func IsSystemAddress(addr common.Address) bool {
	return bytes.Count(addr[:18], []byte{0}) == 18 && addr[18] >= 0x10
}

// Register adds a system contract.
func (r *Registry) Register(addr common.Address, c Contract) error {
	if c == nil {
		return ErrNilContract
	}
	if !IsSystemAddress(addr) {
		return fmt.Errorf("%w: %v", ErrBadAddress, addr)
	}
	if old, ok := r.byAddr[addr]; ok {
		return fmt.Errorf("%w: %v holds %s", ErrDuplicate, addr, old.Name())
	}
	r.byAddr[addr] = c
	i, _ := slices.BinarySearchFunc(r.addrs, addr, func(a, b common.Address) int { return a.Cmp(b) })
	r.addrs = slices.Insert(r.addrs, i, addr)
	return nil
}

// Contract returns the system contract at addr.
func (r *Registry) Contract(addr common.Address) (Contract, bool) {
	c, ok := r.byAddr[addr]
	return c, ok
}

// Addresses returns the registered addresses in ascending order.
func (r *Registry) Addresses() []common.Address { return slices.Clone(r.addrs) }

// Len is the number of registered contracts.
func (r *Registry) Len() int { return len(r.addrs) }
