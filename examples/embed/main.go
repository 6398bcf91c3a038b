// Command embed shows Kubus embedded in a Go program: load a ruleset once, then execute it for each
// quote request with a plain Go map as input and a Go map as output.
//
//	go run ./examples/embed [RULESET_DIR]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kubusdev/kubus/engine"
)

func main() {
	dir := "examples/travel-insurance"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := quote(os.Stdout, dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// quote prices two trips and shows what a rejected input looks like.
func quote(w io.Writer, dir string) error {
	eng := engine.New() // default limits: 1 s per execution, guarded allocations
	rs, err := eng.Load(dir)
	if err != nil {
		return fmt.Errorf("loading %s: %w", dir, err)
	}
	ctx := context.Background()
	now := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC) // a fixed clock keeps the demo's answer stable

	trips := []map[string]any{
		{"StartDate": "2024-07-01", "EndDate": "2024-07-15", "DateOfBirth": "1998-04-12", "CustomerArea": "south", "NumberOfItems": 1},
		{"StartDate": "2024-08-03", "EndDate": "2024-08-10", "DateOfBirth": "1951-11-30", "CustomerArea": "west"},
	}
	for _, trip := range trips {
		res, err := rs.Execute(ctx, trip, engine.ExecOptions{Now: now})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s → %v days, band %v, premium € %.2f, alerts %d\n",
			trip["StartDate"], res.Output["NumberOfDays"], res.Output["AgeBand"], res.Output["TotalPremium"], len(res.Alerts))
	}

	// A wrong input is refused before any rule runs, with every problem and its JSON path.
	_, err = rs.Execute(ctx, map[string]any{"StartDate": "tomorrow", "CustomerArea": "middle"}, engine.ExecOptions{Now: now})
	var ie *engine.InputError
	if !errors.As(err, &ie) {
		return fmt.Errorf("expected an input error, got %v", err)
	}
	for _, p := range ie.Problems {
		fmt.Fprintf(w, "refused: %s: %s\n", p.Path, p.Message)
	}
	return nil
}
