package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ErrServerStarted is returned by Start on a server already started.
var ErrServerStarted = errors.New("metrics server already started")

// ServerConfig says where the metrics server listens and what it serves.
type ServerConfig struct {
	// Listen is the TCP address, host:port ("127.0.0.1:0" picks a port).
	Listen string
	// Pprof serves the Go profiler under /debug/pprof/ on the same address.
	Pprof bool
}

// Server serves /metrics (and /debug/pprof/ when enabled) over HTTP.
type Server struct {
	cfg  ServerConfig
	log  *slog.Logger
	http *http.Server
	ln   net.Listener
	done chan struct{}
}

// NewServer makes a server for m's registry; Start listens. A nil logger
// discards.
func NewServer(m *Metrics, cfg ServerConfig, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: logger, http: &http.Server{
		Handler:           Handler(m, cfg.Pprof, logger),
		ReadHeaderTimeout: 10 * time.Second,
		// pprof's CPU profile and trace run for ?seconds= (30 s default).
		WriteTimeout: 5 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}}
}

// Handler answers /metrics from m's registry, and /debug/pprof/ when
// pprof is set; other paths get 404 (the root lists what is served).
func Handler(m *Metrics, withPprof bool, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	}))
	index := "gobcos node metrics: /metrics (Prometheus)\n"
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		index += "Go profiler: /debug/pprof/\n"
	}
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(index))
	})
	return mux
}

// Start listens on the configured address and serves in the background.
func (s *Server) Start() error {
	if s.ln != nil {
		return ErrServerStarted
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("metrics listen on %s: %w (is another node using the port? change [metrics] listen)", s.cfg.Listen, err)
	}
	s.ln, s.done = ln, make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}

// Addr is the address the server listens on; "" before Start.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown stops the server, waiting for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.ln == nil {
		return nil
	}
	err := s.http.Shutdown(ctx)
	<-s.done
	return err
}
