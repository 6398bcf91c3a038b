package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
	"github.com/spf13/cobra"
)

// newMetricsCmd is `kubus metrics NAME [--tags a,b]`: the alert counts that `kubus run --metrics`
// saved, added up per alert name.
func newMetricsCmd() *cobra.Command {
	var (
		tags      []string
		storePath string
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "metrics NAME [--tags a,b]",
		Short: "Print how often each alert of a ruleset fired, from the metrics `kubus run --metrics` saved",
		Long: `Print the alert metrics of the ruleset NAME: for each alert name (sorted), the sum of its counts
over the saved metrics whose tags start with --tags (without --tags: all of them).

` + "`kubus run --metrics --tags a,b`" + ` saves the count of each alert of one execution under the ruleset and
its ordered tags, replacing what the last run with the same tags saved. So --tags a,b shows the
last a,b run, and --tags a adds up the last a,b run, the last a,c run, and so on. An alert that
is declared but did not fire is listed with 0.

Exits 1 when the store holds no metrics for NAME (with those tags).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			path := store.PathFromEnv(storePath)
			fail := func(format string, a ...any) error {
				fmt.Fprintf(cmd.ErrOrStderr(), format+"\n", a...)
				return exitError{1}
			}
			desc := name
			if len(tags) > 0 {
				desc += " with tags " + strings.Join(tags, ",")
			}
			// A missing store has no metrics; store.Open would create an empty file instead.
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return fail("no metrics for %s: there is no store %s (save some with `kubus run --metrics`, or point --store or $KUBUS_STORE at the store)", desc, path)
			}
			s, err := store.Open(path, store.Options{})
			if err != nil {
				return err
			}
			defer s.Close()
			counts, err := engine.AlertMetrics(s, name, tags)
			if errors.Is(err, engine.ErrNoMetrics) {
				return fail("no metrics for %s in store %s (save some with `kubus run %s --metrics`)", desc, path, name)
			}
			if err != nil {
				return err
			}
			if asJSON {
				if tags == nil {
					tags = []string{}
				}
				writeJSON(cmd.OutOrStdout(), map[string]any{"ruleset": name, "tags": tags, "alerts": counts})
				return nil
			}
			names := make([]string, 0, len(counts))
			for n := range counts {
				names = append(names, n)
			}
			slices.Sort(names)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			for _, n := range names {
				fmt.Fprintf(tw, "%s\t%d\n", n, counts[n])
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&tags, "tags", nil, "only the metrics whose tags start with these, comma-separated (default: all)")
	f.StringVar(&storePath, "store", "", "store file (default $KUBUS_STORE, else ./kubus.db)")
	f.BoolVar(&asJSON, "json", false, `print {"ruleset", "tags", "alerts": {NAME: count}} instead`)
	return cmd
}
