package rulesets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"go.yaml.in/yaml/v3"
)

// The defaults of the load limits in LoadOptions. A ruleset may come from anyone who can import one, so
// every part of loading is bounded before it is read, decoded or parsed.
const (
	DefaultMaxTotalBytes  = 16 << 20 // all files of a ruleset together, or one JSON-form document
	DefaultMaxFileBytes   = 8 << 20  // one file of a ruleset folder
	DefaultMaxStringBytes = 1 << 20  // one YAML string scalar
	// One piece of code: a rule, function, calculated property, alert part. Also the backstop of the
	// nesting limit: goja's parser takes over 2 KiB of Go stack per "(" level, so even code nesting at
	// every byte stays within a few hundred MiB of stack, far from Go's fatal 1 GiB.
	DefaultMaxCodeBytes    = 256 << 10
	DefaultMaxTableRows    = 100_000   // rows of one table
	DefaultMaxTableCells   = 1_000_000 // cells of all tables together
	DefaultMaxDeclarations = 10_000    // inputs, entities, constants, tables, functions and rules together
	DefaultMaxCodeSnippets = 20_000    // pieces of code (see DefaultMaxCodeBytes) together
	DefaultMaxYAMLValues   = 1_000_000 // values of one YAML or JSON document
)

// yamlValuesPast returns the offset in src where a YAML document can hold more than max values, or -1.
// Parsing costs yaml.v3 about 500 bytes per value (an 8 MiB document of "1," took 5 s and 2 GB), so the
// count comes from the text first: every value but the first needs one of these bytes before it (a
// flow separator, a line break, a key indicator or a block sequence entry), so their number bounds
// the values from above.
func yamlValuesPast(src []byte, max int) int {
	n := 0
	for i, c := range src {
		switch c {
		case ',', '\n', ':', '[', '{', '-', '?':
			if n++; n > max {
				return i
			}
		}
	}
	return -1
}

// limits are the load limits in force, zero fields of LoadOptions taking their defaults.
type limits struct {
	totalBytes, fileBytes, stringBytes, codeBytes int64
	tableRows, tableCells, decls, snippets        int
	codeNesting, yamlValues                       int
}

func limitsOf(o *LoadOptions) limits {
	or := func(v, d int64) int64 {
		if v > 0 {
			return v
		}
		return d
	}
	ori := func(v, d int) int {
		if v > 0 {
			return v
		}
		return d
	}
	return limits{
		totalBytes:  or(o.MaxTotalBytes, DefaultMaxTotalBytes),
		fileBytes:   or(o.MaxFileBytes, DefaultMaxFileBytes),
		stringBytes: or(o.MaxStringBytes, DefaultMaxStringBytes),
		codeBytes:   or(o.MaxCodeBytes, DefaultMaxCodeBytes),
		tableRows:   ori(o.MaxTableRows, DefaultMaxTableRows),
		tableCells:  ori(o.MaxTableCells, DefaultMaxTableCells),
		decls:       ori(o.MaxDeclarations, DefaultMaxDeclarations),
		snippets:    ori(o.MaxCodeSnippets, DefaultMaxCodeSnippets),
		codeNesting: ori(o.MaxCodeNesting, DefaultMaxCodeNesting),
		yamlValues:  ori(o.MaxYAMLValues, DefaultMaxYAMLValues),
	}
}

// limitError is a file refused by a size limit; its text says which.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

// readRootFile reads p from the ruleset folder, refusing it before reading when it is larger than one
// file may be or than what is left of the ruleset's total; the bytes it reads count towards the total.
func (l *loader) readRootFile(p string) ([]byte, error) {
	f, err := l.root.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return l.readLimited(f, p)
}

// readLimited reads f (named p) within the file and total limits. The size is checked from Stat
// first, and the read is bounded too: a file may grow, or not know its size.
func (l *loader) readLimited(f fs.File, p string) ([]byte, error) {
	maxFile := l.lim.fileBytes
	left := l.lim.totalBytes - l.readBytes
	tooBig := func(size int64) error {
		if size > maxFile {
			return &limitError{fmt.Sprintf("%s is larger than the limit of %d bytes for one file (LoadOptions.MaxFileBytes)", p, maxFile)}
		}
		if size > left {
			return &limitError{fmt.Sprintf("with %s the ruleset's files add up to more than the limit of %d bytes (LoadOptions.MaxTotalBytes)", p, l.lim.totalBytes)}
		}
		return nil
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if err := tooBig(fi.Size()); err != nil {
			return nil, err
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, min(maxFile, left)+1))
	if err != nil {
		return nil, err
	}
	if err := tooBig(int64(len(data))); err != nil {
		return nil, err
	}
	l.readBytes += int64(len(data))
	return data, nil
}

// checkScalars reports the string scalars of a parsed document longer than the limit. It walks the
// tree as written (aliases are not followed), so its cost is the document's size.
func (d *decoder) checkScalars(root *yaml.Node, maxBytes int64) bool {
	ok := true
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil {
			continue
		}
		if n.Kind == yaml.ScalarNode && int64(len(n.Value)) > maxBytes {
			d.problem(n, "", "keep long texts and code in their own files, within the limit", "a text of %d bytes is longer than the limit of %d bytes (LoadOptions.MaxStringBytes)", len(n.Value), maxBytes)
			ok = false
		}
		stack = append(stack, n.Content...)
	}
	return ok
}

// readProblem is the message for a file that could not be read: the limit it broke, or why not.
func readProblem(err error, p string) string {
	var le *limitError
	if errors.As(err, &le) {
		return le.msg
	}
	return "cannot read " + p + ": " + errText(err)
}

// decoder is a decoder for one document of this load, with its limits.
func (l *loader) decoder(file string, src []byte) *decoder {
	d := newDecoder(file, src, &l.probs)
	d.maxString = l.lim.stringBytes
	d.maxValues = l.lim.yamlValues
	if l.jsonForm {
		d.maxValues += l.lim.tableCells // the JSON form carries the tables too
	}
	// Aliases may repeat values, but not past a few times what the document may hold.
	d.budget = min(d.budget, 4*d.maxValues)
	d.limit = d.budget
	return d
}

// addCode queues a piece of code for analysis, within the limit on their number.
func (l *loader) addCode(d *decoder, n *yaml.Node, ci *codeInfo) {
	if len(l.codes) >= l.lim.snippets {
		if !l.snippetsBlown {
			l.snippetsBlown = true
			d.problem(n, ci.field, "split the ruleset, or move shared code into functions", "the ruleset has more than %d pieces of code (LoadOptions.MaxCodeSnippets)", l.lim.snippets)
		}
		return
	}
	l.codes = append(l.codes, ci)
}
