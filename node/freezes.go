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
// storage: the node drops the statuses then (slotsCommitted), after the
// cache of Permission slots they are read through, under stateMu's write
// lock; a read racing with the drop is handled as genCache says.
type freezeStatuses = genCache[common.Address, precompiled.FreezeStatus]
