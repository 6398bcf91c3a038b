package main

import (
	"os"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/spf13/cobra"
)

func newExportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export DIR [-o FILE]",
		Short: "Write a ruleset folder as its single-JSON form",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lo, err := engine.New().LoadOptions()
			if err != nil {
				return err
			}
			rs, err := rulesets.Load(args[0], lo)
			if err != nil {
				printLoadError(cmd.ErrOrStderr(), args[0], err)
				return exitError{1}
			}
			data, err := rulesets.ExportJSON(rs)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(append(data, '\n'))
				return err
			}
			return os.WriteFile(out, append(data, '\n'), 0o644)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write (default: standard output)")
	return cmd
}
