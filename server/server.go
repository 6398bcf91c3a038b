// Package server is `kubus serve`: the rulesets, persisted entities and personal-data records of one
// store over HTTP, as ../shared/design/server.md describes. It is a thin layer over the engine:
// every request that evaluates rules is one Ruleset.Execute, so limits, isolation, atomicity and
// errors are the engine's.
//
// Every route is one row of the table in routes.go; the authorization check, the metrics, the
// OpenAPI document and the tests all read that table, so a new route cannot be left out of any.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/workflow"
)

// Config is what a server serves and how.
type Config struct {
	// Engine runs the rulesets (its environment and limits come from the caller).
	Engine *engine.Engine
	// Store holds keys, stored ruleset versions, entities and personal data. Required.
	Store *store.Bolt
	// Dirs are ruleset folders, or folders of ruleset folders (such as examples).
	Dirs []string
	// MaxBody bounds a request body in bytes (default 1 MiB).
	MaxBody int64
	// MaxInflight bounds the requests handled at once; one more is answered 503 with Retry-After
	// (default 64 per core).
	MaxInflight int
	// Logger gets one JSON line per request (default: JSON to stderr).
	Logger *slog.Logger
	// DecisionLog, when set, gets one JSON line per execution (pii inputs redacted).
	DecisionLog io.Writer
	// Now is the clock of keys and logs (default time.Now).
	Now func() time.Time
	// KeepFailing serves on when a ruleset folder does not load at startup: the folder is listed with
	// its problems (status failed), and Watch loads it once it is fixed (for the studio).
	KeepFailing bool
	// LocalStudio: `kubus studio` signs its user in through LocalSignIn, so a store without keys is
	// expected, not worth a warning; and it answers only requests addressed to a loopback name
	// (localhost, 127.0.0.1, [::1]), so that a web page whose name is rebound to 127.0.0.1 cannot
	// reach it (421 misdirected).
	LocalStudio bool
}

// Server is a configured `kubus serve`.
type Server struct {
	cfg     Config
	eng     *engine.Engine
	st      *store.Bolt
	keys    *keyring
	log     *slog.Logger
	metrics *metrics
	routes  []*route
	handler http.Handler
	catalog *catalog
	decided *decisionLog
	// inflight is a semaphore of MaxInflight slots.
	inflight chan struct{}
	// wf runs the workflows; Serve runs its scheduler.
	wf *workflow.Service
	// studio holds the studio's sessions and sign-in tokens (studio.go).
	studio     *studioSessions
	studioOnce sync.Once
}

// New loads the rulesets of cfg.Dirs and the store and builds the handler.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: a store is needed (keys, stored rulesets and entities live there)")
	}
	if cfg.Engine == nil {
		cfg.Engine = engine.New()
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxInflight <= 0 {
		cfg.MaxInflight = 64 * runtime.GOMAXPROCS(0)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, eng: cfg.Engine, st: cfg.Store, log: cfg.Logger, inflight: make(chan struct{}, cfg.MaxInflight)}
	var err error
	if s.keys, err = newKeyring(cfg.Store); err != nil {
		return nil, fmt.Errorf("server: reading the keys: %w", err)
	}
	if s.catalog, err = loadCatalog(cfg.Engine, cfg.Store, cfg.Dirs, cfg.KeepFailing, cfg.Logger); err != nil {
		return nil, err
	}
	if cfg.DecisionLog != nil {
		s.decided = &decisionLog{w: cfg.DecisionLog}
	}
	s.wf = workflow.New(cfg.Engine, cfg.Store, workflow.Options{Now: cfg.Now, Logger: cfg.Logger})
	if rs, err := cfg.Engine.Get("instances"); err == nil && rs.Model().Workflow != nil {
		s.log.Warn("workflow `instances` cannot be reached by name: /api/workflows/instances/… are the routes of instances; rename the ruleset")
	}
	s.routes = s.table()
	s.metrics = newMetrics(s.routes)
	s.handler = s.buildMux()
	if s.keys.usable(cfg.Now()) == 0 && !cfg.LocalStudio {
		s.log.Warn("the store has no usable API key: every API call is refused until one exists; create one with `kubus keys create NAME --scope execute:* --store " + cfg.Store.Path() + "` (stop the server first: the store is locked while it runs) or POST /api/keys with an admin key")
	}
	return s, nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Options of Serve: the parts of net/http's server Kubus sets.
type ServeOptions struct {
	// ShutdownTimeout bounds the wait for in-flight requests once ctx ends (default 10s).
	ShutdownTimeout time.Duration
	// TLSCert and TLSKey, both set, serve HTTPS.
	TLSCert, TLSKey string
}

// Serve answers requests on ln until ctx ends, then stops accepting, lets in-flight requests finish
// (up to opts.ShutdownTimeout) and writes the keys' last-used times back. It does not close the
// store: the caller opened it.
func (s *Server) Serve(ctx context.Context, ln net.Listener, opts ServeOptions) error {
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	srv := &http.Server{
		Handler: s.handler,
		// No slowloris: a client must send its headers, its body and read the answer in time.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if opts.TLSCert != "" || opts.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return fmt.Errorf("server: TLS: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	flushDone := make(chan struct{})
	go func() {
		// "Last used" goes back to the store now and then, not on every request (a bbolt write
		// syncs the file).
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if err := s.keys.flush(); err != nil {
					s.log.Warn("writing keys' last-used times", "error", err.Error())
				}
			case <-flushDone:
				return
			}
		}
	}()
	// The workflow scheduler fires due timers and runs ready steps while the server serves; it
	// stops with ctx, and what it did not finish is in the store for the next start.
	schedCtx, stopSched := context.WithCancel(ctx)
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		_ = s.wf.Run(schedCtx, time.Second)
	}()
	defer func() { stopSched(); <-schedDone }()
	s.log.Info("serving", "addr", ln.Addr().String(), "rulesets", len(s.eng.Rulesets()), "tls", srv.TLSConfig != nil)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down: finishing in-flight requests", "timeout", opts.ShutdownTimeout.String())
		sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("server: in-flight requests did not finish within %s", opts.ShutdownTimeout)
			_ = srv.Close()
		}
		<-errc
	}
	close(flushDone)
	if ferr := s.keys.flush(); ferr != nil {
		s.log.Warn("writing keys' last-used times", "error", ferr.Error())
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
