// Package ockto is the "Ockto" module: starting Ockto sessions (the consumer scans a QR code and
// shares their income, pension, UWV and bank data), polling them, fetching the ODM result, and
// listing PSD2 AIS consents — the contract of design/consent-and-ockto.md, section 1 and 3.
//
// # Configuration
//
// Everything comes from the running execution's host environment (builtins.Exec.Getenv: the process
// environment, then modules: of the kubus.yaml environment; rule code never reads it), read at each
// call, so one installed runtime serves tenants with different configurations:
// KUBUS_OCKTO_ENDPOINT, _USERNAME, _PASSWORD, _PROVIDER_CODE,
// _CERT and _KEY (mutual TLS), _TIMEOUT (per HTTP attempt, default 10s), _RETRIES (reads, default 2)
// and _CONSENT_CODES (JSON, default {"Algemeen":"001"}); see LoadConfig. Without an endpoint every
// call throws "Ockto is not configured" (after validating its arguments). Clients are cached per
// configuration, so connections and the access token are reused across executions.
//
// Ockto.ConsentCodes is an accessor: it returns a frozen object built from the current execution's
// configuration (the same object for the whole execution). Reading it outside an execution (while
// the ruleset loads) throws, like System.ruleset.
//
// # The audit trail of data collected
//
// Every session is a store record of SessionKind (id = the sessionId) in the execution's Tx, so it
// is kept only when the execution succeeds:
//
//	sessionId        string
//	ruleset          string: the ruleset that started it
//	options          the startSession options as sent (no secrets), null for a session first seen by getStatus/getResult
//	createdAt        the execution clock at startSession (RFC 3339, UTC, milliseconds)
//	statusHistory    [{status, at}]: each status getStatus saw that differs from the previous one
//	lastStatus       string or null
//	resultFetchedAt  the execution clock when the result was last fetched, or null
//	resultFetches    how often the result was fetched
//
// and every start, status change and result fetch appends an audit event (subject "ocktoSession",
// action "start", "status" or "result"). The ODM document itself is never stored. Without a store
// (Exec.Tx nil) nothing is recorded, and the functions still work.
//
// # Errors
//
// Wrong arguments throw a TypeError or RangeError naming the option, before any call to Ockto. A
// failed call throws an Error whose message starts with the function name and whose details are
// {status, body, kind}: the HTTP status (null when Ockto did not answer), the provider's error
// body (parsed JSON, else text) and one of http, timeout, unreachable, malformed, canceled, config.
package ockto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/audit"
	"github.com/kubusdev/kubus/store"
)

// SessionKind is where sessions are recorded. "_ockto" cannot clash with a ruleset name.
var SessionKind = store.Kind{Ruleset: "_ockto", Entity: "Session"}

// Documents are the values requestDocuments accepts.
var Documents = []string{"UPO", "UWV", "PSD2", "PDF"}

// Limits on startSession's arguments.
const (
	MaxSessionIDLength = 200
	maxTextLength      = 100 // testCaseId, ocktoType, odmVersion
	maxDocuments       = 16  // requestDocuments' length before duplicates are dropped
)

// timeLayout is how times are recorded (sortable, a JS Date's precision).
const timeLayout = "2006-01-02T15:04:05.000Z"

var odmVersionRE = regexp.MustCompile(`^v[0-9]{1,4}_[0-9]{1,4}$`)

// Module installs the Ockto namespace.
type Module struct{}

var _ builtins.Described = Module{}

// Name is "Ockto".
func (Module) Name() string { return "Ockto" }

// StoreGlobals: Ockto keeps its records in the execution's store.
func (Module) StoreGlobals() []string { return []string{"Ockto"} }

var startOptions = []string{"testCaseId", "consentCode", "ocktoType", "odmVersion", "requestDocuments",
	"disablePartner", "psd2InfoIncluded", "psd2AmountOfMonths"}

var fns = []builtins.Fn{
	{
		Name: "startSession",
		Signature: `(sessionId: string, options: { testCaseId?: string; consentCode: string; ocktoType?: string; odmVersion?: string | null; ` +
			`requestDocuments?: ("UPO" | "UWV" | "PSD2" | "PDF")[]; disablePartner?: boolean; psd2InfoIncluded?: boolean; psd2AmountOfMonths?: number }): { sessionId: string; qrCode: string }`,
		Doc: "Starts an Ockto session and returns the QR code for the consumer to scan. Every option is checked first (TypeError/RangeError naming it): " +
			"consentCode one of Ockto.ConsentCodes, requestDocuments ⊆ UPO, UWV, PSD2, PDF, odmVersion null or v<major>_<minor>, psd2AmountOfMonths 1..12 when psd2InfoIncluded. " +
			"testCaseId picks a simulator scenario. Never retried once the request may have reached Ockto. The session is recorded in the store.",
		Example: `Ockto.startSession("app-123", {consentCode: Ockto.ConsentCodes.Algemeen, requestDocuments: ["UPO", "UWV"], psd2InfoIncluded: true, psd2AmountOfMonths: 12}).qrCode`,
		Impl:    implStart,
	},
	{
		Name:      "getStatus",
		Signature: "(sessionId: string): string",
		Doc: `The session's status as Ockto reports it ("created", "scanned", "dataAvailable", "refused", "expired", ...); ` +
			"a change is added to the session's recorded status history. Retried on timeouts and 5xx.",
		Example: `Ockto.getStatus("app-123") // "dataAvailable"`,
		Impl:    implStatus,
	},
	{
		Name:      "getResult",
		Signature: "(sessionId: string): any",
		Doc:       "The session's ODM document (income, employers, pension UPO, UWV history, PSD2 transactions), passed through untouched; the fetch is recorded (not the data).",
		Example:   `Ockto.getResult("app-123").income.employers.length // 2`,
		Impl:      implResult,
	},
	{
		Name:      "consents",
		Signature: "(query?: { active?: boolean; historical?: boolean; open?: boolean }): OcktoAisConsent[]",
		Doc: "PSD2 bank-data (AIS) consents in the provider's shape. active: valid and in time (default true); historical: ended (default false); " +
			"open: initiated, not yet authorised (default false). All pages are fetched.",
		Example: `Ockto.consents({active: true}).map(c => c.consentId) // ["cns-0001"]`,
		Impl:    implConsents,
	},
}

var consts = []builtins.Const{{
	Name: "ConsentCodes",
	Type: "Readonly<Record<string, string>>",
	Doc:  `The consent codes, frozen, e.g. Ockto.ConsentCodes.Algemeen === "001" (configurable per environment with KUBUS_OCKTO_CONSENT_CODES; default {Algemeen: "001"}).`,
}}

const aisTypings = `/** A PSD2 bank-data (AIS) consent as the provider reports it (Ockto.consents). */
interface OcktoAisConsent {
  consentId: string;
  consentedServices: ("BALANCES" | "TRANSACTIONS" | "DETAILS")[];
  lastUpdated: string;
  providerConsentId: string;
  validUntil: string;
  created: string;
  frequencyPerDay: number;
  consentedAt: string | null;
  aisStatus: string;
  recurringIndicator: boolean;
  consentStatus: string;
  nearlyExpired: boolean;
  userId: string;
  provider: string;
  options: {
    transactions?: { dateFrom: string; dateTo: string; dateFormat: string };
    access: { [scope: string]: { currency: string; iban: string }[] };
  };
  region: string;
  type: string;
  providerUrl: string;
  [key: string]: any;
}
`

// Install defines the Ockto namespace, with ConsentCodes as an accessor.
func (Module) Install(h *builtins.Host) error {
	ns, err := builtins.InstallNamespace(h, "Ockto", fns, nil)
	if err != nil {
		return err
	}
	rt := runtimeOf(h)
	var memo builtins.ExecMemo[goja.Value]
	getter := h.Func("Ockto.ConsentCodes", func(goja.FunctionCall) goja.Value {
		const fn = "Ockto.ConsentCodes"
		e := h.MustExec(fn)
		return memo.Get(e, func() goja.Value {
			codes, err := loadConsentCodes(e.Getenv)
			if err != nil {
				h.Error(fn, "%v", err)
			}
			return rt.codesObject(codes)
		})
	})
	return ns.DefineAccessorProperty("ConsentCodes", getter, nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
}

// Typings declares the Ockto namespace and the AIS consent record.
func (Module) Typings() string {
	return aisTypings + builtins.NamespaceTypings("Ockto",
		"Ockto sessions: the consumer shares income, pension, UWV and bank data by scanning a QR code (needs KUBUS_OCKTO_* configuration).", fns, consts)
}

// Reference lists Ockto's functions and ConsentCodes.
func (Module) Reference() []builtins.Entry { return builtins.ReferenceOf("Ockto", fns, consts) }

// runtime holds the intrinsics captured when the module is installed, before a ruleset could
// shadow them.
type runtime struct {
	h        *builtins.Host
	parse    goja.Callable // JSON.parse
	freeze   goja.Callable // Object.freeze
	errorCtr goja.Value    // Error
}

func runtimeOf(h *builtins.Host) *runtime {
	vm := h.VM
	rt := &runtime{h: h, errorCtr: vm.Get("Error")}
	rt.parse, _ = goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	rt.freeze, _ = goja.AssertFunction(vm.Get("Object").ToObject(vm).Get("freeze"))
	return rt
}

// fromJSON turns JSON text into a JS value with JSON.parse (keeps the document's key order).
func (rt *runtime) fromJSON(b []byte) goja.Value {
	v, err := rt.parse(goja.Undefined(), rt.h.VM.ToValue(string(b)))
	if err != nil {
		panic(rt.h.VM.NewGoError(err))
	}
	return v
}

func (rt *runtime) toJS(v any) goja.Value {
	b, err := json.Marshal(v)
	if err != nil {
		panic(rt.h.VM.NewGoError(err))
	}
	return rt.fromJSON(b)
}

func (rt *runtime) codesObject(codes map[string]string) goja.Value {
	o := rt.h.VM.NewObject()
	for _, name := range (Config{ConsentCodes: codes}).ConsentCodeNames() {
		_ = o.Set(name, codes[name])
	}
	if _, err := rt.freeze(goja.Undefined(), o); err != nil {
		panic(rt.h.VM.NewGoError(err))
	}
	return o
}

// fail throws err as a JS Error named after fn; an *Error carries its details.
func (rt *runtime) fail(fn string, err error) {
	vm := rt.h.VM
	var oe *Error
	if !errors.As(err, &oe) {
		rt.h.Error(fn, "%v", err)
	}
	obj, cerr := vm.New(rt.errorCtr, vm.ToValue(fn+": "+oe.Msg))
	if cerr != nil {
		panic(vm.NewGoError(cerr))
	}
	_ = obj.Set("details", rt.toJS(oe.Details()))
	panic(obj)
}

// loadConsentCodes reads only the consent codes (so a bad unrelated setting does not break
// Ockto.ConsentCodes).
func loadConsentCodes(getenv func(string) (string, bool)) (map[string]string, error) {
	if getenv != nil {
		if s, ok := getenv(EnvConsentCodes); ok && strings.TrimSpace(s) != "" {
			codes, err := parseConsentCodes(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", EnvConsentCodes, err)
			}
			return codes, nil
		}
	}
	return DefaultConsentCodes(), nil
}

// clients caches one Client per configuration (keyed by a digest), for connection and token reuse.
var clients = struct {
	sync.Mutex
	m map[string]*Client
}{m: map[string]*Client{}}

const maxClients = 32

func clientFor(cfg Config) (*Client, error) {
	key := cfg.hash()
	clients.Lock()
	defer clients.Unlock()
	if c := clients.m[key]; c != nil {
		return c, nil
	}
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	if len(clients.m) >= maxClients {
		clear(clients.m) // rare: many configurations in one process
	}
	clients.m[key] = c
	return c, nil
}

// call is what every function needs: the execution, its config and context.
type call struct {
	rt   *runtime
	fn   string
	exec *builtins.Exec
	cfg  Config
}

func begin(rt *runtime, fn string) *call {
	e := rt.h.MustExec(fn)
	cfg, err := LoadConfig(e.Getenv)
	if err != nil {
		rt.h.Error(fn, "%v", err)
	}
	return &call{rt: rt, fn: fn, exec: e, cfg: cfg}
}

// client is the configured client; it throws "Ockto is not configured" without an endpoint.
func (c *call) client() *Client {
	if !c.cfg.Configured() {
		c.rt.h.Error(c.fn, "%v", ErrNotConfigured)
	}
	cl, err := clientFor(c.cfg)
	if err != nil {
		c.rt.fail(c.fn, err)
	}
	return cl
}

func (c *call) ctx() context.Context {
	if c.exec.Context != nil {
		return c.exec.Context
	}
	return context.Background()
}

func (c *call) storeFailed(err error) {
	panic(c.rt.h.VM.NewGoError(fmt.Errorf("%s: %w", c.fn, err)))
}

func implStart(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	rt := runtimeOf(h)
	const fn = "Ockto.startSession"
	return func(fc goja.FunctionCall) goja.Value {
		c := begin(rt, fn)
		req := readStart(h, fc, fn, c.cfg.ConsentCodes)
		cl := c.client()
		resp, err := cl.StartSession(c.ctx(), req)
		if err != nil {
			rt.fail(fn, err)
		}
		if err := recordStart(c.exec, req); err != nil {
			c.storeFailed(err)
		}
		return rt.toJS(map[string]any{"sessionId": resp.SessionID, "qrCode": resp.QRCode})
	}
}

func implStatus(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	rt := runtimeOf(h)
	const fn = "Ockto.getStatus"
	return func(fc goja.FunctionCall) goja.Value {
		c := begin(rt, fn)
		id := readSessionID(h, fc, fn)
		status, err := c.client().GetStatus(c.ctx(), id)
		if err != nil {
			rt.fail(fn, err)
		}
		if err := recordStatus(c.exec, id, status); err != nil {
			c.storeFailed(err)
		}
		return h.VM.ToValue(status)
	}
}

func implResult(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	rt := runtimeOf(h)
	const fn = "Ockto.getResult"
	return func(fc goja.FunctionCall) goja.Value {
		c := begin(rt, fn)
		id := readSessionID(h, fc, fn)
		doc, err := c.client().GetResult(c.ctx(), id)
		if err != nil {
			rt.fail(fn, err)
		}
		if err := recordResult(c.exec, id, len(doc)); err != nil {
			c.storeFailed(err)
		}
		return rt.fromJSON(doc)
	}
}

func implConsents(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	rt := runtimeOf(h)
	const fn = "Ockto.consents"
	return func(fc goja.FunctionCall) goja.Value {
		c := begin(rt, fn)
		q := ConsentQuery{Active: true}
		if !builtins.IsMissing(fc.Argument(0)) {
			o := h.Object(fc, 0, fn, "query")
			for _, k := range o.Keys() {
				if k != "active" && k != "historical" && k != "open" {
					h.TypeError(fn, "query.%s is not a consents option (use active, historical, open)", k)
				}
			}
			flag := func(name string, dst *bool) {
				v := o.Get(name)
				if builtins.IsMissing(v) {
					return
				}
				b, ok := builtins.BoolOf(v)
				if !ok {
					h.TypeError(fn, "query.%s must be true or false, got %s", name, builtins.Describe(v))
				}
				*dst = b
			}
			flag("active", &q.Active)
			flag("historical", &q.Historical)
			flag("open", &q.Open)
		}
		return c.consents(q)
	}
}

// consents fetches the AIS consents q selects, as a JS array of the provider's records.
func (c *call) consents(q ConsentQuery) goja.Value {
	list, err := c.client().Consents(c.ctx(), q)
	if err != nil {
		c.rt.fail(c.fn, err)
	}
	parts := make([]string, len(list))
	for i, r := range list {
		parts[i] = string(r)
	}
	return c.rt.fromJSON([]byte("[" + strings.Join(parts, ",") + "]"))
}

// ConsentFetcher returns what Consent.check uses to read bank-data consents: every AIS consent
// (active, historical and open) from the configured Ockto, as Ockto.consents returns them. It is
// made at install time (so it holds the intrinsics before a ruleset could shadow them) and asks
// Ockto once per execution: later calls in the same execution get the same array. fn names the
// caller in errors ("Ockto is not configured" included).
func ConsentFetcher(h *builtins.Host) func(fn string) []*goja.Object {
	rt := runtimeOf(h)
	var memo builtins.ExecMemo[[]*goja.Object]
	return func(fn string) []*goja.Object {
		return memo.Get(h.MustExec(fn), func() []*goja.Object {
			c := begin(rt, fn)
			arr := c.consents(ConsentQuery{Active: true, Historical: true, Open: true}).(*goja.Object)
			list := []*goja.Object{}
			for _, k := range arr.Keys() {
				o, ok := arr.Get(k).(*goja.Object)
				if !ok {
					h.Error(fn, "Ockto returned an AIS consent that is not an object: %s", builtins.Describe(arr.Get(k)))
				}
				list = append(list, o)
			}
			return list
		})
	}
}

// readSessionID reads a non-empty session id.
func readSessionID(h *builtins.Host, fc goja.FunctionCall, fn string) string {
	id := h.String(fc, 0, fn, "sessionId")
	if strings.TrimSpace(id) == "" {
		h.TypeError(fn, "sessionId must be a non-empty string")
	}
	if len(id) > MaxSessionIDLength {
		h.RangeError(fn, "sessionId must be at most %d characters, got %d", MaxSessionIDLength, len(id))
	}
	return id
}

// readStart checks every argument of startSession before anything is sent.
func readStart(h *builtins.Host, fc goja.FunctionCall, fn string, codes map[string]string) StartRequest {
	req := StartRequest{SessionID: readSessionID(h, fc, fn), RequestDocuments: []string{}}
	if builtins.IsMissing(fc.Argument(1)) {
		h.TypeError(fn, "options must be an object with at least consentCode, got undefined")
	}
	o := h.Object(fc, 1, fn, "options")
	for _, k := range o.Keys() {
		known := false
		for _, s := range startOptions {
			known = known || s == k
		}
		if !known {
			h.TypeError(fn, "options.%s is not a startSession option (use %s)", k, strings.Join(startOptions, ", "))
		}
	}
	text := func(name string, v goja.Value) string {
		s, ok := builtins.StringOf(v)
		if !ok {
			h.TypeError(fn, "options.%s must be a string, got %s", name, builtins.Describe(v))
		}
		if len(s) > maxTextLength {
			h.RangeError(fn, "options.%s must be at most %d characters, got %d", name, maxTextLength, len(s))
		}
		return s
	}
	flag := func(name string) bool {
		v := o.Get(name)
		if builtins.IsMissing(v) {
			return false
		}
		b, ok := builtins.BoolOf(v)
		if !ok {
			h.TypeError(fn, "options.%s must be true or false, got %s", name, builtins.Describe(v))
		}
		return b
	}

	if v := o.Get("testCaseId"); !builtins.IsMissing(v) && !goja.IsNull(v) {
		req.TestCaseID = text("testCaseId", v)
	}

	v := o.Get("consentCode")
	code, ok := builtins.StringOf(v)
	if !ok {
		h.TypeError(fn, "options.consentCode must be a string, one of Ockto.ConsentCodes (%s), got %s", describeCodes(codes), builtins.Describe(v))
	}
	valid := false
	for _, c := range codes {
		valid = valid || c == code
	}
	if !valid {
		h.RangeError(fn, "options.consentCode must be one of Ockto.ConsentCodes (%s), got %s", describeCodes(codes), builtins.Describe(v))
	}
	req.ConsentCode = code

	if v := o.Get("ocktoType"); !builtins.IsMissing(v) && !goja.IsNull(v) {
		req.OcktoType = text("ocktoType", v)
	}
	if v := o.Get("odmVersion"); !builtins.IsMissing(v) && !goja.IsNull(v) {
		s := text("odmVersion", v)
		if s != "" && !odmVersionRE.MatchString(s) {
			h.RangeError(fn, `options.odmVersion must be null, "" or v<major>_<minor> such as "v3_2", got %s`, builtins.Describe(v))
		}
		req.ODMVersion = s
	}
	if v := o.Get("requestDocuments"); !builtins.IsMissing(v) && !goja.IsNull(v) {
		req.RequestDocuments = readDocuments(h, fn, v)
	}
	req.DisablePartner = flag("disablePartner")
	req.PSD2InfoIncluded = flag("psd2InfoIncluded")

	months := o.Get("psd2AmountOfMonths")
	if req.PSD2InfoIncluded {
		const want = "a whole number of months from 1 to 12 when psd2InfoIncluded is true"
		n, ok := builtins.NumberOf(months)
		if !ok {
			h.TypeError(fn, "options.psd2AmountOfMonths must be %s, got %s", want, builtins.Describe(months))
		}
		if n != float64(int(n)) || n < 1 || n > 12 {
			h.RangeError(fn, "options.psd2AmountOfMonths must be %s, got %s", want, builtins.Describe(months))
		}
		req.PSD2AmountOfMonths = int(n)
	} else if !builtins.IsMissing(months) && !goja.IsNull(months) {
		if _, ok := builtins.NumberOf(months); !ok {
			h.TypeError(fn, "options.psd2AmountOfMonths must be a number, got %s", builtins.Describe(months))
		}
		// Not sent: without PSD2 information it has no meaning.
	}
	return req
}

func readDocuments(h *builtins.Host, fn string, v goja.Value) []string {
	const want = `an array of "UPO", "UWV", "PSD2" and "PDF"`
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		h.TypeError(fn, "options.requestDocuments must be %s, got %s", want, builtins.Describe(v))
	}
	n, ok := builtins.NumberOf(o.Get("length"))
	if !ok || n < 0 {
		h.TypeError(fn, "options.requestDocuments must be %s, got %s", want, builtins.Describe(v))
	}
	if n > maxDocuments {
		h.RangeError(fn, "options.requestDocuments must be %s, got %d elements", want, int64(n))
	}
	out := []string{}
	for i := range int(n) {
		el := o.Get(fmt.Sprint(i))
		s, ok := builtins.StringOf(el)
		if !ok {
			h.TypeError(fn, "options.requestDocuments[%d] must be a string, got %s", i, builtins.Describe(el))
		}
		known := false
		for _, d := range Documents {
			known = known || d == s
		}
		if !known {
			h.RangeError(fn, "options.requestDocuments[%d] must be one of UPO, UWV, PSD2, PDF, got %s", i, builtins.Describe(el))
		}
		dup := false
		for _, d := range out {
			dup = dup || d == s
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

func describeCodes(codes map[string]string) string {
	names := (Config{ConsentCodes: codes}).ConsentCodeNames()
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s: %q", n, codes[n])
	}
	return strings.Join(parts, ", ")
}

// Recording.

func stamp(t time.Time) string { return t.UTC().Truncate(time.Millisecond).Format(timeLayout) }

// sessionProps reads a session's record (a fresh one when there is none).
func sessionProps(tx store.Tx, id string, now time.Time) (map[string]any, bool, error) {
	rec, err := tx.Get(SessionKind, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return map[string]any{"sessionId": id, "ruleset": nil, "options": nil, "createdAt": stamp(now),
			"statusHistory": []any{}, "lastStatus": nil, "resultFetchedAt": nil, "resultFetches": 0}, false, nil
	case err != nil:
		return nil, false, err
	}
	if rec.Props == nil {
		rec.Props = map[string]any{}
	}
	return rec.Props, true, nil
}

func optionsProps(req StartRequest) map[string]any {
	docs := make([]any, len(req.RequestDocuments))
	for i, d := range req.RequestDocuments {
		docs[i] = d
	}
	o := map[string]any{"consentCode": req.ConsentCode, "requestDocuments": docs, "disablePartner": req.DisablePartner,
		"psd2InfoIncluded": req.PSD2InfoIncluded, "testCaseId": nil, "ocktoType": nil, "odmVersion": nil, "psd2AmountOfMonths": nil}
	if req.TestCaseID != "" {
		o["testCaseId"] = req.TestCaseID
	}
	if req.OcktoType != "" {
		o["ocktoType"] = req.OcktoType
	}
	if req.ODMVersion != "" {
		o["odmVersion"] = req.ODMVersion
	}
	if req.PSD2InfoIncluded {
		o["psd2AmountOfMonths"] = req.PSD2AmountOfMonths
	}
	return o
}

func recordStart(e *builtins.Exec, req StartRequest) error {
	if e.Tx == nil {
		return nil
	}
	old, existed, err := sessionProps(e.Tx, req.SessionID, e.Now)
	if err != nil {
		return err
	}
	from := ""
	if existed {
		from, _ = old["lastStatus"].(string)
	}
	opts := optionsProps(req)
	props := map[string]any{"sessionId": req.SessionID, "ruleset": e.Ruleset.Name, "options": opts, "createdAt": stamp(e.Now),
		"statusHistory": []any{}, "lastStatus": nil, "resultFetchedAt": nil, "resultFetches": 0}
	if _, err := e.Tx.Put(SessionKind, &store.Record{ID: req.SessionID, Props: props}, e.Now); err != nil {
		return err
	}
	return audit.Append(e.Tx, audit.Event{At: e.Now, Subject: "ocktoSession", ID: req.SessionID, Action: "start",
		From: from, To: "started", Details: map[string]any{"options": opts, "ruleset": e.Ruleset.Name}})
}

func recordStatus(e *builtins.Exec, id, status string) error {
	if e.Tx == nil {
		return nil
	}
	props, _, err := sessionProps(e.Tx, id, e.Now)
	if err != nil {
		return err
	}
	last, _ := props["lastStatus"].(string)
	if last == status {
		return nil // polling an unchanged status adds nothing to the trail
	}
	history, _ := props["statusHistory"].([]any)
	props["statusHistory"] = append(history, map[string]any{"status": status, "at": stamp(e.Now)})
	props["lastStatus"] = status
	if _, err := e.Tx.Put(SessionKind, &store.Record{ID: id, Props: props}, e.Now); err != nil {
		return err
	}
	return audit.Append(e.Tx, audit.Event{At: e.Now, Subject: "ocktoSession", ID: id, Action: "status", From: last, To: status})
}

func recordResult(e *builtins.Exec, id string, size int) error {
	if e.Tx == nil {
		return nil
	}
	props, _, err := sessionProps(e.Tx, id, e.Now)
	if err != nil {
		return err
	}
	props["resultFetchedAt"] = stamp(e.Now)
	n, _ := props["resultFetches"].(float64)
	props["resultFetches"] = n + 1
	if _, err := e.Tx.Put(SessionKind, &store.Record{ID: id, Props: props}, e.Now); err != nil {
		return err
	}
	last, _ := props["lastStatus"].(string)
	return audit.Append(e.Tx, audit.Event{At: e.Now, Subject: "ocktoSession", ID: id, Action: "result", From: last, To: last,
		Details: map[string]any{"bytes": size}})
}
