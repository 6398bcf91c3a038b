package mongofake

import (
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var filterDocs = []string{
	`{"_id": 1, "a": 1, "s": "abc", "arr": [1, 2, 3], "tags": ["x", "y"], "sub": {"b": 1, "c": "q"}, "items": [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]}`,
	`{"_id": 2, "a": 2.5, "s": "ABD", "arr": [4, 5], "tags": ["y"], "sub": {"b": 2}, "items": [{"k": 3, "v": "c"}], "n": null}`,
	`{"_id": 3, "a": {"$numberLong": "3"}, "s": "xyz", "arr": [], "sub": {"b": [1, 2]}, "items": []}`,
	`{"_id": 4, "a": "str", "arr": [[1, 2], 3], "m": 10}`,
	`{"_id": 5, "a": {"$numberDecimal": "1"}, "d": {"$date": "2024-01-02T03:04:05Z"}, "m": 7}`,
	`{"_id": 6, "items": [{"k": 1, "v": "z"}, 5]}`,
}

func TestFindFilters(t *testing.T) {
	_, db := startDB(t, seedOf("c", filterDocs...))
	c := db.Collection("c")
	tests := []struct {
		filter string
		want   string
	}{
		{`{}`, `[1,2,3,4,5,6]`},
		// Implicit equality compares numbers across types.
		{`{"a": 1}`, `[1,5]`},
		{`{"a": {"$eq": {"$numberLong": "3"}}}`, `[3]`},
		{`{"a": 3.0}`, `[3]`},
		// Type bracketing: $gt 1 never matches the string.
		{`{"a": {"$gt": 1}}`, `[2,3]`},
		{`{"a": {"$gte": 1, "$lt": 3}}`, `[1,2,5]`},
		{`{"a": {"$lte": "zzz"}}`, `[4]`},
		{`{"a": {"$ne": 1}}`, `[2,3,4,6]`},
		{`{"a": {"$in": [2.5, "str"]}}`, `[2,4]`},
		{`{"a": {"$nin": [1, 2.5]}}`, `[3,4,6]`},
		// null matches null and missing fields.
		{`{"a": null}`, `[6]`},
		{`{"n": null}`, `[1,2,3,4,5,6]`},
		{`{"n": {"$exists": true}}`, `[2]`},
		{`{"a": {"$exists": false}}`, `[6]`},
		{`{"n": {"$type": "null"}}`, `[2]`},
		{`{"a": {"$type": "string"}}`, `[4]`},
		{`{"a": {"$type": "number"}}`, `[1,2,3,5]`},
		{`{"a": {"$type": ["long", "decimal"]}}`, `[3,5]`},
		{`{"a": {"$type": 1}}`, `[2]`},
		{`{"arr": {"$type": "array"}}`, `[1,2,3,4]`},
		// Arrays: element equality, whole-array equality, nested arrays.
		{`{"arr": 2}`, `[1]`},
		{`{"arr": [4, 5]}`, `[2]`},
		{`{"arr": [5, 4]}`, `[]`},
		{`{"arr": [1, 2]}`, `[4]`},
		{`{"arr": {"$gt": 4}}`, `[2]`},
		{`{"arr": {"$size": 0}}`, `[3]`},
		{`{"arr": {"$size": 2}}`, `[2,4]`},
		{`{"arr": {"$all": [1, 3]}}`, `[1]`},
		{`{"arr": {"$all": []}}`, `[]`},
		{`{"arr": {"$elemMatch": {"$gt": 3, "$lt": 5}}}`, `[2]`},
		{`{"arr": {"$elemMatch": {"$eq": [1, 2]}}}`, `[4]`},
		// arr.0 of doc 4 is [1, 2], whose elements are compared too.
		{`{"arr.0": 1}`, `[1,4]`},
		{`{"arr.1": 3}`, `[4]`},
		// Dotted paths through documents and arrays of documents.
		{`{"sub.b": 1}`, `[1,3]`},
		{`{"sub.c": {"$exists": true}}`, `[1]`},
		{`{"sub": {"b": 2}}`, `[2]`},
		{`{"sub": {"b": 1}}`, `[]`},
		{`{"items.k": 2}`, `[1]`},
		{`{"items.k": {"$gte": 3}}`, `[2]`},
		{`{"items.v": {"$in": ["c", "z"]}}`, `[2,6]`},
		{`{"items.1.k": 2}`, `[1]`},
		{`{"items": {"$elemMatch": {"k": 1, "v": "a"}}}`, `[1]`},
		{`{"items": {"$elemMatch": {"k": 1, "v": "b"}}}`, `[]`},
		{`{"items.k": 1, "items.v": "b"}`, `[1]`},
		{`{"tags": "y"}`, `[1,2]`},
		{`{"tags": {"$all": [{"$elemMatch": {"$eq": "x"}}]}}`, `[1]`},
		// Regular expressions.
		{`{"s": {"$regex": "^ab"}}`, `[1]`},
		{`{"s": {"$regex": "^ab", "$options": "i"}}`, `[1,2]`},
		{`{"s": {"$regularExpression": {"pattern": "z$", "options": ""}}}`, `[3]`},
		{`{"s": {"$in": [{"$regularExpression": {"pattern": "^x", "options": ""}}, "abc"]}}`, `[1,3]`},
		{`{"s": {"$not": {"$regex": "^a"}}}`, `[2,3,4,5,6]`},
		{`{"s": {"$regex": "a b # comment\n c", "$options": "x"}}`, `[1]`},
		// Logical operators.
		{`{"$or": [{"a": 1}, {"m": 10}]}`, `[1,4,5]`},
		{`{"$and": [{"m": {"$gt": 5}}, {"m": {"$lt": 9}}]}`, `[5]`},
		{`{"$nor": [{"a": 1}, {"a": 2.5}]}`, `[3,4,6]`},
		{`{"a": {"$not": {"$gt": 2}}}`, `[1,4,5,6]`},
		{`{"m": {"$mod": [5, 0]}}`, `[4]`},
		{`{"m": {"$mod": [4, 3]}}`, `[5]`},
		{`{"d": {"$gt": {"$date": "2024-01-01T00:00:00Z"}}}`, `[5]`},
		{`{"_id": {"$in": [1, {"$numberLong": "2"}, 3.0]}}`, `[1,2,3]`},
		{`{"$expr": {"$gt": ["$m", 8]}}`, `[4]`},
		{`{"$comment": "ignored", "_id": 2}`, `[2]`},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			got, err := ids(t, c, j(tt.filter))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestFindFilterErrors(t *testing.T) {
	s, db := startDB(t, seedOf("c", filterDocs...))
	c := db.Collection("c")
	tests := []struct {
		filter      string
		code        int
		unsupported string
	}{
		{`{"a": {"$near": [1, 2]}}`, 238, "query operator $near"},
		{`{"$where": "this.a > 1"}`, 238, "query operator $where"},
		{`{"$and": []}`, 2, ""},
		{`{"a": {"$in": 5}}`, 2, ""},
		{`{"a": {"$options": "i"}}`, 2, ""},
		{`{"a": {"$size": -1}}`, 2, ""},
		{`{"a": {"$mod": [0, 1]}}`, 2, ""},
		{`{"a": {"$type": "nope"}}`, 2, ""},
		{`{"s": {"$regex": "(?=x)"}}`, 238, ""},
		{`{"$expr": {"$divide": [1, 0]}}`, 2, ""},
		{`{"$expr": {"$dateToString": {}}}`, 238, "aggregation expression operator $dateToString"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := findJSON(t, c, j(tt.filter))
			if got := errCode(err); got != tt.code {
				t.Fatalf("code %d (%v), want %d", got, err, tt.code)
			}
			if tt.unsupported != "" && !slices.Contains(s.Unsupported(), tt.unsupported) {
				t.Errorf("Unsupported() = %q, want it to contain %q", s.Unsupported(), tt.unsupported)
			}
		})
	}
}

func TestSort(t *testing.T) {
	_, db := startDB(t, seedOf("c",
		`{"_id": 1, "v": 3, "g": 1}`,
		`{"_id": 2, "v": [1, 5], "g": 2}`,
		`{"_id": 3, "v": "a", "g": 1}`,
		`{"_id": 4, "g": 2}`,
		`{"_id": 5, "v": null, "g": 1}`,
		`{"_id": 6, "v": [], "g": 2}`,
		`{"_id": 7, "v": 2.5, "g": 1}`,
		`{"_id": 8, "v": {"$numberLong": "2"}, "g": 2}`,
	))
	c := db.Collection("c")
	tests := []struct {
		sort string
		want string
	}{
		// Ascending sorts arrays by their smallest element; [] sorts first.
		{`{"v": 1}`, `[6,4,5,2,8,7,1,3]`},
		// Descending sorts arrays by their largest element.
		{`{"v": -1}`, `[3,2,1,7,8,4,5,6]`},
		{`{"g": 1, "v": -1}`, `[3,1,7,5,2,8,4,6]`},
		{`{"g": -1, "_id": -1}`, `[8,6,4,2,7,5,3,1]`},
		// Stable: ties keep natural order.
		{`{"g": 1}`, `[1,3,5,7,2,4,6,8]`},
	}
	for _, tt := range tests {
		t.Run(tt.sort, func(t *testing.T) {
			ctx := ctxT(t)
			cur, err := c.Find(ctx, bson.D{}, options.Find().SetSort(j(tt.sort)).SetProjection(bson.D{{Key: "_id", Value: 1}}))
			if err != nil {
				t.Fatal(err)
			}
			var out []struct {
				ID int `bson:"_id"`
			}
			if err := cur.All(ctx, &out); err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, o := range out {
				got = append(got, o.ID)
			}
			if js(toA(got)) != tt.want {
				t.Errorf("got %v, want %s", got, tt.want)
			}
		})
	}
}

func toA(ints []int) bson.A {
	a := bson.A{}
	for _, i := range ints {
		a = append(a, int32(i))
	}
	return a
}

// TestTypeOrder sorts one value of every BSON type in MongoDB's order.
func TestTypeOrder(t *testing.T) {
	order := []string{
		`{"$minKey": 1}`, `null`, `1`, `"s"`, `{"a": 1}`, `{"$binary": {"base64": "AQ==", "subType": "00"}}`,
		`{"$oid": "000000000000000000000001"}`, `false`, `true`, `{"$date": "2024-01-01T00:00:00Z"}`,
		`{"$timestamp": {"t": 1, "i": 1}}`, `{"$regularExpression": {"pattern": "a", "options": ""}}`, `{"$maxKey": 1}`,
	}
	var docs []string
	for i := len(order) - 1; i >= 0; i-- {
		docs = append(docs, `{"_id": `+js(int32(i))+`, "v": `+order[i]+`}`)
	}
	_, db := startDB(t, seedOf("c", docs...))
	for _, dir := range []int{1, -1} {
		ctx := ctxT(t)
		cur, err := db.Collection("c").Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "v", Value: dir}}))
		if err != nil {
			t.Fatal(err)
		}
		var out []struct {
			ID int `bson:"_id"`
		}
		if err := cur.All(ctx, &out); err != nil {
			t.Fatal(err)
		}
		for i, o := range out {
			want := i
			if dir == -1 {
				want = len(order) - 1 - i
			}
			if o.ID != want {
				t.Fatalf("dir %d: position %d holds %s, want %s", dir, i, order[o.ID], order[want])
			}
		}
	}
}

func TestProjection(t *testing.T) {
	_, db := startDB(t, seedOf("c",
		`{"_id": 1, "a": 1, "b": {"c": 1, "d": 2}, "arr": [{"x": 1, "y": 2}, {"x": 3, "y": 4}, 5], "s": [1, 2, 3, 4, 5]}`))
	c := db.Collection("c")
	tests := []struct {
		proj string
		want string
		code int
	}{
		{proj: `{"a": 1}`, want: `{"_id": 1, "a": 1}`},
		{proj: `{"a": 1, "_id": 0}`, want: `{"a": 1}`},
		{proj: `{"_id": 0}`, want: `{"a": 1, "b": {"c": 1, "d": 2}, "arr": [{"x": 1, "y": 2}, {"x": 3, "y": 4}, 5], "s": [1, 2, 3, 4, 5]}`},
		{proj: `{"a": 0}`, want: `{"_id": 1, "b": {"c": 1, "d": 2}, "arr": [{"x": 1, "y": 2}, {"x": 3, "y": 4}, 5], "s": [1, 2, 3, 4, 5]}`},
		// Inclusion keeps the document's field order, not the projection's.
		{proj: `{"s": 1, "a": 1}`, want: `{"_id": 1, "a": 1, "s": [1, 2, 3, 4, 5]}`},
		{proj: `{"b.c": 1}`, want: `{"_id": 1, "b": {"c": 1}}`},
		{proj: `{"b": {"c": 1}}`, want: `{"_id": 1, "b": {"c": 1}}`},
		{proj: `{"b.c": 0, "arr": 0, "s": 0}`, want: `{"_id": 1, "a": 1, "b": {"d": 2}}`},
		// Over arrays: inclusion drops non-documents, exclusion keeps them.
		{proj: `{"arr.x": 1}`, want: `{"_id": 1, "arr": [{"x": 1}, {"x": 3}]}`},
		{proj: `{"arr.x": 0, "s": 0, "b": 0}`, want: `{"_id": 1, "a": 1, "arr": [{"y": 2}, {"y": 4}, 5]}`},
		{proj: `{"s": {"$slice": 2}, "arr": 0, "b": 0}`, want: `{"_id": 1, "a": 1, "s": [1, 2]}`},
		{proj: `{"s": {"$slice": -2}, "a": 1}`, want: `{"_id": 1, "a": 1, "s": [4, 5]}`},
		{proj: `{"s": {"$slice": [1, 2]}, "a": 1}`, want: `{"_id": 1, "a": 1, "s": [2, 3]}`},
		{proj: `{"arr": {"$elemMatch": {"x": 3}}}`, want: `{"_id": 1, "arr": [{"x": 3, "y": 4}]}`},
		{proj: `{"z": "$a", "u": {"$toUpper": "x"}}`, want: `{"_id": 1, "z": 1, "u": "X"}`},
		{proj: `{"a": 1, "b": 0}`, code: 31254},
		{proj: `{"b": 1, "b.c": 1}`, code: 31250},
		{proj: `{"arr.$": 1}`, code: 238},
	}
	for _, tt := range tests {
		t.Run(tt.proj, func(t *testing.T) {
			got, err := findJSON(t, c, bson.D{}, options.Find().SetProjection(j(tt.proj)))
			if tt.code != 0 {
				if errCode(err) != tt.code {
					t.Fatalf("err %v, want code %d", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := normJSON("[" + tt.want + "]"); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestFindOptions(t *testing.T) {
	var docs []string
	for i := 1; i <= 10; i++ {
		docs = append(docs, `{"_id": `+js(int32(i))+`, "odd": `+js(i%2 == 1)+`}`)
	}
	_, db := startDB(t, seedOf("c", docs...))
	c := db.Collection("c")
	tests := []struct {
		name string
		opts *options.FindOptionsBuilder
		want string
	}{
		{"skip+limit", options.Find().SetSkip(2).SetLimit(3), `[3,4,5]`},
		{"sort+skip", options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetSkip(8), `[2,1]`},
		{"negative limit", options.Find().SetLimit(-2), `[1,2]`},
		{"skip past end", options.Find().SetSkip(20), `[]`},
		{"batch 3 limit 7", options.Find().SetBatchSize(3).SetLimit(7), `[1,2,3,4,5,6,7]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxT(t)
			cur, err := c.Find(ctx, bson.D{}, tt.opts.SetProjection(bson.D{{Key: "odd", Value: 0}}))
			if err != nil {
				t.Fatal(err)
			}
			var out []bson.D
			if err := cur.All(ctx, &out); err != nil {
				t.Fatal(err)
			}
			ids := bson.A{}
			for _, d := range out {
				ids = append(ids, d[0].Value)
			}
			if js(ids) != tt.want {
				t.Errorf("got %s, want %s", js(ids), tt.want)
			}
		})
	}
	// FindOne sends limit 1 and singleBatch.
	var one bson.D
	if err := c.FindOne(ctxT(t), bson.D{{Key: "odd", Value: false}}).Decode(&one); err != nil {
		t.Fatal(err)
	}
	if js(one) != `{"_id":2,"odd":false}` {
		t.Errorf("FindOne = %s", js(one))
	}
}
