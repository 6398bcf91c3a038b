package main

import (
	"fmt"

	"github.com/kubusdev/kubus/builtins/std"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/spf13/cobra"
)

func newTypesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "types [DIR]",
		Short: "Print TypeScript declarations of the built-ins and a ruleset's names, for editors",
		Long: `Print a TypeScript declaration file: every built-in function with its parameters and a one-line
doc, and, given a ruleset, its inputs, constants, tables, functions, entities and rules as declared
names. Save it beside the rules and let the editor check the JavaScript:

  kubus types examples/travel-insurance > examples/travel-insurance/kubus.d.ts
  echo '{"compilerOptions": {"checkJs": true, "lib": ["es2020"]}}' > examples/travel-insurance/jsconfig.json

VS Code then completes Finance., ROUND( and the ruleset's own names in rules/*.js.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			fmt.Fprint(out, std.Typings())
			if len(args) == 0 {
				return nil
			}
			lo, err := engine.New().LoadOptions()
			if err != nil {
				return err
			}
			rs, err := rulesets.Load(args[0], lo)
			if err != nil {
				printLoadError(cmd.ErrOrStderr(), args[0], err)
				return exitError{1}
			}
			fmt.Fprint(out, "\n"+rulesets.Typings(rs))
			return nil
		},
	}
}
