package main

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/workflow"
	"github.com/kubusdev/kubus/workflow/diagram"
	"github.com/spf13/cobra"
)

// kubus workflow: the workflow commands, on the store without a server (the server must not be
// running: it holds the store).

// workflowEnv is what every workflow command opens: an engine and the store.
type workflowEnv struct {
	env       envFlags
	storePath string
	now       string
}

func (w *workflowEnv) open() (*engine.Engine, *store.Bolt, *workflow.Service, error) {
	eng, err := w.env.engine()
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := store.Open(store.PathFromEnv(w.storePath), store.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	clock := time.Now
	if w.now != "" {
		t, err := parseNow(w.now)
		if err != nil {
			s.Close()
			return nil, nil, nil, err
		}
		clock = func() time.Time { return t }
	}
	return eng, s, workflow.New(eng, s, workflow.Options{Now: clock}), nil
}

func newWorkflowCmd() *cobra.Command {
	w := &workflowEnv{}
	cmd := &cobra.Command{
		Use:   "workflow",
		Short: "Start, answer, inspect and drive workflow instances on the store",
		Long: `Work with the instances of workflow rulesets on the store, without a server. Each command runs what
became due; ` + "`kubus workflow tick`" + ` fires due timers (run it from cron, or let ` + "`kubus serve`" + ` do it).`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&w.storePath, "store", "", "store file (default $KUBUS_STORE, else ./kubus.db)")
	pf.StringVar(&w.now, "now", "", "the clock, RFC 3339 or YYYY-MM-DD (default: the current time)")
	pf.StringVar(&w.env.config, "config", "", "config file with named environments (default $KUBUS_CONFIG, else ./kubus.yaml)")
	pf.StringVar(&w.env.environment, "environment", "", "environment whose variables System.env sees")

	// run opens everything, runs fn and prints what it returns as JSON; errors become the exit code.
	run := func(cmd *cobra.Command, fn func(ctx context.Context, eng *engine.Engine, s *store.Bolt, svc *workflow.Service) (any, error)) error {
		eng, s, svc, err := w.open()
		if err != nil {
			return err
		}
		defer s.Close()
		defer w.env.closeConnections() // before the store closes: queued mail goes out first
		v, err := fn(cmd.Context(), eng, s, svc)
		if err != nil {
			return workflowError(cmd, err)
		}
		if inst, ok := v.(*workflow.Instance); ok && slices.Contains([]string{"start", "answer", "upload", "retry"}, cmd.Name()) {
			// Without a scheduler, the command runs what became due before it answers.
			if inst, err = settle(cmd.Context(), svc, inst.ID); err != nil {
				return workflowError(cmd, err)
			}
			v = inst
		}
		if v != nil {
			writeJSON(cmd.OutOrStdout(), v)
		}
		if inst, ok := v.(*workflow.Instance); ok && inst.Error != nil {
			// An incident: the instance waits for `kubus workflow retry`.
			fmt.Fprintf(cmd.ErrOrStderr(), "kubus: instance %s failed at step %s: %s\n", inst.ID, inst.Error.Step, inst.Error.Message)
			return exitError{1}
		}
		return nil
	}

	var inputPath string
	var quiet bool
	start := &cobra.Command{
		Use:   "start DIR|NAME[@VERSION] --input FILE|-",
		Short: "Start an instance and run it until it waits; print the instance",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, func(ctx context.Context, eng *engine.Engine, s *store.Bolt, svc *workflow.Service) (any, error) {
				rs, err := resolveRuleset(eng, args[0], w.storePath)
				if err != nil {
					printLoadError(cmd.ErrOrStderr(), args[0], err)
					return nil, exitError{1}
				}
				input := map[string]any{}
				if inputPath != "" {
					if input, err = readInput(cmd.InOrStdin(), inputPath, eng.Limits().MaxInputBytes); err != nil {
						return nil, err
					}
				}
				inst, err := svc.Start(ctx, rs, input)
				if err == nil && quiet {
					fmt.Fprintln(cmd.OutOrStdout(), inst.ID)
					return nil, nil
				}
				return inst, err
			})
		},
	}
	start.Flags().StringVarP(&inputPath, "input", "i", "", "start input JSON file, or - for standard input")
	start.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the new instance's id")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Print an instance",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, func(ctx context.Context, _ *engine.Engine, _ *store.Bolt, svc *workflow.Service) (any, error) {
				return svc.Get(args[0])
			})
		},
	}

	history := &cobra.Command{
		Use:   "history ID",
		Short: "Print an instance's history, one event a line",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, func(ctx context.Context, _ *engine.Engine, _ *store.Bolt, svc *workflow.Service) (any, error) {
				evs, err := svc.History(args[0])
				if err != nil {
					return nil, err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				for _, e := range evs {
					detail := ""
					if len(e.Detail) > 0 {
						detail = workflow.Compact(e.Detail)
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Format(time.RFC3339), e.Event, e.Step, detail)
				}
				return nil, tw.Flush()
			})
		},
	}

	var status string
	var limit int
	list := &cobra.Command{
		Use:   "list [NAME] [--status S]",
		Short: "List instances: id, workflow, version, status, waiting at",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, func(ctx context.Context, _ *engine.Engine, _ *store.Bolt, svc *workflow.Service) (any, error) {
				o := workflow.ListOptions{Status: status, Limit: limit}
				if len(args) == 1 {
					o.Workflow = args[0]
				}
				insts, _, err := svc.List(o)
				if err != nil {
					return nil, err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tWORKFLOW\tVERSION\tSTATUS\tAT\tUPDATED")
				for _, inst := range insts {
					at := inst.Step
					for i, wt := range inst.Waiting {
						if i == 0 {
							at = ""
						} else {
							at += ","
						}
						at += wt.Step
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", inst.ID, inst.Workflow, inst.Version, inst.Status, at, inst.UpdatedAt.Format(time.RFC3339))
				}
				return nil, tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&status, "status", "", "only instances with this status: running, waiting, completed, failed, canceled")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many")

	var answerPath string
	answer := &cobra.Command{
		Use:   "answer ID STEP --input FILE|-",
		Short: "Answer the task an instance waits for at STEP, and run on until it waits",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, func(ctx context.Context, eng *engine.Engine, _ *store.Bolt, svc *workflow.Service) (any, error) {
				a, err := readInput(cmd.InOrStdin(), answerPath, eng.Limits().MaxInputBytes)
				if err != nil {
					return nil, err
				}
				return svc.Answer(ctx, args[0], args[1], a)
			})
		},
	}
	answer.Flags().StringVarP(&answerPath, "input", "i", "-", "answer JSON file, or - for standard input")
	_ = answer.MarkFlagRequired("input")

	var contentType string
	upload := &cobra.Command{
		Use:   "upload ID STEP FILE [--type TYPE]",
		Short: "Upload the file an instance waits for at STEP, and run on until it waits",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, func(ctx context.Context, _ *engine.Engine, _ *store.Bolt, svc *workflow.Service) (any, error) {
				f, err := os.Open(args[2])
				if err != nil {
					return nil, err
				}
				defer f.Close()
				ct := contentType
				if ct == "" {
					ct = mime.TypeByExtension(filepath.Ext(args[2]))
				}
				return svc.Upload(ctx, args[0], args[1], workflow.File{Name: filepath.Base(args[2]), ContentType: ct, Body: f})
			})
		},
	}
	upload.Flags().StringVar(&contentType, "type", "", "content type (default: from the file's extension)")

	var reason string
	cancel := &cobra.Command{
		Use:   "cancel ID [--reason TEXT]",
		Short: "Cancel an instance: nothing more runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, func(ctx context.Context, _ *engine.Engine, _ *store.Bolt, svc *workflow.Service) (any, error) {
				return svc.Cancel(ctx, args[0], reason)
			})
		},
	}
	cancel.Flags().StringVar(&reason, "reason", "", "why, for the history")

	retry := &cobra.Command{
		Use:   "retry ID",
		Short: "Run the failed step of an incident again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, func(ctx context.Context, _ *engine.Engine, _ *store.Bolt, svc *workflow.Service) (any, error) {
				return svc.Retry(ctx, args[0])
			})
		},
	}

	tick := &cobra.Command{
		Use:   "tick",
		Short: "Fire every timer that is due and run every ready step; print how many",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, func(ctx context.Context, _ *engine.Engine, _ *store.Bolt, svc *workflow.Service) (any, error) {
				n, err := svc.Tick(ctx)
				if err != nil {
					return nil, err
				}
				return map[string]any{"fired": n}, nil
			})
		},
	}

	cmd.AddCommand(start, show, history, list, answer, upload, cancel, retry, tick, newWorkflowDiagramCmd(w))
	return cmd
}

// settle ticks until nothing more is due (at most 64 passes: an instance that keeps making work is
// left to the next command or to kubus serve) and returns the instance as it then is.
func settle(ctx context.Context, svc *workflow.Service, id string) (*workflow.Instance, error) {
	for range 64 {
		n, err := svc.Tick(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
	}
	return svc.Get(id)
}

// workflowError prints a workflow error the way `kubus run` prints its errors, and exits 1.
func workflowError(cmd *cobra.Command, err error) error {
	var ee exitError
	if errors.As(err, &ee) {
		return err
	}
	var ie *engine.InputError
	if errors.As(err, &ie) {
		writeJSON(cmd.OutOrStdout(), ie)
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "kubus:", err)
	return exitError{1}
}

// newWorkflowDiagramCmd is `kubus workflow diagram`: the step graph as Mermaid or SVG, with an
// instance's path when asked.
func newWorkflowDiagramCmd(w *workflowEnv) *cobra.Command {
	var instance, format, out string
	cmd := &cobra.Command{
		Use:   "diagram DIR|NAME[@VERSION] [--instance ID] [--format mermaid|svg] [-o FILE]",
		Short: "Draw a workflow's steps, with an instance's path, current and failed steps",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "mermaid" && format != "svg" {
				return fmt.Errorf("--format %q: use mermaid or svg", format)
			}
			eng, err := w.env.engine()
			if err != nil {
				return err
			}
			var marks *diagram.Marks
			var rs *engine.Ruleset
			if instance != "" {
				s, err := store.Open(store.PathFromEnv(w.storePath), store.Options{})
				if err != nil {
					return err
				}
				defer s.Close()
				svc := workflow.New(eng, s, workflow.Options{})
				inst, err := svc.Get(instance)
				if err != nil {
					return workflowError(cmd, err)
				}
				evs, err := svc.History(instance)
				if err != nil {
					return workflowError(cmd, err)
				}
				marks = workflow.MarksOf(inst, evs)
				// The instance's own version, from a folder or the store.
				if rs, err = svc.Ruleset(inst); err != nil {
					return workflowError(cmd, err)
				}
			} else if rs, err = resolveRuleset(eng, args[0], w.storePath); err != nil {
				printLoadError(cmd.ErrOrStderr(), args[0], err)
				return exitError{1}
			}
			wf := rs.Model().Workflow
			if wf == nil {
				return fmt.Errorf("ruleset %s has no workflow", rs.Name())
			}
			var data []byte
			if format == "svg" {
				data = diagram.SVG(wf, marks)
			} else {
				data = []byte(diagram.Mermaid(wf, marks))
			}
			if out != "" {
				return os.WriteFile(out, data, 0o644)
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
	cmd.Flags().StringVar(&instance, "instance", "", "mark this instance's path, current and failed steps")
	cmd.Flags().StringVar(&format, "format", "mermaid", "mermaid or svg")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of standard output")
	return cmd
}
