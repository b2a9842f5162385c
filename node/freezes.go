package node

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor/precompiled"
)

// freezeStatuses keeps the accounts' frozen statuses the pool asks about
// for every tx it admits (poolChain.AccountFrozen), so that a tx costs a
// map lookup instead of hashing the account's record slot and decoding
// the record through the Permission slots' cache: almost every sender is
// an account never frozen, asked about over and over.
//
// A status changes only by a block that writes the Permission contract's
// storage: the node holds the statuses while it commits such a block and
// drops them after, with the cache of Permission slots they are read
// through (slotsCommitting), under stateMu's write lock; a read racing
// with the commit is handled as genCache says.
type freezeStatuses = genCache[common.Address, precompiled.FreezeStatus]
