package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubusdev/kubus/builtins/ockto/ocktosim"
)

// newOcktoSimCmd is `kubus ockto-sim`: the Ockto simulator as a real HTTP server.
func newOcktoSimCmd() *cobra.Command {
	var (
		addr, scenarios string
		slow            time.Duration
		quiet           bool
	)
	cmd := &cobra.Command{
		Use:   "ockto-sim",
		Short: "Serve a simulated Ockto (sessions, status, ODM results, AIS consents) for examples and tests",
		Long: `Serve a simulated Ockto that speaks the same HTTP mapping as the Ockto module's client. Point an
environment's modules: at it in kubus.yaml (or the process environment):

  KUBUS_OCKTO_ENDPOINT=http://127.0.0.1:8089  KUBUS_OCKTO_USERNAME=sim  KUBUS_OCKTO_PASSWORD=sim
  KUBUS_OCKTO_PROVIDER_CODE=SIM

Any username, password and provider code are accepted. Ockto.startSession's testCaseId picks the
scenario (default happy): happy (data available after two polls), no-scan (never scanned, then
expired), refused (the user declines), flaky (500s and slow answers the client's retries survive),
malformed (invalid JSON) and unresponsive (never answers). --scenarios adds or replaces scenarios
from a YAML or JSON file: a mapping of testCaseId to {base, description, statuses, stepEvery, qrCode,
result, consents, flaky, startError, malformed, hang}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var extra map[string]ocktosim.Scenario
			if scenarios != "" {
				var err error
				if extra, err = ocktosim.LoadScenarios(scenarios); err != nil {
					return err
				}
			}
			errOut := &syncWriter{w: cmd.ErrOrStderr()}
			opts := ocktosim.Options{SlowDelay: slow}
			if !quiet {
				opts.Logf = func(format string, args ...any) {
					fmt.Fprintf(errOut, time.Now().Format("15:04:05.000")+" "+format+"\n", args...)
				}
			}
			sim, err := ocktosim.New(extra, opts)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Ockto simulator on http://%s\n", ln.Addr())
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			for _, name := range sim.Scenarios() {
				fmt.Fprintf(tw, "  %s\t%s\n", name, sim.Describe(name))
			}
			tw.Flush()
			srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()
			select {
			case err := <-served:
				return err
			case <-ctx.Done():
			}
			// Close, not Shutdown: a hanging scenario's requests end only when their connection does.
			if err := srv.Close(); err != nil {
				return err
			}
			if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8089", "address to listen on")
	cmd.Flags().StringVar(&scenarios, "scenarios", "", "YAML or JSON file of scenarios to add or replace")
	cmd.Flags().DurationVar(&slow, "slow-delay", 15*time.Second, "how long the flaky scenario's slow answer takes")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "do not log requests")
	return cmd
}

// syncWriter serializes writes from concurrent request handlers.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
