package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
	"github.com/spf13/cobra"
)

func newRunCmd() *cobra.Command {
	var (
		inputPath, now, culture, logLevel string
		explain                           bool
		env                               envFlags
		storePath                         string
		tags                              []string
		metrics                           bool
	)
	cmd := &cobra.Command{
		Use:   "run DIR|NAME[@VERSION] --input FILE|-",
		Short: "Execute a ruleset against one input and print the result as JSON",
		Long: `Execute a ruleset (a folder or its JSON form) against an input JSON object and print the result.

An input that does not fit the ruleset's inputs prints {"errors": [{"path", "message"}, ...]} and
exits 1; a failing rule prints {"error": {"rule", "kind", "message", "at", "stack"}} and exits 1.
` + envHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			level, err := builtins.ParseLogLevel(logLevel)
			if err != nil {
				return err
			}
			opts := engine.ExecOptions{Culture: culture, Explain: explain, LogLevel: level, Tags: tags, Metrics: metrics}
			if metrics {
				// The metrics are saved in the store: with its path resolved here (as the store code
				// below resolves it), that code opens it even for a ruleset that persists nothing.
				storePath = store.PathFromEnv(storePath)
			}
			if now != "" {
				if opts.Now, err = parseNow(now); err != nil {
					return err
				}
			}
			eng, err := env.engine()
			if err != nil {
				return err
			}
			rs, err := resolveRuleset(eng, args[0], storePath)
			if err == nil && (storePath != "" || rs.NeedsStore()) {
				// Only a ruleset that needs a store (or an explicit --store) opens it, so
				// that running a stateless ruleset leaves no kubus.db behind.
				s, serr := store.Open(store.PathFromEnv(storePath), store.Options{})
				if serr != nil {
					return serr
				}
				defer s.Close()
				opts.Store = s
			}
			// Before the store closes: a mail queued by the execution is delivered first.
			defer env.closeConnections()
			if err != nil {
				printLoadError(cmd.ErrOrStderr(), args[0], err)
				return exitError{1}
			}
			input, err := readInput(cmd.InOrStdin(), inputPath, eng.Limits().MaxInputBytes)
			if err != nil {
				writeJSON(cmd.OutOrStdout(), &engine.InputError{Problems: []engine.InputProblem{{Message: err.Error()}}})
				return exitError{1}
			}
			res, err := rs.Execute(cmd.Context(), input, opts)
			if err != nil {
				var ie *engine.InputError
				var ee *engine.EvalError
				switch {
				case errors.As(err, &ie):
					writeJSON(cmd.OutOrStdout(), ie)
				case errors.As(err, &ee):
					writeJSON(cmd.OutOrStdout(), ee)
				default:
					writeJSON(cmd.OutOrStdout(), map[string]any{"error": map[string]any{"message": err.Error()}})
				}
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return exitError{1}
			}
			writeJSON(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&inputPath, "input", "i", "", "input JSON file, or - for standard input (required)")
	f.StringVar(&now, "now", "", "execution clock, RFC 3339 or YYYY-MM-DD (default: the current time)")
	f.StringVar(&culture, "culture", "", "execution culture for NUM, CUR and date names, e.g. nl-NL (default: the ruleset's)")
	f.BoolVar(&explain, "explain", false, "add each evaluated rule's value, the names it read and its time, and each call to an outside service")
	f.StringVar(&logLevel, "log-level", "none", "console output kept in diagnostics: none, info, warning or error")
	f.StringSliceVar(&tags, "tags", nil, "up to 5 ordered tags of this execution, comma-separated (--metrics saves its alert counts under them)")
	f.BoolVar(&metrics, "metrics", false, "save the count of each alert in the store, replacing the last run of the ruleset with the same --tags")
	env.register(cmd)
	f.StringVar(&storePath, "store", "", "store file for persisted entities and stored ruleset versions (default $KUBUS_STORE, else ./kubus.db)")
	_ = cmd.MarkFlagRequired("input")
	return cmd
}

// readInput reads the input JSON object from a file or standard input, refusing more than max bytes.
func readInput(stdin io.Reader, path string, max int) (map[string]any, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > max {
		return nil, fmt.Errorf("input is larger than the %d-byte limit (Limits.MaxInputBytes)", max)
	}
	var input map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&input); err != nil {
		return nil, fmt.Errorf("input is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("input has more than one JSON value")
	}
	return input, nil
}

func parseNow(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--now %q: use RFC 3339 (2024-05-17T10:30:00Z) or YYYY-MM-DD", s)
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(w, `{"error": {"message": %q}}`+"\n", err.Error())
	}
}

// printList prints what a list command found: JSON with --json, else one tab-aligned row per item.
func printList[T any](out io.Writer, asJSON bool, items []T, row func(T) string) error {
	if asJSON {
		writeJSON(out, items)
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, it := range items {
		fmt.Fprintln(tw, row(it))
	}
	return tw.Flush()
}
