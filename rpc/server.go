package rpc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gorilla/websocket"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// Server is the JSON-RPC server of one group.
type Server struct {
	b       Backend
	cfg     Config
	log     *slog.Logger
	suite   crypto.Suite
	chainID uint64
	groupID string

	methods      map[string]handlerFunc
	methodNames  map[string]string // each key of methods, to itself
	receiptCache *lru[common.Hash, *lazyReceipts]
	blockCache   *lru[uint64, *types.Block] // recent committed blocks by number, from commit events
	filters      *filterManager
	hub          *hub
	upgrader     websocket.Upgrader
	now          func() time.Time
	observer     CallObserver // nil: none
	// blooms keeps the caches that compute the receipts' blooms the
	// answers carry: a block's logs mostly repeat a few addresses and
	// event signatures.
	blooms types.BloomCaches

	mu      sync.Mutex
	closed  atomic.Bool // set under mu; read without it where a snapshot does (isClosed)
	servers []*http.Server
	conns   map[*wsConn]struct{}
	quit    chan struct{}
	wg      sync.WaitGroup
}

// NewServer builds a server over b. Unset or negative fields of cfg take
// their defaults (see DefaultConfig); a nil logger discards. The server
// subscribes to b's commits at once; call Shutdown to release it.
func NewServer(b Backend, cfg Config, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	s := &Server{
		b:            b,
		cfg:          cfg,
		log:          logger,
		suite:        b.Suite(),
		chainID:      b.ChainID(),
		groupID:      b.GroupID(),
		receiptCache: newLRU[common.Hash, *lazyReceipts](32),
		blockCache:   newLRU[uint64, *types.Block](32),
		now:          time.Now,
		conns:        make(map[*wsConn]struct{}),
		quit:         make(chan struct{}),
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		CheckOrigin:     s.originAllowed,
	}
	s.methods = s.registerMethods()
	s.methodNames = make(map[string]string, len(s.methods))
	for name := range s.methods {
		s.methodNames[name] = name
	}
	s.filters = newFilterManager(s)
	s.hub = newHub(s)
	s.wg.Add(2)
	go s.hub.run()
	go s.filters.janitor()
	return s
}

// Handler answers JSON-RPC over HTTP POST and WebSocket on one path.
func (s *Server) Handler() http.Handler { return s }

// Serve accepts connections on ln until Shutdown. It returns nil after a
// shutdown and the listener's error otherwise.
func (s *Server) Serve(ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.cfg.ReceiptWaitTimeout + s.cfg.CallTimeout + 30*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.servers = append(s.servers, hs)
	s.mu.Unlock()
	err := hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests, closes WebSocket connections (with
// close code 1001) and their subscriptions, removes all filters, and waits
// for in-flight HTTP requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return nil
	}
	s.closed.Store(true)
	servers := s.servers
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	var errs []error
	for _, c := range conns {
		c.close(websocket.CloseGoingAway, "server shutting down")
	}
	for _, hs := range servers {
		if err := hs.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	close(s.quit)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}

// isClosed reports whether Shutdown began; a request checks it without
// taking s.mu.
func (s *Server) isClosed() bool { return s.closed.Load() }

const getText = "gobcos JSON-RPC endpoint: send JSON-RPC 2.0 requests with HTTP POST (Content-Type: application/json), or connect with a WebSocket for subscriptions.\n"

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.setCORS(w, r)
	if websocket.IsWebSocketUpgrade(r) {
		s.serveWebSocket(w, r)
		return
	}
	switch r.Method {
	case http.MethodPost:
		s.servePost(w, r)
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet, http.MethodHead:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, getText)
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, OPTIONS")
		http.Error(w, "method not allowed: use POST for JSON-RPC", http.StatusMethodNotAllowed)
	}
}

// preallocMax bounds the buffer set aside for a request body before it
// arrives.
const preallocMax = 1 << 20

func (s *Server) servePost(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	tooLarge := func() {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = w.Write(errorResponse(nil, invalidRequest("%v: the limit is %d bytes", ErrBodyTooLarge, s.cfg.MaxBodyBytes)))
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		tooLarge()
		return
	}
	// Read into a buffer of the announced size (a batch of sends is tens
	// of kilobytes: io.ReadAll would grow and copy it several times), up
	// to preallocMax: a client announcing a large body it does not send
	// gets no more memory set aside than that.
	buf := bytes.NewBuffer(make([]byte, 0, min(max(r.ContentLength, 0), preallocMax)+bytes.MinRead))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	body := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge()
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(errorResponse(nil, &Error{Code: CodeParseError, Message: "cannot read the request body: " + err.Error()}))
		return
	}
	ans, _ := s.handleBody(r.Context(), body, nil)
	if ans.empty() {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(ans.size()))
	_ = ans.writeTo(w)
}

// originAllowed checks a browser origin against CORSOrigins.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser
	}
	for _, o := range s.cfg.CORSOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

func (s *Server) setCORS(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h := w.Header()
	allowed := ""
	for _, o := range s.cfg.CORSOrigins {
		if o == "*" {
			allowed = "*"
			break
		}
		if strings.EqualFold(o, origin) {
			allowed = origin
			h.Add("Vary", "Origin")
			break
		}
	}
	if allowed == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", allowed)
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
		h.Set("Access-Control-Max-Age", "600")
	}
}
