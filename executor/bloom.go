package executor

import (
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/types"
)

// receiptsBloom is types.LogsBloom of rs, with a kept types.BloomCache.
func (e *Executor) receiptsBloom(rs []*types.Receipt) ethtypes.Bloom {
	c := e.blooms.Get()
	defer e.blooms.Put(c)
	return c.ReceiptsBloom(rs)
}
