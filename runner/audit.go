package main

import (
	"fmt"

	"github.com/kubusdev/kubus/builtins/audit"
	"github.com/kubusdev/kubus/store"
	"github.com/spf13/cobra"
)

func newAuditCmd() *cobra.Command {
	var (
		storePath, user, since string
		asJSON                 bool
	)
	cmd := &cobra.Command{
		Use:   "audit [--user ID] [--since T] [--store PATH]",
		Short: "List the audit trail: every change to consents, data debits and Ockto sessions",
		Long: `List the audit trail, oldest first: who changed which consent, data debit or Ockto session,
from which state to which, and when (the execution clock). Events are appended in the same
transaction as the change, and never rewritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var q audit.Query
			q.Actor = user
			if since != "" {
				t, err := parseNow(since)
				if err != nil {
					return fmt.Errorf("--since: %w", err)
				}
				q.Since = t
			}
			return readStore(cmd, storePath, func(_ *store.Bolt, tx store.Tx) error {
				events, err := audit.List(tx, q)
				if err != nil {
					return err
				}
				list := make([]map[string]any, len(events))
				for i, e := range events {
					list[i] = e.Props
				}
				if err := printList(cmd.OutOrStdout(), asJSON, list, func(p map[string]any) string {
					return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s → %s", p["at"], p["actor"], p["subject"], p["subjectId"], p["action"], orDash(p["from"]), orDash(p["to"]))
				}); err != nil || asJSON {
					return err
				}
				if len(events) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "no audit events")
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&storePath, "store", "", "store file (default $KUBUS_STORE, else ./kubus.db)")
	f.StringVar(&user, "user", "", "only the events of this user (the actor)")
	f.StringVar(&since, "since", "", "only events at or after this time (RFC 3339 or YYYY-MM-DD)")
	f.BoolVar(&asJSON, "json", false, "print the events as JSON")
	return cmd
}

func orDash(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return "—"
}
