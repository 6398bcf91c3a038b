package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func putRuleset(t *testing.T, b *Bolt, name, version, doc string, now time.Time) bool {
	t.Helper()
	created, err := b.PutRuleset(name, version, []byte(doc), now)
	if err != nil {
		t.Fatalf("PutRuleset(%s, %s): %v", name, version, err)
	}
	return created
}

func TestRulesetImmutable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubus.db")
	b, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { b.Close() }()
	doc := "{\n  \"name\": \"travel-insurance\",\n  \"version\": \"1.0.0\"\n}\n"
	if !putRuleset(t, b, "travel-insurance", "1.0.0", doc, t0) {
		t.Fatal("first put: created = false")
	}
	before := dump(t, b)
	beforeFile, _ := os.ReadFile(path)

	// The same bytes again: a no-op that keeps the first storedAt and writes nothing.
	if putRuleset(t, b, "travel-insurance", "1.0.0", doc, t0.Add(time.Hour)) {
		t.Error("identical re-put: created = true")
	}
	// Other content under the same version: refused, nothing written.
	_, err = b.PutRuleset("travel-insurance", "1.0.0", []byte(`{"name": "travel-insurance", "version": "1.0.0"}`), t0)
	if !errors.Is(err, ErrImmutable) {
		t.Fatalf("other content: err = %v, want ErrImmutable", err)
	}
	want := "ruleset travel-insurance 1.0.0 is already stored with other content: a stored version never changes; give the new content a new version"
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
	if after := dump(t, b); !reflect.DeepEqual(before, after) {
		t.Errorf("store changed:\nbefore %v\nafter  %v", before, after)
	}
	if afterFile, _ := os.ReadFile(path); !bytes.Equal(beforeFile, afterFile) {
		t.Error("the file changed: a no-op put or a refused one must not write")
	}

	// Across a reopen: the document comes back byte for byte (not re-encoded), with its stamp.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	got, v, err := b.GetRuleset("travel-insurance", "1.0.0")
	if err != nil || v != "1.0.0" || string(got) != doc {
		t.Fatalf("GetRuleset = %q, %q, %v", got, v, err)
	}
	vs, err := b.Versions("travel-insurance")
	if err != nil {
		t.Fatal(err)
	}
	if want := []RulesetVersion{{Version: "1.0.0", StoredAt: t0, Size: len(doc)}}; !reflect.DeepEqual(vs, want) {
		t.Errorf("Versions = %+v, want %+v", vs, want)
	}
	if _, err := b.PutRuleset("travel-insurance", "1.0.0", []byte(doc+" "), t0); !errors.Is(err, ErrImmutable) {
		t.Errorf("after reopen, other content: err = %v", err)
	}
}

func TestRulesetLatest(t *testing.T) {
	b := openTemp(t)
	for i, v := range []string{"1.9.0", "1.10.0", "1.2.3", "1.10.0-rc.1", "0.1.0"} {
		putRuleset(t, b, "pricing", v, `{"version": "`+v+`"}`, t0.Add(time.Duration(i)*time.Minute))
	}
	putRuleset(t, b, "pricing-extra", "9.0.0", `{}`, t0) // another name: not mixed in

	doc, v, err := b.GetRuleset("pricing", "")
	if err != nil || v != "1.10.0" || string(doc) != `{"version": "1.10.0"}` {
		t.Fatalf("latest = %s, %q, %v; want 1.10.0", doc, v, err)
	}
	doc, v, err = b.GetRuleset("pricing", "1.9.0")
	if err != nil || v != "1.9.0" || string(doc) != `{"version": "1.9.0"}` {
		t.Errorf("1.9.0 = %s, %q, %v", doc, v, err)
	}
	vs, err := b.Versions("pricing")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range vs {
		order = append(order, r.Version)
		if r.Size != len(`{"version": "`+r.Version+`"}`) || r.StoredAt.IsZero() || r.StoredAt.Location() != time.UTC {
			t.Errorf("%+v", r)
		}
	}
	if want := []string{"0.1.0", "1.2.3", "1.9.0", "1.10.0-rc.1", "1.10.0"}; !reflect.DeepEqual(order, want) {
		t.Errorf("Versions order = %v, want %v", order, want)
	}
}

func TestRulesetNotFound(t *testing.T) {
	b := openTemp(t)
	// Nothing stored at all (no "rulesets" bucket yet).
	if _, _, err := b.GetRuleset("travel-insurance", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty store, latest: %v", err)
	}
	if vs, err := b.Versions("travel-insurance"); err != nil || len(vs) != 0 {
		t.Errorf("empty store, Versions = %v, %v", vs, err)
	}
	putRuleset(t, b, "travel-insurance", "1.0.0", `{}`, t0)
	for _, c := range [][2]string{{"travel-insurance", "2.0.0"}, {"mortgage", ""}, {"mortgage", "1.0.0"}, {"", ""}} {
		if _, _, err := b.GetRuleset(c[0], c[1]); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetRuleset(%q, %q): err = %v, want ErrNotFound", c[0], c[1], err)
		}
	}
	if vs, err := b.Versions("mortgage"); err != nil || len(vs) != 0 {
		t.Errorf("Versions(mortgage) = %v, %v", vs, err)
	}
}

func TestRulesetValidation(t *testing.T) {
	b := openTemp(t)
	for _, c := range []struct{ name, version, doc, want string }{
		{"", "1.0.0", `{}`, "name"},
		{"x", "", `{}`, "version"},
		{"x", "1.0", `{"a": 1}`, "version"},
		{"x", "v1.0.0", `{}`, "version"},
		{"x", "1.0.0", `{"a": `, "not valid JSON"},
		{strings.Repeat("x", 40000), "1.0.0", `{}`, "name"},
	} {
		if _, err := b.PutRuleset(c.name, c.version, []byte(c.doc), t0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("PutRuleset(%.10q, %q, %q): err = %v, want %q", c.name, c.version, c.doc, err, c.want)
		}
	}
	if vs, _ := b.Versions("x"); len(vs) != 0 {
		t.Errorf("an invalid put stored %v", vs)
	}
}

// TestRulesetsOnDisk pins the layout the package doc promises: rulesets → name → version → a JSON
// header line and the document as given.
func TestRulesetsOnDisk(t *testing.T) {
	b := openTemp(t)
	doc := "{\"name\": \"a\"}\n"
	putRuleset(t, b, "a", "1.0.0", doc, t0)
	got := dump(t, b)["rulesets/a/1.0.0"]
	want := `{"storedAt":"2026-03-01T10:00:00.123456789Z","size":14}` + "\n" + doc
	if got != want {
		t.Errorf("stored value:\n got %q\nwant %q", got, want)
	}
	raw, err := os.ReadFile(b.Path())
	if err != nil || !bytes.Contains(raw, []byte(want)) {
		t.Errorf("the document is not in the file as given (%v)", err)
	}
}
