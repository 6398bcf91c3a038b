package datadebit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/store/storetest"
)

// fixtureNow is the testcase clock the fixture tests save with.
var fixtureNow = time.Date(2025, 2, 3, 9, 15, 0, 0, time.UTC)

// fixtureSpec is a fixture's props as the testcase loader hands them over (JSON-shaped: numbers
// float64, dates strings): a data debit starting 2025-01-01 with 10-day periods, plus extra.
func fixtureSpec(t *testing.T, extra string) map[string]any {
	t.Helper()
	src := `{"dataDebitKey": "dd", "purpose": "Mortgage advice", "start": "2025-01-01", "period": 864000,
		"termsUrl": "https://bank.example/terms", "cancelAtPeriodEnd": false, "requestClientName": "Bank",
		"requestClientUrl": "https://bank.example", "requestClientLogoUrl": "https://bank.example/logo.png",
		"bundle": {"name": "income", "bundle": {"profile": {"endpoints": [{"endpoint": "Person"}]}}}` + extra + `}`
	var m map[string]any
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return m
}

func ms(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestFixtureStates(t *testing.T) {
	type at struct {
		when   string
		reason string // Check's reason at when
	}
	cases := []struct {
		name   string
		extra  string
		checks []at
		events []string
		// what DataDebit.get shows at fixtureNow
		accepted  bool
		created   string
		cancelEnd bool // permissionsLatest.cancelAtPeriodEnd
		canceled  string
	}{
		{"not accepted", ``,
			[]at{{"2025-01-05T00:00:00Z", "notAccepted"}, {"2025-02-03T09:15:00Z", "notAccepted"}},
			[]string{"create →pending"}, false, "2025-02-03T09:15:00.000Z", false, ""},
		{"accepted false", `, "accepted": false`,
			[]at{{"2025-01-05T00:00:00Z", "notAccepted"}},
			[]string{"create →pending"}, false, "2025-02-03T09:15:00.000Z", false, ""},
		{"accepted: active from its start, not before", `, "accepted": true, "dateCreated": "2024-12-20T08:00:00Z"`,
			[]at{{"2024-12-31T23:59:59.999Z", "notStarted"}, {"2025-01-01T00:00:00Z", "active"}, {"2025-02-03T09:15:00Z", "active"}},
			[]string{"create →pending", "enable pending→accepted"}, true, "2024-12-20T08:00:00.000Z", false, ""},
		{"accepted with a start ahead of now", `, "accepted": true, "start": "2025-03-01"`,
			[]at{{"2025-02-03T09:15:00Z", "notStarted"}, {"2025-02-28T23:59:59.999Z", "notStarted"}, {"2025-03-01T00:00:00Z", "active"}},
			[]string{"create →pending", "enable pending→accepted"}, true, "2025-02-03T09:15:00.000Z", false, ""},
		{"canceled immediately", `, "accepted": true, "dateCreated": "2025-01-01", "canceledAt": "2025-01-15T12:00:00Z"`,
			[]at{{"2025-01-15T11:59:59.999Z", "active"}, {"2025-01-15T12:00:00Z", "canceled"}, {"2025-01-21T00:00:00Z", "canceled"}},
			[]string{"create →pending", "enable pending→active", "disable active→canceled"}, true, "2025-01-01T00:00:00.000Z", false, "2025-01-15T12:00:00.000Z"},
		{"canceled with cancelAtPeriodEnd: runs to the period's end", `, "cancelAtPeriodEnd": true, "accepted": true, "dateCreated": "2025-01-01", "canceledAt": "2025-01-05"`,
			[]at{{"2025-01-05T00:00:00Z", "active"}, {"2025-01-10T23:59:59.999Z", "active"}, {"2025-01-11T00:00:00Z", "canceled"}},
			[]string{"create →pending", "enable pending→active", "disable active→canceling"}, true, "2025-01-01T00:00:00.000Z", true, "2025-01-05T00:00:00.000Z"},
		{"canceled before it was accepted", `, "dateCreated": "2024-12-01", "canceledAt": "2025-01-05"`,
			[]at{{"2025-01-06T00:00:00Z", "canceled"}},
			[]string{"create →pending", "disable pending→canceled"}, false, "2024-12-01T00:00:00.000Z", false, "2025-01-05T00:00:00.000Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx := storetest.Begin(t)
			key, err := Fixture(tx, fixtureSpec(t, tc.extra), fixtureNow, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if key != "dd" {
				t.Errorf("key %q, want dd", key)
			}
			e := newEnv(t, tx, fixtureNow)
			for _, c := range tc.checks {
				allowed, reason, _ := Check(e.h, "test", "dd", ms(c.when))
				if reason != c.reason || allowed != (c.reason == "active") {
					t.Errorf("at %s: %s (allowed %v), want %s", c.when, reason, allowed, c.reason)
				}
			}
			canceled := any(nil)
			if tc.canceled != "" {
				canceled = tc.canceled
			}
			e.expect(map[string]any{
				`DataDebit.get("dd").accepted`:                                          tc.accepted,
				`DataDebit.get("dd").dateCreated.toISOString()`:                         tc.created,
				`DataDebit.get("dd").permissions.length`:                                int64(1),
				`DataDebit.get("dd").permissionsLatest.purpose`:                         "Mortgage advice",
				`DataDebit.get("dd").permissionsLatest.start.toISOString()`:             map[bool]string{true: "2025-03-01T00:00:00.000Z", false: "2025-01-01T00:00:00.000Z"}[strings.Contains(tc.extra, "2025-03-01")],
				`DataDebit.get("dd").permissionsLatest.cancelAtPeriodEnd`:               tc.cancelEnd,
				`DataDebit.get("dd").permissionsLatest.canceledAt?.toISOString()??null`: canceled,
			})
			expectEvents(t, tx, "dd", tc.events...)
		})
	}
}

func TestFixtureDateInRulesetZone(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	tx := storetest.Begin(t)
	if _, err := Fixture(tx, fixtureSpec(t, `, "accepted": true, "dateCreated": "2024-12-20"`), fixtureNow, ams); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, tx, fixtureNow)
	e.expect(map[string]any{
		`DataDebit.get("dd").dateCreated.toISOString()`:             "2024-12-19T23:00:00.000Z",
		`DataDebit.get("dd").permissionsLatest.start.toISOString()`: "2024-12-31T23:00:00.000Z",
	})
}

func TestFixtureProblems(t *testing.T) {
	cases := []struct {
		name  string
		props func(t *testing.T) map[string]any
		want  []string // in the message; the first is its start
	}{
		{"no dataDebitKey", func(t *testing.T) map[string]any {
			m := fixtureSpec(t, "")
			delete(m, "dataDebitKey")
			return m
		}, []string{"dataDebitKey: is required"}},
		{"an empty dataDebitKey", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "dataDebitKey": ""`) }, []string{"dataDebitKey: is required"}},
		{"a dataDebitKey that is not a string", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "dataDebitKey": 7`) }, []string{"dataDebitKey: is required (a string)"}},
		{"a spec field missing", func(t *testing.T) map[string]any {
			m := fixtureSpec(t, "")
			delete(m, "purpose")
			return m
		}, []string{"TypeError: DataDebit.create: spec.purpose is required"}},
		{"a spec field of the wrong type", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "period": "ten days"`) },
			[]string{"TypeError: DataDebit.create: spec.period must be a number of seconds"}},
		{"a bad spec value", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "termsUrl": "ftp://bank.example/terms"`) },
			[]string{"RangeError: DataDebit.create: spec.termsUrl must be an absolute http(s) URL"}},
		{"a bad start", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "start": "someday"`) },
			[]string{"RangeError: DataDebit.create: spec.start"}},
		{"a bad endpoint", func(t *testing.T) map[string]any {
			return fixtureSpec(t, `, "bundle": {"name": "x", "bundle": {"g": {"endpoints": [{"endpoint": "no such/thing/here"}]}}}`)
		}, []string{"RangeError: DataDebit.create: spec.bundle.bundle.g.endpoints[0].endpoint"}},
		{"an unknown field", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "acepted": true`) },
			[]string{"acepted: ", "accepted"}},
		{"accepted not a boolean", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "accepted": "yes"`) },
			[]string{"accepted: must be true or false", "yes"}},
		{"canceledAt not a time", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "canceledAt": "tomorrow"`) },
			[]string{"canceledAt: must be an RFC 3339 time or YYYY-MM-DD", "tomorrow"}},
		{"canceledAt a number", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "canceledAt": 20250101`) },
			[]string{"canceledAt: must be an RFC 3339 time or YYYY-MM-DD"}},
		{"canceledAt before dateCreated (default now)", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "canceledAt": "2025-01-05"`) },
			[]string{"canceledAt: 2025-01-05T00:00:00Z is before dateCreated 2025-02-03T09:15:00Z"}},
		{"dateCreated not a time", func(t *testing.T) map[string]any { return fixtureSpec(t, `, "dateCreated": true`) },
			[]string{"dateCreated: must be an RFC 3339 time or YYYY-MM-DD"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx := storetest.Begin(t)
			key, err := Fixture(tx, tc.props(t), fixtureNow, time.UTC)
			if err == nil {
				t.Fatalf("saved %q, want an error", key)
			}
			if !strings.HasPrefix(err.Error(), tc.want[0]) {
				t.Errorf("error %q, want it to start with %q", err, tc.want[0])
			}
			for _, w := range tc.want[1:] {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}

	t.Run("the same key twice", func(t *testing.T) {
		tx := storetest.Begin(t)
		if _, err := Fixture(tx, fixtureSpec(t, ""), fixtureNow, time.UTC); err != nil {
			t.Fatal(err)
		}
		_, err := Fixture(tx, fixtureSpec(t, `, "accepted": true`), fixtureNow, time.UTC)
		if err == nil || !strings.Contains(err.Error(), "DataDebit.create") || !strings.Contains(err.Error(), `"dd" already exists`) {
			t.Errorf("second fixture: %v, want DataDebit.create's duplicate error", err)
		}
	})
	t.Run("props are not changed", func(t *testing.T) {
		p := fixtureSpec(t, `, "accepted": true, "dateCreated": "2025-01-01", "canceledAt": "2025-01-05"`)
		n := len(p)
		if _, err := Fixture(storetest.Begin(t), p, fixtureNow, time.UTC); err != nil {
			t.Fatal(err)
		}
		if len(p) != n || p["dataDebitKey"] != "dd" || p["accepted"] != true {
			t.Errorf("Fixture changed its props: %v", p)
		}
	})
}
