package consent

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins/audit"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/store/storetest"
)

// TestTransitions tries every action of the contract's table from every state: the allowed ones
// move the consent and append one audit event with From and To, the refused ones throw
// invalidConsentState (409) and change nothing (reviseDocument is not a refusal: it stales the
// given consents of the document and leaves the other states as they are).
func TestTransitions(t *testing.T) {
	actions := map[string]string{
		"give":    `Consent.give(c._id, {scope: "instance"})`,
		"revoke":  `Consent.revoke(c._id)`,
		"rescind": `Consent.rescind({type: c.type, user: c.userId, document: c.document.uri})`,
		"revise":  `Consent.reviseDocument({uri: c.document.uri, revisionId: "v3", revisedAt: "2024-03-01T00:00:00Z"})`,
	}
	later := clock.Add(time.Hour)
	for _, from := range States {
		for _, action := range []string{"give", "revoke", "rescind", "revise"} {
			tr := Transitions[action]
			allowed := slices.Contains(tr.From, from)
			t.Run(fmt.Sprintf("%s from %s", action, from), func(t *testing.T) {
				tx := storetest.Begin(t)
				v := newVM(t, tx)
				v.run(`var c = inState("u1", "` + from + `")`)
				id := v.run(`c._id`).String()
				before := v.obj(`c`)
				nEvents := len(events(t, tx, id))
				v.exec.Now = later

				switch {
				case allowed:
					v.run(actions[action])
					got := v.obj(`Consent.get(c._id)`)
					if got["state"] != tr.To {
						t.Fatalf("state %v, want %s", got["state"], tr.To)
					}
					stamp := map[string]string{"give": "givenAt", "revoke": "requestRevokedAt", "rescind": "requestRescindedAt"}[action]
					if stamp != "" && got[stamp] != later.Truncate(time.Millisecond).Format(timeLayout) {
						t.Errorf("%s = %v, want the execution clock %s", stamp, got[stamp], later)
					}
					if got["etag"] == before["etag"] {
						t.Errorf("etag unchanged by %s: %v", action, got["etag"])
					}
					evs := events(t, tx, id)
					if len(evs) != nEvents+1 {
						t.Fatalf("%d audit events, want %d", len(evs), nEvents+1)
					}
					last := evs[len(evs)-1].Props
					if last["from"] != from || last["to"] != tr.To || last["action"] != action || last["actor"] != "u1" || last["subject"] != "consent" {
						t.Errorf("audit event %v, want %s %s → %s by u1", last, action, from, tr.To)
					}
				case action == "revise":
					v.run(actions[action])
					if got := v.obj(`Consent.get(c._id)`); got["state"] != from {
						t.Fatalf("revise changed a %s consent to %v", from, got["state"])
					}
				default:
					e := v.wantError(actions[action], ErrInvalidConsentState, 409)
					if !strings.HasPrefix(e["message"].(string), "Consent."+map[string]string{"give": "give", "revoke": "revoke", "rescind": "rescind"}[action]+": ") {
						t.Errorf("message %q does not name the function", e["message"])
					}
					if got := v.obj(`Consent.get(c._id)`); fmt.Sprint(got) != fmt.Sprint(before) {
						t.Errorf("refused %s changed the consent:\n%v\nwas\n%v", action, got, before)
					}
					if n := len(events(t, tx, id)); n != nEvents {
						t.Errorf("refused %s appended audit events: %d, want %d", action, n, nEvents)
					}
				}
			})
		}
	}
}

func TestCreate(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	v := newVM(t, tx)
	first := v.obj(`make("u1", {contextUri: "https://shop.example/orders/1", secondaryContextUri: "urn:x:2", document: {uri: PP, contentType: "text/html", revisionId: "v1", revisedAt: "2024-01-01"}})`)
	want := map[string]any{
		"type": "privacyPolicy", "userId": "u1", "contextUri": "https://shop.example/orders/1", "secondaryContextUri": "urn:x:2",
		"state": "pending", "givenAt": nil, "requestRevokedAt": nil, "requestRescindedAt": nil,
		"createdAt": "2024-06-14T22:30:00.123Z", "created": true,
	}
	for k, w := range want {
		if first[k] != w {
			t.Errorf("%s = %#v, want %#v", k, first[k], w)
		}
	}
	if doc := fmt.Sprint(first["document"]); doc != "map[contentType:text/html revisedAt:2024-01-01T00:00:00.000Z revisionId:v1 uri:https://example.com/privacy]" {
		t.Errorf("document = %s", doc)
	}
	if etag, _ := first["etag"].(string); len(etag) != 34 || etag[0] != '"' || etag[33] != '"' {
		t.Errorf("etag = %v, want a quoted hex string", first["etag"])
	}
	if keys := v.json(`Object.keys(Consent.get(` + quoteJS(first["_id"]) + `)).sort()`); keys != `["_id","contextUri","createdAt","document","etag","givenAt","requestRescindedAt","requestRevokedAt","secondaryContextUri","state","type","userId"]` {
		t.Errorf("keys = %s", keys)
	}

	// The same user, type, uri and context: the existing one, unchanged, created false.
	again := v.obj(`make("u1", {contextUri: "https://shop.example/orders/1"})`)
	if again["_id"] != first["_id"] || again["created"] != false || again["etag"] != first["etag"] {
		t.Errorf("create again = %v, want the existing consent with created false", again)
	}
	// Another context, user or type: a new one.
	for _, spec := range []string{`make("u1")`, `make("u2", {contextUri: "https://shop.example/orders/1"})`,
		`make("u1", {type: "termsAndConditions", contextUri: "https://shop.example/orders/1"})`} {
		if o := v.obj(spec); o["created"] != true || o["_id"] == first["_id"] {
			t.Errorf("%s = %v, want a new consent", spec, o)
		}
	}
	// After a rescind, asking again makes a new consent.
	v.run(`Consent.rescind({type: "privacyPolicy", user: "u1", context: "https://shop.example/orders/1"})`)
	if o := v.obj(`make("u1", {contextUri: "https://shop.example/orders/1"})`); o["created"] != true || o["_id"] == first["_id"] {
		t.Errorf("create after rescind = %v, want a new consent", o)
	}

	// Refusals.
	v.wantError(`make("u1", {type: "marketing"})`, ErrInvalidConsentType, 400)
	for _, uri := range []string{"", "no-scheme", "https://a b", "http:", "https://example.com/" + strings.Repeat("x", 2030), "%zz:x", "https://exa\x01mple.com"} {
		v.wantError(`make("u1", {document: {uri: `+quoteJS(uri)+`}})`, ErrInvalidDocumentURI, 400)
		if uri != "" {
			v.wantError(`make("u1", {contextUri: `+quoteJS(uri)+`})`, ErrInvalidContextURI, 400)
			v.wantError(`make("u1", {secondaryContextUri: `+quoteJS(uri)+`})`, ErrInvalidContextURI, 400)
		}
	}
	if o := v.obj(`make("u9", {document: {uri: "https://example.com/" + "x".repeat(2048 - 20)}})`); o["created"] != true {
		t.Errorf("a 2048-character uri was refused: %v", o)
	}
	if o := v.obj(`make("u9", {document: {uri: "urn:isbn:0451450523"}})`); o["created"] != true {
		t.Errorf("a urn was refused: %v", o)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func quoteJS(v any) string {
	b := fmt.Sprintf("%q", v)
	return b
}

// TestArgumentTypes: wrong argument types are TypeErrors naming the function, values that cannot
// be read are RangeErrors.
func TestArgumentTypes(t *testing.T) {
	tx := storetest.Begin(t)
	v := newVM(t, tx)
	cases := map[string]string{
		`Consent.create()`: "TypeError: Consent.create: spec is required (an object)",
		`Consent.create({type: 1, userId: "u", document: {uri: PP}})`:                                        "TypeError: Consent.create: spec.type must be a string, got 1",
		`Consent.create({type: "privacyPolicy", userId: "u"})`:                                               "TypeError: Consent.create: spec.document is required (an object)",
		`Consent.create({type: "privacyPolicy", userId: "u", document: "x"})`:                                `TypeError: Consent.create: spec.document must be an object, got "x"`,
		`Consent.create({type: "privacyPolicy", userId: "", document: {uri: PP}})`:                           "RangeError: Consent.create: spec.userId must be a non-empty string of at most 1024 characters",
		`Consent.create({type: "privacyPolicy", userId: "u", document: {uri: PP, revisedAt: 5}})`:            `TypeError: Consent.create: spec.document.revisedAt must be a Date or a "YYYY-MM-DD" or RFC 3339 string, got 5`,
		`Consent.create({type: "privacyPolicy", userId: "u", document: {uri: PP, revisedAt: "2024-02-30"}})`: `RangeError: Consent.create: spec.document.revisedAt must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "2024-02-30"`,
		`Consent.give(1)`:                           "TypeError: Consent.give: id must be a string, got 1",
		`Consent.give("x", {scope: "all"})`:         `RangeError: Consent.give: options.scope must be "matching" or "instance", got "all"`,
		`Consent.give("x", null)`:                   "TypeError: Consent.give: options must be an object, got null",
		`Consent.revoke("x", {ifMatch: 1})`:         "TypeError: Consent.revoke: options.ifMatch must be a string, got 1",
		`Consent.rescind({})`:                       "TypeError: Consent.rescind: criteria.type is required (a string)",
		`Consent.rescind({type: "x", all: "yes"})`:  `TypeError: Consent.rescind: criteria.all must be a boolean, got "yes"`,
		`Consent.rescind({type: "x", document: 1})`: "TypeError: Consent.rescind: criteria.document must be a string (the document's uri) or {uri}, got 1",
		`Consent.reviseDocument({})`:                "TypeError: Consent.reviseDocument: spec.uri is required (a string)",
		`Consent.moveDocument({uri: PP})`:           "TypeError: Consent.moveDocument: spec.newUri is required (a string)",
		`Consent.needed()`:                          "TypeError: Consent.needed: userId is required (a string)",
		`Consent.needed("u", {consolidate: 1})`:     "TypeError: Consent.needed: options.consolidate must be a boolean, got 1",
		`Consent.list({limit: "5"})`:                `TypeError: Consent.list: query.limit must be an integer, got "5"`,
		`Consent.list({start: -1})`:                 "RangeError: Consent.list: query.start must be an integer of at least 0, got -1",
		`Consent.list({limit: 1.5})`:                "RangeError: Consent.list: query.limit must be an integer of at least 0, got 1.5",
		`Consent.list({state: "given|gone"})`:       `RangeError: Consent.list: state "gone" is not a consent state (pending, given, stale, rescinded, revoked)`,
		`Consent.list({sortBy: "name"})`:            `RangeError: Consent.list: sortBy: "name" is not a consent field (` + strings.Join(Fields, ", ") + `)`,
		`Consent.get()`:                             "TypeError: Consent.get: id is required (a string)",
		`Consent.setTypeNames("x")`:                 `TypeError: Consent.setTypeNames: names must be an array of names or {name, label, description} objects, got "x"`,
		`Consent.setTypeNames([1])`:                 "TypeError: Consent.setTypeNames: names[0] must be a string or {name, label, description}, got 1",
		`Consent.setTypeNames([{label: "x"}])`:      "TypeError: Consent.setTypeNames: names[0].name is required (a string)",
	}
	for expr, want := range cases {
		if got := v.json(expr); got != want {
			t.Errorf("%s\n got %s\nwant %s", expr, got, want)
		}
	}
}

func TestNoStore(t *testing.T) {
	v := newVM(t, nil)
	for _, expr := range []string{`Consent.create({type: "privacyPolicy", userId: "u", document: {uri: PP}})`, `Consent.typeNames()`, `Consent.get("x")`, `Consent.list()`} {
		fn := expr[:strings.Index(expr, "(")]
		want := "Error: " + fn + ": no store is configured (engine.WithStore, or --store with the kubus command)"
		if got := v.json(expr); got != want {
			t.Errorf("%s = %s, want %s", expr, got, want)
		}
	}
	v.h.SetExec(nil)
	if got := v.json(`Consent.get("x")`); !strings.Contains(got, "Error: Consent.get: no execution is running") {
		t.Errorf("outside an execution: %s", got)
	}
}

func TestGiveMatchingVsInstance(t *testing.T) {
	tx := storetest.Begin(t)
	v := newVM(t, tx)
	v.run(`
		var a = make("u1", {contextUri: "https://shop.example/1"});
		var b = make("u1", {contextUri: "https://shop.example/2"});
		var c = inState("u1", "stale", {contextUri: "https://shop.example/3"});
		var r = inState("u1", "revoked", {contextUri: "https://shop.example/4"});
		var otherType = make("u1", {type: "termsAndConditions"});
		var otherDoc = make("u1", {document: {uri: TC}});
		var otherUser = make("u2");
	`)
	// c's revision moved on; a and b took it too (pending ones take a new revision).
	v.exec.Now = clock.Add(time.Minute)
	if got := v.json(`Consent.give(a._id, {scope: "instance"}).state`); got != `"given"` {
		t.Fatalf("give instance: %s", got)
	}
	if got := v.json(`[b, c, r, otherType, otherDoc, otherUser].map(x => Consent.get(x._id).state)`); got != `["pending","stale","revoked","pending","pending","pending"]` {
		t.Errorf("after an instance give: %s", got)
	}
	v.exec.Now = clock.Add(2 * time.Minute)
	if got := v.json(`Consent.give(b._id).state`); got != `"given"` { // matching is the default
		t.Fatalf("give matching: %s", got)
	}
	if got := v.json(`[a, b, c, r, otherType, otherDoc, otherUser].map(x => Consent.get(x._id).state)`); got != `["given","given","given","revoked","pending","pending","pending"]` {
		t.Errorf("after a matching give: %s", got)
	}
	if got := v.json(`[a, b, c].map(x => Consent.get(x._id).givenAt)`); got != `["2024-06-14T22:31:00.123Z","2024-06-14T22:32:00.123Z","2024-06-14T22:32:00.123Z"]` {
		t.Errorf("givenAt: %s", got)
	}
	cID := v.run(`c._id`).String()
	evs := events(t, tx, cID)
	last := evs[len(evs)-1].Props
	if last["action"] != "give" || last["from"] != "stale" || last["to"] != "given" || fmt.Sprint(last["details"]) != fmt.Sprintf("map[scope:matching with:%s]", v.run(`b._id`)) {
		t.Errorf("matching give's audit event: %v", last)
	}
	v.wantError(`Consent.give("nope")`, ErrConsentRefNotFound, 404)
	v.wantError(`Consent.give("")`, ErrConsentRefNotFound, 404)
	v.wantError(`Consent.give("x".repeat(100000))`, ErrConsentRefNotFound, 404)
	v.wantError(`Consent.revoke("nope")`, ErrConsentRefNotFound, 404)
	if got := v.json(`Consent.get("nope")`); got != "null" {
		t.Errorf("get of an unknown id: %s", got)
	}
}

func TestNeededConsolidate(t *testing.T) {
	tx := storetest.Begin(t)
	v := newVM(t, tx)
	v.run(`
		make("u1", {contextUri: "https://shop.example/1"});
		make("u1", {contextUri: "https://shop.example/2"});
		make("u1", {type: "termsAndConditions", document: {uri: TC}});
		inState("u1", "given", {type: "electronicConsent", document: {uri: "https://example.com/esign"}});
		inState("u1", "revoked", {type: "electronicConsent", document: {uri: "https://example.com/esign2"}});
		make("u2");
	`)
	shape := `.map(c => c.type + " " + c.document.uri + " " + c.contextUri + " " + c.state)`
	if got := v.json(`Consent.needed("u1")` + shape); got != `["privacyPolicy https://example.com/privacy https://shop.example/1 pending","privacyPolicy https://example.com/privacy https://shop.example/2 pending","termsAndConditions https://example.com/terms null pending"]` {
		t.Errorf("needed: %s", got)
	}
	if got := v.json(`Consent.needed("u1", {consolidate: true})` + shape); got != `["privacyPolicy https://example.com/privacy https://shop.example/1 pending","termsAndConditions https://example.com/terms null pending"]` {
		t.Errorf("needed consolidated: %s", got)
	}
	if got := v.json(`Consent.needed("nobody")`); got != `[]` {
		t.Errorf("needed of nobody: %s", got)
	}
}

func TestRescindFirstVsAll(t *testing.T) {
	tx := storetest.Begin(t)
	v := newVM(t, tx)
	v.run(`
		var a = make("u1", {contextUri: "https://shop.example/1"});
		var b = inState("u1", "given", {contextUri: "https://shop.example/2"});
		var c = inState("u1", "revoked", {contextUri: "https://shop.example/3"});
		var d = make("u1", {contextUri: "https://shop.example/1", secondaryContextUri: "urn:s:1", document: {uri: TC}});
		var other = make("u2");
	`)
	v.exec.Now = clock.Add(time.Hour)
	if got := v.json(`Consent.rescind({type: "privacyPolicy", user: "u1"}).map(x => [x._id === a._id, x.state, x.requestRescindedAt])`); got != `[[true,"rescinded","2024-06-14T23:30:00.123Z"]]` {
		t.Errorf("rescind first: %s", got)
	}
	if got := v.json(`Consent.rescind({type: "privacyPolicy", user: "u1", secondaryContext: "urn:s:1", document: {uri: TC}}).map(x => x._id === d._id)`); got != `[true]` {
		t.Errorf("rescind by secondary context and document: %s", got)
	}
	if got := v.json(`Consent.rescind({type: "privacyPolicy", user: "u1", all: true}).map(x => [x._id === b._id || x._id === c._id, x.state])`); got != `[[true,"rescinded"],[true,"rescinded"]]` {
		t.Errorf("rescind all: %s", got)
	}
	if got := v.json(`Consent.get(other._id).state`); got != `"pending"` {
		t.Errorf("another user's consent: %s", got)
	}
	v.wantError(`Consent.rescind({type: "privacyPolicy", user: "u1", all: true})`, ErrInvalidConsentState, 409)
	v.wantError(`Consent.rescind({type: "privacyPolicy", user: "u3"})`, ErrConsentRefNotFound, 404)
	v.wantError(`Consent.rescind({type: "privacyPolicy", user: "u2", context: "https://shop.example/1"})`, ErrConsentRefNotFound, 404)
}

func TestReviseStaleNeeded(t *testing.T) {
	tx := storetest.Begin(t)
	v := newVM(t, tx)
	v.run(`
		var g1 = inState("u1", "given");
		var g2 = inState("u2", "given", {contextUri: "https://shop.example/1"});
		var gt = inState("u3", "given", {type: "termsAndConditions"});
		var other = inState("u1", "given", {document: {uri: TC}});
		var p = make("u4");
		var r = inState("u5", "revoked");
	`)
	if got := v.json(`Consent.needed("u1")`); got != `[]` {
		t.Fatalf("needed before the revision: %s", got)
	}
	// Only privacyPolicy consents, only the context given.
	if got := v.json(`Consent.reviseDocument({uri: PP, type: "privacyPolicy", contextUri: "https://shop.example/1", revisionId: "v2", revisedAt: "2024-05-01T00:00:00Z"}).map(c => c._id === g2._id)`); got != `[true]` {
		t.Errorf("revise narrowed by context: %s", got)
	}
	// All consents of the document: g1 and gt stale, p takes the revision, r too, other untouched.
	got := v.list(`Consent.reviseDocument({uri: PP, revisionId: "v3", revisedAt: new Date("2024-06-01T00:00:00Z")})`)
	var states []string
	for _, c := range got {
		states = append(states, fmt.Sprint(c["userId"], ":", c["state"], ":", c["document"].(map[string]any)["revisionId"]))
	}
	if fmt.Sprint(states) != "[u1:stale:v3 u2:stale:v3 u3:stale:v3 u4:pending:v3 u5:revoked:v3]" {
		t.Errorf("revise all: %v", states)
	}
	if got := v.json(`Consent.get(other._id).state`); got != `"given"` {
		t.Errorf("another document's consent: %s", got)
	}
	if got := v.json(`Consent.needed("u1").map(c => [c._id === g1._id, c.state, c.document.revisedAt])`); got != `[[true,"stale","2024-06-01T00:00:00.000Z"]]` {
		t.Errorf("needed after the revision: %s", got)
	}
	// The same revision again changes nothing; an older one is refused and changes nothing.
	if got := v.json(`Consent.reviseDocument({uri: PP, revisionId: "v3", revisedAt: "2024-06-01T00:00:00Z"}).length`); got != `0` {
		t.Errorf("revise to the same revision: %s changed", got)
	}
	before := v.json(`Consent.list()`)
	e := v.wantError(`Consent.reviseDocument({uri: PP, revisionId: "v1b", revisedAt: "2024-04-01"})`, ErrInvalidDocumentRevision, 400)
	if e["attributes"].(map[string]any)["storedRevisedAt"] != "2024-06-01T00:00:00.000Z" {
		t.Errorf("attributes: %v", e["attributes"])
	}
	if after := v.json(`Consent.list()`); after != before {
		t.Errorf("a refused revision changed consents")
	}
	v.wantError(`Consent.reviseDocument({uri: "nope"})`, ErrInvalidDocumentURI, 400)
	v.wantError(`Consent.reviseDocument({uri: PP, newUri: "nope"})`, ErrInvalidDocumentURI, 400)
	v.wantError(`Consent.reviseDocument({uri: PP, contextUri: "nope"})`, ErrInvalidContextURI, 400)
	// Giving the stale one again: given, to the new revision.
	if got := v.json(`Consent.give(g1._id, {scope: "instance"}).state`); got != `"given"` {
		t.Errorf("give a stale consent: %s", got)
	}
	// revisedAt defaults to the clock; newUri moves the document at the same time.
	v.exec.Now = clock.Add(24 * time.Hour)
	if got := v.json(`Consent.reviseDocument({uri: PP, revisionId: "v4", newUri: "https://example.com/privacy-v4"}).map(c => c.document.uri + " " + c.document.revisedAt.toISOString() + " " + c.state)[0]`); got != `"https://example.com/privacy-v4 2024-06-15T22:30:00.123Z stale"` {
		t.Errorf("revise with newUri: %s", got)
	}
	if got := v.json(`Consent.list({filter: "eq(document.uri,'https://example.com/privacy')"}).length`); got != `0` {
		t.Errorf("consents left at the old uri: %s", got)
	}
}

func TestMoveDocument(t *testing.T) {
	tx := storetest.Begin(t)
	v := newVM(t, tx)
	v.run(`
		var p = make("u1");
		var g = inState("u2", "given");
		var x = inState("u3", "rescinded");
		var t1 = inState("u4", "given", {type: "termsAndConditions"});
		var o = make("u5", {document: {uri: TC}});
	`)
	before := v.obj(`Consent.get(g._id)`)
	if got := v.json(`Consent.moveDocument({uri: PP, newUri: "https://example.com/legal/privacy", type: "privacyPolicy"}).map(c => c.userId + " " + c.state + " " + c.document.uri)`); got != `["u1 pending https://example.com/legal/privacy","u2 given https://example.com/legal/privacy","u3 rescinded https://example.com/legal/privacy"]` {
		t.Errorf("move: %s", got)
	}
	after := v.obj(`Consent.get(g._id)`)
	if after["etag"] == before["etag"] || after["givenAt"] != before["givenAt"] {
		t.Errorf("move: etag %v → %v, givenAt %v → %v", before["etag"], after["etag"], before["givenAt"], after["givenAt"])
	}
	if got := v.json(`[t1, o].map(c => Consent.get(c._id).document.uri)`); got != `["https://example.com/privacy","https://example.com/terms"]` {
		t.Errorf("other consents moved: %s", got)
	}
	evs := events(t, tx, after["_id"].(string))
	if last := evs[len(evs)-1].Props; last["action"] != "move" || last["from"] != "given" || last["to"] != "given" {
		t.Errorf("move's audit event: %v", last)
	}
	if got := v.json(`Consent.moveDocument({uri: "https://example.com/none", newUri: TC})`); got != `[]` {
		t.Errorf("move of an unknown uri: %s", got)
	}
	v.wantError(`Consent.moveDocument({uri: PP, newUri: "not a uri"})`, ErrInvalidDocumentURI, 400)
	v.wantError(`Consent.moveDocument({uri: PP, newUri: TC, contextUri: "x"})`, ErrInvalidContextURI, 400)
}

func TestETag(t *testing.T) {
	tx := storetest.Begin(t)
	v := newVM(t, tx)
	v.run(`var c = inState("u1", "given")`)
	etag := v.run(`c.etag`).String()
	for _, bad := range []string{`"0000"`, `W/` + etag, ``, `*x`} {
		e := v.wantError(`Consent.revoke(c._id, {ifMatch: `+quoteJS(bad)+`})`, ErrPreconditionFailed, 412)
		if e["attributes"].(map[string]any)["etag"] != etag {
			t.Errorf("attributes %v", e["attributes"])
		}
	}
	if got := v.json(`Consent.get(c._id).state`); got != `"given"` {
		t.Fatalf("a failed precondition changed the state: %s", got)
	}
	// A list of tags, one matching.
	if got := v.json(`Consent.revoke(c._id, {ifMatch: '"abc", ' + c.etag}).state`); got != `"revoked"` {
		t.Fatalf("revoke with a matching etag: %s", got)
	}
	// The etag changes on every change, also when the content comes back (give, revoke, give ...).
	seen := map[string]bool{etag: true, v.run(`Consent.get(c._id).etag`).String(): true}
	for i := range 4 {
		stmt := `Consent.give(c._id, {scope: "instance"}).etag`
		if i%2 == 1 {
			stmt = `Consent.revoke(c._id, {ifMatch: "*"}).etag`
		}
		e := v.run(stmt).String()
		if seen[e] {
			t.Fatalf("etag %s repeated after change %d", e, i)
		}
		seen[e] = true
		if got := v.run(`Consent.get(c._id).etag`).String(); got != e {
			t.Errorf("get's etag %s, the change returned %s", got, e)
		}
	}
	// The precondition is checked before the state: a stale etag on a consent in another state is 412.
	v.wantError(`Consent.revoke(c._id, {ifMatch: `+quoteJS(etag)+`})`, ErrPreconditionFailed, 412)
	v.wantError(`Consent.revoke("nope", {ifMatch: "*"})`, ErrConsentRefNotFound, 404)
}

func TestList(t *testing.T) {
	tx := storetest.Begin(t)
	v := newVM(t, tx)
	step := func(d time.Duration, src string) { v.exec.Now = clock.Add(d); v.run(src) }
	step(0, `inState("ann", "given", {type: "termsAndConditions", document: {uri: TC}, contextUri: "https://shop.example/orders/1"})`)
	step(time.Minute, `inState("ann", "given")`)
	step(2*time.Minute, `make("bob", {contextUri: "https://shop.example/orders/2"})`)
	step(3*time.Minute, `inState("bob", "revoked", {type: "termsAndConditions", document: {uri: TC}, secondaryContextUri: "urn:branch:9"})`)
	step(4*time.Minute, `make("cy", {type: "electronicConsent", document: {uri: "https://example.com/e-Sign/Terms"}})`)
	who := `.map(c => c.userId + ":" + c.type[0] + ":" + c.state)`
	cases := map[string]string{
		`Consent.list()`:                                             `["ann:t:given","ann:p:given","bob:p:pending","bob:t:revoked","cy:e:pending"]`,
		`Consent.list({})`:                                           `["ann:t:given","ann:p:given","bob:p:pending","bob:t:revoked","cy:e:pending"]`,
		`Consent.list({userId: "ann"})`:                              `["ann:t:given","ann:p:given"]`,
		`Consent.list({userId: "ann|cy"})`:                           `["ann:t:given","ann:p:given","cy:e:pending"]`,
		`Consent.list({state: "pending|revoked"})`:                   `["bob:p:pending","bob:t:revoked","cy:e:pending"]`,
		`Consent.list({type: "termsAndConditions", state: "given"})`: `["ann:t:given"]`,
		`Consent.list({contextUri: "https://shop.example/orders/1|https://shop.example/orders/2"})`: `["ann:t:given","bob:p:pending"]`,
		`Consent.list({secondaryContextUri: "urn:branch:9"})`:                                       `["bob:t:revoked"]`,
		`Consent.list({sortBy: "type,-givenAt"})`:                                                   `["cy:e:pending","ann:p:given","bob:p:pending","bob:t:revoked","ann:t:given"]`,
		`Consent.list({sortBy: "-userId,+createdAt"})`:                                              `["cy:e:pending","bob:p:pending","bob:t:revoked","ann:t:given","ann:p:given"]`,
		`Consent.list({sortBy: "-givenAt"})`:                                                        `["bob:t:revoked","ann:p:given","ann:t:given","bob:p:pending","cy:e:pending"]`,
		`Consent.list({sortBy: "givenAt"})`:                                                         `["ann:t:given","ann:p:given","bob:t:revoked","bob:p:pending","cy:e:pending"]`,
		`Consent.list({start: 1, limit: 2})`:                                                        `["ann:p:given","bob:p:pending"]`,
		`Consent.list({start: 4, limit: 2})`:                                                        `["cy:e:pending"]`,
		`Consent.list({start: 5})`:                                                                  `[]`,
		`Consent.list({limit: 0})`:                                                                  `[]`,
		`Consent.list({sortBy: "-createdAt", limit: 2})`:                                            `["cy:e:pending","bob:t:revoked"]`,
		`Consent.list({filter: "contains(document.uri,'terms')"})`:                                  `["ann:t:given","bob:t:revoked"]`,
		`Consent.list({filter: "contains(document.uri,'Terms')"})`:                                  `["cy:e:pending"]`,
		`Consent.list({filter: "search(document.uri,'TERMS')"})`:                                    `["ann:t:given","bob:t:revoked","cy:e:pending"]`,
		`Consent.list({filter: "search('orders shop')"})`:                                           `["ann:t:given","bob:p:pending"]`,
		`Consent.list({filter: "eq(state,'given') AND ne(type,'privacyPolicy')"})`:                  `["ann:t:given"]`,
		`Consent.list({filter: " eq( contextUri , null ) and eq(secondaryContextUri,null)"})`:       `["ann:p:given","cy:e:pending"]`,
		`Consent.list({filter: "ne(givenAt,null)", sortBy: "userId"})`:                              `["ann:t:given","ann:p:given","bob:t:revoked"]`,
		`Consent.list({filter: "eq(givenAt,'2024-06-14T22:31:00.123Z')"})`:                          `["ann:p:given"]`,
		`Consent.list({filter: "eq(userId,'it''s')"})`:                                              `[]`,
		`Consent.list({q: "branch"})`:                                                               `["bob:t:revoked"]`,
		`Consent.list({q: "PRIVACY", userId: "bob"})`:                                               `["bob:p:pending"]`,
		`Consent.list({q: "   "})`:                                                                  `["ann:t:given","ann:p:given","bob:p:pending","bob:t:revoked","cy:e:pending"]`,
	}
	for expr, want := range cases {
		if got := v.json(expr + who); got != want {
			t.Errorf("%s\n got %s\nwant %s", expr, got, want)
		}
	}
	bad := map[string]string{
		`x`:                                  `unknown function "x"`,
		`eq(state,'given') or eq(state,'x')`: `expected "and" or the end at position 19`,
		`eq(nope,'x')`:                       `"nope" is not a consent field`,
		`eq(state 'x')`:                      `expected ',' at position 10`,
		`eq(state,'x'`:                       `expected ')'`,
		`eq(state,'x)`:                       `unterminated string`,
		`contains(type,null)`:                `contains needs a 'quoted' value, not null`,
		`eq(state,given)`:                    `expected a 'quoted' value or null`,
		`(`:                                  `expected eq, ne, contains or search`,
		`eq(state,'x') and`:                  `expected eq, ne, contains or search`,
	}
	for filter, want := range bad {
		got := v.json(`Consent.list({filter: ` + quoteJS(filter) + `})`)
		if !strings.HasPrefix(got, "RangeError: Consent.list: filter: ") || !strings.Contains(got, want) {
			t.Errorf("filter %s: %s, want a RangeError with %s", filter, got, want)
		}
	}
	if got := v.json(`Consent.list({filter: "x".repeat(5000)})`); !strings.HasPrefix(got, "RangeError: Consent.list: filter is longer than") {
		t.Errorf("long filter: %s", got)
	}
}

func TestTypeNames(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	v := newVM(t, tx)
	if got := v.json(`Consent.typeNames().map(t => t.name)`); got != `["productTermsAndConditions","termsAndConditions","privacyPolicy","electronicConsent"]` {
		t.Errorf("default type names: %s", got)
	}
	if got := v.json(`Consent.typeNames().every(t => t.label && t.description)`); got != `true` {
		t.Errorf("default type names without label or description")
	}
	v.run(`make("u1")`)
	v.run(`inState("u1", "rescinded", {type: "termsAndConditions"})`)

	// Removing a name in use (also by a rescinded consent) is refused; nothing changes.
	e := v.wantError(`Consent.setTypeNames(["privacyPolicy", "electronicConsent"])`, ErrConsentTypeNameInUse, 409)
	if e["attributes"].(map[string]any)["type"] != "termsAndConditions" {
		t.Errorf("attributes %v", e["attributes"])
	}
	v.wantError(`Consent.setTypeNames(["termsAndConditions"])`, ErrConsentTypeNameInUse, 409)
	if got := v.json(`Consent.typeNames().length`); got != `4` {
		t.Errorf("a refused setTypeNames changed the names: %s", got)
	}
	// Removing unused ones, adding one, relabeling one.
	got := v.json(`Consent.setTypeNames(["privacyPolicy", {name: "termsAndConditions", label: "T&C", description: "General"}, {name: "marketing"}])`)
	if got != `[{"name":"privacyPolicy","label":"privacyPolicy","description":""},{"name":"termsAndConditions","label":"T&C","description":"General"},{"name":"marketing","label":"marketing","description":""}]` {
		t.Errorf("setTypeNames: %s", got)
	}
	if got := v.json(`make("u2", {type: "marketing"}).created`); got != `true` {
		t.Errorf("create of a new type: %s", got)
	}
	v.wantError(`make("u2", {type: "electronicConsent"})`, ErrInvalidConsentType, 400)
	for _, names := range []string{`[""]`, `["1abc"]`, `["a b"]`, `["privacyPolicy", "privacyPolicy"]`, `Array(201).fill(0).map((_, i) => "t" + i)`} {
		v.wantError(`Consent.setTypeNames(`+names+`)`, ErrInvalidConsentType, 400)
	}
	evs, err := audit.List(tx, audit.Query{ID: TypeNamesID})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || fmt.Sprint(evs[0].Props["details"]) != "map[added:[marketing] removed:[productTermsAndConditions electronicConsent]]" || evs[0].Props["actor"] != "system" {
		t.Errorf("type names audit: %v", evs)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Kept across executions.
	tx2 := s.Begin()
	defer tx2.Discard()
	v2 := newVM(t, tx2)
	if got := v2.json(`Consent.typeNames().map(t => t.name)`); got != `["privacyPolicy","termsAndConditions","marketing"]` {
		t.Errorf("type names in a later execution: %s", got)
	}
}

// TestAudit: every change appends one event in the execution's Tx; committed events are never
// rewritten by later executions.
func TestAudit(t *testing.T) {
	s := storetest.Open(t)
	steps := []struct {
		src     string
		actions []string // the events this step appends, in order
	}{
		{`var c = make("u1"); var d = make("u1", {contextUri: "https://shop.example/1"}); make("u1").created`, []string{"create", "create"}},
		{`Consent.give(Consent.list()[0]._id)`, []string{"give", "give"}},
		{`Consent.revoke(Consent.list()[0]._id)`, []string{"revoke"}},
		{`Consent.reviseDocument({uri: PP, revisedAt: "2024-05-01"})`, []string{"revise", "revise"}},
		{`Consent.moveDocument({uri: PP, newUri: TC})`, []string{"move", "move"}},
		{`Consent.rescind({type: "privacyPolicy", all: true})`, []string{"rescind", "rescind"}},
		{`try { Consent.rescind({type: "privacyPolicy"}) } catch (e) {}; Consent.get(Consent.list()[0]._id)`, nil},
	}
	var committed []*store.Record
	for i, st := range steps {
		tx := s.Begin()
		v := newVM(t, tx)
		v.exec.Now = clock.Add(time.Duration(i) * time.Hour)
		v.run(st.src)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		check := s.Begin()
		all, err := audit.List(check, audit.Query{})
		check.Discard()
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(committed)+len(st.actions) {
			t.Fatalf("step %d: %d events, want %d", i, len(all), len(committed)+len(st.actions))
		}
		for j, old := range committed {
			if all[j].ID != old.ID || all[j].Rev != old.Rev || fmt.Sprint(all[j].Props) != fmt.Sprint(old.Props) {
				t.Fatalf("step %d rewrote event %d: %v, was %v", i, j, all[j], old)
			}
		}
		for j, a := range st.actions {
			ev := all[len(committed)+j].Props
			if ev["action"] != a || ev["actor"] != "u1" || ev["subject"] != "consent" || ev["at"] != clock.Add(time.Duration(i)*time.Hour).Truncate(time.Millisecond).Format(time.RFC3339Nano) {
				t.Errorf("step %d event %d: %v, want %s by u1", i, j, ev, a)
			}
		}
		committed = all
	}
}

// TestNothingKeptWithoutCommit: a discarded execution keeps neither consents nor events.
func TestNothingKeptWithoutCommit(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	v := newVM(t, tx)
	v.run(`inState("u1", "given")`)
	tx.Discard()
	tx2 := s.Begin()
	defer tx2.Discard()
	for _, k := range []store.Kind{Kind, audit.Kind} {
		if n, err := tx2.Count(k, nil); err != nil || n != 0 {
			t.Errorf("%v: %d records (%v) after a discard", k, n, err)
		}
	}
}

// TestConcurrentCreate: two executions creating the same consent at the same time: the second
// to commit conflicts, and run again it finds the first's.
func TestConcurrentCreate(t *testing.T) {
	s := storetest.Open(t)
	tx1, tx2 := s.Begin(), s.Begin()
	id1 := newVM(t, tx1).run(`make("u1")._id`).String()
	newVM(t, tx2).run(`make("u1")._id`)
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tx2.Commit(); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second create committed: %v, want ErrConflict", err)
	}
	tx3 := s.Begin()
	defer tx3.Discard()
	got := newVM(t, tx3).obj(`make("u1")`)
	if got["_id"] != id1 || got["created"] != false {
		t.Errorf("run again: %v, want the first's consent", got)
	}
}

// TestConcurrentGive: a consent read and changed by two executions: the second conflicts.
func TestConcurrentGive(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	id := newVM(t, tx).run(`make("u1")._id`).String()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx1, tx2 := s.Begin(), s.Begin()
	newVM(t, tx1).run(`Consent.give(` + quoteJS(id) + `)`)
	newVM(t, tx2).run(`Consent.rescind({type: "privacyPolicy", user: "u1"})`)
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tx2.Commit(); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second change committed: %v, want ErrConflict", err)
	}
}

func TestErrorShape(t *testing.T) {
	tx := storetest.Begin(t)
	v := newVM(t, tx)
	// A ruleset that shadows Error still gets real errors.
	v.run(`var c = make("u1"); globalThis.Error = function () { return {fake: true} };`)
	got := v.json(`(() => { try { Consent.revoke(c._id) } catch (e) { return [String(e), e.name, e.type, e.statusCode, e.message, e.attributes.state, Object.keys(e)] } })()`)
	want := fmt.Sprintf(`["invalidConsentState: Consent.revoke: consent %[1]s is pending: revoke only applies to a given consent","invalidConsentState","invalidConsentState",409,"Consent.revoke: consent %[1]s is pending: revoke only applies to a given consent","pending",["name","type","statusCode","remediation","attributes"]]`,
		v.run(`c._id`))
	if got != want {
		t.Errorf("error:\n got %s\nwant %s", got, want)
	}
}
