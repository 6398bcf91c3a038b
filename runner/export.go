package main

import (
	"os"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/spf13/cobra"
)

func newExportCmd() *cobra.Command {
	var out, dir string
	cmd := &cobra.Command{
		Use:   "export DIR|FILE.json [-o FILE] [--dir DIR]",
		Short: "Write a ruleset as its single-JSON form, or (--dir) as a folder",
		Long: `Write a ruleset (a folder or its JSON form) as one JSON document, or with --dir as a ruleset
folder (ruleset.yaml, rules/*.js, tables/*.csv, tests/*.yaml). Folder -> JSON -> folder loses nothing
but comments.`,
		Args: cobra.ExactArgs(1),
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
			if dir != "" {
				return rulesets.WriteDir(rs, dir)
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
	cmd.Flags().StringVar(&dir, "dir", "", "write the folder form into this folder instead")
	return cmd
}
