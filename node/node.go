package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/blocksync"
	"github.com/gobcos/gobcos/consensus"
	pbftengine "github.com/gobcos/gobcos/consensus/pbft/engine"
	raftengine "github.com/gobcos/gobcos/consensus/raft/engine"
	"github.com/gobcos/gobcos/consensus/solo"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/explorer"
	"github.com/gobcos/gobcos/ledger"
	"github.com/gobcos/gobcos/metrics"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/rpc"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/txpool"
	"github.com/gobcos/gobcos/txverify"
	"github.com/gobcos/gobcos/types"
)

// Node is one running gobcos node hosting one group.
type Node struct {
	cfg     Config
	genesis *Genesis
	suite   crypto.Suite
	key     crypto.PrivateKey
	logger  *slog.Logger

	kv     storage.KV
	ledger *ledger.Ledger
	exec   *executor.Executor
	pool   *txpool.Pool
	// journal keeps the pool's txs on disk ([txpool] journal); nil without.
	journal *txpool.Journal
	// journalFailedAt is when a failed append was last logged (unix ns).
	journalFailedAt atomic.Int64
	sigs            *txverify.Verifier // checks each tx signature once for the pool, engine, executor and sync
	gossip          *gossipIntake      // gossiped txs on their way to the pool
	engine          consensus.Engine   // nil on an observer
	rpc             *rpc.Server
	http            *http.Server
	ln              net.Listener
	// explorer is the block explorer web UI, nil unless [explorer] listen is set.
	explorer     *explorer.Server
	explorerAddr net.Addr

	metrics *metrics.Metrics // nil when [metrics] listen is empty
	msrv    *metrics.Server
	flow    *txFlow

	// Multi-node (PBFT, Raft) chains only.
	host      *network.Host
	admission *network.Admission
	syncer    *blocksync.Syncer
	pbft      *pbftengine.Engine // the PBFT driver of a PBFT chain (idle while not a sealer)
	raft      *raftengine.Engine // the Raft engine of a Raft chain
	sealerMu  sync.RWMutex       // guards sealerIdx and sealerIDs
	// stateMu orders block executions (read lock) against block commits
	// (write lock): the engine and block sync both execute on the store
	// a commit writes, and an execution must read one state throughout.
	// An execution on pending blocks (engineExecutor.ExecuteBlockOn)
	// holds the read lock only while it checks the head and takes a
	// storage snapshot, so that the pending commits go on meanwhile.
	// Commits go through the state cache (cache), which executions read
	// the latest state or the snapshot through, as the pool its nonces.
	stateMu   sync.RWMutex
	sealerIdx map[network.NodeID]int
	sealerIDs []network.NodeID // the PBFT engine's running sealer set (epochs.go)
	syncMu    sync.Mutex
	syncing   bool    // a sync was reported by Syncing
	syncFrom  uint64  // the height it started at
	certName  string  // common name of this node's certificate
	certOrg   string  // organisation of this node's certificate
	members   members // governance node list as Raft and admission follow it (members.go)

	maxCompat string         // highest compatibility version this node runs (version.go)
	rules     rulesCache     // governance rules per height (rules.go)
	config    *contractSlots // the SystemConfig slots the rules are read from (contractslots.go)
	frozen    *contractSlots // the Permission slots the pool's frozen-account checks read
	freezes   freezeStatuses // the accounts' frozen statuses the pool reads, read through frozen
	gov       govCache       // the PBFT configuration and node list past the last governance change (govcache.go)
	// cache holds committed accounts, code and slots for executions on
	// the latest state or a snapshot of it and for the pool's nonce
	// reads; every commit goes through it (state.Cache.Commit).
	cache *state.Cache
	halt  haltState // set when the chain's version is one this node does not support

	cancel   context.CancelFunc
	stopOnce sync.Once
	stopErr  error
	wg       sync.WaitGroup
}

// New opens the node's storage and builds its components; Start runs them.
// On error everything opened so far is closed again.
func New(cfg Config, logger *slog.Logger) (n *Node, err error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g, err := LoadGenesis(cfg.Path(cfg.Genesis))
	if err != nil {
		return nil, err
	}
	suite := g.Suite()
	key, err := LoadKey(cfg.Path(cfg.KeyFile), suite)
	if err != nil {
		return nil, err
	}
	maxCompat, err := cfg.maxCompatibility()
	if err != nil {
		return nil, err
	}
	n = &Node{cfg: cfg, genesis: g, suite: suite, key: key, logger: logger.With("group", g.GroupID), maxCompat: maxCompat,
		config:  newContractSlots(precompiled.SystemConfigAddress, 0),
		frozen:  newContractSlots(precompiled.PermissionAddress, frozenSlotsMax),
		freezes: freezeStatuses{max: frozenSlotsMax},
		cache:   state.NewCache(state.DefaultCacheEntries, state.DefaultCacheBytes)}
	opened := n // n itself is nil once an error is returned
	defer func() {
		if err != nil {
			opened.closeStorage()
		}
	}()
	if err := os.MkdirAll(cfg.Path(cfg.DataDir), 0o755); err != nil {
		return nil, err
	}
	kv, err := storage.OpenPebble(cfg.Path(cfg.DataDir), n.logger.With("module", "storage"))
	if err != nil {
		return nil, err
	}
	n.kv = kv
	cacheLog := n.logger.With("module", "state")
	n.cache.StartLoading(kv, func(keys int, err error) {
		if err != nil {
			cacheLog.Warn("not using the filter of existing state keys; reads of absent keys read storage", "err", err)
			return
		}
		cacheLog.Info("loaded the filter of existing state keys", "keys", keys)
	})
	lopts := ledger.Options{NoStateHistory: cfg.State.History == StateHistoryNone}
	if n.ledger, err = ledger.OpenWith(kv, suite, n.logger.With("module", "ledger"), lopts); err != nil {
		return nil, err
	}
	// One verifier for the pool, the engine, the executor and block sync:
	// each tx signature is checked once in this node.
	vcfg := txverify.Config{CacheSize: max(txverify.DefaultCacheSize, cfg.TxPool.MaxTxs/4*5), Workers: cfg.TxPool.Workers}
	if n.sigs, err = txverify.New(suite, g.ChainID, g.GroupID, vcfg); err != nil {
		return nil, err
	}
	if n.exec, err = executor.New(executor.Config{ChainID: g.ChainID, GroupID: g.GroupID, TxGasLimit: g.TxGasLimit, BlockGasLimit: g.BlockGasLimit, MaxCompatibility: maxCompat, Verifier: n.sigs,
		Workers: cfg.Executor.Workers, Parallel: cfg.Executor.Parallel}, suite, n.logger.With("module", "executor")); err != nil {
		return nil, err
	}
	if err := n.initGenesis(); err != nil {
		return nil, err
	}
	n.gov.open(n.ledger.Height())
	if err := n.checkCompatibility(); err != nil {
		return nil, err
	}
	pcfg := txpool.DefaultConfig()
	pcfg.MaxTxs, pcfg.MaxBytes, pcfg.MaxPerSender, pcfg.Workers = cfg.TxPool.MaxTxs, cfg.TxPool.MaxBytes, cfg.TxPool.MaxPerSender, cfg.TxPool.Workers
	// The pool checks the tx_gas_limit in force (poolChain.TxGasLimit);
	// the block gas limit bounds every value it can take.
	pcfg.BlockLimitWindow, pcfg.TxGasLimit = g.BlockLimitWindow, g.BlockGasLimit
	pcfg.Verifier = n.sigs
	n.gossip = newGossipIntake()
	if n.pool, err = txpool.New(pcfg, suite, g.ChainID, g.GroupID, &poolChain{n}, n.logger.With("module", "txpool")); err != nil {
		return nil, err
	}
	if cfg.Metrics.Listen != "" {
		n.metrics = metrics.New(g.GroupID, metricsSource{n})
		n.msrv = metrics.NewServer(n.metrics, metrics.ServerConfig{Listen: cfg.Metrics.Listen, Pprof: cfg.Metrics.Pprof}, n.logger.With("module", "metrics"))
	}
	n.flow = newTxFlow(n.logger.With("module", "txflow"), n.metrics, cfg.Log.TxFlowSample, n.pool.Has)
	if g.Consensus == ConsensusPBFT || g.Consensus == ConsensusRaft {
		if err := n.buildNetwork(); err != nil {
			return nil, err
		}
	} else {
		scfg := solo.Config{MaxTxsPerBlock: g.BlockTxLimit, MinSealInterval: time.Duration(g.MinSealIntervalMs) * time.Millisecond, BlockGasLimit: g.BlockGasLimit,
			Serial: !cfg.Solo.OverlapCommit}
		eng, err := solo.New(solo.Params{Config: scfg, Suite: suite, Key: key, Txs: n.pool, Executor: &engineExecutor{n}, Ledger: &engineLedger{n: n}, Logger: n.logger, Tracer: blockTracer{n}, Rules: n})
		if err != nil {
			return nil, err
		}
		n.engine = eng
	}
	rcfg := rpc.DefaultConfig()
	rcfg.MaxBodyBytes, rcfg.MaxBatch, rcfg.CORSOrigins = cfg.RPC.MaxBodyBytes, cfg.RPC.MaxBatch, cfg.RPC.CORSOrigins
	n.rpc = rpc.NewServer(&backend{n}, rcfg, n.logger.With("module", "rpc"))
	if n.metrics != nil {
		n.rpc.SetCallObserver(n.metrics)
	}
	return n, nil
}

// initGenesis commits block 0 on an empty ledger, or checks that the
// stored chain was made from this genesis.
func (n *Node) initGenesis() error {
	want := n.genesis.Hash()
	if head := n.ledger.Head(); head != nil {
		h0, err := n.ledger.HeaderByNumber(0)
		if err != nil {
			return fmt.Errorf("read block 0: %w", err)
		}
		if common.BytesToHash(h0.Extra) != want {
			return fmt.Errorf("%w: the data directory holds a chain made from another genesis file (block 0 commits to %x, %s hashes to %x)", ErrGenesis, h0.Extra, n.cfg.Genesis, want)
		}
		return nil
	}
	alloc := make(map[common.Address]executor.GenesisAccount, len(n.genesis.Alloc))
	for a, acc := range n.genesis.Alloc {
		alloc[a] = executor.GenesisAccount{Balance: acc.balanceBig(), Nonce: acc.Nonce, Code: acc.Code, Storage: acc.Storage}
	}
	if err := n.genesis.addGovernanceState(alloc); err != nil {
		return err
	}
	writes, root, err := n.exec.Genesis(alloc, n.kv, n.genesis.Compatibility())
	if err != nil {
		return fmt.Errorf("genesis state: %w", err)
	}
	h := &types.Header{
		Number:      0,
		Timestamp:   n.genesis.Timestamp,
		TxRoot:      types.TxRoot(n.suite, nil),
		ReceiptRoot: types.ReceiptRoot(n.suite, nil),
		StateRoot:   root,
		GasLimit:    n.genesis.BlockGasLimit,
		Extra:       want.Bytes(),
	}
	release := n.slotsCommitting(writes)
	err = n.cache.Commit(writes, func() error { return n.ledger.Commit(&types.Block{Header: h}, nil, nil, writes, nil) })
	release()
	if err != nil {
		return fmt.Errorf("commit genesis: %w", err)
	}
	n.logger.Info("genesis committed", "hash", h.Hash(n.suite), "stateRoot", root)
	return nil
}

// Start runs the P2P host, the block syncer and the consensus engine (as
// the chain has them) and then the JSON-RPC server.
func (n *Node) Start() error {
	ln, err := net.Listen("tcp", n.cfg.RPC.Listen)
	if err != nil {
		return fmt.Errorf("JSON-RPC listen on %s: %w (is another node using the port? change [rpc] listen or --rpc-port)", n.cfg.RPC.Listen, err)
	}
	n.ln = ln
	if n.msrv != nil {
		if err := n.msrv.Start(); err != nil {
			ln.Close()
			return err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	fail := func(what string, err error) error {
		cancel()
		n.stopServices()
		ln.Close()
		n.stopMetrics()
		return fmt.Errorf("start %s: %w", what, err)
	}
	if n.host != nil {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			n.gossip.run(ctx, n)
		}()
		if err := n.host.Start(); err != nil {
			return fail("network", err)
		}
		n.wg.Add(2)
		go func() {
			defer n.wg.Done()
			n.regossipLoop(ctx, regossipInterval)
		}()
		go func() {
			defer n.wg.Done()
			n.gossip.out.Run(ctx)
		}()
	}
	if n.syncer != nil {
		if err := n.syncer.Start(ctx); err != nil {
			return fail("block sync", err)
		}
	}
	if n.engine != nil {
		if err := n.engine.Start(ctx); err != nil {
			return fail("consensus", err)
		}
	}
	if n.cfg.TxPool.Journal {
		n.openJournal(ctx)
	}
	if err := n.startExplorer(); err != nil {
		return fail("block explorer", err)
	}
	n.http = &http.Server{Handler: n.rpc.Handler(), ReadHeaderTimeout: 10 * time.Second}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.logger.Error("JSON-RPC server stopped", "err", err)
		}
	}()
	n.logger.Info("node started", "rpc", ln.Addr().String(), "metrics", n.MetricsAddr(), "height", n.ledger.Height(), "suite", n.suite.Name(), "chainId", n.genesis.ChainID, "version", Version, "maxCompatibility", n.maxCompat)
	return nil
}

// RPCAddr is the address the JSON-RPC server listens on (after Start).
func (n *Node) RPCAddr() string {
	if n.ln == nil {
		return ""
	}
	return n.ln.Addr().String()
}

// MetricsAddr is the address of the Prometheus endpoint (after Start);
// "" when metrics are off.
func (n *Node) MetricsAddr() string {
	if n.msrv == nil {
		return ""
	}
	return n.msrv.Addr()
}

// stopMetrics stops the metrics server; it tolerates never having started.
func (n *Node) stopMetrics() error {
	if n.msrv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.msrv.Shutdown(ctx); err != nil {
		return fmt.Errorf("metrics shutdown: %w", err)
	}
	return nil
}

// Genesis is the chain's genesis.
func (n *Node) Genesis() *Genesis { return n.genesis }

// Height is the number of the latest committed block.
func (n *Node) Height() uint64 { return n.ledger.Height() }

// Stop stops accepting requests, lets the engine finish the block it is
// committing, and closes storage. It is safe to call more than once.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		var errs []error
		if n.explorer != nil {
			if err := n.explorer.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("explorer shutdown: %w", err))
			}
		}
		if n.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			n.rpc.Shutdown(ctx)
			if err := n.http.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("JSON-RPC shutdown: %w", err))
			}
			cancel()
		}
		if n.cancel != nil {
			n.cancel()
			errs = append(errs, n.stopServices())
		}
		n.wg.Wait()
		if err := n.closeJournal(); err != nil {
			errs = append(errs, fmt.Errorf("tx journal close: %w", err))
		}
		if err := n.stopMetrics(); err != nil {
			errs = append(errs, err)
		}
		if err := n.closeStorage(); err != nil {
			errs = append(errs, err)
		}
		n.stopErr = errors.Join(errs...)
		n.logger.Info("node stopped")
	})
	return n.stopErr
}

// stopServices stops the engine, the syncer and the P2P host, in the
// reverse of their start order. Each tolerates never having started.
func (n *Node) stopServices() error {
	var errs []error
	if n.engine != nil {
		if err := n.engine.Stop(); err != nil && !errors.Is(err, solo.ErrStopped) && !errors.Is(err, pbftengine.ErrStopped) {
			errs = append(errs, fmt.Errorf("consensus stop: %w", err))
		}
	}
	if n.syncer != nil {
		if err := n.syncer.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("block sync stop: %w", err))
		}
	}
	if n.host != nil {
		if err := n.host.Close(); err != nil {
			errs = append(errs, fmt.Errorf("network close: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (n *Node) closeStorage() error {
	var errs []error
	n.cache.Close() // its load reads the store
	if n.ledger != nil {
		if err := n.ledger.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if n.kv != nil {
		if err := n.kv.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close storage: %w", err))
		}
		n.kv = nil
	}
	return errors.Join(errs...)
}
