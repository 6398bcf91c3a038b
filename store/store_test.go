package store

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	person = Kind{Ruleset: "travel-insurance", Entity: "Person"}
	policy = Kind{Ruleset: "travel-insurance", Entity: "Policy"}
	t0     = time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
)

func openTemp(t testing.TB) *Bolt {
	t.Helper()
	b, err := Open(filepath.Join(t.TempDir(), "kubus.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// dump is the whole file as bucket path → value: what "the store is unchanged" means.
func dump(t testing.TB, b *Bolt) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(prefix string, bk *bolt.Bucket) error
	walk = func(prefix string, bk *bolt.Bucket) error {
		return bk.ForEach(func(k, v []byte) error {
			if v == nil {
				out[prefix+string(k)+"/"] = ""
				return walk(prefix+string(k)+"/", bk.Bucket(k))
			}
			out[prefix+string(k)] = string(v)
			return nil
		})
	}
	err := b.db.View(func(btx *bolt.Tx) error {
		return btx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			out[string(name)+"/"] = ""
			return walk(string(name)+"/", bk)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func save(t testing.TB, b *Bolt, k Kind, props map[string]any) *Record {
	t.Helper()
	tx := b.Begin()
	r, err := tx.Put(k, &Record{Props: props}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return r
}

func get(t testing.TB, b *Bolt, k Kind, id string) *Record {
	t.Helper()
	tx := b.Begin()
	defer tx.Discard()
	r, err := tx.Get(k, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return r
}

func TestPathFromEnv(t *testing.T) {
	t.Setenv(EnvVar, "")
	if got := PathFromEnv(""); got != DefaultPath {
		t.Errorf("default: %q", got)
	}
	t.Setenv(EnvVar, "/data/env.db")
	if got := PathFromEnv(""); got != "/data/env.db" {
		t.Errorf("env: %q", got)
	}
	if got := PathFromEnv("flag.db"); got != "flag.db" {
		t.Errorf("flag: %q", got)
	}
}

func TestOpenMissingFolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no-such-dir", "kubus.db")
	_, err := Open(p, Options{})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("want a clear error, got %v", err)
	}
	if _, statErr := os.Stat(filepath.Dir(p)); !os.IsNotExist(statErr) {
		t.Fatal("Open created the folder")
	}
}

func TestOpenNotAStore(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kubus.db")
	if err := os.WriteFile(p, []byte(strings.Repeat("not a bbolt file\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p, Options{}); err == nil {
		t.Fatal("opened a file that is not a store")
	}
}

func TestCRUD(t *testing.T) {
	b := openTemp(t)

	// create
	tx := b.Begin()
	r, err := tx.Put(person, &Record{Props: map[string]any{"name": "Ann", "age": 30}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == "" || r.Rev != 0 || !r.CreatedAt.Equal(t0) || !r.UpdatedAt.Equal(t0) {
		t.Fatalf("put returned %+v", r)
	}
	if r.Props["age"] != float64(30) {
		t.Fatalf("props are not JSON-shaped: %#v", r.Props)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got := get(t, b, person, r.ID)
	want := &Record{ID: r.ID, Rev: 1, CreatedAt: t0, UpdatedAt: t0, Props: map[string]any{"name": "Ann", "age": float64(30)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back\n got %+v\nwant %+v", got, want)
	}

	// update keeps CreatedAt, moves UpdatedAt, bumps Rev
	t1 := t0.Add(time.Hour)
	tx = b.Begin()
	cur, err := tx.Get(person, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur.Props["age"] = 31
	if _, err := tx.Put(person, cur, t1); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got = get(t, b, person, r.ID)
	if got.Rev != 2 || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t1) || got.Props["age"] != float64(31) {
		t.Fatalf("after update: %+v", got)
	}

	// delete
	tx = b.Begin()
	if err := tx.Delete(person, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx = b.Begin()
	if _, err := tx.Get(person, r.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := tx.Delete(person, r.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete of a deleted record: %v", err)
	}
	if _, err := tx.Get(Kind{"other", "Thing"}, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get in an unknown kind: %v", err)
	}
	tx.Discard()
}

func TestOnDiskLayout(t *testing.T) {
	b := openTemp(t)
	r := save(t, b, person, map[string]any{"name": "Ann"})
	d := dump(t, b)
	v, ok := d["entities/travel-insurance/Person/"+r.ID]
	if !ok {
		t.Fatalf("record not at entities/ruleset/entity/id: %v", d)
	}
	want := `{"id":"` + r.ID + `","rev":1,"createdAt":"2026-03-01T10:00:00.123456789Z","updatedAt":"2026-03-01T10:00:00.123456789Z","props":{"name":"Ann"}}`
	if v != want {
		t.Fatalf("stored\n %s\nwant\n %s", v, want)
	}
}

func TestIDsAreTimeOrdered(t *testing.T) {
	b := openTemp(t)
	tx := b.Begin()
	var ids []string
	for i := 0; i < 50; i++ {
		r, err := tx.Put(person, &Record{Props: map[string]any{"i": i}}, t0)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx = b.Begin()
	defer tx.Discard()
	recs, err := tx.Find(person, Query{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if r.ID != ids[i] || r.Props["i"] != float64(i) {
			t.Fatalf("record %d: id %s i %v: id order is not creation order", i, r.ID, r.Props["i"])
		}
	}
}

func TestOverlay(t *testing.T) {
	b := openTemp(t)
	ann := save(t, b, person, map[string]any{"name": "Ann", "age": 30})
	bob := save(t, b, person, map[string]any{"name": "Bob", "age": 40})

	tx := b.Begin()
	defer tx.Discard()
	// a new record is visible to Get, Find and Count of its own Tx
	cid, err := tx.Put(person, &Record{Props: map[string]any{"name": "Cid", "age": 50}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := tx.Get(person, cid.ID); err != nil || r.Props["name"] != "Cid" {
		t.Fatalf("own new record: %v %v", r, err)
	}
	// an update is visible
	a, _ := tx.Get(person, ann.ID)
	a.Props["age"] = 35
	if _, err := tx.Put(person, a, t0); err != nil {
		t.Fatal(err)
	}
	// a delete hides
	if err := tx.Delete(person, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Get(person, bob.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted record still visible: %v", err)
	}
	recs, err := tx.Find(person, Query{Sort: []string{"name"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range recs {
		names = append(names, r.Props["name"].(string))
	}
	if !reflect.DeepEqual(names, []string{"Ann", "Cid"}) {
		t.Fatalf("find sees %v", names)
	}
	if recs[0].Props["age"] != float64(35) {
		t.Fatalf("find sees stale Ann: %v", recs[0].Props)
	}
	n, err := tx.Count(person, map[string]any{"age": map[string]any{"$gte": 35}})
	if err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want 2", n, err)
	}
	// changing a returned record does not change the buffer
	recs[0].Props["age"] = 99
	if r, _ := tx.Get(person, ann.ID); r.Props["age"] != float64(35) {
		t.Fatal("the buffer shares maps with returned records")
	}
	// nothing of it is in the store yet
	other := b.Begin()
	defer other.Discard()
	if n, _ := other.Count(person, nil); n != 2 {
		t.Fatalf("another Tx sees %d records, want 2", n)
	}
	if r, _ := other.Get(person, ann.ID); r.Props["age"] != float64(30) {
		t.Fatal("another Tx sees an uncommitted write")
	}
	// delete then put again resurrects; delete of a buffered new record drops it
	if err := tx.Delete(person, cid.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := tx.Count(person, nil); n != 1 {
		t.Fatalf("count after deleting own new record = %d", n)
	}
}

func TestDiscardLeavesStoreUnchanged(t *testing.T) {
	b := openTemp(t)
	ann := save(t, b, person, map[string]any{"name": "Ann"})
	bob := save(t, b, person, map[string]any{"name": "Bob"})
	before := dump(t, b)

	tx := b.Begin()
	if _, err := tx.Put(person, &Record{Props: map[string]any{"name": "Cid"}}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Put(policy, &Record{Props: map[string]any{"n": 1}}, t0); err != nil {
		t.Fatal(err)
	}
	a, _ := tx.Get(person, ann.ID)
	a.Props["name"] = "Anne"
	if _, err := tx.Put(person, a, t0); err != nil {
		t.Fatal(err)
	}
	if err := tx.Delete(person, bob.ID); err != nil {
		t.Fatal(err)
	}
	tx.Discard()
	tx.Discard() // twice is fine

	if after := dump(t, b); !reflect.DeepEqual(before, after) {
		t.Fatalf("Discard changed the store\nbefore %v\nafter  %v", before, after)
	}
	if _, err := tx.Put(person, &Record{}, t0); !errors.Is(err, ErrTxDone) {
		t.Fatalf("put after discard: %v", err)
	}
	if err := tx.Commit(); !errors.Is(err, ErrTxDone) {
		t.Fatalf("commit after discard: %v", err)
	}
}

func TestCommitAtomicity(t *testing.T) {
	cases := []struct {
		name string
		// fail makes the commit of tx fail; it may use a second Tx.
		fail    func(t *testing.T, b *Bolt, tx Tx, ann *Record)
		wantErr error
	}{
		{
			name: "conflict on the last record written",
			fail: func(t *testing.T, b *Bolt, tx Tx, ann *Record) {
				// tx read Ann (in setup); someone else changes her now.
				o := b.Begin()
				r, _ := o.Get(person, ann.ID)
				r.Props["name"] = "Ann (other)"
				if _, err := o.Put(person, r, t0); err != nil {
					t.Fatal(err)
				}
				if err := o.Commit(); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: ErrConflict,
		},
		{
			name: "storage error half-way through the write transaction",
			fail: func(t *testing.T, b *Bolt, tx Tx, ann *Record) {
				b.commitHook = func(written int) error {
					if written == 3 {
						return errors.New("disk on fire")
					}
					return nil
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := openTemp(t)
			ann := save(t, b, person, map[string]any{"name": "Ann"})
			bob := save(t, b, person, map[string]any{"name": "Bob"})

			tx := b.Begin()
			for i := 0; i < 3; i++ {
				if _, err := tx.Put(policy, &Record{Props: map[string]any{"n": i}}, t0); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Delete(person, bob.ID); err != nil {
				t.Fatal(err)
			}
			a, _ := tx.Get(person, ann.ID)
			a.Props["name"] = "Ann (tx)"
			if _, err := tx.Put(person, a, t0); err != nil {
				t.Fatal(err)
			}
			// a write that fails validation is refused at Put and buffers nothing
			if _, err := tx.Put(person, &Record{Props: map[string]any{"x": math.NaN()}}, t0); err == nil {
				t.Fatal("NaN accepted")
			}
			tc.fail(t, b, tx, ann)
			before := dump(t, b)

			err := tx.Commit()
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("commit: %v, want %v", err, tc.wantErr)
			}
			if after := dump(t, b); !reflect.DeepEqual(before, after) {
				t.Fatalf("a failed commit wrote something\nbefore %v\nafter  %v", before, after)
			}
			b.commitHook = nil
			if n, _ := b.Begin().Count(policy, nil); n != 0 {
				t.Fatalf("%d policies written", n)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	b := openTemp(t)
	tx := b.Begin()
	defer tx.Discard()
	bad := []struct {
		name string
		k    Kind
		r    *Record
	}{
		{"NaN", person, &Record{Props: map[string]any{"x": math.NaN()}}},
		{"Inf", person, &Record{Props: map[string]any{"x": math.Inf(1)}}},
		{"func", person, &Record{Props: map[string]any{"f": func() {}}}},
		{"channel", person, &Record{Props: map[string]any{"c": make(chan int)}}},
		{"empty ruleset", Kind{"", "Person"}, &Record{}},
		{"empty entity", Kind{"rs", ""}, &Record{}},
		{"nil record", person, nil},
	}
	for _, c := range bad {
		if _, err := tx.Put(c.k, c.r, t0); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if n, _ := tx.Count(person, nil); n != 0 {
		t.Fatalf("a refused Put was buffered: %d", n)
	}
}

// TestConflicts pins the optimistic-concurrency rule: a record the Tx read and then wrote must
// still be at the revision the Tx first read; a write to a record the Tx never read is blind.
func TestConflicts(t *testing.T) {
	type setup struct {
		b   *Bolt
		ann *Record
	}
	// other commits a change to Ann from another Tx.
	other := func(t *testing.T, s setup, del bool) {
		o := s.b.Begin()
		if del {
			if err := o.Delete(person, s.ann.ID); err != nil {
				t.Fatal(err)
			}
		} else {
			r, _ := o.Get(person, s.ann.ID)
			r.Props["by"] = "other"
			if _, err := o.Put(person, r, t0); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		run  func(t *testing.T, s setup, tx Tx)
		want error
	}{
		{"get, other updates, put", func(t *testing.T, s setup, tx Tx) {
			r, _ := tx.Get(person, s.ann.ID)
			other(t, s, false)
			tx.Put(person, r, t0)
		}, ErrConflict},
		{"get, other deletes, put", func(t *testing.T, s setup, tx Tx) {
			r, _ := tx.Get(person, s.ann.ID)
			other(t, s, true)
			tx.Put(person, r, t0)
		}, ErrConflict},
		{"get, other updates, delete", func(t *testing.T, s setup, tx Tx) {
			tx.Get(person, s.ann.ID)
			other(t, s, false)
			if err := tx.Delete(person, s.ann.ID); err != nil {
				t.Fatal(err)
			}
		}, ErrConflict},
		{"delete (reads), other updates", func(t *testing.T, s setup, tx Tx) {
			if err := tx.Delete(person, s.ann.ID); err != nil {
				t.Fatal(err)
			}
			other(t, s, false)
		}, ErrConflict},
		{"find, other updates, put", func(t *testing.T, s setup, tx Tx) {
			recs, _ := tx.Find(person, Query{Filter: map[string]any{"name": "Ann"}})
			other(t, s, false)
			tx.Put(person, recs[0], t0)
		}, ErrConflict},
		{"sorted find with own new record first, other updates, put", func(t *testing.T, s setup, tx Tx) {
			tx.Put(person, &Record{Props: map[string]any{"name": "Aaron"}}, t0)
			tx.Put(person, &Record{Props: map[string]any{"name": "Abe"}}, t0)
			recs, _ := tx.Find(person, Query{Sort: []string{"name"}})
			other(t, s, false)
			tx.Put(person, recs[2], t0) // Ann, read by the Find
		}, ErrConflict},
		{"count, other updates, blind put", func(t *testing.T, s setup, tx Tx) {
			tx.Count(person, map[string]any{"name": "Ann"})
			other(t, s, false)
			tx.Put(person, &Record{ID: s.ann.ID, Props: map[string]any{"name": "Ann"}}, t0)
		}, ErrConflict},
		{"get, other updates, get again, put: first read counts", func(t *testing.T, s setup, tx Tx) {
			tx.Get(person, s.ann.ID)
			other(t, s, false)
			r, _ := tx.Get(person, s.ann.ID)
			tx.Put(person, r, t0)
		}, ErrConflict},
		{"get absent, other creates, put", func(t *testing.T, s setup, tx Tx) {
			const id = "0190f0a0-0000-7000-8000-000000000001"
			if _, err := tx.Get(person, id); !errors.Is(err, ErrNotFound) {
				t.Fatal(err)
			}
			o := s.b.Begin()
			o.Put(person, &Record{ID: id, Props: map[string]any{"by": "other"}}, t0)
			if err := o.Commit(); err != nil {
				t.Fatal(err)
			}
			tx.Put(person, &Record{ID: id, Props: map[string]any{"by": "tx"}}, t0)
		}, ErrConflict},
		{"blind put (never read) applies", func(t *testing.T, s setup, tx Tx) {
			other(t, s, false)
			tx.Put(person, &Record{ID: s.ann.ID, Props: map[string]any{"name": "Blind"}}, t0)
		}, nil},
		{"read only, other updates: no write, no conflict", func(t *testing.T, s setup, tx Tx) {
			tx.Get(person, s.ann.ID)
			other(t, s, false)
			tx.Put(person, &Record{Props: map[string]any{"name": "New"}}, t0)
		}, nil},
		{"get, put, nobody else", func(t *testing.T, s setup, tx Tx) {
			r, _ := tx.Get(person, s.ann.ID)
			tx.Put(person, r, t0)
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := openTemp(t)
			s := setup{b: b, ann: save(t, b, person, map[string]any{"name": "Ann"})}
			tx := b.Begin()
			tc.run(t, s, tx)
			if err := tx.Commit(); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("commit: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestBlindWriteKeepsCreatedAt(t *testing.T) {
	b := openTemp(t)
	ann := save(t, b, person, map[string]any{"name": "Ann"})
	tx := b.Begin()
	t1 := t0.Add(time.Hour)
	r, err := tx.Put(person, &Record{ID: ann.ID, Props: map[string]any{"name": "Anne"}}, t1)
	if err != nil {
		t.Fatal(err)
	}
	if !r.CreatedAt.Equal(t0) || r.Rev != 1 {
		t.Fatalf("put returned %+v", r)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got := get(t, b, person, ann.ID)
	if got.Rev != 2 || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t1) || got.Props["name"] != "Anne" {
		t.Fatalf("after blind write: %+v", got)
	}
}

// TestConcurrentIncrements: 8 goroutines × 200 read-modify-write increments of one counter, each
// retried on ErrConflict as the engine does. No update may be lost.
func TestConcurrentIncrements(t *testing.T) {
	b := openTemp(t)
	counter := save(t, b, Kind{"rs", "Counter"}, map[string]any{"n": 0})
	k := Kind{"rs", "Counter"}
	const workers, each = 8, 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	conflicts := 0
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				for {
					tx := b.Begin()
					r, err := tx.Get(k, counter.ID)
					if err != nil {
						errs <- err
						return
					}
					r.Props["n"] = r.Props["n"].(float64) + 1
					if _, err := tx.Put(k, r, time.Now()); err != nil {
						errs <- err
						return
					}
					err = tx.Commit()
					if err == nil {
						break
					}
					if !errors.Is(err, ErrConflict) {
						errs <- err
						return
					}
					mu.Lock()
					conflicts++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := get(t, b, k, counter.ID)
	if got.Props["n"] != float64(workers*each) || got.Rev != workers*each+1 {
		t.Fatalf("counter n=%v rev=%d, want %d and %d", got.Props["n"], got.Rev, workers*each, workers*each+1)
	}
	t.Logf("%d increments, %d conflicts retried", workers*each, conflicts)
}

// TestNothingDropped: a record saved with {a, b} (say by a newer ruleset version) reads back with
// both, and a caller that only knows a and passes back the map it read keeps b.
func TestNothingDropped(t *testing.T) {
	b := openTemp(t)
	r := save(t, b, person, map[string]any{"a": 1, "b": map[string]any{"nested": []any{"x", true, nil}}})

	tx := b.Begin()
	got, err := tx.Get(person, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.Props["a"] = 2 // the caller touches only what it knows
	if _, err := tx.Put(person, got, t0); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": float64(2), "b": map[string]any{"nested": []any{"x", true, nil}}}
	if got := get(t, b, person, r.ID).Props; !reflect.DeepEqual(got, want) {
		t.Fatalf("props %v, want %v", got, want)
	}
	tx = b.Begin()
	defer tx.Discard()
	recs, _ := tx.Find(person, Query{Filter: map[string]any{"a": 2}})
	if len(recs) != 1 || !reflect.DeepEqual(recs[0].Props, want) {
		t.Fatalf("find: %v", recs)
	}
}

func TestCommitTwice(t *testing.T) {
	b := openTemp(t)
	tx := b.Begin()
	if err := tx.Commit(); err != nil {
		t.Fatalf("empty commit: %v", err)
	}
	if err := tx.Commit(); !errors.Is(err, ErrTxDone) {
		t.Fatalf("second commit: %v", err)
	}
	if _, err := tx.Get(person, "x"); !errors.Is(err, ErrTxDone) {
		t.Fatalf("get after commit: %v", err)
	}
	tx.Discard()
}

// TestGroupCommit commits from many goroutines at once: commits that arrive while one is written
// share a bbolt transaction, each is checked on its own (read-modify-writes of one counter lose no
// increment; a conflict in the group leaves the others written), and a lone commit still commits.
func TestGroupCommit(t *testing.T) {
	b := openTemp(t)
	counter := Kind{Ruleset: "g", Entity: "Counter"}
	tx := b.Begin()
	if _, err := tx.Put(counter, &Record{ID: "c", Props: map[string]any{"n": 0}}, t0); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	before := b.groups.Load()
	const workers, each = 16, 20
	var wg sync.WaitGroup
	var conflicts atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// One increment of the shared counter (retried on conflict) and one record of its own.
				for {
					tx := b.Begin()
					rec, err := tx.Get(counter, "c")
					if err != nil {
						t.Error(err)
						return
					}
					rec.Props["n"] = rec.Props["n"].(float64) + 1
					if _, err := tx.Put(counter, rec, t0); err != nil {
						t.Error(err)
						return
					}
					if _, err := tx.Put(Kind{Ruleset: "g", Entity: "Own"}, &Record{ID: fmt.Sprintf("%d-%d", w, i), Props: map[string]any{}}, t0); err != nil {
						t.Error(err)
						return
					}
					err = tx.Commit()
					if err == nil {
						break
					}
					if !errors.Is(err, ErrConflict) {
						t.Error(err)
						return
					}
					conflicts.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	tx = b.Begin()
	defer tx.Discard()
	rec, _ := tx.Get(counter, "c")
	if got := rec.Props["n"].(float64); got != workers*each {
		t.Errorf("counter %v, want %d (lost updates)", got, workers*each)
	}
	if n, _ := tx.Count(Kind{Ruleset: "g", Entity: "Own"}, nil); n != workers*each {
		t.Errorf("%d own records, want %d", n, workers*each)
	}
	commits := workers*each + conflicts.Load()
	groups := b.groups.Load() - before
	t.Logf("%d commits (%d conflicts) in %d bbolt transactions", commits, conflicts.Load(), groups)
	if groups >= commits {
		t.Errorf("no commits were grouped: %d transactions for %d commits", groups, commits)
	}
}
