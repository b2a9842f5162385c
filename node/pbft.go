package node

import (
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/blocksync"
	"github.com/gobcos/gobcos/consensus/pbft"
	pbftengine "github.com/gobcos/gobcos/consensus/pbft/engine"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/txpool"
	"github.com/gobcos/gobcos/types"
)

// pbftTick is the PBFT driver's tick; the genesis consensus timeout is
// counted in it (the minimum seal interval is held by the clock).
const pbftTick = 100 * time.Millisecond

// buildNetwork builds the P2P host, the block syncer and, on a sealer, the
// PBFT or Raft engine of a multi-node chain, and registers the group's
// handlers: consensus, sync and tx gossip.
func (n *Node) buildNetwork() error {
	cfg, g := n.cfg, n.genesis
	if cfg.Network == nil {
		return fmt.Errorf("%w: a %q chain needs a [network] section in %s", ErrConfig, g.Consensus, ConfigFile)
	}
	mat, err := cfg.LoadNetworkMaterial()
	if err != nil {
		return err
	}
	n.certName, n.certOrg = certNames(mat.Node)
	log := n.logger.With("module", "network")
	adm, err := network.NewAdmission(network.AdmissionConfig{
		Suite: n.suite, TrustedCAs: mat.TrustedCAs, CRLFiles: mat.CRLFiles,
		NodeList: network.NodeListFunc(n.inNodeList),
		Allow:    mat.Allow, Deny: mat.Deny, Logger: log,
	})
	if err != nil {
		return err
	}
	tr, err := network.NewTransport(network.TransportConfig{Node: mat.Node, Admission: adm, Logger: log})
	if err != nil {
		return err
	}
	frame := cfg.Network.MaxFrameSize
	if frame <= 0 {
		frame = network.DefaultMaxFrameSize
	}
	hcfg := network.Config{
		Transport: tr, ListenAddr: cfg.Network.Listen, Peers: cfg.Network.Peers,
		MaxFrameSize: frame, SendQueueSize: cfg.Network.SendQueueSize, Logger: log,
	}
	n.hostPolicy(&hcfg, adm)
	if n.host, err = network.NewHost(hcfg); err != nil {
		return err
	}
	if err := n.gossip.connect(n, frame, n.logger.With("module", "txgossip")); err != nil {
		return err
	}

	// The genesis sealers; the node id is the sealer's public key.
	sealers := make([][]byte, len(g.Sealers))
	for i, pub := range g.Sealers {
		sealers[i] = pub
		if _, err := network.ParseNodeID(pub); err != nil {
			return fmt.Errorf("%w: sealer %d: %v", ErrGenesis, i, err)
		}
	}

	scfg := blocksync.DefaultConfig()
	scfg.MaxMessageSize = min(scfg.MaxMessageSize, frame-1024)
	scfg.MaxResponseBytes = min(scfg.MaxResponseBytes, scfg.MaxMessageSize)
	sp := blocksync.Params{
		Config: scfg, Suite: n.suite, Ledger: &syncLedger{n}, Executor: &engineExecutor{n},
		Transport: &syncTransport{n}, Sealers: pbftSigners{n}, Logger: n.logger,
	}
	if g.Consensus == ConsensusRaft {
		sp.Sealers, sp.Quorum = &raftSigners{n: n, genesis: sealers}, raftQuorum
	}
	if n.syncer, err = blocksync.New(sp); err != nil {
		return err
	}

	if g.Consensus == ConsensusRaft {
		// Every node of a Raft chain runs the engine: a non-voter's stays
		// idle (it follows by block sync) until a membership change makes
		// it a learner or voter.
		if err := n.buildRaft(sealers, frame); err != nil {
			return err
		}
	} else {
		// Every node of a PBFT chain runs the driver: it follows the
		// governance sealer set height by height, and idles (the node
		// follows by block sync) while this node is not one of them.
		if err := n.buildPBFT(sealers, frame); err != nil {
			return err
		}
	}

	group := g.GroupID
	n.host.Handle(group, network.ModuleSync, n.meter(network.ModuleSync, func(from network.NodeID, m network.Message) {
		n.syncer.HandleMessage(blocksync.PeerID(string(from[:])), m.Payload)
	}))
	n.host.Handle(group, network.ModuleTxGossip, n.meter(network.ModuleTxGossip, n.onGossipTx))
	if n.pbft != nil {
		eng := n.pbft
		n.host.Handle(group, network.ModuleConsensus, n.meter(network.ModuleConsensus, func(from network.NodeID, m network.Message) {
			// Messages from nodes outside the running sealer set are
			// dropped. One mapped with the previous set's indexes at an
			// epoch switch fails the core's signature check (each epoch
			// signs under its own domain) and is resent by its sender.
			if i, ok := n.sealerIndex(from); ok && eng.Index() >= 0 {
				eng.Deliver(i, m.Payload)
			}
		}))
		// Tx fetches of proposals with tx hashes, between sealers only.
		n.host.Handle(group, network.ModuleTxFetch, n.meter(network.ModuleTxFetch, func(from network.NodeID, m network.Message) {
			if i, ok := n.sealerIndex(from); ok && eng.Index() >= 0 {
				eng.DeliverFetch(i, m.Payload)
			}
		}))
	}
	if n.raft != nil {
		n.handleRaft()
	}
	return nil
}

// buildPBFT makes the PBFT engine: genesis sealers and leader period as
// the initial configuration, the governance node list (pbftEpoch) for
// every height after.
func (n *Node) buildPBFT(sealers [][]byte, frame int) error {
	g := n.genesis
	cc := pbft.DefaultConfig()
	cc.Suite, cc.Key, cc.Sealers = n.suite, n.key, sealers
	cc.Domain = fmt.Appendf(nil, "gobcos/%d/%s", g.ChainID, g.GroupID)
	cc.LeaderPeriod = g.PBFTLeaderPeriod()
	cc.Window = n.cfg.PBFT.pbftWindow() // pipelined where the chain allows it (engine doc, "Pipelining")
	cc.MaxBlockTxs = maxBlockTxs        // the engine applies tx_count_limit in force (Rules)
	cc.MaxMessageSize = min(cc.MaxMessageSize, frame-1024)
	cc.MaxProposalBytes = min(cc.MaxProposalBytes, cc.MaxMessageSize/2)
	cc.TimeoutTicks = max(2, uint64(g.PBFTConsensusTimeout()/pbftTick))
	cc.HeartbeatTicks = max(1, min(cc.HeartbeatTicks, cc.TimeoutTicks/3))
	ecfg := n.cfg.PBFT.engineConfig(pbftengine.DefaultConfig())
	ecfg.MinSealInterval = msDuration(g.MinSealIntervalMs) // by the clock, not in ticks (the engine's seal.go)
	ecfg.ChainID, ecfg.GroupID = g.ChainID, g.GroupID
	ecfg.TickInterval = pbftTick
	ecfg.BlockGasLimit, ecfg.BlockLimitWindow = g.BlockGasLimit, g.BlockLimitWindow
	eng, err := pbftengine.New(pbftengine.Params{
		Config: ecfg, Core: cc, KV: n.kv, Ledger: &engineLedger{n: n, unsynced: true}, Executor: &engineExecutor{n},
		Pool: enginePool{n.pool, n.gossip}, Verifier: n.sigs, Transport: &consensusTransport{n}, Fetch: &consensusTransport{n}, Logger: n.logger, Tracer: blockTracer{n}, Rules: n,
		Epochs: n.pbftEpoch, OnEpoch: n.setSealers, OnProposed: n.flushGossip,
	})
	if err != nil {
		return err
	}
	n.pbft, n.engine = eng, eng
	return nil
}

// enginePool is the pool as the PBFT driver sees it: Get also finds the
// gossiped txs still on their way to the pool (gossipIntake.arrivingTx),
// so that the driver resolves a proposal's hashes without fetching bodies
// this node already holds. The driver checks the signatures of the txs it
// resolves; it serves bodies to peers, which check them too.
type enginePool struct {
	*txpool.Pool
	gossip *gossipIntake
}

func (p enginePool) Get(h common.Hash) *types.Transaction {
	if tx := p.Pool.Get(h); tx != nil {
		return tx
	}
	return p.gossip.arrivingTx(h)
}

// flushGossip sends the txs waiting in the gossip batcher now (the PBFT
// driver calls it when this node proposes, before the pre-prepare leaves).
func (n *Node) flushGossip() {
	if n.gossip != nil && n.gossip.out != nil {
		n.gossip.out.Flush()
	}
}

// PBFTEngine is the node's PBFT driver, nil on other chains.
func (n *Node) PBFTEngine() *pbftengine.Engine { return n.pbft }

// consensusTransport carries PBFT messages between sealers by index.
type consensusTransport struct{ n *Node }

func (t *consensusTransport) Send(to int, data []byte) error {
	ids := t.n.sealerPeers()
	if to < 0 || to >= len(ids) {
		return fmt.Errorf("node: no sealer %d", to)
	}
	return t.n.send(ids[to], network.ModuleConsensus, data)
}

// Broadcast sends to the other sealers only: observers do not take part.
func (t *consensusTransport) Broadcast(data []byte) error {
	self := t.n.pbft.Index()
	var first error
	for i, id := range t.n.sealerPeers() {
		if i == self || !t.n.host.Connected(id) {
			continue
		}
		if err := t.n.send(id, network.ModuleConsensus, data); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// SendFetch sends a tx fetch message to the sealer at index to.
func (t *consensusTransport) SendFetch(to int, data []byte) error {
	ids := t.n.sealerPeers()
	if to < 0 || to >= len(ids) {
		return fmt.Errorf("node: no sealer %d", to)
	}
	return t.n.send(ids[to], network.ModuleTxFetch, data)
}

// syncTransport carries sync messages to the group's connected peers.
type syncTransport struct{ n *Node }

func (t *syncTransport) Send(to blocksync.PeerID, payload []byte) error {
	id, err := network.ParseNodeID([]byte(to))
	if err != nil {
		return err
	}
	return t.n.send(id, network.ModuleSync, payload)
}

func (t *syncTransport) Peers() []blocksync.PeerID {
	ps := t.n.host.Peers()
	out := make([]blocksync.PeerID, 0, len(ps))
	for _, p := range ps {
		out = append(out, blocksync.PeerID(string(p.NodeID[:])))
	}
	return out
}

// syncLedger is the syncer's view of the ledger; blocks it commits are
// also reported to the txpool.
type syncLedger struct{ n *Node }

func (l *syncLedger) Head() *types.Header { return l.n.ledger.Head() }

func (l *syncLedger) BlockByNumber(number uint64) (*types.Block, error) {
	return l.n.ledger.BlockByNumber(number)
}

func (l *syncLedger) Commit(b *types.Block, receipts []*types.Receipt, senders []common.Address, st any) error {
	if err := (&engineLedger{n: l.n}).Commit(b, receipts, senders, st, nil); err != nil {
		return err
	}
	l.n.pool.OnCommitted(b)
	return nil
}

// Ledger lookups the PBFT driver's proposal checks need.

func (l *engineLedger) TxCommitted(h common.Hash) (bool, error) { return l.n.ledger.TxCommitted(h) }

func (l *engineLedger) NativeNonceUsed(nonce *big.Int) (bool, error) {
	return l.n.ledger.NativeNonceUsed(nonce)
}

// CommittedTx serves committed txs to sealers fetching a proposal's bodies.
func (l *engineLedger) CommittedTx(h common.Hash) ([]byte, bool) {
	tx, _, err := l.n.ledger.TxByHash(h)
	if err != nil {
		return nil, false
	}
	return tx.Bytes(), true
}

func (l *engineLedger) BlockByNumber(number uint64) (*types.Block, error) {
	return l.n.ledger.BlockByNumber(number)
}

// syncStart remembers the height at which the current sync began.
func (n *Node) syncStart(current uint64) uint64 {
	n.syncMu.Lock()
	defer n.syncMu.Unlock()
	if !n.syncing || current < n.syncFrom {
		n.syncing, n.syncFrom = true, current
	}
	return n.syncFrom
}

// PeerCount is the number of connected P2P peers (0 on a solo chain).
func (n *Node) PeerCount() int {
	if n.host == nil {
		return 0
	}
	return len(n.host.Peers())
}

// engineConfig applies the fetch settings to the engine's configuration
// (0 keeps the engine's default).
func (c PBFTConfig) engineConfig(e pbftengine.Config) pbftengine.Config {
	if c.FetchTimeoutMs > 0 {
		e.FetchTimeout = time.Duration(c.FetchTimeoutMs) * time.Millisecond
	}
	if c.FetchCacheTxs > 0 {
		e.FetchCacheSize = c.FetchCacheTxs
	}
	if c.FetchRequestsPerSecond > 0 {
		e.FetchRequestsPerSecond = c.FetchRequestsPerSecond
	}
	if c.FetchBytesPerSecond > 0 {
		e.FetchBytesPerSecond = c.FetchBytesPerSecond
	}
	return e
}
