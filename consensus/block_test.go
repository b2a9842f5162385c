package consensus

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

type hashes map[uint64]common.Hash

func (h hashes) HashByNumber(n uint64) (common.Hash, bool) { v, ok := h[n]; return v, ok }

func TestHashGetter(t *testing.T) {
	parent := common.Hash{9}
	led := hashes{3: {3}, 5: {5}, 9: {0x99}}
	get := HashGetter(led, 9, parent)
	for n, want := range map[uint64]common.Hash{9: parent, 3: {3}, 5: {5}, 4: {}, 10: {}, 11: {}} {
		if got := get(n); got != want {
			t.Errorf("hash of %d = %x, want %x", n, got, want)
		}
	}
	// Without a ledger that can tell, only the parent is known.
	get = HashGetter(struct{}{}, 9, parent)
	if get(9) != parent || get(3) != (common.Hash{}) {
		t.Fatal("hash getter without HashByNumber")
	}
	if HashGetter(nil, 9, parent)(9) != parent {
		t.Fatal("nil ledger")
	}
}

func TestBlockTime(t *testing.T) {
	at := time.Unix(1_700_000_000, 900_000_000)
	for _, c := range []struct {
		now   time.Time
		floor uint64
		want  uint64
	}{
		{at, 0, 1_700_000_000},
		{at, 1_699_999_999, 1_700_000_000},
		{at, 1_700_000_005, 1_700_000_005}, // the parent's clock ran ahead
		{time.Unix(-5, 0), 0, 0},
		{time.Unix(-5, 0), 3, 3},
	} {
		if got := BlockTime(c.now, c.floor); got != c.want {
			t.Errorf("BlockTime(%v, %d) = %d, want %d", c.now.Unix(), c.floor, got, c.want)
		}
	}
}
