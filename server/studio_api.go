package server

// The studio's API: what the browser app needs beyond the public API — a ruleset's files and where
// its names are written, editing a folder ruleset's files, its testcases (list, run, save an
// execution as a testcase, accept an actual result as the baseline) and completions for the editor.
//
// Reading needs the scope execute:{name} or admin; changing files needs admin and a folder ruleset
// served with --watch (a stored ruleset is a version, which never changes). Every edit writes its
// file atomically (a temporary file in the same folder, renamed over it) and reloads the folder at
// once, so the answer says whether the ruleset loads and, if not, every problem with its place;
// the watcher reloads again, which changes nothing. Names and paths from the URL are checked
// before anything is read: a path stays inside the ruleset's folder, never follows a symlink and
// never names a dot file.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/std"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/engine/kubustest"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/rulesets/culture"
)

// Bounds of the studio's routes.
const (
	studioMaxFile     = 1 << 20  // one file shown or written
	studioMaxFiles    = 500      // files of a folder shown
	studioMaxTotal    = 16 << 20 // all files of a folder shown, together
	studioMaxDepth    = 8        // folder levels shown
	studioMaxPath     = 256      // bytes of a file path
	studioMaxCaseName = 200      // bytes of a testcase name
	studioRunTimeout  = 60 * time.Second
)

const (
	notWatching = "start kubus serve with --watch (or kubus studio) to edit folder rulesets"
	readOnly    = "a stored ruleset is read-only: it is a version"
)

// studioNewDirs are the folders a new file may be created in, and studioExts the extensions a
// written file may have.
var (
	studioNewDirs = []string{"rules", "tables", "tests"}
	studioExts    = []string{".yaml", ".yml", ".js", ".csv", ".json"}
)

func (s *Server) studioAPIRoutes() []*route {
	with := func(codes ...int) []int { return append(codes, 401, 403) }
	read := []string{"execute:{name}", "admin"}
	admin := []string{"admin"}
	return []*route{
		{Method: "GET", Pattern: "/api/studio/rulesets", Access: []string{accessKey}, Tag: "studio", Summary: "The rulesets the key may see, for the studio: where each comes from, whether it loads (with its problems) and whether it can be edited", Status: with(200), handle: s.studioRulesets},
		{Method: "GET", Pattern: "/api/rulesets/{name}/source", Access: admin, Tag: "studio", Summary: "A ruleset's files (a stored ruleset: its JSON form) and where each rule, alert, function and name is written", Status: with(200, 404), handle: s.studioSource},
		{Method: "PUT", Pattern: "/api/rulesets/{name}/files/{path...}", Access: admin, Tag: "studio", Summary: "Write a file of a folder ruleset served with --watch (the body is the file) and reload it: whether it loads, with its problems", Status: with(200, 400, 404, 409, 413, 415), handle: s.studioPutFile},
		{Method: "GET", Pattern: "/api/rulesets/{name}/testcases", Access: read, Tag: "studio", Summary: "A ruleset's testcases: name, file, input, options", Status: with(200, 404, 503), handle: s.studioTestcases},
		{Method: "POST", Pattern: "/api/rulesets/{name}/testcases/run", Access: read, Tag: "studio", Summary: "Run a ruleset's testcases ({\"name\"}: one of them) as kubus test does", Body: true, Status: with(200, 400, 404, 413, 415, 503), handle: s.studioRunTestcases},
		{Method: "POST", Pattern: "/api/rulesets/{name}/testcases", Access: admin, Tag: "studio", Summary: "Execute an input and save it as a testcase whose expectation is the actual result", Body: true, Status: with(201, 400, 404, 409, 413, 415, 503), handle: s.studioCreateTestcase},
		{Method: "POST", Pattern: "/api/rulesets/{name}/testcases/accept", Access: admin, Tag: "studio", Summary: "Run a testcase and write its actual result as its expectation, as kubus test --update does", Body: true, Status: with(200, 400, 404, 409, 413, 415, 503), handle: s.studioAcceptTestcase},
		{Method: "GET", Pattern: "/api/rulesets/{name}/completions", Access: read, Tag: "studio", Summary: "Completions for the editor: the ruleset's names and the built-ins, and its TypeScript declarations", Status: with(200, 404), handle: s.studioCompletions},
	}
}

// studioProblem is a ruleset problem as the studio shows it: where (file relative to the folder,
// 1-based line and column; empty and 0 when the problem has no place), what and the fix.
type studioProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Field   string `json:"field"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

func studioProblems(ps []rulesets.Problem) []studioProblem {
	out := make([]studioProblem, len(ps))
	for i, p := range ps {
		out[i] = studioProblem{File: p.Pos.File, Line: p.Pos.Line, Column: p.Pos.Column, Field: p.Field, Message: p.Message, Hint: p.Hint}
	}
	return out
}

func statusOf(probs []rulesets.Problem) string {
	if len(probs) > 0 {
		return "failed"
	}
	return "loaded"
}

// studioTarget is the path's ruleset as the studio sees it.
type studioTarget struct {
	name   string
	folder string // "" for a ruleset from the store
	// rs is the version the folder last loaded, or the latest stored version; nil when the folder
	// never loaded.
	rs       *engine.Ruleset
	problems []rulesets.Problem // why the folder does not load now
}

func (t *studioTarget) source() string {
	if t.folder != "" {
		return "folder"
	}
	return "store"
}

// studioTarget resolves the path's ruleset: a folder the catalog knows (loaded or not) or a
// served ruleset. It answers 404 itself.
func (c *call) studioTarget() *studioTarget {
	name := c.r.PathValue("name")
	if len(name) > 100 || !rulesetNameRE.MatchString(name) {
		c.problem(newProblem("not-found", "no ruleset %q is served", shorten(name, 100)))
		return nil
	}
	folder, version, probs := c.s.catalog.folderState(name)
	t := &studioTarget{name: name, folder: folder, problems: probs}
	switch {
	case folder != "" && version != "":
		t.rs, _ = c.s.eng.Get(name + "@" + version)
	case folder == "":
		rs, err := c.s.eng.Get(name)
		if err != nil {
			c.problem(newProblem("not-found", "no ruleset %s is served", name))
			return nil
		}
		t.rs = rs
	}
	if t.rs != nil {
		c.ruleset = t.rs.Name() + "@" + t.rs.Version()
	}
	return t
}

// loaded answers 503 for a folder that never loaded (there is nothing to run or list); it reports
// whether there is a ruleset.
func (c *call) loaded(t *studioTarget) bool {
	if t.rs != nil {
		return true
	}
	p := newProblem("ruleset-not-available", "ruleset %s does not load (%d problem(s)); fix its files first", t.name, len(t.problems))
	p.Errors = studioProblems(t.problems)
	c.problem(p)
	return false
}

// editable reports whether the call may edit the ruleset's files now.
func (c *call) editable(t *studioTarget) bool {
	return t.folder != "" && c.s.catalog.watching.Load() && c.may("admin")
}

// writable answers 409 unless the ruleset is a folder served with --watch.
func (c *call) writable(t *studioTarget) bool {
	switch {
	case t.folder == "":
		c.problem(newProblem("conflict", "%s (ruleset %s is served from the store; import a new version to change it)", readOnly, t.name))
		return false
	case !c.s.catalog.watching.Load():
		c.problem(newProblem("conflict", "%s", notWatching))
		return false
	}
	return true
}

func shorten(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// ---- GET /api/studio/rulesets

// studioEntry is a ruleset in GET /api/studio/rulesets.
type studioEntry struct {
	Name        string          `json:"name"`
	Latest      string          `json:"latest"`   // the highest served version ("" when none is)
	Versions    []string        `json:"versions"` // served versions, ascending
	Description string          `json:"description"`
	Library     bool            `json:"library"`
	Persists    bool            `json:"persists"`
	Workflow    bool            `json:"workflow"`
	Source      string          `json:"source"`           // "folder" or "store"
	Folder      string          `json:"folder,omitempty"` // with admin only
	Editable    bool            `json:"editable"`
	Status      string          `json:"status"` // "loaded", or "failed": the folder does not load now
	Problems    []studioProblem `json:"problems"`
}

// studioRulesets is GET /api/studio/rulesets (any key; the rulesets its scopes reach):
//
//	{"rulesets": [{"name", "latest", "versions": ["1.0.0"], "description", "library": false,
//	  "persists": false, "workflow": false, "source": "folder"|"store", "folder": "path" (admin only),
//	  "editable": bool, "status": "loaded"|"failed",
//	  "problems": [{"file", "line", "column", "field", "message", "hint"}]}]}
//
// A folder that does not load now is "failed" with its problems; it still lists the versions it
// served before (none when it never loaded: Config.KeepFailing). "editable": a folder ruleset,
// the server watches its folders and the key has admin. Sorted by name.
func (s *Server) studioRulesets(c *call) {
	names, byName := s.servedRulesets()
	for _, n := range s.catalog.neverLoaded() {
		if _, ok := byName[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	out := []studioEntry{}
	for _, n := range names {
		if !c.visible(n) {
			continue
		}
		folder, version, probs := s.catalog.folderState(n)
		e := studioEntry{Name: n, Versions: []string{}, Source: "store", Status: statusOf(probs), Problems: studioProblems(probs)}
		versions := byName[n]
		for _, v := range versions {
			e.Versions = append(e.Versions, v.Version())
		}
		var m *rulesets.Ruleset
		if len(versions) > 0 {
			e.Latest = versions[len(versions)-1].Version()
			m = versions[len(versions)-1].Model()
		}
		if folder != "" {
			e.Source = "folder"
			e.Editable = s.catalog.watching.Load() && c.may("admin")
			if c.may("admin") {
				e.Folder = folder
			}
			if rs, err := s.eng.Get(n + "@" + version); version != "" && err == nil {
				m = rs.Model() // what the studio edits and runs: the folder's version
			}
		}
		if m != nil {
			e.Description, e.Library, e.Persists, e.Workflow = m.Description, m.Library, m.Persists(), m.Workflow != nil
		}
		out = append(out, e)
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"rulesets": out})
}

// ---- GET /api/rulesets/{name}/source

type studioFile struct {
	Path     string `json:"path"`     // relative to the folder, with /
	Language string `json:"language"` // yaml, javascript, csv, json, text
	Size     int64  `json:"size"`
	Content  string `json:"content"`
	// Binary: the file is not UTF-8 text; TooLarge: it is over 1 MiB, or past the folder's 16 MiB.
	// Either way Content is empty.
	Binary   bool `json:"binary,omitempty"`
	TooLarge bool `json:"tooLarge,omitempty"`
}

// studioPlace is where a name is written.
type studioPlace struct {
	Kind   string `json:"kind"` // rule, alert, function, calculated, input, constant, table, entity
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// studioSource is GET /api/rulesets/{name}/source:
//
//	{"name", "version", "source": "folder"|"store",
//	 "files": [{"path": "ruleset.yaml", "language": "yaml"|"javascript"|"csv"|"json"|"text",
//	            "size": bytes, "content": "...", "binary": true?, "tooLarge": true?}],
//	 "truncated": true?,             // more than 500 files: the rest are left out
//	 "rules": {"InsuranceCosts": {"kind": "rule", "file": "ruleset.yaml", "line": 12, "column": 3},
//	           "MaxLoan": {"kind": "rule", "file": "rules/max-loan.js", "line": 1, "column": 1},
//	           "Person.Age": {"kind": "calculated", ...}, "TooYoung": {"kind": "alert", ...}, ...},
//	 "ruleOrder": ["NumberOfDays", ...],  // rules in declared order
//	 "outputs": ["InsuranceCosts", ...],  // the rules that are in the output, in order
//	 "editable": bool, "status": "loaded"|"failed", "problems": [...]}
//
// A folder ruleset: every file of its folder, ruleset.yaml first, then by path; dot files and
// symlinks are left out, a file over 1 MiB or not UTF-8 is listed without content. "rules" places
// every rule, alert, function, calculated property (Entity.Name), input, constant, table and
// entity: a rule written in a file at that file, else at its key in ruleset.yaml. A stored ruleset:
// its JSON form as the one file ruleset.json, the places in it. A folder that never loaded has
// its files and problems, and no places.
func (s *Server) studioSource(c *call) {
	t := c.studioTarget()
	if t == nil {
		return
	}
	out := map[string]any{"name": t.name, "source": t.source(), "editable": c.editable(t),
		"status": statusOf(t.problems), "problems": studioProblems(t.problems)}
	model := (*rulesets.Ruleset)(nil)
	if t.rs != nil {
		out["version"] = t.rs.Version()
		model = t.rs.Model()
	}
	if t.folder != "" {
		files, truncated, err := folderFiles(t.folder)
		if err != nil {
			c.problem(newProblem("internal", "reading the folder of ruleset %s: %v", t.name, err))
			return
		}
		out["files"] = files
		if truncated {
			out["truncated"] = true
		}
	} else {
		doc, _, err := s.st.GetRuleset(t.rs.Name(), t.rs.Version())
		if err != nil {
			if doc, err = rulesets.ExportJSON(model); err != nil {
				c.problem(newProblem("internal", "the JSON form of %s: %v", t.name, err))
				return
			}
		}
		out["files"] = []studioFile{{Path: "ruleset.json", Language: "json", Size: int64(len(doc)), Content: string(doc)}}
		// Places in the document shown: read it again under that name.
		if lo, err := s.eng.LoadOptions(); err == nil {
			if m, err := rulesets.LoadJSON(doc, "ruleset.json", lo); err == nil {
				model = m
			}
		}
	}
	places, order, outputs := placesOf(model)
	out["rules"], out["ruleOrder"], out["outputs"] = places, order, outputs
	writeJSON(c.w, http.StatusOK, out)
}

// placesOf is where each name of a ruleset is written, its rules in order and its output rules.
func placesOf(m *rulesets.Ruleset) (map[string]studioPlace, []string, []string) {
	places := map[string]studioPlace{}
	order, outputs := []string{}, []string{}
	if m == nil {
		return places, order, outputs
	}
	put := func(name, kind string, p rulesets.Pos, code *rulesets.Code) {
		if code != nil && code.File != "" {
			p = code.Pos
		}
		if p.File == "" {
			return
		}
		if _, ok := places[name]; !ok {
			places[name] = studioPlace{Kind: kind, File: filepath.ToSlash(p.File), Line: p.Line, Column: p.Column}
		}
	}
	for _, r := range m.Rules {
		put(r.Name, "rule", r.Pos, &r.Code)
		order = append(order, r.Name)
		if r.Output {
			outputs = append(outputs, r.Name)
		}
	}
	for _, a := range m.Alerts {
		put(a.Name, "alert", a.Pos, &a.When)
	}
	for _, f := range m.Functions {
		put(f.Name, "function", f.Pos, &f.Code)
	}
	for _, e := range m.Entities {
		put(e.Name, "entity", e.Pos, nil)
		for _, cp := range e.Calculated {
			put(e.Name+"."+cp.Name, "calculated", cp.Pos, &cp.Code)
		}
	}
	for _, in := range m.Inputs {
		put(in.Name, "input", in.Pos, nil)
	}
	for _, k := range m.Constants {
		put(k.Name, "constant", k.Pos, nil)
	}
	for _, tb := range m.Tables {
		put(tb.Name, "table", tb.Pos, nil)
	}
	return places, order, outputs
}

// folderFiles reads a ruleset folder's files for the studio, bounded (see studioSource).
func folderFiles(folder string) ([]studioFile, bool, error) {
	root, err := os.OpenRoot(folder)
	if err != nil {
		return nil, false, err
	}
	defer root.Close()
	files := []studioFile{}
	var total int64
	truncated := false
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			return nil // unreadable: left out
		}
		if p == "." {
			return nil
		}
		if isProcessConfig(p) {
			return nil // the process's configuration (connections, mail servers), not the ruleset's
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil // never followed
		}
		if d.IsDir() {
			if strings.Count(p, "/")+1 >= studioMaxDepth {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if len(files) >= studioMaxFiles {
			truncated = true
			return fs.SkipAll
		}
		f := studioFile{Path: p, Language: languageOf(p)}
		if info, err := d.Info(); err == nil {
			f.Size = info.Size()
		}
		if f.Size > studioMaxFile || total+f.Size > studioMaxTotal {
			f.TooLarge = true
			files = append(files, f)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		data, err := readBounded(root, p, studioMaxFile, info)
		switch {
		case errors.Is(err, errTooLarge):
			f.TooLarge = true
		case err != nil:
			return nil
		case !utf8.Valid(data):
			f.Binary = true
		default:
			f.Content = string(data)
		}
		f.Size = int64(len(data))
		total += f.Size
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	// ruleset.yaml first; WalkDir gave the others in lexical order.
	for i, f := range files {
		if f.Path == rulesets.RulesetFile {
			copy(files[1:i+1], files[:i])
			files[0] = f
			break
		}
	}
	return files, truncated, nil
}

var errTooLarge = errors.New("file too large")

// errReplaced: the file changed (a symlink, another file) between the check and the open.
var errReplaced = errors.New("the file was replaced while it was read")

// readBounded reads a regular file of root, refusing one over limit bytes. checked is what Lstat
// said of it: the file opened must be that one (not a symlink or a FIFO put in its place since).
func readBounded(root *os.Root, p string, limit int64, checked fs.FileInfo) ([]byte, error) {
	if checked == nil || !checked.Mode().IsRegular() {
		return nil, errReplaced
	}
	f, err := root.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if got, err := f.Stat(); err != nil || !got.Mode().IsRegular() || !os.SameFile(got, checked) {
		return nil, errReplaced
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

func languageOf(p string) string {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml":
		return "yaml"
	case ".js", ".mjs":
		return "javascript"
	case ".csv":
		return "csv"
	case ".json":
		return "json"
	}
	return "text"
}

// ---- PUT /api/rulesets/{name}/files/{path...}

// studioPutFile is PUT /api/rulesets/{name}/files/{path...} (admin). The body is the file's new
// content, as text/* or application/octet-stream (also application/json, application/yaml), UTF-8,
// at most 1 MiB. The path is relative to the folder and ends in .yaml, .yml, .js, .csv or .json:
// an existing file (no element a dot file or a symlink), or a new file directly in rules/, tables/
// or tests/ (the folder is made when missing). Anything else is 400 (a path that is not clean, a
// dot file, a symlink, another extension) or 404 (no such file or folder). Only for a folder
// ruleset served with --watch (409 otherwise, saying why). 200:
//
//	{"path": "rules/x.js", "created": bool, "name": "ruleset name", "version": "the version served
//	 from the folder now (the last good one when it failed; \"\" when none)",
//	 "status": "loaded"|"failed", "problems": [{"file", "line", "column", "field", "message", "hint"}]}
//
// A file that breaks the ruleset is written all the same (the editor shows the problems); the
// last good version stays served until the folder loads again.
func (s *Server) studioPutFile(c *call) {
	t := c.studioTarget()
	if t == nil || !c.writable(t) {
		return
	}
	rel, p := studioPath(c.r.PathValue("path"))
	if p != nil {
		c.problem(p)
		return
	}
	if p := checkUploadType(c.r); p != nil {
		c.problem(p)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, studioMaxFile))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			c.problem(newProblem("body-too-large", "a file of a ruleset is at most %d bytes", studioMaxFile))
			return
		}
		c.problem(newProblem("malformed-request", "reading the body: %v", err))
		return
	}
	if !utf8.Valid(body) {
		c.problem(newProblem("invalid-request", "%s is not UTF-8 text (ruleset files are)", rel))
		return
	}
	s.catalog.editMu.Lock()
	defer s.catalog.editMu.Unlock()
	created, p := writeRulesetFile(t.folder, rel, body, true)
	if p != nil {
		c.problem(p)
		return
	}
	s.answerReload(c, t, map[string]any{"path": rel, "created": created})
}

// folderRuleset is the version a folder last loaded (nil when it never did).
func (s *Server) folderRuleset(folder string) *engine.Ruleset {
	s.catalog.mu.RLock()
	name := s.catalog.nameOf(folder)
	version := s.catalog.versions[name]
	s.catalog.mu.RUnlock()
	if version == "" {
		return nil
	}
	rs, err := s.eng.Get(name + "@" + version)
	if err != nil {
		return nil
	}
	return rs
}

// answerReload reloads the target's folder and answers the outcome, with the fields given.
func (s *Server) answerReload(c *call, t *studioTarget, out map[string]any) {
	rs, probs := s.reload(t.folder)
	out["status"], out["problems"] = statusOf(probs), studioProblems(probs)
	if rs != nil {
		out["name"], out["version"] = rs.Name(), rs.Version()
	} else {
		s.catalog.mu.RLock()
		name := s.catalog.nameOf(t.folder)
		out["name"], out["version"] = name, s.catalog.versions[name]
		s.catalog.mu.RUnlock()
	}
	writeJSON(c.w, http.StatusOK, out)
}

// studioPath checks a file path from a request: relative, clean, at most studioMaxDepth levels,
// no element empty, "." or ".." or starting with a dot, no backslash or control character. It
// answers the path with / separators.
func studioPath(p string) (string, *Problem) {
	bad := func(why string) (string, *Problem) {
		return "", newProblem("invalid-request", "file path %q: %s", shorten(p, 100), why)
	}
	switch {
	case p == "":
		return bad("name a file of the ruleset folder, such as rules/price.js")
	case len(p) > studioMaxPath:
		return bad(fmt.Sprintf("longer than %d bytes", studioMaxPath))
	case !utf8.ValidString(p):
		return bad("not UTF-8")
	case strings.ContainsFunc(p, func(r rune) bool { return r == '\\' || r == ':' || unicode.IsControl(r) }):
		return bad("no backslashes, colons or control characters")
	case strings.HasPrefix(p, "/") || path.Clean(p) != p || !filepath.IsLocal(filepath.FromSlash(p)):
		return bad("write a clean path relative to the ruleset folder (no .., no leading /)")
	}
	parts := strings.Split(p, "/")
	if len(parts) > studioMaxDepth {
		return bad("too deep")
	}
	for _, e := range parts {
		if e == "" || e == "." || e == ".." || strings.HasPrefix(e, ".") {
			return bad("no dot files and no . or .. elements")
		}
	}
	if isProcessConfig(p) {
		return bad("kubus.yaml configures the process (connections, mail servers), not the ruleset: edit it outside the studio")
	}
	return p, nil
}

// isProcessConfig reports whether a folder path names kubus.yaml (or .yml), in any case: on a
// case-insensitive file system KUBUS.YAML is that file.
func isProcessConfig(p string) bool {
	return strings.EqualFold(p, "kubus.yaml") || strings.EqualFold(p, "kubus.yml")
}

// checkUploadType accepts a file body declared as text, bytes, JSON or YAML.
func checkUploadType(r *http.Request) *Problem {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return newProblem("unsupported-upload", "send the file as text/plain or application/octet-stream (Content-Type %q)", shorten(ct, 100))
	}
	switch {
	case strings.HasPrefix(mt, "text/"), mt == "application/octet-stream", mt == "application/json", mt == "application/yaml",
		mt == "application/x-yaml", mt == "application/javascript":
		return nil
	}
	return newProblem("unsupported-upload", "Content-Type %q: send the file as text/plain or application/octet-stream", shorten(ct, 100))
}

// writeRulesetFile writes a file of a ruleset folder atomically: a temporary dot file in the same
// folder, renamed over the file. rel is a checked path (studioPath). A file that does not exist
// may be created only as studioNewDirs/NAME with one of studioExts (and only when mayCreate); no
// element of the path may be a symlink. It reports whether the file was created.
func writeRulesetFile(folder, rel string, data []byte, mayCreate bool) (bool, *Problem) {
	root, err := os.OpenRoot(folder)
	if err != nil {
		return false, newProblem("internal", "opening the ruleset folder: %v", err)
	}
	defer root.Close()
	if !slices.Contains(studioExts, strings.ToLower(path.Ext(rel))) {
		return false, newProblem("invalid-request", "file path %q: a ruleset file ends in %s", rel, strings.Join(studioExts, ", "))
	}
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		dir := strings.Join(parts[:i], "/")
		fi, err := root.Lstat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist) && i == 1 && len(parts) == 2 && slices.Contains(studioNewDirs, dir) && mayCreate:
			if err := root.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return false, newProblem("internal", "creating %s: %v", dir, err)
			}
		case errors.Is(err, fs.ErrNotExist):
			return false, newProblem("not-found", "file path %q: there is no folder %s in the ruleset; new files go in %s", rel, dir, strings.Join(studioNewDirs, "/, ")+"/")
		case err != nil:
			return false, newProblem("internal", "file path %q: %v", rel, err)
		case fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir():
			return false, newProblem("invalid-request", "file path %q: %s is not a folder of the ruleset (symlinks are not followed)", rel, dir)
		}
	}
	perm := fs.FileMode(0o644)
	created := false
	fi, err := root.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !mayCreate || len(parts) != 2 || !slices.Contains(studioNewDirs, parts[0]) {
			return false, newProblem("not-found", "file path %q: no such file; a new file goes in %s", rel, strings.Join(studioNewDirs, "/, ")+"/")
		}
		created = true
	case err != nil:
		return false, newProblem("internal", "file path %q: %v", rel, err)
	case !fi.Mode().IsRegular():
		return false, newProblem("invalid-request", "file path %q: not a regular file (symlinks are not followed)", rel)
	default:
		perm = fi.Mode().Perm()
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(path.Dir(rel), ".kubus-studio-"+hex.EncodeToString(rnd[:])+".tmp")
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return false, newProblem("internal", "writing %s: %v", rel, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, rel)
	}
	if err != nil {
		_ = root.Remove(tmp)
		return false, newProblem("internal", "writing %s: %v", rel, err)
	}
	return created, nil
}

// readRulesetFile reads a regular file of a ruleset folder (nil, nil when it does not exist),
// refusing a symlink.
func readRulesetFile(folder, rel string) ([]byte, *Problem) {
	root, err := os.OpenRoot(folder)
	if err != nil {
		return nil, newProblem("internal", "opening the ruleset folder: %v", err)
	}
	defer root.Close()
	fi, err := root.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, newProblem("internal", "%s: %v", rel, err)
	case !fi.Mode().IsRegular():
		return nil, newProblem("invalid-request", "%s is not a regular file (symlinks are not followed)", rel)
	}
	data, err := readBounded(root, rel, studioMaxFile, fi)
	if errors.Is(err, errTooLarge) {
		return nil, newProblem("conflict", "%s is larger than %d bytes: edit it in place", rel, studioMaxFile)
	}
	if err != nil {
		return nil, newProblem("internal", "%s: %v", rel, err)
	}
	return data, nil
}

// ---- GET /api/rulesets/{name}/testcases

// studioCase is a testcase as the studio lists it.
type studioCase struct {
	Name    string         `json:"name"`
	File    string         `json:"file"` // tests/x.yaml, ruleset.yaml (inline) or the JSON form's name
	Line    int            `json:"line"`
	Kind    string         `json:"kind"` // execute or workflow
	Input   map[string]any `json:"input"`
	Options map[string]any `json:"options"` // now (RFC 3339), culture, tolerance: those it sets
	Expect  map[string]any `json:"expect"`  // output, strict, alerts, error: what it checks
	// Problems: the file did not load after the testcase was saved (POST only).
	Problems []studioProblem `json:"problems,omitempty"`
}

func caseOf(m *rulesets.Ruleset, tc *rulesets.Testcase) studioCase {
	sc := studioCase{Name: tc.Name, File: filepath.ToSlash(tc.File), Line: tc.Pos.Line, Kind: "execute",
		Input: tc.Input.Map(), Options: map[string]any{}, Expect: map[string]any{}}
	if sc.Input == nil {
		sc.Input = map[string]any{}
	}
	if m.Workflow != nil || len(tc.Steps) > 0 {
		sc.Kind = "workflow"
	}
	if !tc.Now.IsZero() {
		sc.Options["now"] = tc.Now.Format(time.RFC3339Nano)
	}
	if tc.Culture != "" {
		sc.Options["culture"] = tc.Culture
	}
	if tc.Tolerance != 0 {
		sc.Options["tolerance"] = tc.Tolerance
	}
	if e := tc.Expect; e.Output != nil {
		sc.Expect["output"] = e.Output.Map()
		if e.Strict {
			sc.Expect["strict"] = true
		}
	}
	if tc.Expect.HasAlerts {
		sc.Expect["alerts"] = append([]string{}, tc.Expect.Alerts...)
	}
	if tc.Expect.HasError {
		if tc.Expect.Error == "" {
			sc.Expect["error"] = nil
		} else {
			sc.Expect["error"] = tc.Expect.Error
		}
	}
	return sc
}

// studioTestcases is GET /api/rulesets/{name}/testcases, of the version the studio runs (a folder
// ruleset: the version its folder last loaded):
//
//	{"name", "version", "editable": bool,
//	 "testcases": [{"name", "file": "tests/pricing.yaml", "line": 3, "kind": "execute"|"workflow",
//	   "input": {...}, "options": {"now": "2023-07-20T09:00:00Z", "culture": "nl-NL", "tolerance": 0.01},
//	   "expect": {"output": {...}, "strict": true, "alerts": [...], "error": "..."|null}}]}
//
// options and expect hold only what the testcase writes. A folder that never loaded is 503 with
// its problems.
func (s *Server) studioTestcases(c *call) {
	t := c.studioTarget()
	if t == nil || !c.loaded(t) {
		return
	}
	m := t.rs.Model()
	list := make([]studioCase, 0, len(m.Testcases))
	for _, tc := range m.Testcases {
		list = append(list, caseOf(m, tc))
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"name": t.name, "version": t.rs.Version(), "editable": c.editable(t), "testcases": list})
}

// ---- POST /api/rulesets/{name}/testcases/run

// studioResult is one testcase run as the studio shows it.
type studioResult struct {
	Name       string           `json:"name"`
	File       string           `json:"file"`
	Line       int              `json:"line"`
	Passed     bool             `json:"passed"`
	Ms         float64          `json:"ms"`
	Mismatches []map[string]any `json:"mismatches"`
	Text       string           `json:"text"`
	Actual     map[string]any   `json:"actual"`
}

func resultOf(cr *kubustest.CaseResult) studioResult {
	r := studioResult{Name: cr.Case.Name, File: filepath.ToSlash(cr.Case.File), Line: cr.Case.Pos.Line, Passed: cr.Passed(),
		Ms: float64(cr.Duration.Microseconds()) / 1e3, Mismatches: []map[string]any{}, Text: kubustest.CaseText(cr, false),
		Actual: map[string]any{}}
	for _, m := range cr.Mismatches {
		mm := map[string]any{"path": m.Path, "text": m.String()}
		if m.Message != "" {
			mm["message"] = m.Message
		} else {
			mm["expected"], mm["actual"] = rulesets.Plain(m.Expected), rulesets.Plain(m.Actual)
		}
		r.Mismatches = append(r.Mismatches, mm)
	}
	if cr.Result != nil {
		r.Actual["output"] = cr.Result.Output
		alerts := []string{}
		for _, a := range cr.Result.Alerts {
			alerts = append(alerts, a.Name)
		}
		r.Actual["alerts"] = alerts
	}
	if cr.Err != nil {
		r.Actual["error"] = cr.Err.Error()
	}
	return r
}

// runAnswer is the answer of a run: the counts and each result.
func runAnswer(rs *engine.Ruleset, results []kubustest.CaseResult, timedOut bool) map[string]any {
	out := map[string]any{"name": rs.Name(), "version": rs.Version()}
	passed, failed := 0, 0
	list := make([]studioResult, 0, len(results))
	for i := range results {
		if results[i].Passed() {
			passed++
		} else {
			failed++
		}
		list = append(list, resultOf(&results[i]))
	}
	out["passed"], out["failed"], out["results"] = passed, failed, list
	if timedOut {
		out["timedOut"] = true
	}
	return out
}

// withRunSlot runs fn with one of the catalog's run slots and a context bounded by
// studioRunTimeout; it answers 503 itself when no slot frees in that time.
func (c *call) withRunSlot(fn func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(c.ctx(), studioRunTimeout)
	defer cancel()
	select {
	case c.s.catalog.runs <- struct{}{}:
		defer func() { <-c.s.catalog.runs }()
	case <-ctx.Done():
		c.w.Header().Set("Retry-After", "5")
		c.problem(newProblem("overloaded", "other testcase runs are in progress; retry in a moment"))
		return
	}
	fn(ctx)
}

// findCase finds a testcase by name; it answers 404 itself.
func (c *call) findCase(t *studioTarget, name string) *rulesets.Testcase {
	for _, tc := range t.rs.Model().Testcases {
		if tc.Name == name {
			return tc
		}
	}
	c.problem(newProblem("not-found", "ruleset %s has no testcase %q", t.name, shorten(name, studioMaxCaseName)))
	return nil
}

// studioRunTestcases is POST /api/rulesets/{name}/testcases/run with {"name": "..."} (optional:
// one testcase; {} runs them all). It runs them as `kubus test` does (kubustest, the engine's
// limits, a temporary store per testcase, fixtures for the outside world) on the version the
// studio edits, within 60 s in all:
//
//	{"name", "version", "passed": n, "failed": n, "timedOut": true?,
//	 "results": [{"name", "file", "line", "passed": bool, "ms": 1.25,
//	   "mismatches": [{"path": "output.X", "expected": 1, "actual": 2, "text": "output.X: expected 1, got 2"}
//	                  | {"path", "message", "text"}],
//	   "text": "the lines kubus test prints for it",
//	   "actual": {"output": {...}, "alerts": [...], "error": "..."}}]}
func (s *Server) studioRunTestcases(c *call) {
	t := c.studioTarget()
	if t == nil {
		return
	}
	var req struct {
		Name *string `json:"name"`
	}
	if p := decodeJSON(c.r, &req); p != nil {
		c.problem(p)
		return
	}
	if !c.loaded(t) {
		return
	}
	var one *rulesets.Testcase
	if req.Name != nil {
		if one = c.findCase(t, *req.Name); one == nil {
			return
		}
	}
	c.withRunSlot(func(ctx context.Context) {
		var results []kubustest.CaseResult
		if one != nil {
			results = []kubustest.CaseResult{kubustest.RunCase(ctx, t.rs, one)}
		} else {
			results = kubustest.RunCases(ctx, t.rs, kubustest.Options{})
		}
		writeJSON(c.w, http.StatusOK, runAnswer(t.rs, results, ctx.Err() != nil))
	})
}

// ---- POST /api/rulesets/{name}/testcases

// studioNewCase is the body of POST /api/rulesets/{name}/testcases.
type studioNewCase struct {
	Name    string          `json:"name"`
	File    string          `json:"file"`
	Input   json.RawMessage `json:"input"`
	Options *struct {
		Now     string `json:"now"`
		Culture string `json:"culture"`
	} `json:"options"`
	Expect string `json:"expect"`
}

// studioCreateTestcase is POST /api/rulesets/{name}/testcases (admin, a folder served with
// --watch):
//
//	{"name": "young traveller", "file": "tests/studio.yaml" (optional, a tests/*.yaml file),
//	 "input": {...}, "options": {"now": "2023-07-20T09:00:00Z", "culture": "nl-NL"} (optional),
//	 "expect": "actual" (optional; the only kind)}
//
// It executes the input as the testcase will run and appends the testcase to the file (created
// when missing) with the actual result as its expectation, as `kubus test --update` writes it; the
// file's own text, comments included, stays as it was. A name the ruleset already has is 409. It
// reloads the folder and answers 201 with the testcase as GET .../testcases lists it (with
// "problems" when the folder does not load afterwards).
func (s *Server) studioCreateTestcase(c *call) {
	t := c.studioTarget()
	if t == nil {
		return
	}
	var req studioNewCase
	if p := decodeJSON(c.r, &req); p != nil {
		c.problem(p)
		return
	}
	if !c.writable(t) || !c.loaded(t) {
		return
	}
	m := t.rs.Model()
	name := strings.TrimSpace(req.Name)
	file := req.File
	if file == "" {
		file = "tests/studio.yaml"
	}
	var input map[string]any
	var bad string
	switch {
	case name == "":
		bad = "name: give the testcase a name"
	case len(name) > studioMaxCaseName || !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		bad = fmt.Sprintf("name: at most %d bytes of text on one line", studioMaxCaseName)
	case req.Expect != "" && req.Expect != "actual":
		bad = `expect: "actual" (the execution's result becomes the expectation) is the only kind`
	case m.Workflow != nil:
		bad = "a workflow's testcases script its steps: write them in a tests/*.yaml file"
	case len(req.Input) > 0 && json.Unmarshal(req.Input, &input) != nil:
		bad = "input: expected an object"
	case len(req.Input) > 0 && input == nil && string(req.Input) != "null":
		bad = "input: expected an object"
	}
	if bad == "" {
		if rel, p := studioPath(file); p != nil {
			bad = "file: " + p.Detail
		} else if parts := strings.Split(rel, "/"); len(parts) != 2 || parts[0] != "tests" || (path.Ext(rel) != ".yaml" && path.Ext(rel) != ".yml") {
			bad = "file: testcases are saved in a tests/*.yaml file"
		}
	}
	if bad != "" {
		c.problem(newProblem("invalid-request", "%s", bad))
		return
	}
	tc := &rulesets.Testcase{Name: name, File: file, Input: rulesets.NewObject()}
	for k, v := range input {
		tc.Input.Set(k, v)
	}
	var now, cult string
	if o := req.Options; o != nil {
		now, cult = o.Now, o.Culture
	}
	if now != "" {
		nt, err := time.Parse(time.RFC3339Nano, now)
		if err != nil {
			if nt, err = time.ParseInLocation(time.DateOnly, now, m.Location()); err != nil {
				c.problem(newProblem("invalid-request", "options.now %q: use RFC 3339 (2026-01-01T00:00:00Z) or YYYY-MM-DD", shorten(now, 100)))
				return
			}
		}
		tc.Now = nt
	}
	if cult != "" {
		if _, err := culture.Resolve(cult); err != nil {
			c.problem(newProblem("invalid-request", "options.culture %q is not a culture (write a BCP 47 tag such as nl-NL)", shorten(cult, 100)))
			return
		}
		tc.Culture = cult
	}
	for _, have := range m.Testcases {
		if have.Name == name {
			c.problem(newProblem("conflict", "ruleset %s already has a testcase %q (%s)", t.name, name, have.Pos))
			return
		}
	}
	c.withRunSlot(func(ctx context.Context) {
		cr := kubustest.RunCase(ctx, t.rs, tc)
		if ctx.Err() != nil {
			c.problem(newProblem("overloaded", "the execution did not finish in time; nothing was saved"))
			return
		}
		raw := req.Input
		if input == nil {
			raw = []byte("{}")
		}
		s.catalog.editMu.Lock()
		defer s.catalog.editMu.Unlock()
		// Another edit may have saved the name meanwhile (in another file).
		if cur := s.folderRuleset(t.folder); cur != nil {
			for _, have := range cur.Model().Testcases {
				if have.Name == name {
					c.problem(newProblem("conflict", "ruleset %s already has a testcase %q (%s)", t.name, name, have.Pos))
					return
				}
			}
		}
		data, p := readRulesetFile(t.folder, file)
		if p != nil {
			c.problem(p)
			return
		}
		out, err := rulesets.AppendTestcase(data, rulesets.NewTestcase{Name: name, Now: now, Culture: cult, Input: raw}, kubustest.Baseline(cr))
		if err != nil {
			kind := "invalid-request"
			if strings.Contains(err.Error(), "already has a testcase") {
				kind = "conflict"
			}
			c.problem(newProblem(kind, "%s: %v", file, err))
			return
		}
		if _, p := writeRulesetFile(t.folder, file, out, true); p != nil {
			c.problem(p)
			return
		}
		rs, probs := s.reload(t.folder)
		if rs != nil {
			for _, have := range rs.Model().Testcases {
				if have.Name == name {
					writeJSON(c.w, http.StatusCreated, caseOf(rs.Model(), have))
					return
				}
			}
		}
		sc := caseOf(m, tc)
		sc.Problems = studioProblems(probs)
		writeJSON(c.w, http.StatusCreated, sc)
	})
}

// ---- POST /api/rulesets/{name}/testcases/accept

// studioAcceptTestcase is POST /api/rulesets/{name}/testcases/accept with {"name": "..."} (admin, a
// folder served with --watch). It runs the testcase and, when it fails, writes the actual result
// into its expectation as `kubus test --update` does (rulesets.UpdateTestcases: the rest of the
// file, comments included, stays), reloads the folder and runs it again. It answers the run as
// POST .../testcases/run does, for this testcase, with "updated": whether the file was written and
// "status"/"problems" of the reload.
func (s *Server) studioAcceptTestcase(c *call) {
	t := c.studioTarget()
	if t == nil {
		return
	}
	var req struct {
		Name string `json:"name"`
	}
	if p := decodeJSON(c.r, &req); p != nil {
		c.problem(p)
		return
	}
	if !c.writable(t) || !c.loaded(t) {
		return
	}
	tc := c.findCase(t, req.Name)
	if tc == nil {
		return
	}
	if t.rs.Model().Workflow != nil || len(tc.Steps) > 0 {
		c.problem(newProblem("invalid-request", "testcase %q scripts a workflow's steps: edit what each step expects in %s", tc.Name, tc.File))
		return
	}
	file := filepath.ToSlash(tc.File)
	if _, p := studioPath(file); p != nil {
		c.problem(newProblem("conflict", "testcase %q is not in a file of the folder", tc.Name))
		return
	}
	c.withRunSlot(func(ctx context.Context) {
		cr := kubustest.RunCase(ctx, t.rs, tc)
		if ctx.Err() != nil {
			c.problem(newProblem("overloaded", "the testcase did not finish in time; nothing was written"))
			return
		}
		if cr.Passed() {
			out := runAnswer(t.rs, []kubustest.CaseResult{cr}, false)
			out["updated"], out["status"], out["problems"] = false, statusOf(t.problems), studioProblems(t.problems)
			writeJSON(c.w, http.StatusOK, out)
			return
		}
		s.catalog.editMu.Lock()
		defer s.catalog.editMu.Unlock()
		data, p := readRulesetFile(t.folder, file)
		if p == nil && data == nil {
			p = newProblem("conflict", "%s no longer exists", file)
		}
		if p != nil {
			c.problem(p)
			return
		}
		updated, err := rulesets.UpdateTestcases(data, map[string]rulesets.Baseline{tc.Name: kubustest.Baseline(cr)})
		if err != nil || updated == nil {
			c.problem(newProblem("conflict", "%s: the testcase cannot be updated: %v", file, err))
			return
		}
		if _, p := writeRulesetFile(t.folder, file, updated, false); p != nil {
			c.problem(p)
			return
		}
		rs, probs := s.reload(t.folder)
		if rs == nil {
			out := runAnswer(t.rs, []kubustest.CaseResult{cr}, false)
			out["updated"], out["status"], out["problems"] = true, statusOf(probs), studioProblems(probs)
			writeJSON(c.w, http.StatusOK, out)
			return
		}
		c.ruleset = rs.Name() + "@" + rs.Version()
		var again []kubustest.CaseResult
		for _, have := range rs.Model().Testcases {
			if have.Name == tc.Name {
				again = append(again, kubustest.RunCase(ctx, rs, have))
			}
		}
		out := runAnswer(rs, again, ctx.Err() != nil)
		out["updated"], out["status"], out["problems"] = true, "loaded", []studioProblem{}
		writeJSON(c.w, http.StatusOK, out)
	})
}

// ---- GET /api/rulesets/{name}/completions

// studioCompletion is one completion for the editor.
type studioCompletion struct {
	Label string `json:"label"`
	// Type: input, rule, constant, table, function, entity, module, method, property.
	Type   string `json:"type"`
	Detail string `json:"detail,omitempty"` // a type or a signature
	Info   string `json:"info,omitempty"`   // a doc line
	// Parent is what the label follows with a dot: a module ("Finance": Finance.pmt), a prototype
	// ("Array.prototype": any array's .where), an entity or a table; "" for a bare name.
	Parent string `json:"parent,omitempty"`
}

// builtinCompletions are the built-in modules and their members, from the registry the typings
// and docs/builtins.md come from (std.Modules).
var builtinCompletions = sync.OnceValue(func() []studioCompletion {
	var out []studioCompletion
	seen := map[string]bool{}
	for _, m := range std.Modules() {
		d, ok := m.(builtins.Described)
		if !ok {
			continue
		}
		for _, e := range d.Reference() {
			kind := "function"
			if strings.HasPrefix(e.Signature, ":") {
				kind = "constant"
			}
			detail := strings.TrimSpace(strings.TrimPrefix(e.Signature, ":"))
			parent, member := "", e.Qualified
			if i := strings.LastIndex(e.Qualified, "."); i >= 0 {
				parent, member = e.Qualified[:i], e.Qualified[i+1:]
			}
			switch {
			case strings.HasSuffix(parent, ".prototype"):
				if kind == "function" {
					kind = "method"
				} else {
					kind = "property"
				}
				out = append(out, studioCompletion{Label: member, Type: kind, Detail: detail, Info: e.Doc, Parent: parent})
				continue
			case parent != "" && !seen[parent]:
				seen[parent] = true
				out = append(out, studioCompletion{Label: parent, Type: "module", Detail: "built-in module"})
			}
			out = append(out, studioCompletion{Label: e.Qualified, Type: kind, Detail: detail, Info: e.Doc, Parent: parent})
		}
	}
	return out
})

// studioCompletions is GET /api/rulesets/{name}/completions:
//
//	{"completions": [{"label": "InsuranceCosts", "type": "input"|"rule"|"constant"|"table"|"function"|
//	   "entity"|"module"|"method"|"property", "detail": "number", "info": "doc line"?, "parent": "Finance"?}],
//	 "typings": "the ruleset's kubus.d.ts (what `kubus types DIR` prints)"}
//
// First the ruleset's names — inputs, rules, constants, tables (rows as properties of the table),
// functions, entities (properties and calculated properties as theirs), and what its libraries
// give it — then the built-ins: modules, their members by qualified name ("Finance.pmt", with
// parent "Finance"), global functions ("ROUND"), and prototype methods by their own name ("where",
// with parent "Array.prototype"). A folder that never loaded gets the built-ins only.
func (s *Server) studioCompletions(c *call) {
	t := c.studioTarget()
	if t == nil {
		return
	}
	out := []studioCompletion{}
	typings := std.Typings()
	if t.rs != nil {
		m := t.rs.Model()
		out = append(out, rulesetCompletions(m, "")...)
		for _, lib := range m.Uses {
			if l, err := s.eng.Get(lib); err == nil {
				for _, cm := range rulesetCompletions(l.Model(), lib) {
					if cm.Type == "function" || cm.Type == "constant" || cm.Type == "table" || cm.Parent != "" {
						out = append(out, cm)
					}
				}
			}
		}
		typings = typings + "\n" + rulesets.TypingsAfter(m, typings)
	}
	out = append(out, builtinCompletions()...)
	writeJSON(c.w, http.StatusOK, map[string]any{"completions": out, "typings": typings})
}

// rulesetCompletions are a ruleset's own names; lib names the library they come from ("" for the
// ruleset itself).
func rulesetCompletions(m *rulesets.Ruleset, lib string) []studioCompletion {
	var out []studioCompletion
	from := func(detail string) string {
		if lib != "" {
			return detail + " (from " + lib + ")"
		}
		return detail
	}
	for _, in := range m.Inputs {
		out = append(out, studioCompletion{Label: in.Name, Type: "input", Detail: from(in.Type.String()), Info: firstOf(in.Description, in.Label)})
	}
	for _, r := range m.Rules {
		detail := r.Type.String()
		if !r.Output {
			detail += ", intermediate"
		}
		out = append(out, studioCompletion{Label: r.Name, Type: "rule", Detail: from(detail), Info: r.Description})
	}
	for _, k := range m.Constants {
		detail := "constant"
		if k.Env != "" {
			detail = "from $" + k.Env
		}
		out = append(out, studioCompletion{Label: k.Name, Type: "constant", Detail: from(detail)})
	}
	for _, tb := range m.Tables {
		out = append(out, studioCompletion{Label: tb.Name, Type: "table", Detail: from("table: " + strings.Join(tb.Columns, ", "))})
		for _, row := range tb.Rows {
			out = append(out, studioCompletion{Label: row.Key, Type: "property", Detail: "row of " + tb.Name, Parent: tb.Name})
		}
		for _, h := range []string{"lookup", "lookupRow"} {
			if tb.IsRange() {
				out = append(out, studioCompletion{Label: h, Type: "method", Detail: "(value: number)", Parent: tb.Name})
			}
		}
		out = append(out, studioCompletion{Label: "rows", Type: "property", Detail: "every row", Parent: tb.Name},
			studioCompletion{Label: "keys", Type: "property", Detail: "every row key", Parent: tb.Name})
	}
	for _, f := range m.Functions {
		params := make([]string, len(f.Params))
		for i, p := range f.Params {
			params[i] = p.Name + ": " + p.Type.String()
		}
		out = append(out, studioCompletion{Label: f.Name, Type: "function", Detail: from("(" + strings.Join(params, ", ") + "): " + f.Returns.String()), Info: f.Description})
	}
	for _, e := range m.Entities {
		out = append(out, studioCompletion{Label: e.Name, Type: "entity", Detail: from("entity"), Info: e.Description})
		for _, p := range e.Properties {
			out = append(out, studioCompletion{Label: p.Name, Type: "property", Detail: p.Type.String(), Info: firstOf(p.Description, p.Label), Parent: e.Name})
		}
		for _, cp := range e.Calculated {
			out = append(out, studioCompletion{Label: cp.Name, Type: "property", Detail: cp.Type.String() + ", calculated", Parent: e.Name})
		}
	}
	return out
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
