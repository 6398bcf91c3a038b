package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kubusdev/kubus/builtins/documents"
	"github.com/kubusdev/kubus/store"
)

// kubus documents: the files in the store — workflow uploads, generated PDFs, mail attachments.

func newDocumentsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "documents", Short: "List the documents in the store and write one to a file"}
	var storePath string
	cmd.PersistentFlags().StringVar(&storePath, "store", "", "store file (default $KUBUS_STORE, else ./kubus.db)")

	var f documents.Filter
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "The documents, newest first: id, name, type, size, created",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return readStore(cmd, storePath, func(_ *store.Bolt, tx store.Tx) error {
				docs, err := documents.List(tx, f)
				if err != nil {
					return err
				}
				return printList(cmd.OutOrStdout(), asJSON, docs, func(d *documents.Document) string {
					return fmt.Sprintf("%s\t%s\t%s\t%d\t%s", d.ID, d.Name, d.ContentType, d.Size, d.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
				})
			})
		},
	}
	list.Flags().StringVar(&f.Name, "name", "", "only documents of this name")
	list.Flags().StringVar(&f.ContentType, "type", "", "only documents of this content type, e.g. application/pdf")
	list.Flags().IntVar(&f.Limit, "limit", 100, fmt.Sprintf("at most this many (up to %d)", documents.MaxList))
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var output string
	get := &cobra.Command{
		Use:   "get ID -o FILE",
		Short: "Write a document's content to FILE (- for standard output)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return errors.New("name the file to write with -o FILE (or -o - for standard output)")
			}
			return readStore(cmd, storePath, func(s *store.Bolt, tx store.Tx) error {
				d, err := documents.Get(tx, args[0])
				if errors.Is(err, store.ErrNotFound) {
					fmt.Fprintf(cmd.ErrOrStderr(), "there is no document %s in store %s (`kubus documents list` shows them)\n", args[0], s.Path())
					return exitError{1}
				}
				if err != nil {
					return err
				}
				if output == "-" {
					_, err = cmd.OutOrStdout().Write(d.Content)
					return err
				}
				if err := os.WriteFile(output, d.Content, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%s, %d bytes) to %s\n", d.Name, d.ContentType, d.Size, output)
				return nil
			})
		},
	}
	get.Flags().StringVarP(&output, "output", "o", "", "the file to write (- for standard output)")
	cmd.AddCommand(list, get)
	return cmd
}
