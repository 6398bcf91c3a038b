package store

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// people is the data set of the query tests, saved in this order (so id order is this order).
var people = []map[string]any{
	{"name": "Ann", "age": 30, "city": "Utrecht", "active": true, "born": "1995-04-12", "tags": []any{"a"}},
	{"name": "Bob", "age": 42.5, "city": "Amsterdam", "active": false, "born": "1983-11-02"},
	{"name": "Cid", "age": 30, "city": "utrecht", "active": true, "born": "1995-01-30", "note": nil},
	{"name": "Dee", "city": "Zwolle", "born": "2001-07-07"},
	{"name": "Eve", "age": "unknown", "active": true},
	{"name": "Fay", "age": 19, "city": "Amsterdam", "active": false, "born": "2006-12-31", "tags": []any{"a", "b"}},
}

func seedPeople(t testing.TB) (*Bolt, map[string]string) {
	t.Helper()
	b := openTemp(t)
	idOf := map[string]string{}
	for i, p := range people {
		tx := b.Begin()
		r, err := tx.Put(person, &Record{Props: p}, t0.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		idOf[p["name"].(string)] = r.ID
	}
	return b, idOf
}

func names(recs []*Record) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.Props["name"].(string))
	}
	return out
}

func TestFilter(t *testing.T) {
	b, idOf := seedPeople(t)
	cases := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"all", nil, []string{"Ann", "Bob", "Cid", "Dee", "Eve", "Fay"}},
		{"string eq", map[string]any{"city": "Amsterdam"}, []string{"Bob", "Fay"}},
		{"string eq is case sensitive", map[string]any{"city": "Utrecht"}, []string{"Ann"}},
		{"int equals stored number", map[string]any{"age": 30}, []string{"Ann", "Cid"}},
		{"float eq", map[string]any{"age": 42.5}, []string{"Bob"}},
		{"bool eq", map[string]any{"active": false}, []string{"Bob", "Fay"}},
		{"nil matches null and missing", map[string]any{"note": nil}, []string{"Ann", "Bob", "Cid", "Dee", "Eve", "Fay"}},
		{"nil matches missing", map[string]any{"active": nil}, []string{"Dee"}},
		{"array eq", map[string]any{"tags": []string{"a", "b"}}, []string{"Fay"}},
		{"two conditions", map[string]any{"age": 30, "active": true}, []string{"Ann", "Cid"}},
		{"$gt number", map[string]any{"age": map[string]any{"$gt": 30}}, []string{"Bob"}},
		{"$gte number", map[string]any{"age": map[string]any{"$gte": 30}}, []string{"Ann", "Bob", "Cid"}},
		{"$lt number skips strings and missing", map[string]any{"age": map[string]any{"$lt": 30}}, []string{"Fay"}},
		{"$lte number", map[string]any{"age": map[string]any{"$lte": 30}}, []string{"Ann", "Cid", "Fay"}},
		{"range", map[string]any{"age": map[string]any{"$gt": 18, "$lt": 40}}, []string{"Ann", "Cid", "Fay"}},
		{"$gt string lexical", map[string]any{"name": map[string]any{"$gt": "Cid"}}, []string{"Dee", "Eve", "Fay"}},
		{"$gte string vs number operand", map[string]any{"age": map[string]any{"$gte": "a"}}, []string{"Eve"}},
		{"date strings compare chronologically", map[string]any{"born": map[string]any{"$gte": "1995-01-30", "$lt": "2001-07-07"}}, []string{"Ann", "Cid"}},
		{"$ne", map[string]any{"city": map[string]any{"$ne": "Amsterdam"}}, []string{"Ann", "Cid", "Dee", "Eve"}},
		{"$ne nil: present and not null", map[string]any{"age": map[string]any{"$ne": nil}}, []string{"Ann", "Bob", "Cid", "Eve", "Fay"}},
		{"$in", map[string]any{"city": map[string]any{"$in": []any{"Zwolle", "Utrecht"}}}, []string{"Ann", "Dee"}},
		{"$in typed list of numbers", map[string]any{"age": map[string]any{"$in": []int{19, 30}}}, []string{"Ann", "Cid", "Fay"}},
		{"$in with nil", map[string]any{"age": map[string]any{"$in": []any{nil, "unknown"}}}, []string{"Dee", "Eve"}},
		{"_id eq", map[string]any{"_id": idOf["Cid"]}, []string{"Cid"}},
		{"_id $gt (created after)", map[string]any{"_id": map[string]any{"$gt": idOf["Dee"]}}, []string{"Eve", "Fay"}},
		{"_createdAt $gte time", map[string]any{"_createdAt": map[string]any{"$gte": t0.Add(4 * time.Hour)}}, []string{"Eve", "Fay"}},
		{"_createdAt $lt RFC 3339", map[string]any{"_createdAt": map[string]any{"$lt": "2026-03-01T11:00:00.123456789Z"}}, []string{"Ann"}},
		{"_updatedAt $gte date", map[string]any{"_updatedAt": map[string]any{"$gte": "2026-03-01"}}, []string{"Ann", "Bob", "Cid", "Dee", "Eve", "Fay"}},
		{"_createdAt eq", map[string]any{"_createdAt": t0.Add(time.Hour)}, []string{"Bob"}},
		{"no match", map[string]any{"city": "Paris"}, []string{}},
	}
	tx := b.Begin()
	defer tx.Discard()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := tx.Find(person, Query{Filter: tc.filter})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(recs); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("find %v = %v, want %v", tc.filter, got, tc.want)
			}
			n, err := tx.Count(person, tc.filter)
			if err != nil || n != len(tc.want) {
				t.Fatalf("count = %d, %v, want %d", n, err, len(tc.want))
			}
		})
	}
}

func TestFilterErrors(t *testing.T) {
	b := openTemp(t) // errors come before any record is read, even on an empty store
	cases := []struct {
		name   string
		filter map[string]any
		want   string
	}{
		{"unknown operator", map[string]any{"age": map[string]any{"$regex": "x"}}, "unknown operator $regex"},
		{"operators mixed with keys", map[string]any{"age": map[string]any{"$gt": 1, "x": 2}}, "mixed with operators"},
		{"$in without a list", map[string]any{"age": map[string]any{"$in": 3}}, "$in needs a list"},
		{"$gt on a bool", map[string]any{"age": map[string]any{"$gt": true}}, "needs a number, a string or a time"},
		{"_createdAt not a time", map[string]any{"_createdAt": "yesterday"}, "neither an RFC 3339 time"},
		{"_id not a string", map[string]any{"_id": 3}, "_id is a string"},
		{"empty property", map[string]any{"": 1}, "empty property name"},
	}
	tx := b.Begin()
	defer tx.Discard()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tx.Find(person, Query{Filter: tc.filter})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("find: %v, want an error with %q", err, tc.want)
			}
			if _, err := tx.Count(person, tc.filter); err == nil {
				t.Fatal("count accepted it")
			}
		})
	}
	if _, err := tx.Find(person, Query{Sort: []string{"-"}}); err == nil {
		t.Fatal("empty sort key accepted")
	}
	if _, err := tx.Find(person, Query{Limit: -1}); err == nil {
		t.Fatal("negative limit accepted")
	}
}

func TestSortLimit(t *testing.T) {
	b, _ := seedPeople(t)
	cases := []struct {
		name string
		q    Query
		want []string
	}{
		{"name asc", Query{Sort: []string{"name"}}, []string{"Ann", "Bob", "Cid", "Dee", "Eve", "Fay"}},
		{"name desc", Query{Sort: []string{"-name"}}, []string{"Fay", "Eve", "Dee", "Cid", "Bob", "Ann"}},
		// numbers before strings, missing last, ties (Ann, Cid at 30) in id order
		{"age asc", Query{Sort: []string{"age"}}, []string{"Fay", "Ann", "Cid", "Bob", "Eve", "Dee"}},
		{"age desc: missing still last, ties still id order", Query{Sort: []string{"-age"}}, []string{"Eve", "Bob", "Ann", "Cid", "Fay", "Dee"}},
		{"city then -name", Query{Sort: []string{"city", "-name"}}, []string{"Fay", "Bob", "Ann", "Dee", "Cid", "Eve"}},
		{"born (dates) desc", Query{Sort: []string{"-born"}}, []string{"Fay", "Dee", "Ann", "Cid", "Bob", "Eve"}},
		{"bool", Query{Sort: []string{"active"}}, []string{"Bob", "Fay", "Ann", "Cid", "Eve", "Dee"}},
		{"_createdAt desc", Query{Sort: []string{"-_createdAt"}}, []string{"Fay", "Eve", "Dee", "Cid", "Bob", "Ann"}},
		{"-_id", Query{Sort: []string{"-_id"}}, []string{"Fay", "Eve", "Dee", "Cid", "Bob", "Ann"}},
		{"limit, id order", Query{Limit: 2}, []string{"Ann", "Bob"}},
		{"limit with filter, id order", Query{Filter: map[string]any{"active": true}, Limit: 2}, []string{"Ann", "Cid"}},
		{"limit after sort", Query{Sort: []string{"-age"}, Limit: 3}, []string{"Eve", "Bob", "Ann"}},
		{"limit larger than result", Query{Filter: map[string]any{"city": "Zwolle"}, Limit: 10}, []string{"Dee"}},
	}
	tx := b.Begin()
	defer tx.Discard()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := tx.Find(person, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(recs); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLimitWithOverlay: the scan stops early when there is a Limit and no Sort; buffered records
// (with ids anywhere in the order) and tombstones must still come out right.
func TestLimitWithOverlay(t *testing.T) {
	b, idOf := seedPeople(t)
	tx := b.Begin()
	defer tx.Discard()
	// an explicit id that sorts before all generated ones
	if _, err := tx.Put(person, &Record{ID: "0000", Props: map[string]any{"name": "Aaa"}}, t0); err != nil {
		t.Fatal(err)
	}
	if err := tx.Delete(person, idOf["Bob"]); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Put(person, &Record{Props: map[string]any{"name": "Zed"}}, t0); err != nil {
		t.Fatal(err)
	}
	recs, err := tx.Find(person, Query{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(recs), []string{"Aaa", "Ann", "Cid"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	recs, _ = tx.Find(person, Query{Sort: []string{"-name"}, Limit: 2})
	if got, want := names(recs), []string{"Zed", "Fay"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestIDRange(t *testing.T) {
	b := openTemp(t)
	tx := b.Begin()
	for _, id := range []string{"a-1", "a-2", "a-3", "b-1", "c-1"} {
		if _, err := tx.Put(person, &Record{ID: id, Props: map[string]any{"name": id}}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx = b.Begin()
	defer tx.Discard()
	// A buffered record inside the range and one outside it; a buffered delete hides a stored one.
	if _, err := tx.Put(person, &Record{ID: "a-25", Props: map[string]any{"name": "a-25"}}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Put(person, &Record{ID: "d-1", Props: map[string]any{"name": "d-1"}}, t0); err != nil {
		t.Fatal(err)
	}
	if err := tx.Delete(person, "a-3"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    Query
		want []string
	}{
		{Query{IDFrom: "a-", IDTo: "a.", Limit: 0}, []string{"a-1", "a-2", "a-25"}},
		{Query{IDFrom: "a-2", IDTo: "c"}, []string{"a-2", "a-25", "b-1"}},
		{Query{IDFrom: "b"}, []string{"b-1", "c-1", "d-1"}},
		{Query{IDTo: "a-2"}, []string{"a-1"}},
		{Query{IDFrom: "a", Limit: 2}, []string{"a-1", "a-2"}},
		{Query{IDFrom: "x"}, []string{}},
	} {
		recs, err := tx.Find(person, c.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(recs); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: got %v, want %v", c.q, got, c.want)
		}
	}
}
