package main

import (
	"os"

	"github.com/kubusdev/kubus/rulesets"
	"github.com/spf13/cobra"
)

func newExportCmd() *cobra.Command {
	var out, dir, storePath string
	cmd := &cobra.Command{
		Use:   "export DIR|FILE.json|NAME[@VERSION] [-o FILE] [--dir DIR] [--store PATH]",
		Short: "Write a ruleset as its single-JSON form, or (--dir) as a folder",
		Long: `Write a ruleset (a folder or its JSON form) as one JSON document, or with --dir as a ruleset
folder (ruleset.yaml, rules/*.js, tables/*.csv, tests/*.yaml). Folder -> JSON -> folder loses nothing
but comments. An argument that is no existing path is a stored version, NAME@VERSION (NAME alone:
the latest), and is written exactly as it was imported.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, stored, err := loadForExport(args[0], storePath)
			if err != nil {
				printLoadError(cmd.ErrOrStderr(), args[0], err)
				return exitError{1}
			}
			if dir != "" {
				return rulesets.WriteDir(rs, dir)
			}
			data := stored
			if data == nil {
				if data, err = rulesets.ExportJSON(rs); err != nil {
					return err
				}
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
	cmd.Flags().StringVar(&storePath, "store", "", storeFlagHelp)
	return cmd
}
