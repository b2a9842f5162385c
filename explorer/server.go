package explorer

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

//go:embed assets
var assets embed.FS

// Config configures an explorer.
type Config struct {
	// Endpoints are the JSON-RPC URLs of the group's nodes. The first is
	// the primary: the browser's calls and the tx totals go to it; the
	// others add their status to the node list.
	Endpoints []Endpoint
	// PollInterval is how often the tx totals follow the chain (default 1s).
	PollInterval time.Duration
	// HTTPClient calls the nodes (default: one with a 15s timeout).
	HTTPClient *http.Client
	// MaxEventClients bounds the browsers following GET /api/events
	// (default 64); more are answered 503 and fall back to polling.
	MaxEventClients int
	Logger          *slog.Logger
}

// Server is an explorer: an HTTP handler and the goroutine that keeps the
// tx totals.
type Server struct {
	cfg     Config
	rpc     *rpcClient
	log     *slog.Logger
	stats   *indexer
	abis    *abiStore
	hub     *hub
	gov     *govScan
	handler http.Handler

	surveyMu sync.Mutex
	survey   *Survey
	surveyAt time.Time

	mu     sync.Mutex
	http   *http.Server
	cancel context.CancelFunc
	done   chan struct{}
}

// ErrConfig marks an unusable explorer configuration.
var ErrConfig = errors.New("invalid explorer configuration")

// New builds an explorer; Start runs it.
func New(cfg Config) (*Server, error) {
	if len(cfg.Endpoints) == 0 || cfg.Endpoints[0].URL == "" {
		return nil, fmt.Errorf("%w: no JSON-RPC URL", ErrConfig)
	}
	for _, ep := range cfg.Endpoints {
		if !strings.HasPrefix(ep.URL, "http://") && !strings.HasPrefix(ep.URL, "https://") {
			return nil, fmt.Errorf("%w: JSON-RPC URL %q must start with http:// or https://", ErrConfig, ep.URL)
		}
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.MaxEventClients <= 0 {
		cfg.MaxEventClients = 64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.rpc = &rpcClient{url: cfg.Endpoints[0].URL, http: cfg.HTTPClient}
	s.stats = newIndexer(s.rpc, cfg.Logger)
	s.abis = newABIStore()
	s.hub = newHub(cfg.MaxEventClients)
	s.gov = newGovScan(s.rpc)
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(sub)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
		http.ServeFileFS(w, r, sub, "index.html")
	})
	mux.HandleFunc("POST /rpc", s.serveRPC)
	mux.HandleFunc("GET /api/nodes", s.serveNodes)
	mux.HandleFunc("GET /api/stats", s.serveStats)
	mux.HandleFunc("POST /api/decode", s.serveDecode)
	mux.HandleFunc("GET /api/abi", s.serveABIList)
	mux.HandleFunc("POST /api/abi", s.serveABIAdd)
	mux.HandleFunc("GET /api/events", s.serveEvents)
	mux.HandleFunc("GET /api/governance", s.serveGovernance)
	mux.HandleFunc("GET /api/governance/proposals", s.serveProposals)
	mux.HandleFunc("GET /api/governance/proposals/{id}", s.serveProposal)
	s.handler = mux
	return s, nil
}

// Handler serves the UI and its API.
func (s *Server) Handler() http.Handler { return s.handler }

// Start runs the tx-totals indexer and, if addr is not "", serves the
// explorer on addr. It returns the address it listens on.
func (s *Server) Start(addr string) (net.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return nil, fmt.Errorf("%w: already started", ErrConfig)
	}
	var ln net.Listener
	if addr != "" {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("explorer listen on %s: %w", addr, err)
		}
	}
	ws, err := wsURL(s.rpc.url)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	kick := make(chan struct{}, 1)
	watcher := &headWatcher{url: ws, rpc: s.rpc, hub: s.hub, log: s.log, kick: func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}}
	var wg sync.WaitGroup
	wg.Go(func() { s.stats.run(ctx, s.cfg.PollInterval, kick) })
	wg.Go(func() { watcher.run(ctx) })
	go func() {
		wg.Wait()
		close(s.done)
	}()
	if ln == nil {
		return nil, nil
	}
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("explorer server stopped", "err", err)
		}
	}()
	s.log.Info("explorer started", "url", "http://"+ln.Addr().String(), "rpc", s.rpc.url)
	return ln.Addr(), nil
}

// Stop stops serving, the live-event streams, the head subscription and
// the indexer. It is safe to call more than once and without Start.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	// End the event streams first: Shutdown waits for open requests.
	s.hub.close()
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = s.http.Shutdown(ctx)
		cancel()
		s.http = nil
	}
	if s.cancel != nil {
		s.cancel()
		<-s.done
		s.cancel = nil
	}
	return err
}

// maxRPCBody bounds a browser's JSON-RPC request.
const maxRPCBody = 1 << 20

// serveRPC forwards the browser's read-only JSON-RPC calls to the primary
// node. Calls that send transactions or install filters other than the
// pending-tx filter are refused: the explorer only reads.
func (s *Server) serveRPC(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRPCBody+1))
	if err != nil || len(body) > maxRPCBody {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	if err := checkReadOnly(body); err != nil {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": err.Error()})
		return
	}
	raw, err := s.rpc.post(r.Context(), body)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": fmt.Sprintf("node %s: %v", s.rpc.url, err)})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(raw)
}

// checkReadOnly refuses requests with a method that changes the chain.
func checkReadOnly(body []byte) error {
	var reqs []struct {
		Method string `json:"method"`
	}
	trimmed := strings.TrimSpace(string(body))
	if strings.HasPrefix(trimmed, "[") {
		if err := json.Unmarshal(body, &reqs); err != nil {
			return fmt.Errorf("bad JSON-RPC batch: %v", err)
		}
	} else {
		reqs = append(reqs, struct {
			Method string `json:"method"`
		}{})
		if err := json.Unmarshal(body, &reqs[0]); err != nil {
			return fmt.Errorf("bad JSON-RPC request: %v", err)
		}
	}
	for _, q := range reqs {
		m := q.Method
		readOnly := strings.HasPrefix(m, "bcos_get") || m == "bcos_resolveName" || strings.HasPrefix(m, "net_") || strings.HasPrefix(m, "web3_") ||
			(strings.HasPrefix(m, "eth_") && !strings.HasPrefix(m, "eth_send") && !strings.HasPrefix(m, "eth_sign") && m != "eth_subscribe")
		if !readOnly {
			return fmt.Errorf("method %q is not available through the explorer (it only reads)", m)
		}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// surveyMaxAge is how long a node survey is reused.
const surveyMaxAge = time.Second

func (s *Server) serveNodes(w http.ResponseWriter, r *http.Request) {
	s.surveyMu.Lock()
	defer s.surveyMu.Unlock()
	if s.survey == nil || time.Since(s.surveyAt) > surveyMaxAge {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		sv, err := TakeSurvey(ctx, s.cfg.HTTPClient, s.cfg.Endpoints)
		cancel()
		if err != nil {
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
			return
		}
		s.survey, s.surveyAt = sv, time.Now()
	}
	writeJSON(w, http.StatusOK, s.survey)
}

func (s *Server) serveStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.stats.snapshot())
}
