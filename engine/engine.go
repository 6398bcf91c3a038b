// Package engine evaluates rulesets: it compiles a validated ruleset into one goja program, keeps a
// pool of hardened runtimes per ruleset version, and executes an input with a single Go→JS call.
//
//	eng := engine.New()
//	rs, err := eng.Load("examples/travel-insurance")
//	res, err := rs.Execute(ctx, input, engine.ExecOptions{})
package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/std"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
	"golang.org/x/mod/semver"
)

// Engine holds loaded rulesets and how to run them. It is safe for concurrent use.
type Engine struct {
	limits   Limits
	modules  []builtins.Module
	getenv   func(string) (string, bool) // the host environment: module settings (KUBUS_OCKTO_*)
	ruleEnv  func(string) (string, bool) // what rule code reads: System.env, `env:` constants
	store    store.Store
	poolSize int
	watchdog *watchdog
	load     rulesets.LoadOptions // the load limits; Globals and Libraries are filled per load

	globalsOnce sync.Once
	globals     map[string]bool
	globalsErr  error

	mu       sync.RWMutex
	rulesets map[string][]*Ruleset // by name, ascending version
}

// Option configures an Engine.
type Option func(*Engine)

// WithLimits sets the execution limits (zero fields keep their defaults).
func WithLimits(l Limits) Option { return func(e *Engine) { e.limits = l.withDefaults() } }

// WithLoadLimits sets the load limits of rulesets.LoadOptions (MaxFileBytes, MaxTableRows, ...: a
// zero field takes its default); its Globals and Libraries are ignored, the engine fills them.
func WithLoadLimits(l rulesets.LoadOptions) Option { return func(e *Engine) { e.load = l } }

// WithModules replaces the built-in modules installed in every runtime (default: std.Modules()).
func WithModules(m ...builtins.Module) Option { return func(e *Engine) { e.modules = m } }

// WithStore sets the store persisted entities are kept in (see package store; none by default).
func WithStore(s store.Store) Option { return func(e *Engine) { e.store = s } }

// WithEnv sets the host environment: where modules read their settings (KUBUS_OCKTO_* for Ockto).
// The default reads the process environment. Rule code never sees it; see WithRuleEnv.
func WithEnv(getenv func(string) (string, bool)) Option { return func(e *Engine) { e.getenv = getenv } }

// WithRuleEnv sets the variables rule code reads (System.env, constants written {env: NAME}): the
// variables of the chosen environment. The map is copied. Names starting KUBUS_ (module settings and
// their secrets) are left out whatever the map says. Without it rule code sees no variables at all.
func WithRuleEnv(vars map[string]string) Option {
	return func(e *Engine) { e.ruleEnv = ruleEnvOf(vars) }
}

// WithPoolSize sets how many runtimes each ruleset version may have (default 2 × GOMAXPROCS).
// Executions are CPU-bound, so more runtimes than cores adds memory, not throughput; an execution
// that finds them all busy waits for one (or for its context to end). Runtimes are built on first
// need: building one takes milliseconds (the lockdown walks every built-in object).
func WithPoolSize(n int) Option { return func(e *Engine) { e.poolSize = n } }

// New makes an engine.
func New(opts ...Option) *Engine {
	e := &Engine{
		limits:   DefaultLimits,
		modules:  std.Modules(),
		getenv:   os.LookupEnv,
		ruleEnv:  ruleEnvOf(nil),
		poolSize: 2 * runtime.GOMAXPROCS(0),
		watchdog: newWatchdog(),
		rulesets: map[string][]*Ruleset{},
	}
	for _, o := range opts {
		o(e)
	}
	if e.poolSize < 1 {
		e.poolSize = 1
	}
	useRegexpTimeout(e.limits.Timeout)
	return e
}

// Limits are the engine's execution limits.
func (e *Engine) Limits() Limits { return e.limits }

// Globals are the names the built-in modules define, which rulesets may not redeclare. The loader
// uses them to tell an unknown name from a built-in one.
func (e *Engine) Globals() (map[string]bool, error) {
	e.globalsOnce.Do(func() {
		vm := goja.New()
		before := map[string]bool{}
		for _, k := range vm.GlobalObject().GetOwnPropertyNames() {
			before[k] = true
		}
		h := builtins.NewHost(vm)
		e.globals = map[string]bool{}
		for _, m := range e.modules {
			if err := m.Install(h); err != nil {
				e.globalsErr = fmt.Errorf("installing module %s: %w", m.Name(), err)
				return
			}
		}
		for _, k := range vm.GlobalObject().GetOwnPropertyNames() {
			if !before[k] {
				e.globals[k] = true
			}
		}
	})
	return e.globals, e.globalsErr
}

// LoadOptions are the loader options that make the loader check names against this engine's
// builtins and its loaded library rulesets.
func (e *Engine) LoadOptions() (*rulesets.LoadOptions, error) {
	g, err := e.Globals()
	if err != nil {
		return nil, err
	}
	libs := map[string]*rulesets.Ruleset{}
	for _, rs := range e.Rulesets() { // ascending versions: the latest of each name wins
		if rs.model.Library {
			libs[rs.model.Name] = rs.model
		}
	}
	opts := e.load
	opts.Globals, opts.Libraries = g, libs
	return &opts, nil
}

// Load reads a ruleset folder (or a .json file), validates and compiles it, and adds it to the engine.
func (e *Engine) Load(path string) (*Ruleset, error) {
	lo, err := e.LoadOptions()
	if err != nil {
		return nil, err
	}
	model, err := rulesets.Load(path, lo)
	if err != nil {
		return nil, err
	}
	return e.Add(model)
}

// LoadJSON reads the single-JSON form of a ruleset, validates and compiles it, and adds it.
// source names the document in error positions.
func (e *Engine) LoadJSON(data []byte, source string) (*Ruleset, error) {
	lo, err := e.LoadOptions()
	if err != nil {
		return nil, err
	}
	model, err := rulesets.LoadJSON(data, source, lo)
	if err != nil {
		return nil, err
	}
	return e.Add(model)
}

// Add compiles a validated ruleset model and registers it under its name and version. Adding the
// same name and version again replaces the compiled ruleset.
func (e *Engine) Add(model *rulesets.Ruleset) (*Ruleset, error) {
	var libs []*rulesets.Ruleset
	for _, u := range model.Uses {
		lib, err := e.Get(u)
		if err != nil {
			return nil, fmt.Errorf("ruleset %s uses %s: %w (load the library ruleset first)", model.Name, u, err)
		}
		if !lib.model.Library {
			return nil, fmt.Errorf("ruleset %s uses %s, which is not a library (set `library: true` in it)", model.Name, u)
		}
		libs = append(libs, lib.model)
	}
	globals, err := e.Globals()
	if err != nil {
		return nil, err
	}
	c, err := compile(model, libs, globals, false)
	if err != nil {
		return nil, fmt.Errorf("ruleset %s: %w", model.Name, err)
	}
	rs := &Ruleset{eng: e, model: model, libs: libs, globals: globals, needsStore: model.Persists() || e.usesStoreModule(model, libs)}
	rs.plain = rs.newVariant(c)
	// Build one runtime now: a ruleset that cannot be set up (a constant that does not convert, a
	// builtin that fails to install) fails at load, not at its first execution.
	st, err := rs.plain.newState()
	if err != nil {
		return nil, fmt.Errorf("ruleset %s: %w", model.Name, err)
	}
	rs.plain.created = 1
	rs.plain.put(st)

	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.rulesets[model.Name]
	for i, old := range list {
		if old.model.Version == model.Version {
			list[i] = rs
			return rs, nil
		}
	}
	list = append(list, rs)
	sort.Slice(list, func(i, j int) bool {
		return semver.Compare("v"+list[i].model.Version, "v"+list[j].model.Version) < 0
	})
	e.rulesets[model.Name] = list
	return rs, nil
}

// Get finds a loaded ruleset by "name" (the highest version) or "name@version".
func (e *Engine) Get(ref string) (*Ruleset, error) {
	name, version, _ := strings.Cut(ref, "@")
	e.mu.RLock()
	defer e.mu.RUnlock()
	list := e.rulesets[name]
	if len(list) == 0 {
		return nil, fmt.Errorf("no ruleset named %q is loaded", name)
	}
	if version == "" {
		return list[len(list)-1], nil
	}
	for _, rs := range list {
		if rs.model.Version == version {
			return rs, nil
		}
	}
	return nil, fmt.Errorf("ruleset %s has no version %s loaded", name, version)
}

// Rulesets lists the loaded rulesets, by name, then version.
func (e *Engine) Rulesets() []*Ruleset {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []*Ruleset
	names := make([]string, 0, len(e.rulesets))
	for n := range e.rulesets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, e.rulesets[n]...)
	}
	return out
}

// Ruleset is a compiled ruleset version with its pools of runtimes.
type Ruleset struct {
	eng     *Engine
	model   *rulesets.Ruleset
	libs    []*rulesets.Ruleset
	globals map[string]bool
	// needsStore: it persists entities or names a store-backed module (builtins.StoreBacked).
	needsStore bool

	plain       *variant // what executions use
	explainOnce sync.Once
	explain     *variant // the same program with explain instrumentation, made on first use
	explainErr  error
}

// variant is one compiled program of a ruleset with its bounded pool of runtimes.
type variant struct {
	r    *Ruleset
	c    *compiled
	pool chan *vmState // idle runtimes

	mu      sync.Mutex
	created int // runtimes that exist (idle or in use), at most eng.poolSize
}

func (r *Ruleset) newVariant(c *compiled) *variant {
	return &variant{r: r, c: c, pool: make(chan *vmState, r.eng.poolSize)}
}

// variantFor picks the program for an execution.
func (r *Ruleset) variantFor(explain bool) (*variant, error) {
	if !explain {
		return r.plain, nil
	}
	r.explainOnce.Do(func() {
		c, err := compile(r.model, r.libs, r.globals, true)
		if err != nil {
			r.explainErr = fmt.Errorf("ruleset %s: %w", r.model.Name, err)
			return
		}
		r.explain = r.newVariant(c)
	})
	return r.explain, r.explainErr
}

// Model is the ruleset as loaded. Treat it as read-only.
func (r *Ruleset) Model() *rulesets.Ruleset { return r.model }

// Name is the ruleset's name.
func (r *Ruleset) Name() string { return r.model.Name }

// NeedsStore reports whether executions need a store: the ruleset persists entities, or its code
// names a module that keeps its records in the store (Consent, DataDebit, UserStore, Ockto). The
// kubus command opens the default store only for such rulesets, so a stateless one leaves no
// kubus.db behind.
func (r *Ruleset) NeedsStore() bool { return r.needsStore }

// usesStoreModule reports whether the code of rs (or its libraries' functions) names a global of a
// store-backed module.
func (e *Engine) usesStoreModule(rs *rulesets.Ruleset, libs []*rulesets.Ruleset) bool {
	names := map[string]bool{}
	for _, m := range e.modules {
		if sb, ok := m.(builtins.StoreBacked); ok {
			for _, g := range sb.StoreGlobals() {
				names[g] = true
			}
		}
	}
	for _, code := range allCode(rs, libs) {
		for _, ref := range code.Refs {
			if names[ref] {
				return true
			}
		}
	}
	return false
}

// Version is the ruleset's version.
func (r *Ruleset) Version() string { return r.model.Version }

// get takes an idle runtime, builds one while fewer than the pool size exist, or waits for one.
func (v *variant) get(ctx context.Context) (*vmState, error) {
	select {
	case st := <-v.pool:
		return st, nil
	default:
	}
	v.mu.Lock()
	if v.created < v.r.eng.poolSize {
		v.created++
		v.mu.Unlock()
		st, err := v.newState()
		if err != nil {
			v.discard()
			return nil, err
		}
		return st, nil
	}
	v.mu.Unlock()
	select {
	case st := <-v.pool:
		return st, nil
	case <-ctx.Done():
		return nil, &LimitError{Limit: "canceled", Value: "waiting for a free runtime: " + context.Cause(ctx).Error()}
	}
}

// put returns a runtime to the pool.
func (v *variant) put(st *vmState) { v.pool <- st }

// discard forgets a runtime that is not returned (its state is unknown after a Go panic).
func (v *variant) discard() {
	v.mu.Lock()
	v.created--
	v.mu.Unlock()
}
