package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubusdev/kubus/builtins/mail"
	"github.com/kubusdev/kubus/store"
)

// kubus mail: the outbox of Mail.queue — what was queued by committed executions, and its state.

func newMailCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "mail", Short: "Show the mail outbox and deliver what is due"}
	var storePath string
	var env envFlags
	pf := cmd.PersistentFlags()
	pf.StringVar(&storePath, "store", "", "store file (default $KUBUS_STORE, else ./kubus.db)")

	var state string
	var limit int
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "The outbox, newest first: id, state, attempts, to, subject, last error",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return readStore(cmd, storePath, func(_ *store.Bolt, tx store.Tx) error {
				msgs, err := mail.List(tx, state, limit)
				if err != nil {
					return err
				}
				return printList(cmd.OutOrStdout(), asJSON, msgs, func(m mail.Message) string {
					return fmt.Sprintf("%s\t%s\t%d\t%s\t%s\t%s", m.ID, m.State, m.Attempts, strings.Join(m.To, ","), m.Subject, m.LastError)
				})
			})
		},
	}
	list.Flags().StringVar(&state, "state", "", "only messages in this state: queued, sending, sent or failed")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	deliver := &cobra.Command{
		Use:   "deliver",
		Short: "Deliver the queued messages that are due, once, with the config's mail servers (kubus serve does this on its own)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := env.engine(); err != nil {
				return err
			}
			s, err := openStoreFor(cmd, storePath)
			if err != nil {
				env.closeConnections()
				return err
			}
			defer s.Close()
			defer env.closeConnections() // runs first: nothing is delivered after the store closes
			sent, failed, err := env.mailModule().Outbox(s).DeliverDue(cmd.Context())
			fmt.Fprintf(cmd.OutOrStdout(), "sent %d, failed for good %d\n", sent, failed)
			return err
		},
	}
	env.register(deliver)
	cmd.AddCommand(list, deliver)
	return cmd
}
