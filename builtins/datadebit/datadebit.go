// Package datadebit is the "DataDebit" module: a client's standing permission to read a bundle of
// the subject's data for a period (design: consent-and-ockto.md, section 4). Records live in the
// running execution's store transaction (builtins.Exec.Tx), so a change is kept only when the
// execution succeeds, and every change appends an audit event (package audit) in the same Tx.
//
// # Records
//
// A data debit is a store record of Kind (ruleset "_datadebits", entity "DataDebit") whose id is
// its key. Its props (see record) hold only what was decided: the key, dateCreated, the client's
// details and the permissions versions, each with its terms, accepted and canceledAt. Everything
// that depends on the time — each version's active and end, and the record's active, accepted,
// start, end, permissionsActive — is computed when the record is read, from the execution clock,
// by Timing (timing.go), so a stored record never goes stale.
//
// # Versions
//
//   - create adds the first version, not accepted.
//   - update adds a version, not accepted; whatever was in force stays in force.
//   - enable accepts the newest version. Older accepted versions that would still run hand over
//     to it: they are canceled (immediately) at the newer version's start, or now if it has
//     already started, so the two never overlap and there is no gap. A canceled newest version
//     cannot be enabled (dataDebitCanceled): add new terms with update, then enable them.
//     Enabling an already accepted version changes nothing.
//   - disable cancels every version that is not canceled yet and has not ended by itself:
//     canceledAt = now and cancelAtPeriodEnd = atPeriodEnd. An immediate disable also ends, now,
//     versions that were canceled at their period end (or handed over) but still run. disable
//     never lengthens a version. A disable that changes nothing appends no audit event.
//
// The version in force (permissionsActive) is the newest version active now; the record is
// active when there is one, and values reads that version's bundle. accepted says whether any
// version has ever been accepted; start and end are those of permissionsActive, else of the newest
// accepted version, else of the newest version.
//
// # Errors
//
// A wrong argument type throws a TypeError naming the function and the argument, a bad value of
// the right type (an empty key, a negative period, a malformed URL or endpoint) a RangeError. What
// the store's state refuses throws an Error with `error` (the type) and `message`:
// duplicateDataDebit, dataDebitNotFound, dataDebitCanceled, dataDebitNotActive,
// tooManyPermissions. Without a store, or when the store fails, the functions throw an Error.
package datadebit

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/google/uuid"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/audit"
	"github.com/kubusdev/kubus/store"
)

// Kind is where data debits are stored. "_datadebits" cannot clash with a ruleset name.
var Kind = store.Kind{Ruleset: "_datadebits", Entity: "DataDebit"}

// Limits on the arguments.
const (
	MaxKeyLength     = 256                   // bytes
	MaxPeriodSeconds = 100 * 365.25 * 86_400 // 100 years
	MaxURLLength     = 2048
	MaxTextLength    = 10_000 // purpose, names, description
	MaxGroups        = 100    // groups in a bundle
	MaxEndpoints     = 100    // endpoints in a group
	MaxVersions      = 1000   // permissions versions of one data debit
)

// timeLayout is how times are stored: RFC 3339 in UTC with milliseconds (a JS Date's precision).
const timeLayout = "2006-01-02T15:04:05.000Z"

const noStore = "no store is configured (engine.WithStore, or --store with the kubus command)"

// Error types (the `error` property of a thrown Error).
const (
	ErrDuplicate   = "duplicateDataDebit"
	ErrNotFound    = "dataDebitNotFound"
	ErrCanceled    = "dataDebitCanceled"
	ErrNotActive   = "dataDebitNotActive"
	ErrTooManyPerm = "tooManyPermissions"
)

// Module installs the DataDebit namespace.
type Module struct{}

var _ builtins.Described = Module{}

// Name is "DataDebit".
func (Module) Name() string { return "DataDebit" }

// StoreGlobals: DataDebit keeps its records in the execution's store.
func (Module) StoreGlobals() []string { return []string{"DataDebit"} }

const specDoc = `{purpose, start, period, termsUrl, cancelAtPeriodEnd, requestClientName, requestClientUrl, requestClientLogoUrl, requestDescription?, bundle: {name, bundle: {<group>: {endpoints: [{endpoint}]}}}}`

var fns = []builtins.Fn{
	{
		Name:      "create",
		Signature: "(key: string, spec: DataDebit.Spec): DataDebit.Record",
		Doc: "Creates a data debit " + specDoc + ": period in seconds; start a Date or date string; an endpoint names a persisted entity type, " +
			`"Person" (this ruleset's) or "ruleset/Person". Its first permissions are not accepted yet (see enable). ` +
			`A key already in use throws {error: "duplicateDataDebit"}.`,
		Example: `DataDebit.create("dd-1", {purpose: "Mortgage advice", start: "2024-07-01", period: 30 * 86400, ...}).accepted // false`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "DataDebit.create"
			return func(call goja.FunctionCall) goja.Value {
				key := readKey(h, call, fn)
				spec := readSpec(h, call, 1, fn)
				tx, e := storeTx(h, fn)
				if _, err := load(tx, key); err == nil {
					fail(h, fn, ErrDuplicate, "a data debit with key %q already exists", key)
				} else if !errors.Is(err, store.ErrNotFound) {
					storeFailed(h, fn, err)
				}
				now := clock(e)
				r := &record{Key: key, DateCreated: msTime(now)}
				r.setClient(spec)
				r.Permissions = []permission{spec.permission(now)}
				save(h, fn, tx, r, now, "create", "", map[string]any{"permissionsId": r.Permissions[0].ID})
				return recordJS(h, r, now)
			}
		},
	},
	{
		Name:      "update",
		Signature: "(key: string, spec: DataDebit.Spec): DataDebit.Record",
		Doc: "Proposes new terms: adds a permissions version (not accepted) and updates the client's details. " +
			"The version in force stays in force until enable accepts the new one.",
		Example: `DataDebit.update("dd-1", {...spec, period: 90 * 86400}).permissionsLatest.accepted // false`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "DataDebit.update"
			return func(call goja.FunctionCall) goja.Value {
				key := readKey(h, call, fn)
				spec := readSpec(h, call, 1, fn)
				tx, e := storeTx(h, fn)
				r := mustLoad(h, fn, tx, key)
				if len(r.Permissions) >= MaxVersions {
					fail(h, fn, ErrTooManyPerm, "data debit %q already has %d permissions versions", key, MaxVersions)
				}
				now := clock(e)
				from := r.state(now)
				r.setClient(spec)
				p := spec.permission(now)
				r.Permissions = append(r.Permissions, p)
				save(h, fn, tx, r, now, "update", from, map[string]any{"permissionsId": p.ID})
				return recordJS(h, r, now)
			}
		},
	},
	{
		Name:      "enable",
		Signature: "(key: string): DataDebit.Record",
		Doc: "Accepts the newest permissions version; an older accepted version hands over to it at its start. " +
			`A canceled newest version throws {error: "dataDebitCanceled"}: update first.`,
		Example: `DataDebit.enable("dd-1").accepted // true`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "DataDebit.enable"
			return func(call goja.FunctionCall) goja.Value {
				key := readKey(h, call, fn)
				tx, e := storeTx(h, fn)
				r := mustLoad(h, fn, tx, key)
				now := clock(e)
				latest := &r.Permissions[len(r.Permissions)-1]
				if latest.CanceledAt != nil {
					fail(h, fn, ErrCanceled, "data debit %q is canceled: propose new terms with DataDebit.update, then enable them", key)
				}
				if latest.Accepted {
					return recordJS(h, r, now)
				}
				from := r.state(now)
				handover := now
				if start := time.Time(latest.Start); start.After(now) {
					handover = start
				}
				var superseded []any
				for i := range r.Permissions[:len(r.Permissions)-1] {
					p := &r.Permissions[i]
					if !p.Accepted {
						continue
					}
					if end, ok := p.timing().End(); ok && !end.After(handover) {
						continue
					}
					at := msTime(handover)
					p.CanceledAt, p.CancelAtPeriodEnd = &at, false
					superseded = append(superseded, p.ID)
				}
				latest.Accepted = true
				details := map[string]any{"permissionsId": latest.ID}
				if superseded != nil {
					details["superseded"] = superseded
					details["handoverAt"] = handover.Format(timeLayout)
				}
				save(h, fn, tx, r, now, "enable", from, details)
				return recordJS(h, r, now)
			}
		},
	},
	{
		Name:      "disable",
		Signature: "(key: string, options?: { atPeriodEnd?: boolean }): DataDebit.Record",
		Doc: "Cancels every permissions version (canceledAt = now): immediately, or with atPeriodEnd: true at the end of the period " +
			"running now. Never lengthens a version; an immediate disable also ends a version already canceled at its period end.",
		Example: `DataDebit.disable("dd-1", {atPeriodEnd: true}).end // the end of the running period`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "DataDebit.disable"
			return func(call goja.FunctionCall) goja.Value {
				key := readKey(h, call, fn)
				atPeriodEnd := false
				if !builtins.IsMissing(call.Argument(1)) {
					opts := h.Object(call, 1, fn, "options")
					if v := opts.Get("atPeriodEnd"); !builtins.IsMissing(v) {
						b, ok := builtins.BoolOf(v)
						if !ok {
							h.TypeError(fn, "options.atPeriodEnd must be a boolean, got %s", builtins.Describe(v))
						}
						atPeriodEnd = b
					}
				}
				tx, e := storeTx(h, fn)
				r := mustLoad(h, fn, tx, key)
				now := clock(e)
				from := r.state(now)
				if !r.disable(now, atPeriodEnd) {
					return recordJS(h, r, now)
				}
				details := map[string]any{"atPeriodEnd": atPeriodEnd}
				if _, end := r.summary(now); end != nil {
					details["end"] = end.Format(timeLayout)
				}
				save(h, fn, tx, r, now, "disable", from, details)
				return recordJS(h, r, now)
			}
		},
	},
	{
		Name:      "get",
		Signature: "(key: string): DataDebit.Record | null",
		Doc:       "The data debit with this key (including changes made earlier in this execution), or null when there is none.",
		Example:   `DataDebit.get("dd-1")?.active // true`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "DataDebit.get"
			return func(call goja.FunctionCall) goja.Value {
				key := readKey(h, call, fn)
				tx, e := storeTx(h, fn)
				r, err := load(tx, key)
				if errors.Is(err, store.ErrNotFound) {
					return goja.Null()
				}
				if err != nil {
					storeFailed(h, fn, err)
				}
				return recordJS(h, r, clock(e))
			}
		},
	},
	{
		Name:      "list",
		Signature: "(filter?: { active?: boolean; accepted?: boolean }): DataDebit.Record[]",
		Doc:       "All data debits, oldest first; filter keeps those whose active and/or accepted (as computed now) match.",
		Example:   `DataDebit.list({active: true}).map(d => d.dataDebitKey) // ["dd-1"]`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "DataDebit.list"
			return func(call goja.FunctionCall) goja.Value {
				var wantActive, wantAccepted *bool
				if !builtins.IsMissing(call.Argument(0)) {
					f := h.Object(call, 0, fn, "filter")
					wantActive = optBool(h, fn, f, "active")
					wantAccepted = optBool(h, fn, f, "accepted")
				}
				tx, e := storeTx(h, fn)
				now := clock(e)
				recs, err := tx.Find(Kind, store.Query{Sort: []string{"dateCreated"}})
				if err != nil {
					storeFailed(h, fn, err)
				}
				out := []any{}
				for _, sr := range recs {
					r, err := decode(sr)
					if err != nil {
						storeFailed(h, fn, err)
					}
					if wantActive != nil && (r.activeVersion(now) != nil) != *wantActive {
						continue
					}
					if wantAccepted != nil && r.accepted() != *wantAccepted {
						continue
					}
					out = append(out, recordJS(h, r, now))
				}
				return h.VM.NewArray(out...)
			}
		},
	},
	{
		Name:      "values",
		Signature: "(key: string): { [group: string]: { [endpoint: string]: object[] } }",
		Doc: "The data the active permissions' bundle names: for each group and endpoint, every stored record of that entity type " +
			`(its properties and _id). Only while the data debit is active, else it throws {error: "dataDebitNotActive"}.`,
		Example: `DataDebit.values("dd-1").profile.Person[0]._id // "0190…"`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "DataDebit.values"
			return func(call goja.FunctionCall) goja.Value {
				key := readKey(h, call, fn)
				tx, e := storeTx(h, fn)
				r := mustLoad(h, fn, tx, key)
				p := r.activeVersion(clock(e))
				if p == nil {
					fail(h, fn, ErrNotActive, "data debit %q is not active", key)
				}
				return values(h, fn, tx, e, p.Bundle)
			}
		},
	},
}

// Install defines the DataDebit namespace.
func (Module) Install(h *builtins.Host) error {
	_, err := builtins.InstallNamespace(h, "DataDebit", fns, nil)
	return err
}

const typesDecl = `declare namespace DataDebit {
  /** The data a data debit gives access to: groups of endpoints, each a persisted entity type ("Person" or "ruleset/Person"). */
  interface Bundle { name: string; bundle: { [group: string]: { endpoints: { endpoint: string }[] } } }
  /** What create and update take. */
  interface Spec {
    purpose: string;
    start: Date | string;
    /** seconds */
    period: number;
    termsUrl: string;
    cancelAtPeriodEnd: boolean;
    requestClientName: string;
    requestClientUrl: string;
    requestClientLogoUrl: string;
    requestDescription?: string | null;
    bundle: Bundle;
  }
  /** One version of the terms. active and end are computed from the execution clock. */
  interface Permissions {
    permissionsId: string;
    dateCreated: Date;
    purpose: string;
    start: Date;
    period: number;
    cancelAtPeriodEnd: boolean;
    termsUrl: string;
    bundle: Bundle;
    accepted: boolean;
    active: boolean;
    /** null: rolls on until canceled */
    end: Date | null;
    canceledAt?: Date;
  }
  interface Record {
    dataDebitKey: string;
    dateCreated: Date;
    requestClientName: string;
    requestClientUrl: string;
    requestClientLogoUrl: string;
    requestDescription: string | null;
    permissions: Permissions[];
    active: boolean;
    accepted: boolean;
    start: Date;
    end: Date | null;
    permissionsActive: Permissions | null;
    permissionsLatest: Permissions;
  }
}
`

// Typings declares the DataDebit namespace.
func (Module) Typings() string {
	return typesDecl + builtins.NamespaceTypings("DataDebit",
		`Data debits: a client's standing permission to read a bundle of the subject's data for a period (needs a store). `+
			`Errors about the stored state are Errors with error and message.`, fns, nil)
}

// Reference lists DataDebit's functions.
func (Module) Reference() []builtins.Entry { return builtins.ReferenceOf("DataDebit", fns, nil) }

// ---- stored shape ----

// msTime is a time stored as timeLayout.
type msTime time.Time

func (t msTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format(timeLayout))
}

func (t *msTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = msTime(v.UTC())
	return nil
}

type record struct {
	Key                  string       `json:"dataDebitKey"`
	DateCreated          msTime       `json:"dateCreated"`
	RequestClientName    string       `json:"requestClientName"`
	RequestClientURL     string       `json:"requestClientUrl"`
	RequestClientLogoURL string       `json:"requestClientLogoUrl"`
	RequestDescription   *string      `json:"requestDescription"`
	Permissions          []permission `json:"permissions"`
}

type permission struct {
	ID                string  `json:"permissionsId"`
	DateCreated       msTime  `json:"dateCreated"`
	Purpose           string  `json:"purpose"`
	Start             msTime  `json:"start"`
	Period            int64   `json:"period"` // seconds
	CancelAtPeriodEnd bool    `json:"cancelAtPeriodEnd"`
	TermsURL          string  `json:"termsUrl"`
	Bundle            bundle  `json:"bundle"`
	Accepted          bool    `json:"accepted"`
	CanceledAt        *msTime `json:"canceledAt,omitempty"`
}

type bundle struct {
	Name   string           `json:"name"`
	Groups map[string]group `json:"bundle"`
}

type group struct {
	Endpoints []endpoint `json:"endpoints"`
}

type endpoint struct {
	Endpoint string `json:"endpoint"`
}

func (p *permission) timing() Timing {
	t := Timing{Accepted: p.Accepted, Start: time.Time(p.Start), Period: time.Duration(p.Period) * time.Second, CancelAtPeriodEnd: p.CancelAtPeriodEnd}
	if p.CanceledAt != nil {
		t.CanceledAt = time.Time(*p.CanceledAt)
	}
	return t
}

// activeVersion is the newest version active at now, nil when none is.
func (r *record) activeVersion(now time.Time) *permission {
	for i := len(r.Permissions) - 1; i >= 0; i-- {
		if r.Permissions[i].timing().Active(now) {
			return &r.Permissions[i]
		}
	}
	return nil
}

// inForce is the newest accepted version, nil when none was ever accepted.
func (r *record) inForce() *permission {
	for i := len(r.Permissions) - 1; i >= 0; i-- {
		if r.Permissions[i].Accepted {
			return &r.Permissions[i]
		}
	}
	return nil
}

func (r *record) accepted() bool { return r.inForce() != nil }

// summary is the version the record's start and end are taken from, and that end (nil: none).
func (r *record) summary(now time.Time) (*permission, *time.Time) {
	p := r.activeVersion(now)
	if p == nil {
		p = r.inForce()
	}
	if p == nil {
		p = &r.Permissions[len(r.Permissions)-1]
	}
	if end, ok := p.timing().End(); ok {
		return p, &end
	}
	return p, nil
}

// state names the record's situation for the audit trail: pending (never accepted), accepted (not
// started yet), active, canceling (active, canceled at its period end), ended (ran its course)
// or canceled.
func (r *record) state(now time.Time) string {
	cur := r.inForce()
	if act := r.activeVersion(now); act != nil {
		if act == cur && act.CanceledAt != nil {
			return "canceling"
		}
		return "active"
	}
	if cur == nil {
		if r.Permissions[len(r.Permissions)-1].CanceledAt != nil {
			return "canceled"
		}
		return "pending"
	}
	switch {
	case cur.CanceledAt != nil:
		return "canceled"
	case now.Before(time.Time(cur.Start)):
		return "accepted"
	}
	return "ended"
}

// disable applies disable's rules (see the package documentation); it reports whether anything
// changed.
func (r *record) disable(now time.Time, atPeriodEnd bool) bool {
	changed := false
	at := msTime(now)
	for i := range r.Permissions {
		p := &r.Permissions[i]
		end, hasEnd := p.timing().End()
		if hasEnd && !end.After(now) {
			continue // over already, canceled or not: nothing to cancel
		}
		if p.CanceledAt != nil {
			// Canceled but still running (at its period end, or until a handover): only an
			// immediate disable shortens it.
			if !atPeriodEnd {
				p.CanceledAt, p.CancelAtPeriodEnd = &at, false
				changed = true
			}
			continue
		}
		cand := *p
		cand.CanceledAt, cand.CancelAtPeriodEnd = &at, atPeriodEnd
		if newEnd, _ := cand.timing().End(); hasEnd && newEnd.After(end) {
			// Cannot happen with the rules in Timing (a running version's period end is never
			// later than its own end); kept so that disable can never lengthen a version.
			cand.CancelAtPeriodEnd = false
		}
		*p = cand
		changed = true
	}
	return changed
}

func (r *record) setClient(s spec) {
	r.RequestClientName, r.RequestClientURL, r.RequestClientLogoURL = s.clientName, s.clientURL, s.clientLogoURL
	r.RequestDescription = s.description
}

// ---- store ----

// storeTx is the running execution and its Tx; it throws an Error naming fn outside an execution
// or without a store.
func storeTx(h *builtins.Host, fn string) (store.Tx, *builtins.Exec) {
	e := h.MustExec(fn)
	if e.Tx == nil {
		h.Error(fn, "%s", noStore)
	}
	return e.Tx, e
}

// clock is the execution clock at a JS Date's precision.
func clock(e *builtins.Exec) time.Time { return e.Now.UTC().Truncate(time.Millisecond) }

// errBadRecord marks a stored data debit that does not have the expected shape.
var errBadRecord = errors.New("malformed data debit record")

func load(tx store.Tx, key string) (*record, error) {
	sr, err := tx.Get(Kind, key)
	if err != nil {
		return nil, err
	}
	return decode(sr)
}

func decode(sr *store.Record) (*record, error) {
	raw, err := json.Marshal(sr.Props)
	if err != nil {
		return nil, fmt.Errorf("data debit %q: %w: %w", sr.ID, errBadRecord, err)
	}
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("data debit %q: %w: %w", sr.ID, errBadRecord, err)
	}
	if len(r.Permissions) == 0 || r.Key != sr.ID {
		return nil, fmt.Errorf("data debit %q: %w: no permissions or a wrong key", sr.ID, errBadRecord)
	}
	return &r, nil
}

func mustLoad(h *builtins.Host, fn string, tx store.Tx, key string) *record {
	r, err := load(tx, key)
	if errors.Is(err, store.ErrNotFound) {
		fail(h, fn, ErrNotFound, "there is no data debit with key %q", key)
	}
	if err != nil {
		storeFailed(h, fn, err)
	}
	return r
}

// save puts the record and appends its audit event (action, from the state before to the state
// after) in tx.
func save(h *builtins.Host, fn string, tx store.Tx, r *record, now time.Time, action, from string, details map[string]any) {
	raw, err := json.Marshal(r)
	if err != nil {
		storeFailed(h, fn, err)
	}
	var props map[string]any
	if err := json.Unmarshal(raw, &props); err != nil {
		storeFailed(h, fn, err)
	}
	if _, err := tx.Put(Kind, &store.Record{ID: r.Key, Props: props}, now); err != nil {
		storeFailed(h, fn, err)
	}
	ev := audit.Event{At: now, Subject: "dataDebit", ID: r.Key, Action: action, From: from, To: r.state(now), Details: details}
	if err := audit.Append(tx, ev); err != nil {
		storeFailed(h, fn, err)
	}
}

// storeFailed throws a store failure as a JS error that still wraps the Go error.
func storeFailed(h *builtins.Host, fn string, err error) {
	panic(h.VM.NewGoError(fmt.Errorf("%s: %w", fn, err)))
}

// fail throws an Error with `error` = typ and a message naming fn.
func fail(h *builtins.Host, fn, typ, format string, args ...any) {
	defer func() {
		r := recover()
		if o, ok := r.(*goja.Object); ok {
			_ = o.Set("error", typ)
		}
		panic(r)
	}()
	h.Error(fn, format, args...)
}

// ---- values ----

var (
	rulesetRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	entityRE  = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
)

// parseEndpoint splits "<ruleset>/<Entity>" or "<Entity>" (ruleset ""); ok is false for anything
// else, including the engine's own collections ("_system/User").
func parseEndpoint(s string) (ruleset, entity string, ok bool) {
	entity = s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		ruleset, entity = s[:i], s[i+1:]
		if !rulesetRE.MatchString(ruleset) {
			return "", "", false
		}
	}
	if !entityRE.MatchString(entity) || strings.HasPrefix(entity, "__") {
		return "", "", false
	}
	return ruleset, entity, true
}

func values(h *builtins.Host, fn string, tx store.Tx, e *builtins.Exec, b bundle) goja.Value {
	vm := h.VM
	out := vm.NewObject()
	for _, g := range sortedKeys(b.Groups) {
		gobj := vm.NewObject()
		for _, ep := range b.Groups[g].Endpoints {
			rs, entity, ok := parseEndpoint(ep.Endpoint)
			if !ok {
				storeFailed(h, fn, fmt.Errorf("%w: endpoint %q", errBadRecord, ep.Endpoint))
			}
			if rs == "" {
				rs = e.Ruleset.Name
				if rs == "" {
					h.Error(fn, "endpoint %q names no ruleset and no ruleset is running: write it as \"ruleset/%s\"", ep.Endpoint, entity)
				}
			}
			recs, err := tx.Find(store.Kind{Ruleset: rs, Entity: entity}, store.Query{})
			if err != nil {
				storeFailed(h, fn, err)
			}
			list := make([]any, 0, len(recs))
			for _, sr := range recs {
				o := jsonToJS(vm, map[string]any(sr.Props)).(*goja.Object)
				_ = o.Set("_id", sr.ID)
				list = append(list, o)
			}
			_ = gobj.Set(ep.Endpoint, vm.NewArray(list...))
		}
		_ = out.Set(g, gobj)
	}
	return out
}

// jsonToJS makes plain JS objects and arrays of a JSON-shaped value (object keys sorted).
func jsonToJS(vm *goja.Runtime, v any) goja.Value {
	switch x := v.(type) {
	case map[string]any:
		o := vm.NewObject()
		if x == nil {
			return o
		}
		for _, k := range sortedKeys(x) {
			_ = o.Set(k, jsonToJS(vm, x[k]))
		}
		return o
	case []any:
		items := make([]any, len(x))
		for i, el := range x {
			items[i] = jsonToJS(vm, el)
		}
		return vm.NewArray(items...)
	case nil:
		return goja.Null()
	}
	return vm.ToValue(v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ---- JS results ----

func recordJS(h *builtins.Host, r *record, now time.Time) goja.Value {
	vm := h.VM
	o := vm.NewObject()
	_ = o.Set("dataDebitKey", r.Key)
	_ = o.Set("dateCreated", h.NewDate(time.Time(r.DateCreated)))
	_ = o.Set("requestClientName", r.RequestClientName)
	_ = o.Set("requestClientUrl", r.RequestClientURL)
	_ = o.Set("requestClientLogoUrl", r.RequestClientLogoURL)
	if r.RequestDescription != nil {
		_ = o.Set("requestDescription", *r.RequestDescription)
	} else {
		_ = o.Set("requestDescription", goja.Null())
	}
	act := r.activeVersion(now)
	perms := make([]any, len(r.Permissions))
	var actJS goja.Value = goja.Null()
	for i := range r.Permissions {
		p := &r.Permissions[i]
		pj := permissionJS(h, p, now)
		perms[i] = pj
		if p == act {
			actJS = pj
		}
	}
	_ = o.Set("permissions", vm.NewArray(perms...))
	_ = o.Set("active", act != nil)
	_ = o.Set("accepted", r.accepted())
	sp, end := r.summary(now)
	_ = o.Set("start", h.NewDate(time.Time(sp.Start)))
	if end != nil {
		_ = o.Set("end", h.NewDate(*end))
	} else {
		_ = o.Set("end", goja.Null())
	}
	_ = o.Set("permissionsActive", actJS)
	_ = o.Set("permissionsLatest", perms[len(perms)-1])
	return o
}

func permissionJS(h *builtins.Host, p *permission, now time.Time) goja.Value {
	vm := h.VM
	o := vm.NewObject()
	t := p.timing()
	_ = o.Set("permissionsId", p.ID)
	_ = o.Set("dateCreated", h.NewDate(time.Time(p.DateCreated)))
	_ = o.Set("purpose", p.Purpose)
	_ = o.Set("start", h.NewDate(t.Start))
	_ = o.Set("period", p.Period)
	_ = o.Set("cancelAtPeriodEnd", p.CancelAtPeriodEnd)
	_ = o.Set("termsUrl", p.TermsURL)
	groups := vm.NewObject()
	for _, g := range sortedKeys(p.Bundle.Groups) {
		eps := make([]any, 0, len(p.Bundle.Groups[g].Endpoints))
		for _, ep := range p.Bundle.Groups[g].Endpoints {
			eo := vm.NewObject()
			_ = eo.Set("endpoint", ep.Endpoint)
			eps = append(eps, eo)
		}
		gobj := vm.NewObject()
		_ = gobj.Set("endpoints", vm.NewArray(eps...))
		_ = groups.Set(g, gobj)
	}
	b := vm.NewObject()
	_ = b.Set("name", p.Bundle.Name)
	_ = b.Set("bundle", groups)
	_ = o.Set("bundle", b)
	_ = o.Set("accepted", p.Accepted)
	_ = o.Set("active", t.Active(now))
	if end, ok := t.End(); ok {
		_ = o.Set("end", h.NewDate(end))
	} else {
		_ = o.Set("end", goja.Null())
	}
	if p.CanceledAt != nil {
		_ = o.Set("canceledAt", h.NewDate(time.Time(*p.CanceledAt)))
	}
	return o
}

// ---- arguments ----

// readKey reads the key argument: a non-empty string of at most MaxKeyLength bytes of valid UTF-8.
func readKey(h *builtins.Host, call goja.FunctionCall, fn string) string {
	key := h.String(call, 0, fn, "key")
	switch {
	case strings.TrimSpace(key) == "":
		h.RangeError(fn, "key is empty")
	case len(key) > MaxKeyLength:
		h.RangeError(fn, "key is longer than %d bytes", MaxKeyLength)
	case loneSurrogate(call.Argument(0).(goja.String)):
		// goja turns a lone surrogate into U+FFFD in Go: two different JS keys would become one.
		h.RangeError(fn, "key is not valid Unicode (a lone surrogate)")
	}
	return key
}

// spec is create's and update's second argument once checked.
type spec struct {
	purpose, termsURL                    string
	start                                time.Time
	period                               int64
	cancelAtPeriodEnd                    bool
	clientName, clientURL, clientLogoURL string
	description                          *string
	bundle                               bundle
}

func (s spec) permission(now time.Time) permission {
	return permission{
		ID: uuid.Must(uuid.NewV7()).String(), DateCreated: msTime(now), Purpose: s.purpose, Start: msTime(s.start),
		Period: s.period, CancelAtPeriodEnd: s.cancelAtPeriodEnd, TermsURL: s.termsURL, Bundle: s.bundle,
	}
}

// props reads the properties of one object for messages that name them by path.
type props struct {
	h    *builtins.Host
	fn   string
	path string
	o    *goja.Object
}

func (p props) name(k string) string { return p.path + "." + k }

func (p props) get(k, want string) goja.Value {
	v := p.o.Get(k)
	if builtins.IsMissing(v) {
		p.h.TypeError(p.fn, "%s is required (%s)", p.name(k), want)
	}
	return v
}

func (p props) str(k string, nonEmpty bool) string {
	v := p.get(k, "a string")
	s, ok := builtins.StringOf(v)
	if !ok {
		p.h.TypeError(p.fn, "%s must be a string, got %s", p.name(k), builtins.Describe(v))
	}
	checkText(p.h, p.fn, p.name(k), s, nonEmpty)
	return s
}

func checkText(h *builtins.Host, fn, name, s string, nonEmpty bool) {
	switch {
	case nonEmpty && strings.TrimSpace(s) == "":
		h.RangeError(fn, "%s is empty", name)
	case len(s) > MaxTextLength:
		h.RangeError(fn, "%s is longer than %d bytes", name, MaxTextLength)
	}
}

// loneSurrogate reports whether a JS string holds a UTF-16 surrogate that is not part of a pair.
func loneSurrogate(s goja.String) bool {
	n := s.Length()
	for i := 0; i < n; i++ {
		c := s.CharAt(i)
		switch {
		case c >= 0xD800 && c <= 0xDBFF:
			if i+1 < n {
				if d := s.CharAt(i + 1); d >= 0xDC00 && d <= 0xDFFF {
					i++
					continue
				}
			}
			return true
		case c >= 0xDC00 && c <= 0xDFFF:
			return true
		}
	}
	return false
}

func (p props) url(k string) string {
	v := p.get(k, "an http(s) URL string")
	s, ok := builtins.StringOf(v)
	if !ok {
		p.h.TypeError(p.fn, "%s must be an http(s) URL string, got %s", p.name(k), builtins.Describe(v))
	}
	u, err := url.Parse(s)
	if len(s) > MaxURLLength || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.h.RangeError(p.fn, "%s must be an absolute http(s) URL of at most %d characters, got %s", p.name(k), MaxURLLength, builtins.Describe(v))
	}
	return s
}

func (p props) obj(k string) props {
	v := p.get(k, "an object")
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() == "Array" {
		p.h.TypeError(p.fn, "%s must be an object, got %s", p.name(k), builtins.Describe(v))
	}
	return props{p.h, p.fn, p.name(k), o}
}

func readSpec(h *builtins.Host, call goja.FunctionCall, i int, fn string) spec {
	o := h.Object(call, i, fn, "spec")
	p := props{h, fn, "spec", o}
	var s spec
	s.purpose = p.str("purpose", true)
	s.start = readStart(h, fn, p.get("start", `a Date or a "YYYY-MM-DD" string`))
	pv := p.get("period", "a number of seconds")
	period, ok := builtins.NumberOf(pv)
	if !ok {
		h.TypeError(fn, "spec.period must be a number of seconds, got %s", builtins.Describe(pv))
	}
	if period != float64(int64(period)) || period < 1 || period > MaxPeriodSeconds {
		h.RangeError(fn, "spec.period must be a whole number of seconds between 1 and %d (100 years), got %s", int64(MaxPeriodSeconds), builtins.Describe(pv))
	}
	s.period = int64(period)
	s.termsURL = p.url("termsUrl")
	cv := p.get("cancelAtPeriodEnd", "a boolean")
	if s.cancelAtPeriodEnd, ok = builtins.BoolOf(cv); !ok {
		h.TypeError(fn, "spec.cancelAtPeriodEnd must be a boolean, got %s", builtins.Describe(cv))
	}
	s.clientName = p.str("requestClientName", true)
	s.clientURL = p.url("requestClientUrl")
	s.clientLogoURL = p.url("requestClientLogoUrl")
	if dv := o.Get("requestDescription"); !builtins.IsMissing(dv) && !goja.IsNull(dv) {
		d, ok := builtins.StringOf(dv)
		if !ok {
			h.TypeError(fn, "spec.requestDescription must be a string or null, got %s", builtins.Describe(dv))
		}
		checkText(h, fn, "spec.requestDescription", d, false)
		s.description = &d
	}
	s.bundle = readBundle(p.obj("bundle"))
	return s
}

// readStart reads spec.start like Host.Date reads a date argument, within years 1..9999.
func readStart(h *builtins.Host, fn string, v goja.Value) time.Time {
	var t time.Time
	if d, isDate, valid := builtins.DateOf(v); isDate {
		if !valid {
			h.RangeError(fn, "spec.start is an invalid Date")
		}
		t = d
	} else {
		s, ok := builtins.StringOf(v)
		if !ok {
			h.TypeError(fn, `spec.start must be a Date or a "YYYY-MM-DD" string, got %s`, builtins.Describe(v))
		}
		if t, ok = builtins.ParseDate(s, h.Location()); !ok {
			h.RangeError(fn, `spec.start must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got %s`, builtins.Describe(v))
		}
	}
	t = t.UTC().Truncate(time.Millisecond)
	if t.Year() < 1 || t.Year() > 9999 {
		h.RangeError(fn, "spec.start must be in the years 1 to 9999, got %s", builtins.Describe(v))
	}
	return t
}

func readBundle(p props) bundle {
	h, fn := p.h, p.fn
	b := bundle{Name: p.str("name", true), Groups: map[string]group{}}
	groups := p.obj("bundle")
	keys := groups.o.Keys()
	if len(keys) == 0 {
		h.RangeError(fn, "%s has no groups", groups.path)
	}
	if len(keys) > MaxGroups {
		h.RangeError(fn, "%s has more than %d groups", groups.path, MaxGroups)
	}
	for _, g := range keys {
		checkText(h, fn, groups.path+" group name", g, true)
		gp := groups.obj(g)
		name := gp.name("endpoints")
		ev := gp.get("endpoints", "an array of {endpoint}")
		eo, ok := ev.(*goja.Object)
		if !ok || eo.ClassName() != "Array" {
			h.TypeError(fn, "%s must be an array of {endpoint}, got %s", name, builtins.Describe(ev))
		}
		n, ok := builtins.NumberOf(eo.Get("length"))
		if !ok || n < 0 {
			h.TypeError(fn, "%s must be an array of {endpoint}, got %s", name, builtins.Describe(ev))
		}
		switch {
		case n == 0:
			h.RangeError(fn, "%s is empty", name)
		case n > MaxEndpoints:
			h.RangeError(fn, "%s has more than %d endpoints", name, MaxEndpoints)
		}
		eps := make([]endpoint, 0, int(n))
		for i := range int(n) {
			el := eo.Get(fmt.Sprint(i))
			o, ok := el.(*goja.Object)
			if !ok {
				h.TypeError(fn, "%s[%d] must be an object like {endpoint: \"Person\"}, got %s", name, i, builtins.Describe(el))
			}
			s := props{h, fn, fmt.Sprintf("%s[%d]", name, i), o}.str("endpoint", true)
			if _, _, ok := parseEndpoint(s); !ok {
				h.RangeError(fn, `%s[%d].endpoint must name a persisted entity type, "Entity" or "ruleset/Entity", got %q`, name, i, s)
			}
			eps = append(eps, endpoint{Endpoint: s})
		}
		b.Groups[g] = group{Endpoints: eps}
	}
	return b
}

// optBool reads an optional boolean property of a filter.
func optBool(h *builtins.Host, fn string, o *goja.Object, k string) *bool {
	v := o.Get(k)
	if builtins.IsMissing(v) {
		return nil
	}
	b, ok := builtins.BoolOf(v)
	if !ok {
		h.TypeError(fn, "filter.%s must be a boolean, got %s", k, builtins.Describe(v))
	}
	return &b
}

// Check answers Consent.check for the data debit with this key at `at`: allowed while a version is
// active, and the reason — "active" (also while canceled at its period end but still running),
// "missing" (no such key: rec is null), "notAccepted" (no version accepted yet), "notStarted"
// (accepted, its start still ahead), "canceled" or "expired" (ran its course) — with the record
// as DataDebit.get shows it at `at`. It reads the execution's store; fn names the caller in errors.
func Check(h *builtins.Host, fn, key string, at time.Time) (allowed bool, reason string, rec goja.Value) {
	tx, _ := storeTx(h, fn)
	r, err := load(tx, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, "missing", goja.Null()
	}
	if err != nil {
		storeFailed(h, fn, err)
	}
	at = at.UTC().Truncate(time.Millisecond)
	switch r.state(at) {
	case "active", "canceling":
		allowed, reason = true, "active"
	case "pending":
		reason = "notAccepted"
	case "accepted":
		reason = "notStarted"
	case "canceled":
		reason = "canceled"
	default:
		reason = "expired"
	}
	return allowed, reason, recordJS(h, r, at)
}
