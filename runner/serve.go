package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/kubusdev/kubus/server"
	"github.com/kubusdev/kubus/store"
	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	var (
		addr, storePath, tlsCert, tlsKey, decisionLog string
		maxBody                                       byteSize = 1 << 20
		maxInflight                                   int
		shutdownTimeout                               time.Duration
		watch                                         bool
		env                                           envFlags
	)
	cmd := &cobra.Command{
		Use:   "serve [DIR...]",
		Short: "Serve rulesets, entities and personal data over HTTP (API keys, OpenAPI, metrics)",
		Long: `Serve the rulesets of the given folders (a ruleset folder, or a folder of them such as examples) and
every version stored in the store, over HTTP. Every API call needs a key: create one with
` + "`kubus keys create NAME --scope execute:*`" + ` before starting (the store is locked while the server runs;
then use POST /api/keys with an admin key). Logs one JSON line per request on stderr.
SIGINT/SIGTERM stop accepting, finish in-flight requests and close the store.
` + envHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return serveFolders(cmd, args, serveOptions{addr: addr, storePath: storePath, tlsCert: tlsCert, tlsKey: tlsKey,
				decisionLog: decisionLog, maxBody: maxBody, maxInflight: maxInflight, shutdownTimeout: shutdownTimeout,
				watch: watch, env: &env})
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&storePath, "store", "", "store file (default $KUBUS_STORE, else ./kubus.db)")
	f.BoolVar(&watch, "watch", false, "reload a ruleset folder when it changes; one that no longer loads keeps serving its last good version")
	f.StringVar(&tlsCert, "tls-cert", "", "TLS certificate file (PEM): serve HTTPS")
	f.StringVar(&tlsKey, "tls-key", "", "TLS private key file (PEM)")
	f.Var(&maxBody, "max-body", "largest request body, e.g. 1MiB or 512KiB")
	f.IntVar(&maxInflight, "max-inflight", 0, "requests handled at once; more are answered 503 with Retry-After (default 64 per core)")
	f.DurationVar(&shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight requests may take to finish on SIGTERM")
	f.StringVar(&decisionLog, "decision-log", "none", "one JSON line per execution: none, stdout or a file (inputs marked pii: true are redacted)")
	env.register(cmd)
	return cmd
}

// byteSize is a flag of bytes with a unit: 1MiB, 512KiB, 1048576.
type byteSize int64

func (b *byteSize) String() string { return fmt.Sprint(int64(*b)) }
func (b *byteSize) Type() string   { return "size" }
func (b *byteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"kB", 1e3}, {"B", 1}, {"", 1}}
	for _, u := range units {
		if len(s) > len(u.suffix) && s[len(s)-len(u.suffix):] == u.suffix {
			n, err := strconv.ParseInt(s[:len(s)-len(u.suffix)], 10, 64)
			if err != nil || n <= 0 {
				break
			}
			*b = byteSize(n * u.mult)
			return nil
		}
	}
	return fmt.Errorf("%q: write a size such as 1MiB, 512KiB or 1048576", s)
}

// flushingWriter buffers log lines and writes them out every interval (and when the buffer fills,
// and on Close): one write syscall per request line costs the server a tenth of its throughput.
// A crash loses at most the last interval's lines, never an acknowledged write.
type flushingWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	done chan struct{}
	wg   sync.WaitGroup
}

func newFlushingWriter(w io.Writer, every time.Duration) *flushingWriter {
	f := &flushingWriter{w: bufio.NewWriterSize(w, 64<<10), done: make(chan struct{})}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				f.mu.Lock()
				_ = f.w.Flush()
				f.mu.Unlock()
			case <-f.done:
				return
			}
		}
	}()
	return f
}

func (f *flushingWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w.Write(p)
}

func (f *flushingWriter) Close() error {
	close(f.done)
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w.Flush()
}

// serveOptions are the settings of kubus serve (and of kubus studio, which is kubus serve on
// loopback with --watch and a one-time sign-in).
type serveOptions struct {
	addr, storePath, tlsCert, tlsKey, decisionLog string
	maxBody                                       byteSize
	maxInflight                                   int
	shutdownTimeout                               time.Duration
	watch                                         bool
	env                                           *envFlags
	// studio: keep serving folders that do not load (the studio shows their problems), log only
	// warnings, and print a one-time sign-in URL once listening.
	studio bool
}

// serveFolders runs the server until SIGINT/SIGTERM.
func serveFolders(cmd *cobra.Command, args []string, o serveOptions) error {
	if _, set := os.LookupEnv("GOGC"); !set {
		// A server's live heap is small and it allocates ~20 KB a request: with Go's default
		// the collector runs every few milliseconds under load. 400 gave +25 % requests/s
		// (bench/run.sh http); $GOGC still decides when set.
		debug.SetGCPercent(400)
	}
	eng, err := o.env.engine()
	if err != nil {
		return err
	}
	st, err := store.Open(store.PathFromEnv(o.storePath), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	defer o.env.closeConnections()
	logs := newFlushingWriter(cmd.ErrOrStderr(), 200*time.Millisecond)
	defer logs.Close()
	var logOpts *slog.HandlerOptions
	if o.studio {
		logOpts = &slog.HandlerOptions{Level: slog.LevelWarn} // a person at a terminal, not a log shipper
	}
	logger := slog.New(slog.NewJSONHandler(logs, logOpts))
	cfg := server.Config{Engine: eng, Store: st, Dirs: args, MaxBody: int64(o.maxBody), MaxInflight: o.maxInflight, Logger: logger}
	cfg.KeepFailing, cfg.LocalStudio = o.studio, o.studio
	switch o.decisionLog {
	case "", "none":
	case "stdout":
		cfg.DecisionLog = cmd.OutOrStdout()
	default:
		f, err := os.OpenFile(o.decisionLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("--decision-log: %w", err)
		}
		defer f.Close()
		cfg.DecisionLog = f
	}
	srv, err := server.New(cfg)
	if err != nil {
		var lf *server.LoadFailure
		if errors.As(err, &lf) {
			printLoadError(cmd.ErrOrStderr(), lf.Path, lf.Err)
			return exitError{1}
		}
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The mail outbox: messages queued by committed executions, delivered and retried
	// until sent or failed for good; those a killed process left are picked up here.
	outboxDone := make(chan struct{})
	go func() { defer close(outboxDone); o.env.mailModule().Outbox(st).Run(ctx) }()
	defer func() { stop(); <-outboxDone }()
	if o.watch {
		if err := srv.Watch(ctx); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	if o.studio {
		if err := printStudioURL(cmd.OutOrStdout(), srv, ln); err != nil {
			ln.Close()
			return err
		}
	}
	return srv.Serve(ctx, ln, server.ServeOptions{ShutdownTimeout: o.shutdownTimeout, TLSCert: o.tlsCert, TLSKey: o.tlsKey})
}
