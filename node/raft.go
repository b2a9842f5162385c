package node

import (
	"fmt"
	"time"

	"github.com/gobcos/gobcos/consensus/raft"
	raftengine "github.com/gobcos/gobcos/consensus/raft/engine"
	"github.com/gobcos/gobcos/network"
)

// raftTick is the Raft driver's tick until the chain's
// consensus_timeout_ms applies: elections time out after 10 to 20 ticks
// without a leader's heartbeat, sent every tick, and the engine sets the
// tick to a tenth of the consensus timeout in force (consensus/raft/engine
// applyTiming).
const raftTick = 100 * time.Millisecond

// buildRaft makes the Raft engine of a node of a Raft chain: the genesis
// sealers are the first voters; other nodes start outside the
// configuration and take part once a membership change adds them.
func (n *Node) buildRaft(sealers [][]byte, frame int) error {
	g := n.genesis
	cc := raft.DefaultConfig()
	cc.Suite, cc.Key, cc.Sealers = n.suite, n.key, sealers
	cc.MaxBlockTxs = maxBlockTxs // the engine applies tx_count_limit in force (Rules)
	// By the clock, not in ticks; the engine follows the value in force.
	cc.MinSealInterval = msDuration(g.MinSealIntervalMs)
	cc.MaxMessageSize = frame - 1024
	cc.MaxSizePerMsg = uint64(min(4<<20, cc.MaxMessageSize/4))
	cc.Logger = n.logger.With("module", "consensus", "engine", "raft")
	ecfg := raftengine.DefaultConfig()
	ecfg.ChainID, ecfg.GroupID = g.ChainID, g.GroupID
	ecfg.TickInterval = raftTick
	ecfg.BlockGasLimit, ecfg.BlockLimitWindow = g.BlockGasLimit, g.BlockLimitWindow
	eng, err := raftengine.New(raftengine.Params{
		Config: ecfg, Core: cc, KV: n.kv, Ledger: &engineLedger{n: n}, Executor: &engineExecutor{n},
		Pool: n.pool, Verifier: n.sigs, Transport: &raftTransport{n}, Logger: n.logger, Tracer: blockTracer{n}, Rules: n,
	})
	if err != nil {
		return err
	}
	n.raft, n.engine = eng, eng
	n.syncRaftMembers()
	return nil
}

// RaftEngine is the node's Raft engine (nil unless the chain runs Raft):
// governance drives membership through its SetMembers and
// ProposeConfChange.
func (n *Node) RaftEngine() *raftengine.Engine { return n.raft }

// handleRaft delivers the group's consensus messages to the Raft engine,
// with the sender's node id (its public key), which the core checks
// against the raft id the message claims.
func (n *Node) handleRaft() {
	eng := n.raft
	n.host.Handle(n.genesis.GroupID, network.ModuleConsensus, func(from network.NodeID, m network.Message) {
		eng.Deliver(from[:], m.Payload)
	})
}

// raftTransport sends Raft messages to a member by public key.
type raftTransport struct{ n *Node }

func (t *raftTransport) Send(to []byte, data []byte) error {
	id, err := network.ParseNodeID(to)
	if err != nil {
		return fmt.Errorf("node: raft member: %w", err)
	}
	if !t.n.host.Connected(id) {
		return fmt.Errorf("node: raft member %s is not connected", id.Short())
	}
	return t.n.host.Send(id, t.n.genesis.GroupID, network.ModuleConsensus, data)
}

// raftSigners is the signer list block sync checks Raft blocks against:
// the engine's (genesis sealers, then nodes added by membership changes)
// on a sealer, the genesis sealers elsewhere.
type raftSigners struct {
	n       *Node
	genesis [][]byte
}

func (s *raftSigners) SealersAt(uint64) ([][]byte, error) {
	if s.n.raft != nil {
		if l := s.n.raft.Signers(); len(l) > 0 {
			return l, nil
		}
	}
	return s.genesis, nil
}

// raftQuorum: a Raft block's certificate is its leader's signature.
func raftQuorum(int) int { return 1 }
