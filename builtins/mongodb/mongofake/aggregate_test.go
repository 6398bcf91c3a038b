package mongofake

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func salesSeed() Seed {
	s := seedOf("sales",
		`{"_id": 1, "item": "a", "qty": 2, "price": 10, "tags": ["x", "y"], "cat": "A"}`,
		`{"_id": 2, "item": "b", "qty": 1, "price": 20, "tags": ["y"], "cat": "B"}`,
		`{"_id": 3, "item": "c", "qty": 5, "price": {"$numberDecimal": "1.5"}, "tags": [], "cat": "A"}`,
		`{"_id": 4, "item": "d", "qty": 3, "cat": "B"}`,
	)
	s["t"]["cats"] = []any{j(`{"_id": "A", "name": "Alpha"}`), j(`{"_id": "B", "name": "Beta"}`)}
	return s
}

func TestAggregate(t *testing.T) {
	s, db := startDB(t, salesSeed())
	c := db.Collection("sales")
	tests := []struct {
		name     string
		pipeline string
		want     string
		code     int
	}{
		{name: "match project", pipeline: `[{"$match": {"cat": "A"}}, {"$project": {"_id": 0, "item": 1}}]`,
			want: `[{"item": "a"}, {"item": "c"}]`},
		{name: "sort limit", pipeline: `[{"$sort": {"qty": -1}}, {"$limit": 2}, {"$project": {"qty": 1}}]`,
			want: `[{"_id": 3, "qty": 5}, {"_id": 4, "qty": 3}]`},
		{name: "skip", pipeline: `[{"$skip": 3}, {"$project": {"item": 1}}]`, want: `[{"_id": 4, "item": "d"}]`},
		{name: "multi-key sort", pipeline: `[{"$sort": {"cat": 1, "qty": -1}}, {"$project": {"_id": 1}}]`,
			want: `[{"_id": 3}, {"_id": 1}, {"_id": 4}, {"_id": 2}]`},
		{name: "group accumulators", pipeline: `[{"$group": {"_id": "$cat", "n": {"$sum": 1}, "q": {"$sum": "$qty"},
			"avg": {"$avg": "$qty"}, "mn": {"$min": "$qty"}, "mx": {"$max": "$qty"}, "f": {"$first": "$item"},
			"l": {"$last": "$item"}, "items": {"$push": "$item"}, "cats": {"$addToSet": "$cat"}, "c": {"$count": {}}}},
			{"$sort": {"_id": 1}}]`,
			want: `[{"_id": "A", "n": 2, "q": 7, "avg": 3.5, "mn": 2, "mx": 5, "f": "a", "l": "c", "items": ["a", "c"], "cats": ["A"], "c": 2},
				{"_id": "B", "n": 2, "q": 4, "avg": 2.0, "mn": 1, "mx": 3, "f": "b", "l": "d", "items": ["b", "d"], "cats": ["B"], "c": 2}]`},
		// qty*price is null for the document without price, which $sum ignores.
		{name: "group null decimal sum", pipeline: `[{"$group": {"_id": null, "total": {"$sum": {"$multiply": ["$qty", "$price"]}}}}]`,
			want: `[{"_id": null, "total": {"$numberDecimal": "47.5"}}]`},
		{name: "group object id", pipeline: `[{"$group": {"_id": {"c": "$cat"}, "n": {"$sum": 1}}}, {"$sort": {"_id.c": -1}}]`,
			want: `[{"_id": {"c": "B"}, "n": 2}, {"_id": {"c": "A"}, "n": 2}]`},
		{name: "group constant id", pipeline: `[{"$group": {"_id": 1, "n": {"$sum": 1}}}]`, want: `[{"_id": 1, "n": 4}]`},
		{name: "group min of missing", pipeline: `[{"$group": {"_id": null, "m": {"$min": "$nope"}, "p": {"$push": "$nope"}, "a": {"$avg": "$nope"}}}]`,
			want: `[{"_id": null, "m": null, "p": [], "a": null}]`},
		{name: "unwind", pipeline: `[{"$unwind": "$tags"}, {"$project": {"tags": 1}}]`,
			want: `[{"_id": 1, "tags": "x"}, {"_id": 1, "tags": "y"}, {"_id": 2, "tags": "y"}]`},
		{name: "unwind preserve", pipeline: `[{"$unwind": {"path": "$tags", "preserveNullAndEmptyArrays": true, "includeArrayIndex": "i"}}, {"$project": {"tags": 1, "i": 1}}]`,
			want: `[{"_id": 1, "tags": "x", "i": {"$numberLong": "0"}}, {"_id": 1, "tags": "y", "i": {"$numberLong": "1"}},
				{"_id": 2, "tags": "y", "i": {"$numberLong": "0"}}, {"_id": 3, "i": null}, {"_id": 4, "i": null}]`},
		{name: "unwind scalar", pipeline: `[{"$match": {"_id": 2}}, {"$unwind": "$item"}, {"$project": {"item": 1}}]`,
			want: `[{"_id": 2, "item": "b"}]`},
		{name: "count", pipeline: `[{"$count": "n"}]`, want: `[{"n": 4}]`},
		{name: "count none", pipeline: `[{"$match": {"cat": "Z"}}, {"$count": "n"}]`, want: `[]`},
		{name: "addFields", pipeline: `[{"$addFields": {"total": {"$multiply": ["$qty", 2]}, "x.y": 1}}, {"$project": {"total": 1, "x": 1}}, {"$limit": 2}]`,
			want: `[{"_id": 1, "total": 4, "x": {"y": 1}}, {"_id": 2, "total": 2, "x": {"y": 1}}]`},
		{name: "set merges sub-documents", pipeline: `[{"$limit": 1}, {"$set": {"o": {"p": 1}}}, {"$set": {"o": {"q": 2}}}, {"$project": {"o": 1}}]`,
			want: `[{"_id": 1, "o": {"p": 1, "q": 2}}]`},
		{name: "set REMOVE and unset", pipeline: `[{"$set": {"qty": "$$REMOVE"}}, {"$unset": ["tags", "price", "cat", "item"]}]`,
			want: `[{"_id": 1}, {"_id": 2}, {"_id": 3}, {"_id": 4}]`},
		{name: "lookup", pipeline: `[{"$lookup": {"from": "cats", "localField": "cat", "foreignField": "_id", "as": "c"}}, {"$project": {"c.name": 1}}, {"$limit": 2}]`,
			want: `[{"_id": 1, "c": [{"name": "Alpha"}]}, {"_id": 2, "c": [{"name": "Beta"}]}]`},
		{name: "replaceRoot", pipeline: `[{"$replaceRoot": {"newRoot": {"x": "$item"}}}, {"$limit": 1}]`, want: `[{"x": "a"}]`},
		{name: "replaceWith", pipeline: `[{"$replaceWith": {"x": "$qty"}}, {"$skip": 3}]`, want: `[{"x": 3}]`},
		{name: "unknown stage", pipeline: `[{"$facet": {}}]`, code: 238},
		{name: "out", pipeline: `[{"$out": "x"}]`, code: 238},
		{name: "lookup pipeline", pipeline: `[{"$lookup": {"from": "cats", "pipeline": [], "as": "c"}}]`, code: 238},
		{name: "bad accumulator", pipeline: `[{"$group": {"_id": 1, "x": {"$stdDevPop": "$qty"}}}]`, code: 238},
		{name: "two keys", pipeline: `[{"$match": {}, "$limit": 1}]`, code: 40323},
		{name: "group without _id", pipeline: `[{"$group": {"n": {"$sum": 1}}}]`, code: 15955},
		{name: "limit zero", pipeline: `[{"$limit": 0}]`, code: 15958},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := aggJSON(t, c, ja(tt.pipeline))
			if tt.code != 0 {
				if errCode(err) != tt.code {
					t.Fatalf("err %v, want code %d", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := normJSON(tt.want); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	for _, want := range []string{"aggregation stage $facet", "aggregation stage $out", "$lookup with pipeline", "$group accumulator $stdDevPop"} {
		if !slices.Contains(s.Unsupported(), want) {
			t.Errorf("Unsupported() = %q, missing %q", s.Unsupported(), want)
		}
	}
}

func TestExpressions(t *testing.T) {
	_, db := startDB(t, seedOf("c", `{"_id": 1, "a": 5, "b": 2, "s": "Hello", "arr": [1, 2, 3], "n": null,
		"d": {"$date": "2024-01-01T00:00:00Z"}, "dec": {"$numberDecimal": "2.5"},
		"big": {"$numberLong": "9223372036854775807"}, "i32max": 2147483647, "docs": [{"k": 1}, {"k": 2}]}`))
	c := db.Collection("c")
	tests := []struct {
		expr string
		want string
		code int
	}{
		{expr: `"$a"`, want: `5`},
		{expr: `"$docs.k"`, want: `[1, 2]`},
		{expr: `"$$ROOT.b"`, want: `2`},
		{expr: `{"$literal": "$a"}`, want: `"$a"`},
		{expr: `{"x": "$a", "y": ["$b", "$nope"]}`, want: `{"x": 5, "y": [2, null]}`},
		{expr: `{"$add": ["$a", "$b"]}`, want: `7`},
		{expr: `{"$add": ["$a", 1.5]}`, want: `6.5`},
		{expr: `{"$add": ["$d", 1000]}`, want: `{"$date": "2024-01-01T00:00:01Z"}`},
		{expr: `{"$add": ["$a", "$n"]}`, want: `null`},
		{expr: `{"$add": ["$i32max", 1]}`, want: `{"$numberLong": "2147483648"}`},
		{expr: `{"$add": ["$big", 1]}`, want: `9.223372036854775807E+18`},
		{expr: `{"$add": ["$dec", 1]}`, want: `{"$numberDecimal": "3.5"}`},
		{expr: `{"$add": ["$s", 1]}`, code: 14},
		{expr: `{"$subtract": ["$a", "$b"]}`, want: `3`},
		{expr: `{"$subtract": ["$d", {"$date": "2023-12-31T00:00:00Z"}]}`, want: `{"$numberLong": "86400000"}`},
		{expr: `{"$subtract": ["$d", 1000]}`, want: `{"$date": "2023-12-31T23:59:59Z"}`},
		{expr: `{"$multiply": ["$a", "$b", 2]}`, want: `20`},
		{expr: `{"$multiply": ["$dec", 2]}`, want: `{"$numberDecimal": "5.0"}`},
		{expr: `{"$divide": ["$a", "$b"]}`, want: `2.5`},
		{expr: `{"$divide": ["$a", 1]}`, want: `5.0`},
		{expr: `{"$divide": ["$dec", 2]}`, want: `{"$numberDecimal": "1.25"}`},
		{expr: `{"$divide": ["$a", 0]}`, code: 2},
		{expr: `{"$mod": ["$a", "$b"]}`, want: `1`},
		{expr: `{"$abs": -3}`, want: `3`},
		{expr: `{"$concat": ["$s", " ", "world"]}`, want: `"Hello world"`},
		{expr: `{"$concat": ["$s", "$n"]}`, want: `null`},
		{expr: `{"$concat": ["$s", 1]}`, code: 16702},
		{expr: `{"$eq": ["$a", 5]}`, want: `true`},
		{expr: `{"$eq": ["$a", 5.0]}`, want: `true`},
		{expr: `{"$ne": ["$a", 5]}`, want: `false`},
		{expr: `{"$gt": ["$a", "$b"]}`, want: `true`},
		{expr: `{"$gte": ["$a", 5]}`, want: `true`},
		{expr: `{"$lt": ["$a", "x"]}`, want: `true`},
		// A missing field is not null in expressions; it sorts below it.
		{expr: `{"$eq": ["$nope", null]}`, want: `false`},
		{expr: `{"$lte": ["$nope", null]}`, want: `true`},
		{expr: `{"$cmp": ["$a", 7]}`, want: `-1`},
		{expr: `{"$cond": [{"$gt": ["$a", 3]}, "big", "small"]}`, want: `"big"`},
		{expr: `{"$cond": {"if": 0, "then": 1, "else": 2}}`, want: `2`},
		{expr: `{"$cond": {"if": true, "then": 1}}`, code: 17082},
		{expr: `{"$ifNull": ["$n", "$nope", "dflt"]}`, want: `"dflt"`},
		{expr: `{"$ifNull": ["$a", 0]}`, want: `5`},
		{expr: `{"$size": "$arr"}`, want: `3`},
		{expr: `{"$size": "$a"}`, code: 17124},
		{expr: `{"$toLower": "$s"}`, want: `"hello"`},
		{expr: `{"$toUpper": "$s"}`, want: `"HELLO"`},
		{expr: `{"$toUpper": "$nope"}`, want: `""`},
		{expr: `{"$in": [2, "$arr"]}`, want: `true`},
		{expr: `{"$arrayElemAt": ["$arr", -1]}`, want: `3`},
		{expr: `{"$concatArrays": ["$arr", [4]]}`, want: `[1, 2, 3, 4]`},
		{expr: `{"$and": [true, "$a"]}`, want: `true`},
		{expr: `{"$or": [false, 0, "$n"]}`, want: `false`},
		{expr: `{"$not": ["$n"]}`, want: `true`},
		{expr: `{"$eq": [1]}`, code: 16020},
		{expr: `{"$add": [1], "$sub": 2}`, code: 15983},
		{expr: `{"$dateToString": {"date": "$d"}}`, code: 238},
		{expr: `"$$NOPE"`, code: 238},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			p := bson.A{bson.D{{Key: "$project", Value: bson.D{{Key: "_id", Value: 0}, {Key: "r", Value: ja("[" + tt.expr + "]")[0]}}}}}
			got, err := aggJSON(t, c, p)
			if tt.code != 0 {
				if errCode(err) != tt.code {
					t.Fatalf("err %v, want code %d", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := normJSON(`[{"r": ` + tt.want + `}]`); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestCountAndDistinct(t *testing.T) {
	_, db := startDB(t, salesSeed())
	c := db.Collection("sales")
	ctx := ctxT(t)
	countTests := []struct {
		filter string
		opts   *options.CountOptionsBuilder
		want   int64
	}{
		{`{}`, options.Count(), 4},
		{`{"cat": "A"}`, options.Count(), 2},
		{`{"qty": {"$gt": 1}}`, options.Count().SetSkip(1), 2},
		{`{}`, options.Count().SetLimit(3), 3},
		{`{"cat": "none"}`, options.Count(), 0},
	}
	for _, tt := range countTests {
		n, err := c.CountDocuments(ctx, j(tt.filter), tt.opts)
		if err != nil || n != tt.want {
			t.Errorf("CountDocuments(%s) = %d, %v; want %d", tt.filter, n, err, tt.want)
		}
	}
	if n, err := db.Collection("missing").CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
		t.Errorf("CountDocuments on a missing collection = %d, %v", n, err)
	}
	if n, err := c.EstimatedDocumentCount(ctx); err != nil || n != 4 {
		t.Errorf("EstimatedDocumentCount = %d, %v", n, err)
	}
	distinctTests := []struct {
		field, filter, want string
	}{
		{"cat", `{}`, `["A","B"]`},
		// Arrays contribute their elements; values come back sorted.
		{"tags", `{}`, `["x","y"]`},
		{"qty", `{"cat": "B"}`, `[1,3]`},
		{"price", `{}`, `[{"$numberDecimal":"1.5"},10,20]`},
		{"nope", `{}`, `[]`},
	}
	for _, tt := range distinctTests {
		res := c.Distinct(ctx, tt.field, j(tt.filter))
		var vals bson.A
		if err := res.Decode(&vals); err != nil {
			t.Fatalf("Distinct(%s): %v", tt.field, err)
		}
		if got := js(vals); got != tt.want {
			t.Errorf("Distinct(%s) = %s, want %s", tt.field, got, tt.want)
		}
	}
}

// commandCounter counts the commands the driver sends, by name.
type commandCounter struct {
	counts map[string]int
}

func newCounter() (*commandCounter, *options.ClientOptions) {
	cc := &commandCounter{counts: map[string]int{}}
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) { cc.counts[e.CommandName]++ }}
	return cc, options.Client().SetMonitor(mon)
}

func TestCursors(t *testing.T) {
	var docs []any
	for i := range 1000 {
		docs = append(docs, map[string]any{"_id": i, "i": i})
	}
	cc, opts := newCounter()
	s, db := startDB(t, Seed{"t": {"c": docs}}, opts)
	c := db.Collection("c")
	ctx := ctxT(t)
	tests := []struct {
		name     string
		run      func() (*mongo.Cursor, error)
		want     int
		getMores int
	}{
		{"find batch 100", func() (*mongo.Cursor, error) {
			return c.Find(ctx, bson.D{}, options.Find().SetBatchSize(100))
		}, 1000, 9},
		{"find default batch", func() (*mongo.Cursor, error) { return c.Find(ctx, bson.D{}) }, 1000, 1},
		{"find limit 250 batch 100", func() (*mongo.Cursor, error) {
			return c.Find(ctx, bson.D{}, options.Find().SetBatchSize(100).SetLimit(250))
		}, 250, 2},
		{"find batch 0", func() (*mongo.Cursor, error) {
			return c.Find(ctx, bson.D{{Key: "i", Value: bson.D{{Key: "$lt", Value: 5}}}}, options.Find().SetBatchSize(0))
		}, 5, 1},
		{"aggregate batch 300", func() (*mongo.Cursor, error) {
			return c.Aggregate(ctx, bson.A{bson.D{{Key: "$sort", Value: bson.D{{Key: "i", Value: -1}}}}}, options.Aggregate().SetBatchSize(300))
		}, 1000, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clear(cc.counts)
			cur, err := tt.run()
			if err != nil {
				t.Fatal(err)
			}
			// Next rather than All: All stops at an empty first batch.
			var out []bson.RawValue
			for cur.Next(ctx) {
				out = append(out, cur.Current.Lookup("_id"))
			}
			if err := cur.Err(); err != nil {
				t.Fatal(err)
			}
			if len(out) != tt.want {
				t.Errorf("got %d documents, want %d", len(out), tt.want)
			}
			seen := map[string]bool{}
			for _, v := range out {
				seen[v.String()] = true
			}
			if len(seen) != len(out) {
				t.Errorf("duplicates across batches: %d unique of %d", len(seen), len(out))
			}
			if cc.counts["getMore"] != tt.getMores {
				t.Errorf("getMore sent %d times, want %d", cc.counts["getMore"], tt.getMores)
			}
		})
	}
	s.mu.Lock()
	left := len(s.cursors)
	s.mu.Unlock()
	if left != 0 {
		t.Errorf("%d cursors left after exhausting them", left)
	}

	// Closing a cursor early sends killCursors and frees it.
	cur, err := c.Find(ctx, bson.D{}, options.Find().SetBatchSize(10))
	if err != nil {
		t.Fatal(err)
	}
	cur.Next(ctx)
	s.mu.Lock()
	open := len(s.cursors)
	s.mu.Unlock()
	if err := cur.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	left = len(s.cursors)
	s.mu.Unlock()
	if open != 1 || left != 0 || cc.counts["killCursors"] != 1 {
		t.Errorf("open %d, left %d, killCursors %d; want 1, 0, 1", open, left, cc.counts["killCursors"])
	}

	// getMore on an unknown cursor is CursorNotFound.
	err = db.RunCommand(ctx, bson.D{{Key: "getMore", Value: int64(12345)}, {Key: "collection", Value: "c"}}).Err()
	if errCode(err) != 43 {
		t.Errorf("getMore unknown cursor: %v, want code 43", err)
	}
}

func TestCursorCap(t *testing.T) {
	var docs []any
	for i := range 20 {
		docs = append(docs, map[string]any{"_id": i})
	}
	s, db := startDB(t, Seed{"t": {"c": docs}})
	ctx := ctxT(t)
	for range maxCursors + 20 {
		if err := db.RunCommand(ctx, j(`{"find": "c", "batchSize": 1}`)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cursors) != maxCursors || len(s.cursorOrder) != maxCursors {
		t.Errorf("%d cursors kept, want the cap %d", len(s.cursors), maxCursors)
	}
}

// TestLargeBatches checks the 16 MiB batch bound with ~1 MiB documents.
func TestLargeBatches(t *testing.T) {
	big := string(make([]byte, 1<<20))
	var docs []any
	for i := range 40 {
		docs = append(docs, map[string]any{"_id": i, "s": big})
	}
	_, db := startDB(t, Seed{"t": {"c": docs}})
	ctx := ctxT(t)
	cur, err := db.Collection("c").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if n := cur.RemainingBatchLength(); n < 10 || n > 16 {
		t.Errorf("first batch holds %d 1 MiB documents, want at most 16 MiB worth", n)
	}
	n := 0
	for cur.Next(ctx) {
		n++
	}
	if err := cur.Err(); err != nil || n != 40 {
		t.Errorf("read %d documents, %v", n, err)
	}
}

func Example() {
	s, err := Start(Seed{"app": {"applications": {map[string]any{"_id": map[string]any{"$oid": "65a1b2c3d4e5f60718293a4b"}, "name": "x"}}}})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	fmt.Println(js(s.Documents("app", "applications")))
	// Output: [{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"name":"x"}]
}
