package consent

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/store/storetest"
)

// fixtureNow is the testcase clock the fixture tests save with (not the VM's clock).
var fixtureNow = time.Date(2025, 2, 3, 9, 15, 0, 0, time.UTC)

// props reads a fixture's props from JSON, as the testcase loader hands them over (numbers
// float64, dates strings).
func props(t *testing.T, src string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return m
}

func TestFixtureStates(t *testing.T) {
	const base = `"type": "privacyPolicy", "userId": "u1", "document": {"uri": "https://example.com/privacy", "revisionId": "v1", "revisedAt": "2024-01-01"}`
	const created = "2024-03-01T10:00:00.000Z"
	cases := []struct {
		name  string
		extra string // more props, after base
		// want: state, givenAt, requestRevokedAt, requestRescindedAt, createdAt (null as "")
		state, given, revoked, rescinded, createdAt string
		check                                       string // Consent.check's verdict for u1
	}{
		{"no state is pending, created now", ``,
			"pending", "", "", "", "2025-02-03T09:15:00.000Z", "pending/consent/false"},
		{"pending", `, "state": "pending", "createdAt": "` + created + `"`,
			"pending", "", "", "", created, "pending/consent/false"},
		{"given at its creation", `, "state": "given", "createdAt": "` + created + `"`,
			"given", created, "", "", created, "given/consent/true"},
		{"given, explicit givenAt kept", `, "state": "given", "createdAt": "` + created + `", "givenAt": "2024-03-05T08:00:00Z"`,
			"given", "2024-03-05T08:00:00.000Z", "", "", created, "given/consent/true"},
		{"given without createdAt: both now", `, "state": "given"`,
			"given", "2025-02-03T09:15:00.000Z", "", "", "2025-02-03T09:15:00.000Z", "given/consent/true"},
		{"stale", `, "state": "stale", "createdAt": "` + created + `"`,
			"stale", created, "", "", created, "stale/consent/false"},
		{"revoked", `, "state": "revoked", "createdAt": "` + created + `"`,
			"revoked", created, created, "", created, "revoked/consent/false"},
		{"revoked, explicit times kept", `, "state": "revoked", "createdAt": "` + created + `", "givenAt": "2024-03-02T00:00:00Z", "requestRevokedAt": "2024-04-01T12:00:00Z"`,
			"revoked", "2024-03-02T00:00:00.000Z", "2024-04-01T12:00:00.000Z", "", created, "revoked/consent/false"},
		{"rescinded", `, "state": "rescinded", "createdAt": "` + created + `"`,
			"rescinded", "", "", created, created, "rescinded/consent/false"},
		{"rescinded after being given", `, "state": "rescinded", "createdAt": "` + created + `", "givenAt": "2024-03-02T00:00:00Z"`,
			"rescinded", "2024-03-02T00:00:00.000Z", "", created, created, "rescinded/consent/false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx := storetest.Begin(t)
			id, err := Fixture(tx, props(t, `{`+base+tc.extra+`}`), fixtureNow, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			v := newVM(t, tx)
			got := v.obj(`Consent.get("` + id + `")`)
			str := func(k string) string { s, _ := got[k].(string); return s }
			if str("_id") != id || str("state") != tc.state || str("givenAt") != tc.given || str("requestRevokedAt") != tc.revoked ||
				str("requestRescindedAt") != tc.rescinded || str("createdAt") != tc.createdAt {
				t.Errorf("Consent.get = %v\nwant state %s, givenAt %q, requestRevokedAt %q, requestRescindedAt %q, createdAt %q",
					got, tc.state, tc.given, tc.revoked, tc.rescinded, tc.createdAt)
			}
			doc, _ := got["document"].(map[string]any)
			if doc["uri"] != "https://example.com/privacy" || doc["revisionId"] != "v1" || doc["revisedAt"] != "2024-01-01T00:00:00.000Z" || doc["contentType"] != nil {
				t.Errorf("document = %v", doc)
			}
			if got["userId"] != "u1" || got["type"] != "privacyPolicy" || got["contextUri"] != nil || str("etag") == "" {
				t.Errorf("consent = %v", got)
			}
			if v := v.verdict(`Consent.check("u1", {type: "privacyPolicy"})`); v != tc.check {
				t.Errorf("Consent.check = %s, want %s", v, tc.check)
			}

			// The audit trail: create (pending, at createdAt) and, for another state, the fixture's change.
			evs := events(t, tx, id)
			want := []string{"create →pending"}
			if tc.state != Pending {
				want = append(want, "fixture pending→"+tc.state)
			}
			var have []string
			for _, e := range evs {
				have = append(have, e.Props["action"].(string)+" "+str2(e.Props["from"])+"→"+str2(e.Props["to"]))
				if e.Props["subject"] != "consent" || e.Props["actor"] != "u1" {
					t.Errorf("event %v: want subject consent, actor u1", e.Props)
				}
			}
			if strings.Join(have, "; ") != strings.Join(want, "; ") {
				t.Errorf("audit events %q, want %q", have, want)
			}
		})
	}
}

func str2(v any) string { s, _ := v.(string); return s }

func TestFixtureRecordAndContext(t *testing.T) {
	tx := storetest.Begin(t)
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	id, err := Fixture(tx, props(t, `{"_id": "consent-1", "type": "termsAndConditions", "userId": "u7",
		"document": {"uri": "https://example.com/terms", "contentType": "text/html"},
		"contextUri": "urn:loan:1", "secondaryContextUri": "urn:branch:9", "state": "given", "givenAt": "2024-03-02"}`), fixtureNow, ams)
	if err != nil {
		t.Fatal(err)
	}
	if id != "consent-1" {
		t.Fatalf("id %q, want the fixture's _id", id)
	}
	rec, err := tx.Get(Kind, "consent-1")
	if err != nil {
		t.Fatalf("the store has no consent-1: %v", err)
	}
	// A date-only time is midnight in the ruleset's zone.
	if rec.Props["givenAt"] != "2024-03-01T23:00:00.000Z" || rec.Props["state"] != Given || rec.Props["contextUri"] != "urn:loan:1" ||
		rec.Props["secondaryContextUri"] != "urn:branch:9" || rec.Props["createdAt"] != "2025-02-03T09:15:00.000Z" {
		t.Errorf("stored props %v", rec.Props)
	}
	v := newVM(t, tx)
	for expr, want := range map[string]string{
		`Consent.check("u7", {type: "termsAndConditions", contextUri: "urn:loan:1"})`: "given/consent/true",
		`Consent.check("u7", {type: "termsAndConditions", contextUri: "urn:loan:2"})`: "missing/consent/false",
		`Consent.check("u1", {type: "termsAndConditions"})`:                           "missing/consent/false",
	} {
		if got := v.verdict(expr); got != want {
			t.Errorf("%s = %s, want %s", expr, got, want)
		}
	}
	// The consent behaves like one the API made: it can be revoked with its etag, and create finds it.
	if got := v.json(`Consent.revoke("consent-1", {ifMatch: Consent.get("consent-1").etag}).state`); got != `"revoked"` {
		t.Errorf("revoke = %s", got)
	}
	if got := v.json(`Consent.create({type: "termsAndConditions", userId: "u7", document: {uri: "https://example.com/terms"}, contextUri: "urn:loan:1"})._id`); got != `"consent-1"` {
		t.Errorf("create of the same consent = %s, want the fixture's", got)
	}
}

func TestFixtureListedTwice(t *testing.T) {
	const c = `"type": "privacyPolicy", "userId": "u1", "document": {"uri": "https://example.com/privacy"}`
	cases := []struct {
		name          string
		first, second string
		want          string // "" when the second is saved
	}{
		{"the same consent twice", `{` + c + `}`, `{` + c + `, "state": "given"}`, "listed twice"},
		{"the same consent in the same context", `{` + c + `, "contextUri": "urn:a"}`, `{` + c + `, "contextUri": "urn:a"}`, "listed twice"},
		{"another context", `{` + c + `, "contextUri": "urn:a"}`, `{` + c + `, "contextUri": "urn:b"}`, ""},
		{"another user", `{` + c + `}`, `{"type": "privacyPolicy", "userId": "u2", "document": {"uri": "https://example.com/privacy"}}`, ""},
		{"after a rescinded one (a rescind is final)", `{` + c + `, "state": "rescinded"}`, `{` + c + `}`, ""},
		{"an _id used twice", `{"_id": "x", ` + c + `}`, `{"_id": "x", "type": "privacyPolicy", "userId": "u2", "document": {"uri": "https://example.com/privacy"}}`, "_id: a consent x already exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx := storetest.Begin(t)
			if _, err := Fixture(tx, props(t, tc.first), fixtureNow, time.UTC); err != nil {
				t.Fatal(err)
			}
			_, err := Fixture(tx, props(t, tc.second), fixtureNow, time.UTC)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("second fixture: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("second fixture: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestFixtureProblems(t *testing.T) {
	const doc = `"document": {"uri": "https://example.com/privacy"}`
	cases := []struct {
		name, props string
		want        []string // in the message; the first is its start
	}{
		{"unknown key", `{"type": "privacyPolicy", "userId": "u1", ` + doc + `, "sate": "given"}`, []string{"sate: is not a field of a consent", "state"}},
		{"unknown document key", `{"type": "privacyPolicy", "userId": "u1", "document": {"uri": "https://example.com/privacy", "url": "x"}}`, []string{"document.url: is not a field"}},
		{"no document", `{"type": "privacyPolicy", "userId": "u1"}`, []string{"document: is required"}},
		{"document not a mapping", `{"type": "privacyPolicy", "userId": "u1", "document": "https://example.com/privacy"}`, []string{"document: "}},
		{"no type", `{"userId": "u1", ` + doc + `}`, []string{"type: is required"}},
		{"no userId", `{"type": "privacyPolicy", ` + doc + `}`, []string{"userId: is required"}},
		{"no document uri", `{"type": "privacyPolicy", "userId": "u1", "document": {"revisionId": "v1"}}`, []string{"document.uri: is required"}},
		{"userId not a string", `{"type": "privacyPolicy", "userId": 42, ` + doc + `}`, []string{"userId: must be a string", "42"}},
		{"state not a string", `{"type": "privacyPolicy", "userId": "u1", ` + doc + `, "state": true}`, []string{"state: must be a string"}},
		{"empty userId", `{"type": "privacyPolicy", "userId": "", ` + doc + `}`, []string{"userId: must be 1 to"}},
		{"unknown state", `{"type": "privacyPolicy", "userId": "u1", ` + doc + `, "state": "accepted"}`, []string{"state: must be one of", "pending, given, stale, rescinded, revoked", `"accepted"`}},
		{"unknown type name", `{"type": "privacyPolicyy", "userId": "u1", ` + doc + `}`, []string{"invalidConsentType", `"privacyPolicyy"`, "privacyPolicy"}},
		{"malformed document uri", `{"type": "privacyPolicy", "userId": "u1", "document": {"uri": "not a uri"}}`, []string{"invalidDocumentUri", "document.uri"}},
		{"document uri without a scheme", `{"type": "privacyPolicy", "userId": "u1", "document": {"uri": "example.com/privacy"}}`, []string{"invalidDocumentUri", "document.uri", "no scheme"}},
		{"malformed contextUri", `{"type": "privacyPolicy", "userId": "u1", ` + doc + `, "contextUri": "loan 1"}`, []string{"invalidContextUri", "contextUri"}},
		{"malformed secondaryContextUri", `{"type": "privacyPolicy", "userId": "u1", ` + doc + `, "secondaryContextUri": "::"}`, []string{"invalidContextUri", "secondaryContextUri"}},
		{"bad givenAt", `{"type": "privacyPolicy", "userId": "u1", ` + doc + `, "state": "given", "givenAt": "yesterday"}`, []string{"givenAt: must be an RFC 3339 time or YYYY-MM-DD", `"yesterday"`}},
		{"bad createdAt", `{"type": "privacyPolicy", "userId": "u1", ` + doc + `, "createdAt": "2024-13-01"}`, []string{"createdAt: must be an RFC 3339"}},
		{"bad document.revisedAt", `{"type": "privacyPolicy", "userId": "u1", "document": {"uri": "https://example.com/privacy", "revisedAt": "soon"}}`, []string{"document.revisedAt: must be"}},
		{"givenAt not a string", `{"type": "privacyPolicy", "userId": "u1", ` + doc + `, "state": "given", "givenAt": 20240101}`, []string{"givenAt: must be a string"}},
		{"pending with givenAt", `{"type": "privacyPolicy", "userId": "u1", ` + doc + `, "givenAt": "2024-01-01"}`, []string{"givenAt: a pending consent has none"}},
		{"pending with requestRevokedAt", `{"type": "privacyPolicy", "userId": "u1", ` + doc + `, "state": "pending", "requestRevokedAt": "2024-01-01"}`, []string{"requestRevokedAt: a pending consent has none"}},
		{"an _id too long", `{"_id": "` + strings.Repeat("x", 201) + `", "type": "privacyPolicy", "userId": "u1", ` + doc + `}`, []string{"_id: longer than"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx := storetest.Begin(t)
			id, err := Fixture(tx, props(t, tc.props), fixtureNow, time.UTC)
			if err == nil {
				t.Fatalf("saved %s, want an error", id)
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
}

func TestFixtureHonoursManagedTypeNames(t *testing.T) {
	tx := storetest.Begin(t)
	v := newVM(t, tx)
	v.run(`Consent.setTypeNames([...Consent.typeNames(), {name: "marketing"}])`)
	if _, err := Fixture(tx, props(t, `{"type": "marketing", "userId": "u1", "document": {"uri": "urn:doc:marketing"}, "state": "given"}`), fixtureNow, time.UTC); err != nil {
		t.Fatalf("a type added with setTypeNames: %v", err)
	}
	if got := v.verdict(`Consent.check("u1", {type: "marketing"})`); got != "given/consent/true" {
		t.Errorf("check = %s", got)
	}
}
