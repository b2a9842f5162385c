package consensus

import (
	"context"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Engine names of the implementations.
const (
	NameSolo = "solo"
	NamePBFT = "pbft"
	NameRaft = "raft"
)

// Engine orders and commits the blocks of one group.
type Engine interface {
	// Name is NameSolo, NamePBFT or NameRaft.
	Name() string
	// Start launches the engine's goroutines and returns; they run until
	// ctx ends or Stop is called.
	Start(ctx context.Context) error
	// Stop ends the engine and waits for its goroutines, letting a block
	// that is being committed finish first. It is safe to call more than
	// once and before Start.
	Stop() error
	// Status is a snapshot of the engine's progress, for RPC and metrics.
	Status() Status
}

// Status is a snapshot of an engine's state.
type Status struct {
	Engine        string      // the engine's Name
	Height        uint64      // number of the latest committed block
	BlockHash     common.Hash // hash of the latest committed block
	View          uint64      // PBFT view or Raft term; 0 for Solo
	Sealer        bool        // this node is one of the group's sealers
	Leader        bool        // this node proposes blocks in the current view
	Running       bool        // Start was called and the engine has not stopped
	LastBlockTime time.Time   // when this node committed the latest block; zero before the first
}
