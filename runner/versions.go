package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
	"github.com/spf13/cobra"
)

// Ruleset versions in the store: `kubus import` stores one, `kubus versions` lists them, and run,
// test and export take NAME[@VERSION] wherever they take a folder or JSON file.

const storeFlagHelp = "store file holding the ruleset versions (default $KUBUS_STORE, else ./kubus.db)"

// storeRefRE is a ruleset name (as ruleset.yaml allows it) with an optional @VERSION.
var storeRefRE = regexp.MustCompile(`^([a-z0-9][a-z0-9-]*)(?:@([0-9A-Za-z.+-]+))?$`)

// storeRef reads arg as NAME[@VERSION] of a stored ruleset. An existing file or folder is always a
// path (so a folder named like a ruleset in the working directory wins), and so is anything that
// cannot be a ruleset name: a mistyped path keeps its "cannot read" error instead of becoming a
// store lookup.
func storeRef(arg string) (name, version string, ok bool) {
	if _, err := os.Lstat(arg); !errors.Is(err, fs.ErrNotExist) {
		return "", "", false
	}
	m := storeRefRE.FindStringSubmatch(arg)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// openExistingStore opens the store file at path for reading stored versions. Unlike store.Open it
// refuses a file that does not exist, so that a lookup never leaves an empty kubus.db behind.
func openExistingStore(path string) (*store.Bolt, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("there is no store %s (import a ruleset with `kubus import`, or point --store or $KUBUS_STORE at the store)", path)
	}
	return store.Open(path, store.Options{})
}

// openStoreFor is openExistingStore for a command: the path from --store or $KUBUS_STORE, and a
// missing store printed and exit 1.
func openStoreFor(cmd *cobra.Command, storePath string) (*store.Bolt, error) {
	s, err := openExistingStore(store.PathFromEnv(storePath))
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), err)
		return nil, exitError{1}
	}
	return s, nil
}

// readStore runs read in a read-only look at the store at storePath (which must exist), then
// discards the transaction and closes the store.
func readStore(cmd *cobra.Command, storePath string, read func(s *store.Bolt, tx store.Tx) error) error {
	s, err := openStoreFor(cmd, storePath)
	if err != nil {
		return err
	}
	defer s.Close()
	tx := s.Begin()
	defer tx.Discard()
	return read(s, tx)
}

// getStored reads one stored version (the latest when version is empty), with an error that says
// what is missing and how to see what is stored.
func getStored(s *store.Bolt, name, version string) ([]byte, string, error) {
	doc, v, err := s.GetRuleset(name, version)
	if errors.Is(err, store.ErrNotFound) {
		if version == "" {
			return nil, "", fmt.Errorf("no file or folder %s, and no ruleset %s in store %s", name, name, s.Path())
		}
		return nil, "", fmt.Errorf("ruleset %s has no version %s in store %s (`kubus versions %s` lists what is stored)", name, version, s.Path(), name)
	}
	return doc, v, err
}

// resolveRuleset loads the ruleset arg names into eng: a folder or JSON file as loadRuleset does,
// or, when arg is no existing path but reads as NAME[@VERSION], that version (else the latest) from
// the store at storePath (resolved by store.PathFromEnv). Libraries a stored ruleset `uses` that
// eng does not have yet are taken from the store too, at their latest version. The store is closed
// again before resolveRuleset returns.
func resolveRuleset(eng *engine.Engine, arg, storePath string) (*engine.Ruleset, error) {
	name, version, ok := storeRef(arg)
	if !ok {
		return loadRuleset(eng, arg)
	}
	s, err := openExistingStore(store.PathFromEnv(storePath))
	if err != nil {
		return nil, fmt.Errorf("no file or folder %s, and %w", arg, err)
	}
	defer s.Close()
	return loadStored(eng, s, name, version)
}

func loadStored(eng *engine.Engine, s *store.Bolt, name, version string) (*engine.Ruleset, error) {
	return eng.LoadStored(describedStore{s}, name, version)
}

// describedStore gives the store's "not found" the words of getStored.
type describedStore struct{ s *store.Bolt }

func (d describedStore) GetRuleset(name, version string) ([]byte, string, error) {
	return getStored(d.s, name, version)
}

func newImportCmd() *cobra.Command {
	var storePath string
	cmd := &cobra.Command{
		Use:   "import DIR|FILE.json [--store PATH]",
		Short: "Store a version of a ruleset, to run, test and export it later as NAME@VERSION",
		Long: `Validate a ruleset (a folder or its JSON form) and store its single-JSON form under its name and
version. A stored version never changes: importing the same content again does nothing, other
content under a stored version is refused (exit 1) and needs a new version. Libraries the ruleset
uses are loaded from sibling folders to check it, but stored only when imported themselves.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := loadRuleset(engine.New(), args[0])
			if err != nil {
				printLoadError(cmd.ErrOrStderr(), args[0], err)
				return exitError{1}
			}
			doc, err := rulesets.ExportJSON(rs.Model())
			if err != nil {
				return err
			}
			s, err := store.Open(store.PathFromEnv(storePath), store.Options{})
			if err != nil {
				return err
			}
			defer s.Close()
			created, err := s.PutRuleset(rs.Name(), rs.Version(), doc, time.Time{})
			switch {
			case errors.Is(err, store.ErrImmutable):
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return exitError{1}
			case err != nil:
				return err
			case created:
				fmt.Fprintf(cmd.OutOrStdout(), "stored %s %s\n", rs.Name(), rs.Version())
			default:
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s is already stored (unchanged)\n", rs.Name(), rs.Version())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&storePath, "store", "", storeFlagHelp)
	return cmd
}

func newVersionsCmd() *cobra.Command {
	var storePath string
	cmd := &cobra.Command{
		Use:   "versions NAME [--store PATH]",
		Short: "List the stored versions of a ruleset",
		Long: `List the stored versions of a ruleset in ascending version order: version, when it was stored
(RFC 3339, UTC) and the size of its JSON form; the latest, which NAME without @VERSION runs, is
marked. Exits 1 when none is stored.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if n, _, ok := strings.Cut(name, "@"); ok {
				return fmt.Errorf("versions takes a ruleset name, not %s (try `kubus versions %s`)", name, n)
			}
			s, err := openExistingStore(store.PathFromEnv(storePath))
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return exitError{1}
			}
			defer s.Close()
			vs, err := s.Versions(name)
			if err != nil {
				return err
			}
			if len(vs) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "no versions of ruleset %s in store %s\n", name, s.Path())
				return exitError{1}
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			for i, v := range vs {
				mark := ""
				if i == len(vs)-1 {
					mark = "\tlatest"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d bytes%s\n", v.Version, v.StoredAt.UTC().Format(time.RFC3339), v.Size, mark)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&storePath, "store", "", storeFlagHelp)
	return cmd
}

// loadForExport loads what `kubus export` writes: a folder or JSON file (stored is nil), or a stored
// version, whose stored bytes come back too so that it is written exactly as it was imported.
func loadForExport(arg, storePath string) (rs *rulesets.Ruleset, stored []byte, err error) {
	lo, err := engine.New().LoadOptions()
	if err != nil {
		return nil, nil, err
	}
	name, version, ok := storeRef(arg)
	if !ok {
		rs, err = rulesets.Load(arg, lo)
		return rs, nil, err
	}
	s, err := openExistingStore(store.PathFromEnv(storePath))
	if err != nil {
		return nil, nil, fmt.Errorf("no file or folder %s, and %w", arg, err)
	}
	defer s.Close()
	doc, version, err := getStored(s, name, version)
	if err != nil {
		return nil, nil, err
	}
	if rs, err = rulesets.LoadJSON(doc, name+"@"+version+" (store)", lo); err != nil {
		return nil, nil, err
	}
	return rs, doc, nil
}
