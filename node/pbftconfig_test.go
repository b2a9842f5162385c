package node

import (
	"testing"
	"time"

	pbftengine "github.com/gobcos/gobcos/consensus/pbft/engine"
)

// The [pbft] fetch settings reach the engine; 0 keeps its defaults, and
// the defaults a generated config writes are the engine's.
func TestPBFTFetchSettings(t *testing.T) {
	def := pbftengine.DefaultConfig()
	if got := (PBFTConfig{}).engineConfig(def); got != def {
		t.Fatalf("zero settings changed the engine config: %+v", got)
	}
	d := DefaultConfig().PBFT
	if got := d.engineConfig(def); got != def {
		t.Fatalf("the default settings are not the engine's: %+v against %+v", got, def)
	}
	got := PBFTConfig{FetchTimeoutMs: 250, FetchCacheTxs: 7, FetchRequestsPerSecond: 3, FetchBytesPerSecond: 4096}.engineConfig(def)
	if got.FetchTimeout != 250*time.Millisecond || got.FetchCacheSize != 7 || got.FetchRequestsPerSecond != 3 || got.FetchBytesPerSecond != 4096 {
		t.Fatalf("settings not applied: %+v", got)
	}
}
