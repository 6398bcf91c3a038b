package userstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/store/storetest"
)

var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

// clock is 2024-06-15 00:30 in Amsterdam: "2024-06-15" (midnight there) is already in the past.
var clock = time.Date(2024, 6, 14, 22, 30, 0, 123_456_789, time.UTC)

// newVM installs the module on a fresh runtime pointed at an execution working in tx (nil: no store).
func newVM(t testing.TB, tx store.Tx) (*goja.Runtime, *builtins.Host) {
	t.Helper()
	vm, h := builtinstest.NewVM(t, &builtins.Exec{Now: clock, Location: amsterdam, Tx: tx}, Module{})
	return vm, h
}

// result runs an invite and returns its result object.
func result(t testing.TB, vm *goja.Runtime, expr string) map[string]any {
	t.Helper()
	v := builtinstest.Eval(t, vm, expr)
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s = %#v, want a result object", expr, v)
	}
	return m
}

// invited runs an invite that must succeed and returns the new user's id.
func invited(t testing.TB, vm *goja.Runtime, expr string) string {
	t.Helper()
	r := result(t, vm, expr)
	id, _ := r["userId"].(string)
	if r["success"] != true || id == "" {
		t.Fatalf("%s = %v, want success with a userId", expr, r)
	}
	if _, has := r["errorMessage"]; has {
		t.Fatalf("%s = %v: errorMessage on success", expr, r)
	}
	return id
}

// refused runs an invite that must fail and returns its errorMessage.
func refused(t testing.TB, vm *goja.Runtime, expr string) string {
	t.Helper()
	r := result(t, vm, expr)
	msg, _ := r["errorMessage"].(string)
	if r["success"] != false || r["userId"] != nil || msg == "" {
		t.Fatalf("%s = %v, want success false, userId null and an errorMessage", expr, r)
	}
	return msg
}

func TestInviteCommitThenVisible(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	vm, _ := newVM(t, tx)
	id := invited(t, vm, `UserStore.invite(" Ann@Example.COM ", {roles: ["advisor", "admin", "advisor"], accessExpirationDate: "2030-12-31"})`)

	// The execution sees its own invite, by any casing.
	if got := builtinstest.Eval(t, vm, `UserStore.getByEmail("ANN@example.com").userId`); got != id {
		t.Fatalf("getByEmail in the same Tx: userId %v, want %v", got, id)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	// The record as stored.
	tx2 := s.Begin()
	defer tx2.Discard()
	rec, err := tx2.Get(Kind, id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"email":                "ann@example.com",
		"roles":                []any{"advisor", "admin"},
		"accessExpirationDate": "2030-12-30T23:00:00.000Z", // midnight in Amsterdam
		"invitedAt":            "2024-06-14T22:30:00.123Z",
	}
	for k, w := range want {
		if got := rec.Props[k]; !equalJSON(got, w) {
			t.Errorf("props[%s] = %#v, want %#v", k, got, w)
		}
	}
	if len(rec.Props) != len(want) {
		t.Errorf("props = %v, want exactly %v", rec.Props, want)
	}

	// A later execution finds the user, with Dates.
	vm2, _ := newVM(t, tx2)
	checks := map[string]any{
		`UserStore.getByEmail("ann@example.com").userId`:                              id,
		`UserStore.getByEmail("ann@example.com").email`:                               "ann@example.com",
		`UserStore.getByEmail("Ann@Example.com").roles.join(",")`:                     "advisor,admin",
		`Array.isArray(UserStore.getByEmail("ann@example.com").roles)`:                true,
		`UserStore.getByEmail("ann@example.com").accessExpirationDate.toISOString()`:  "2030-12-30T23:00:00.000Z",
		`UserStore.getByEmail("ann@example.com").invitedAt instanceof Date`:           true,
		`UserStore.getByEmail("ann@example.com").invitedAt.toISOString()`:             "2024-06-14T22:30:00.123Z",
		`UserStore.getByEmail("bob@example.com")`:                                     nil,
		`UserStore.getByEmail("")`:                                                    nil,
		`UserStore.getByEmail("x".repeat(300) + "@example.com")`:                      nil,
		`UserStore.invite("ann@EXAMPLE.com").success`:                                 false,
		`UserStore.getByEmail(" ann@example.com\n").userId`:                           id,
		`JSON.stringify(Object.keys(UserStore.getByEmail("ann@example.com")).sort())`: `["accessExpirationDate","email","invitedAt","roles","userId"]`,
	}
	for expr, w := range checks {
		if got := builtinstest.Eval(t, vm2, expr); got != w {
			t.Errorf("%s = %#v, want %#v", expr, got, w)
		}
	}
}

// equalJSON compares JSON-shaped values (the store's props).
func equalJSON(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok || bok {
		if !aok || !bok || len(as) != len(bs) {
			return false
		}
		for i := range as {
			if !equalJSON(as[i], bs[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestDiscardedTxLeavesNoUser(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	vm, _ := newVM(t, tx)
	invited(t, vm, `UserStore.invite("ann@example.com")`)
	tx.Discard()

	vm2, _ := newVM(t, s.Begin())
	if got := builtinstest.Eval(t, vm2, `UserStore.getByEmail("ann@example.com")`); got != nil {
		t.Fatalf("after Discard: getByEmail = %v, want null", got)
	}
	// And the email is free to invite again.
	invited(t, vm2, `UserStore.invite("ann@example.com")`)
}

func TestInviteDefaults(t *testing.T) {
	vm, _ := newVM(t, storetest.Begin(t))
	invited(t, vm, `UserStore.invite("ann@example.com")`)
	invited(t, vm, `UserStore.invite("bob@example.com", {})`)
	invited(t, vm, `UserStore.invite("cy@example.com", {roles: undefined, accessExpirationDate: null})`)
	for _, email := range []string{"ann@example.com", "bob@example.com", "cy@example.com"} {
		u := `UserStore.getByEmail("` + email + `")`
		if got := builtinstest.Eval(t, vm, u+`.roles.length`); got != int64(0) {
			t.Errorf("%s roles.length = %v, want 0", email, got)
		}
		if got := builtinstest.Eval(t, vm, u+`.accessExpirationDate`); got != nil {
			t.Errorf("%s accessExpirationDate = %v, want null", email, got)
		}
	}
}

func TestInviteEmails(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 58) + ".nl"
	if len(long) != MaxEmailLength {
		t.Fatalf("test address is %d bytes", len(long))
	}
	accepted := map[string]string{ // given → stored
		"ann@example.com":        "ann@example.com",
		"Ann.Smith+x@EXAMPLE.nl": "ann.smith+x@example.nl",
		"  bob@example.com\t":    "bob@example.com",
		"c@localhost":            "c@localhost",
		long:                     long,
		"ÿves@example.fr":        "ÿves@example.fr",
	}
	vm, _ := newVM(t, storetest.Begin(t))
	for given, stored := range accepted {
		invited(t, vm, `UserStore.invite(`+jsString(given)+`)`)
		if got := builtinstest.Eval(t, vm, `UserStore.getByEmail(`+jsString(given)+`).email`); got != stored {
			t.Errorf("%q stored as %v, want %q", given, got, stored)
		}
	}

	refusedEmails := []struct{ email, why string }{
		{"", "empty"},
		{"   ", "empty"},
		{"plain", "not a valid email address"},
		{"ann@", "not a valid email address"},
		{"@example.com", "not a valid email address"},
		{"ann@example..com", "not a valid email address"},
		{"ann smith@example.com", "not a valid email address"},
		{"ann@example.com, bob@example.com", "not a valid email address"},
		{"ann@example.com\nbcc: eve@example.com", "not a valid email address"},
		{"Ann <ann@example.com>", `not a plain email address: pass only the address, like "ann@example.com"`},
		{"<ann@example.com>", "not a plain email address"},
		{"ann@example.com (Ann)", "not a plain email address"},
		{`"ann smith"@example.com`, "not a plain email address"},
		{"x" + long, "longer than 254"},
	}
	for _, c := range refusedEmails {
		msg := refused(t, vm, `UserStore.invite(`+jsString(c.email)+`)`)
		if !strings.Contains(msg, c.why) {
			t.Errorf("invite(%q): errorMessage %q, want it to contain %q", c.email, msg, c.why)
		}
	}
}

// jsString is s as a JS string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func TestInviteDuplicates(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	vm, _ := newVM(t, tx)
	invited(t, vm, `UserStore.invite("ann@example.com")`)
	// In the same execution, in any casing.
	for _, dup := range []string{"ann@example.com", "ANN@example.com", "Ann@Example.Com", " ann@example.com "} {
		msg := refused(t, vm, `UserStore.invite(`+jsString(dup)+`, {roles: ["x"]})`)
		if want := `a user with email "ann@example.com" has already been invited`; msg != want {
			t.Errorf("invite(%q): errorMessage %q, want %q", dup, msg, want)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// In a later execution.
	tx2 := s.Begin()
	vm2, _ := newVM(t, tx2)
	refused(t, vm2, `UserStore.invite("ANN@EXAMPLE.COM")`)
	invited(t, vm2, `UserStore.invite("ann2@example.com")`)
	if err := tx2.Commit(); err != nil {
		t.Fatal(err)
	}
	tx3 := s.Begin()
	defer tx3.Discard()
	if n, err := tx3.Count(Kind, nil); err != nil || n != 2 {
		t.Fatalf("%d users (%v), want 2", n, err)
	}
}

// Two executions inviting the same new email at the same time: the second to commit conflicts
// (the engine then runs it again, and it finds the user: success false).
func TestConcurrentInvitesOfOneEmail(t *testing.T) {
	s := storetest.Open(t)
	tx1, tx2 := s.Begin(), s.Begin()
	vm1, _ := newVM(t, tx1)
	vm2, _ := newVM(t, tx2)
	id1 := invited(t, vm1, `UserStore.invite("ann@example.com")`)
	invited(t, vm2, `UserStore.invite("ANN@example.com")`)
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tx2.Commit(); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second commit: %v, want store.ErrConflict", err)
	}
	// Run again: the email is taken.
	vm3, _ := newVM(t, s.Begin())
	if got := builtinstest.Eval(t, vm3, `UserStore.invite("ann@example.com").success`); got != false {
		t.Errorf("re-run invite success = %v, want false", got)
	}
	if got := builtinstest.Eval(t, vm3, `UserStore.getByEmail("ann@example.com").userId`); got != id1 {
		t.Fatalf("getByEmail = %v, want %v", got, id1)
	}
}

func TestInviteExpiration(t *testing.T) {
	vm, _ := newVM(t, storetest.Begin(t))
	n := 0
	next := func() string {
		n++
		return jsString("u" + string(rune('a'+n%26)) + strings.Repeat("x", n/26) + "@example.com")
	}

	stored := map[string]string{ // accessExpirationDate → stored
		`"2024-06-16"`:                     "2024-06-15T22:00:00.000Z",
		`"2024-06-14T22:30:00.123Z"`:       "2024-06-14T22:30:00.123Z", // the clock itself is not past
		`"2024-06-15T00:30:00.1239+02:00"`: "2024-06-14T22:30:00.123Z", // same instant, JS precision
		`"2024-06-15T01:00"`:               "2024-06-14T23:00:00.000Z", // wall clock in Amsterdam
		`new Date(Date.UTC(2031, 0, 1))`:   "2031-01-01T00:00:00.000Z",
		`new Date()`:                       "2024-06-14T22:30:00.123Z", // the execution clock
	}
	for date, want := range stored {
		email := next()
		invited(t, vm, `UserStore.invite(`+email+`, {accessExpirationDate: `+date+`})`)
		if got := builtinstest.Eval(t, vm, `UserStore.getByEmail(`+email+`).accessExpirationDate.toISOString()`); got != want {
			t.Errorf("accessExpirationDate %s stored as %v, want %s", date, got, want)
		}
	}

	refusedDates := map[string]string{
		`"2024-06-15"`:                   "accessExpirationDate 2024-06-14T22:00:00.000Z is in the past (the execution clock is 2024-06-14T22:30:00.123Z)",
		`"2024-06-14T22:30:00.122Z"`:     "is in the past",
		`new Date(Date.UTC(2020, 0, 1))`: "is in the past",
		`"2024-02-30"`:                   `accessExpirationDate must be a "YYYY-MM-DD" or RFC 3339 date, got "2024-02-30"`,
		`"next week"`:                    "must be a",
		`""`:                             "must be a",
		`new Date("x")`:                  "accessExpirationDate is an invalid Date",
	}
	for date, why := range refusedDates {
		msg := refused(t, vm, `UserStore.invite(`+next()+`, {accessExpirationDate: `+date+`})`)
		if !strings.Contains(msg, why) {
			t.Errorf("accessExpirationDate %s: errorMessage %q, want it to contain %q", date, msg, why)
		}
	}
}

func TestInviteRoles(t *testing.T) {
	vm, _ := newVM(t, storetest.Begin(t))
	invited(t, vm, `UserStore.invite("a@example.com", {roles: Array.from({length: 100}, (_, i) => "r" + i)})`)
	refusedRoles := map[string]string{
		`[""]`:       "roles[0] is empty",
		`["a", " "]`: "roles[1] is empty",
		`Array.from({length: 101}, (_, i) => "r" + i)`: "at most 100 roles",
	}
	for roles, why := range refusedRoles {
		msg := refused(t, vm, `UserStore.invite("b@example.com", {roles: `+roles+`})`)
		if !strings.Contains(msg, why) {
			t.Errorf("roles %s: errorMessage %q, want it to contain %q", roles, msg, why)
		}
	}
	if got := builtinstest.Eval(t, vm, `UserStore.getByEmail("b@example.com")`); got != nil {
		t.Fatalf("a refused invite stored a user: %v", got)
	}
}

func TestWrongArgumentTypes(t *testing.T) {
	vm, _ := newVM(t, storetest.Begin(t))
	cases := map[string]string{
		`UserStore.invite()`:                                                                               "TypeError: UserStore.invite: email is required (a string)",
		`UserStore.invite(42)`:                                                                             "TypeError: UserStore.invite: email must be a string, got 42",
		`UserStore.invite(null)`:                                                                           "TypeError: UserStore.invite: email must be a string, got null",
		`UserStore.invite(new String("a@example.com"))`:                                                    "TypeError: UserStore.invite: email must be a string, got a String object",
		`UserStore.invite("a@example.com", null)`:                                                          "TypeError: UserStore.invite: options must be an object, got null",
		`UserStore.invite("a@example.com", "admin")`:                                                       `TypeError: UserStore.invite: options must be an object, got "admin"`,
		`UserStore.invite("a@example.com", {roles: "admin"})`:                                              `TypeError: UserStore.invite: options.roles must be an array of strings, got "admin"`,
		`UserStore.invite("a@example.com", {roles: null})`:                                                 "TypeError: UserStore.invite: options.roles must be an array of strings, got null",
		`UserStore.invite("a@example.com", {roles: {length: 1, 0: "a"}})`:                                  "TypeError: UserStore.invite: options.roles must be an array of strings, got an object",
		`UserStore.invite("a@example.com", {roles: ["a", 1]})`:                                             "TypeError: UserStore.invite: options.roles[1] must be a string, got 1",
		`UserStore.invite("a@example.com", {roles: [, "a"]})`:                                              "TypeError: UserStore.invite: options.roles[0] must be a string, got undefined",
		`UserStore.invite("a@example.com", {roles: (() => { const a = []; a.length = 4e9; return a })()})`: "TypeError: UserStore.invite: options.roles[0] must be a string, got undefined",
		`UserStore.invite("a@example.com", {accessExpirationDate: 1e12})`:                                  `TypeError: UserStore.invite: options.accessExpirationDate must be a Date, a "YYYY-MM-DD" or RFC 3339 string, or null, got 1000000000000`,
		`UserStore.invite("a@example.com", {accessExpirationDate: {}})`:                                    "TypeError: UserStore.invite: options.accessExpirationDate must be a Date",
		`UserStore.invite("a@example.com", {get roles() { throw new Error("getter") }})`:                   "Error: getter",
		`UserStore.getByEmail()`:                                                                           "TypeError: UserStore.getByEmail: email is required (a string)",
		`UserStore.getByEmail(undefined)`:                                                                  "TypeError: UserStore.getByEmail: email must be a string, got undefined",
		`UserStore.getByEmail({})`:                                                                         "TypeError: UserStore.getByEmail: email must be a string, got an object",
	}
	for expr, want := range cases {
		got, _ := builtinstest.Eval(t, vm, expr).(string)
		if !strings.HasPrefix(got, want) {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
	if got := builtinstest.Eval(t, vm, `UserStore.getByEmail("a@example.com")`); got != nil {
		t.Fatalf("a throwing invite stored a user: %v", got)
	}
}

func TestNoStore(t *testing.T) {
	vm, h := newVM(t, nil)
	for _, fn := range []string{"invite", "getByEmail"} {
		want := "Error: UserStore." + fn + ": no store is configured (engine.WithStore, or --store with the kubus command)"
		if got := builtinstest.Eval(t, vm, `UserStore.`+fn+`("a@example.com")`); got != want {
			t.Errorf("%s without a store = %q, want %q", fn, got, want)
		}
		// Also when the email would be refused: a missing store is a configuration error.
		if got := builtinstest.Eval(t, vm, `UserStore.`+fn+`("not an email")`); got != want {
			t.Errorf("%s without a store = %q, want %q", fn, got, want)
		}
	}
	h.SetExec(nil)
	if got, _ := builtinstest.Eval(t, vm, `UserStore.invite("a@example.com")`).(string); !strings.HasPrefix(got, "Error: UserStore.invite: no execution is running") {
		t.Errorf("invite outside an execution = %q", got)
	}
}

func TestStoreFailureWrapsTheError(t *testing.T) {
	tx := storetest.Begin(t)
	tx.Discard()
	vm, _ := newVM(t, tx)
	for _, expr := range []string{`UserStore.invite("a@example.com")`, `UserStore.getByEmail("a@example.com")`} {
		_, err := vm.RunString(expr)
		var ex *goja.Exception
		if !errors.As(err, &ex) {
			t.Fatalf("%s: %v, want a JS exception", expr, err)
		}
		if !errors.Is(err, store.ErrTxDone) {
			t.Errorf("%s: %v does not wrap store.ErrTxDone", expr, err)
		}
		if !strings.Contains(err.Error(), "UserStore.") {
			t.Errorf("%s: %v does not name the function", expr, err)
		}
	}
}

// A record written by something else must not make getByEmail panic.
func TestGetByEmailMalformedRecord(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	created := clock.Add(-time.Hour)
	if _, err := tx.Put(Kind, &store.Record{ID: recordID("odd@example.com"), Props: map[string]any{
		"email": "odd@example.com", "roles": []any{"a", 3, nil, "b"}, "accessExpirationDate": 17, "invitedAt": "yesterday",
	}}, created); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Put(Kind, &store.Record{ID: recordID("bare@example.com"), Props: map[string]any{"email": "bare@example.com"}}, created); err != nil {
		t.Fatal(err)
	}
	vm, _ := newVM(t, tx)
	checks := map[string]any{
		`UserStore.getByEmail("odd@example.com").roles.join(",")`:          "a,b",
		`UserStore.getByEmail("odd@example.com").accessExpirationDate`:     nil,
		`UserStore.getByEmail("odd@example.com").invitedAt.toISOString()`:  "2024-06-14T21:30:00.123Z",
		`UserStore.getByEmail("bare@example.com").roles.length`:            int64(0),
		`UserStore.getByEmail("bare@example.com").invitedAt.toISOString()`: "2024-06-14T21:30:00.123Z",
	}
	for expr, w := range checks {
		if got := builtinstest.Eval(t, vm, expr); got != w {
			t.Errorf("%s = %#v, want %#v", expr, got, w)
		}
	}
}

func TestTypingsAndReference(t *testing.T) {
	ty := Module{}.Typings()
	for _, want := range []string{"declare namespace UserStore {", "function invite(email: string, options?:", "function getByEmail(email: string):"} {
		if !strings.Contains(ty, want) {
			t.Errorf("typings lack %q:\n%s", want, ty)
		}
	}
	var names []string
	for _, e := range (Module{}).Reference() {
		names = append(names, e.Qualified)
		if e.Doc == "" || e.Example == "" || e.Signature == "" {
			t.Errorf("%s: incomplete reference entry %+v", e.Qualified, e)
		}
	}
	if got := strings.Join(names, ","); got != "UserStore.invite,UserStore.getByEmail" {
		t.Errorf("reference = %s", got)
	}
	if (Module{}).Name() != "UserStore" {
		t.Errorf("Name = %q", Module{}.Name())
	}
}
