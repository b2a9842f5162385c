package bench

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
)

// Workload names.
const (
	WorkloadTransfer = "transfer" // value transfers between accounts
	WorkloadERC20    = "erc20"    // BenchToken.transfer
	WorkloadKV       = "kv"       // BenchKV.set
	WorkloadMixed    = "mixed"    // the three in turn
)

// Kind is what one tx does.
type Kind uint8

// Kinds of txs.
const (
	KindTransfer Kind = iota
	KindERC20
	KindKV
)

func (k Kind) String() string {
	switch k {
	case KindTransfer:
		return WorkloadTransfer
	case KindERC20:
		return WorkloadERC20
	case KindKV:
		return WorkloadKV
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Op is one planned tx, before signing.
type Op struct {
	Kind Kind
	// From is the index of the sending account.
	From int
	// Seq is the tx's position among its sender's txs (0, 1, ...): added
	// to the account's nonce for Ethereum txs.
	Seq uint64
	// Hot marks the txs of the conflict share: they touch the hot account
	// (transfer, erc20) or the hot key (kv).
	Hot bool
	// To is the recipient of a transfer or ERC-20 transfer.
	To common.Address
	// Key is the kv slot key.
	Key common.Hash
}

// HotAddress is the recipient of the hot share of transfers.
var HotAddress = common.BytesToAddress(ethcrypto.Keccak256([]byte("gobcos-bench-hot-account")))

// HotKey is the kv key of the hot share of writes.
var HotKey = common.BytesToHash(ethcrypto.Keccak256([]byte("gobcos-bench-hot-key")))

// Plan lays out n txs of workload sent by accounts accounts, round-robin
// (tx i is sent by account i mod accounts, so each account's txs are in
// nonce order), a conflict share of them touching the hot account or key,
// spread evenly. The others touch a fresh address or key each, derived
// from salt and the tx index, so they conflict with no other tx.
func Plan(workload string, n, accounts int, conflict float64, salt uint64) ([]Op, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d txs: need at least 1", ErrConfig, n)
	}
	if accounts < 1 {
		return nil, fmt.Errorf("%w: %d accounts: need at least 1", ErrConfig, accounts)
	}
	if math.IsNaN(conflict) || conflict < 0 || conflict > 1 {
		return nil, fmt.Errorf("%w: conflict %v: want a share from 0 to 1", ErrConfig, conflict)
	}
	kindOf, err := kindFunc(workload)
	if err != nil {
		return nil, err
	}
	ops := make([]Op, n)
	for i := range ops {
		op := Op{Kind: kindOf(i), From: i % accounts, Seq: uint64(i / accounts)}
		// Bresenham spreading: exactly floor(n*conflict) hot txs, evenly.
		op.Hot = math.Floor(float64(i+1)*conflict) > math.Floor(float64(i)*conflict)
		fresh := freshHash(salt, uint64(i))
		switch {
		case op.Kind == KindKV && op.Hot:
			op.Key = HotKey
		case op.Kind == KindKV:
			op.Key = fresh
		case op.Hot:
			op.To = HotAddress
		default:
			op.To = common.BytesToAddress(fresh[12:])
		}
		ops[i] = op
	}
	return ops, nil
}

// Kinds returns the kinds of txs a workload sends.
func Kinds(workload string) ([]Kind, error) {
	switch workload {
	case WorkloadTransfer:
		return []Kind{KindTransfer}, nil
	case WorkloadERC20:
		return []Kind{KindERC20}, nil
	case WorkloadKV:
		return []Kind{KindKV}, nil
	case WorkloadMixed:
		return []Kind{KindTransfer, KindERC20, KindKV}, nil
	}
	return nil, fmt.Errorf("%w: workload %q: want transfer, erc20, kv or mixed", ErrConfig, workload)
}

func kindFunc(workload string) (func(i int) Kind, error) {
	kinds, err := Kinds(workload)
	if err != nil {
		return nil, err
	}
	return func(i int) Kind { return kinds[i%len(kinds)] }, nil
}

func freshHash(salt, i uint64) common.Hash {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], salt)
	binary.BigEndian.PutUint64(b[8:], i)
	return common.BytesToHash(ethcrypto.Keccak256(b[:]))
}
