// Command kubus is the Kubus runner: it runs rulesets against inputs, runs their testcases and
// exports them. Build it with `go build -o kubus ./runner`.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	_ "time/tzdata" // rulesets name IANA zones; a minimal machine may have no zone database
)

// exitError carries an exit code out of a command whose output has already been written.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	// goja's Date uses the process zone for JS's own local-time methods (getDate, getHours, new
	// Date(y, m, d)); pin it so that a testcase gives the same answer on every machine. The
	// built-ins work in the ruleset's zone regardless.
	time.Local = time.UTC
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// execute runs the CLI and returns the process exit code: 0 success, 1 a failed run or test, 2 a
// usage error.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	fmt.Fprintln(stderr, "kubus:", err)
	return 2
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "kubus",
		Short:         "Kubus runs rulesets whose rules are JavaScript",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRunCmd(), newTestCmd(), newExportCmd(), newTypesCmd(), newImportCmd(), newVersionsCmd(), newMetricsCmd(), newAuditCmd(), newOcktoSimCmd(), newServeCmd(), newStudioCmd(), newKeysCmd(), newWorkflowCmd(), newDocumentsCmd(), newMailCmd())
	return root
}
