package rulesets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	// Time zones must validate the same on every host, including containers without zoneinfo.
	_ "time/tzdata"
)

// LoadOptions tells the loader what the engine provides, so names can be checked against it.
type LoadOptions struct {
	// Globals are the names of the built-ins the engine installs (ROUND, AGE, Finance, console, ...).
	// When nil, code is not checked for unknown names; ruleset names still may not hide JS globals.
	Globals map[string]bool
	// Libraries are the library rulesets that `uses` may name, by name. A used library that is not
	// here makes the unknown-name check skip that ruleset: its names cannot be known.
	Libraries map[string]*Ruleset

	// Load limits. Each is a load error naming the field when a ruleset goes past it; zero means the
	// default (the Default* constant of the same name).

	// MaxTotalBytes bounds all files of a ruleset folder together, and a JSON-form document
	// (default 16 MiB). Files are refused by their size before they are read.
	MaxTotalBytes int64
	// MaxFileBytes bounds one file of a ruleset folder: ruleset.yaml, a rule's .js file, a table's
	// .csv file, a testcase file (default 8 MiB).
	MaxFileBytes int64
	// MaxStringBytes bounds one YAML (or JSON) string scalar, inline code included (default 1 MiB).
	MaxStringBytes int64
	// MaxCodeBytes bounds one piece of code: a rule, function body, calculated property, alert
	// condition or message (default 256 KiB).
	MaxCodeBytes int64
	// MaxCodeNesting bounds how deeply one piece of code nests (brackets, operators and statements
	// within one expression), checked before the code is parsed (default 1000).
	MaxCodeNesting int
	// MaxCodeSnippets bounds the number of pieces of code in a ruleset (default 20,000).
	MaxCodeSnippets int
	// MaxDeclarations bounds the names a ruleset declares: inputs, entities, constants, tables,
	// functions and rules together (default 10,000).
	MaxDeclarations int
	// MaxTableRows bounds the rows of one table, inline or CSV (default 100,000); a CSV file is read
	// only up to the limit.
	MaxTableRows int
	// MaxTableCells bounds the cells (rows × columns) of all tables of a ruleset together
	// (default 1,000,000).
	MaxTableCells int
	// MaxYAMLValues bounds the values of one YAML document (ruleset.yaml, a testcase file),
	// counted from the text before it is parsed, and (four times it) the values it may expand to
	// through aliases (default 1,000,000). The JSON form, which carries the tables too, may hold
	// MaxYAMLValues + MaxTableCells.
	MaxYAMLValues int
}

// RulesetFile is the file that makes a folder a ruleset; inline testcases carry it as their File.
const RulesetFile = "ruleset.yaml"

const testsDir = "tests"

// Load loads a ruleset from a folder, a ruleset.yaml path, or a .json file holding the single-JSON form.
func Load(p string, opts *LoadOptions) (*Ruleset, error) {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return nil, &LoadError{Problems: []Problem{{Pos: Pos{File: filepath.Base(p)}, Message: "cannot read " + p + ": " + errText(err), Hint: "give a ruleset folder, its ruleset.yaml, or a .json export"}}}
	case fi.IsDir():
		return LoadDir(p, opts)
	case strings.EqualFold(filepath.Ext(p), ".json"):
		data, err := readJSONFile(p, opts)
		if err != nil {
			return nil, &LoadError{Problems: []Problem{{Pos: Pos{File: filepath.Base(p)}, Message: readProblem(err, p)}}}
		}
		return LoadJSON(data, filepath.Base(p), opts)
	case filepath.Base(p) == RulesetFile:
		return LoadDir(filepath.Dir(p), opts)
	}
	return nil, &LoadError{Problems: []Problem{{Pos: Pos{File: filepath.Base(p)}, Message: "not a ruleset: " + p, Hint: "give a ruleset folder, its ruleset.yaml, or a .json export"}}}
}

// LoadDir loads the ruleset folder dir: ruleset.yaml, the rules/*.js and tables/*.csv files it names,
// and the testcases in tests/*.yaml.
func LoadDir(dir string, opts *LoadOptions) (*Ruleset, error) {
	l := newLoader(opts)
	l.rs.Dir = dir
	root, err := os.OpenRoot(dir)
	if err != nil {
		l.probs.add(Pos{File: RulesetFile}, "", "give the path of a ruleset folder", "cannot open the ruleset folder %s: %s", dir, errText(err))
		return nil, l.probs.err()
	}
	defer root.Close()
	l.root = root

	src, err := l.readRootFile(RulesetFile)
	var le *limitError
	switch {
	case errors.As(err, &le):
		l.probs.add(Pos{File: RulesetFile, Line: 1}, "", "split it: rules/*.js files for code, tables/*.csv for tables", "%s", le.msg)
	case err != nil:
		hint := "every ruleset folder has a ruleset.yaml"
		l.probs.add(Pos{File: RulesetFile}, "", hint, "cannot read %s: %s", path.Join(filepath.ToSlash(dir), RulesetFile), errText(err))
	default:
		l.loadMain(RulesetFile, src)
	}
	l.loadScenarios()
	l.loadTestFiles()
	l.finish()
	if err := l.probs.err(); err != nil {
		return nil, err
	}
	return l.rs, nil
}

// LoadJSON loads the single-JSON form (what ExportJSON writes). It is read with the YAML parser, which
// keeps key order and positions; source names the document in positions.
func LoadJSON(data []byte, source string, opts *LoadOptions) (*Ruleset, error) {
	if source == "" {
		source = "ruleset.json"
	}
	l := newLoader(opts)
	l.jsonForm = true
	if int64(len(data)) > l.lim.totalBytes {
		l.probs.add(Pos{File: source, Line: 1}, "", "", "%s is larger than the limit of %d bytes (LoadOptions.MaxTotalBytes)", source, l.lim.totalBytes)
		return nil, l.probs.err()
	}
	l.loadMain(source, jsonForYAML(data))
	l.finish()
	if err := l.probs.err(); err != nil {
		return nil, err
	}
	return l.rs, nil
}

// jsonForYAML rewrites the JSON string escapes YAML lacks: "\/" becomes "/", and a UTF-16 surrogate
// pair "\ud83d\ude00" becomes YAML's "\U0001f600" (a lone surrogate becomes U+FFFD).
func jsonForYAML(data []byte) []byte {
	if !bytes.Contains(data, []byte(`\/`)) && !bytes.Contains(data, []byte(`\u`)) && !bytes.Contains(data, []byte(`\U`)) {
		return data
	}
	out := make([]byte, 0, len(data))
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case inString && c == '\\' && i+1 < len(data):
			switch data[i+1] {
			case '/':
				out = append(out, '/')
				i++
			case 'u':
				r1, ok1 := hex4(data, i+2)
				switch {
				case ok1 && utf16.IsSurrogate(r1):
					r2, ok2 := hex4(data, i+8)
					if r := utf16.DecodeRune(r1, r2); ok2 && i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' && r != unicode.ReplacementChar {
						out = fmt.Appendf(out, `\U%08x`, r)
						i += 11
					} else {
						out = append(out, `\ufffd`...)
						i += 5
					}
				default:
					out = append(out, c, data[i+1])
					i++
				}
			default:
				out = append(out, c, data[i+1])
				i++
			}
			continue
		case c == '"':
			inString = !inString
		}
		out = append(out, c)
	}
	return out
}

// hex4 reads four hex digits at data[i:].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(data[i:i+4]), 16, 32)
	return rune(v), err == nil
}

func errText(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ScenariosFile is the file in a ruleset folder with the Ockto simulator scenarios of its testcases.
const ScenariosFile = "ockto-scenarios.yaml"

// loadScenarios reads ockto-scenarios.yaml when the folder has one.
func (l *loader) loadScenarios() {
	src, err := l.readRootFile(ScenariosFile)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		l.probs.add(Pos{File: ScenariosFile, Line: 1}, "", "", "%s", readProblem(err, ScenariosFile))
		return
	}
	d := l.decoder(ScenariosFile, src)
	root, _ := d.parse(src)
	if root == nil {
		return
	}
	if l.rs.OcktoScenarios != nil {
		d.problem(root, "", "keep the scenarios in one place: "+ScenariosFile+" or `ocktoScenarios:` in "+RulesetFile, "the Ockto scenarios are written twice")
		return
	}
	l.rs.OcktoScenarios = l.objectValue(d, root, "")
}

// loadTestFiles reads tests/*.yaml in name order.
func (l *loader) loadTestFiles() {
	f, err := l.root.Open(testsDir)
	if err != nil {
		return // no tests folder: no testcase files
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		l.probs.add(Pos{File: testsDir}, "", "", "cannot list %s: %s", testsDir, errText(err))
		return
	}
	slices.Sort(names)
	for _, name := range names {
		if !isTestFileName(name) {
			continue
		}
		p := testsDir + "/" + name
		if fi, err := l.root.Stat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		src, err := l.readRootFile(p)
		if err != nil {
			l.probs.add(Pos{File: p, Line: 1}, "", "", "%s", readProblem(err, p))
			continue
		}
		d := l.decoder(p, src)
		if !utf8.Valid(src) {
			l.probs.add(Pos{File: p, Line: 1}, "", "save the file as UTF-8", "%s is not valid UTF-8", p)
			continue
		}
		root, _ := d.parse(src)
		if root == nil {
			continue // a syntax error (reported), or an empty file: no testcases
		}
		l.testFile(d, root, p)
	}
}

func isTestFileName(name string) bool {
	return !strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"))
}

// readFile reads a file named in ruleset.yaml. The root keeps it inside the ruleset folder.
func (l *loader) readFile(d *decoder, n *yaml.Node, field, p string) ([]byte, bool) {
	data, err := l.readRootFile(p)
	var le *limitError
	switch {
	case errors.As(err, &le):
		d.problem(n, field, "", "%s", le.msg)
		return nil, false
	case err != nil:
		d.problem(n, field, "create the file, or fix the path (relative to the ruleset folder)", "cannot read %s: %s", p, errText(err))
		return nil, false
	}
	if !utf8.Valid(data) {
		d.problem(n, field, "save the file as UTF-8", "%s is not valid UTF-8", p)
		return nil, false
	}
	return data, true
}

// checkPath validates a relative file path from a ruleset: it must stay inside the folder (WriteDir
// writes there, and the JSON form may come from anyone) and have the expected extension.
func checkPath(p string, exts ...string) (msg, hint string) {
	ok := false
	for _, e := range exts {
		if strings.HasSuffix(strings.ToLower(p), e) && len(p) > len(e) {
			ok = true
		}
	}
	switch {
	case p == "":
		return "the path is empty", "write a path relative to the ruleset folder, e.g. rules/max-loan.js"
	case strings.Contains(p, `\`):
		return "`" + p + "` uses backslashes", "write paths with forward slashes"
	case !filepath.IsLocal(p) || path.Clean(p) != p || strings.HasPrefix(p, "/"):
		return "`" + p + "` is not a plain path inside the ruleset folder", "write a relative path without .. or ./, e.g. rules/max-loan.js"
	case !ok:
		return "`" + p + "` does not end in " + strings.Join(exts, " or "), ""
	}
	return "", ""
}

// readJSONFile reads a JSON-form file, refusing one larger than the ruleset limit before reading it.
func readJSONFile(p string, opts *LoadOptions) ([]byte, error) {
	if opts == nil {
		opts = &LoadOptions{}
	}
	maxBytes := limitsOf(opts).totalBytes
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooBig := &limitError{fmt.Sprintf("%s is larger than the limit of %d bytes (LoadOptions.MaxTotalBytes)", filepath.Base(p), maxBytes)}
	if fi, err := f.Stat(); err == nil && fi.Size() > maxBytes {
		return nil, tooBig
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err == nil && int64(len(data)) > maxBytes {
		return nil, tooBig
	}
	return data, err
}
