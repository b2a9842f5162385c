package executor

import (
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/types"
)

// The cached bloom is types.LogsBloom, for new and repeated items alike.
func TestBloomCacheMatchesLogsBloom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	item := func() (b [32]byte) {
		for i := range b {
			b[i] = byte(rng.IntN(4)) // few distinct values: repeats
		}
		return b
	}
	c := newBloomCache()
	for range 500 {
		r := &types.Receipt{}
		for range rng.IntN(4) {
			a := item()
			l := &types.Log{Address: common.BytesToAddress(a[:20])}
			for range rng.IntN(5) {
				l.Topics = append(l.Topics, common.Hash(item()))
			}
			r.Logs = append(r.Logs, l)
		}
		if got, want := c.logsBloom(r), types.LogsBloom([]*types.Receipt{r}); got != want {
			t.Fatalf("bloom %x, want %x", got, want)
		}
	}
}
