package mongofake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kubusdev/kubus/builtins/mongodb/mongotest"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

// The differential test seeds the same documents into the fake and into a
// real FerretDB (mongotest), runs the same driver operations against both
// and compares what the driver returns. FerretDB is not the reference: where
// the two disagree the case records MongoDB's documented behaviour in want,
// and the fake is held to it.

// diffData are the datasets, each a collection of its own. FerretDB v1 does
// not store nested arrays or keys starting with '$': only the fakeOnly
// datasets hold nested arrays, and none holds '$' keys.
var diffData = map[string]string{
	// Queries: scalars, arrays of scalars and of documents, null and missing.
	"q": `[
		{"_id": 1, "a": 1, "b": "x", "tags": ["red", "blue"], "n": null, "sub": {"x": 1, "y": [1, 2]}, "items": [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]},
		{"_id": 2, "a": 2, "b": "y", "tags": ["blue"], "sub": {"x": 2}, "items": [{"k": 3, "v": "c"}]},
		{"_id": 3, "a": [1, 2], "b": "X", "tags": [], "items": []},
		{"_id": 4, "a": [], "b": null},
		{"_id": 5, "a": {"b": 1}, "b": "abc"},
		{"_id": 6, "a": [{"b": 1}, {"b": 2}], "b": "ABC"},
		{"_id": 7, "a": [{"b": null}, {"c": 1}]},
		{"_id": 8, "a": [{"c": 1}], "items": [{"k": 1, "v": "b"}, {"k": 2, "v": "a"}]},
		{"_id": 9, "a": 2.5, "b": "xyz", "tags": ["red"]},
		{"_id": 10, "a": {"$numberLong": "3"}, "b": "x y"},
		{"_id": 11, "a": "str"},
		{"_id": 12, "a": {"b": null}},
		{"_id": 13, "b": "z"},
		{"_id": 14, "a": null},
		{"_id": 15, "a": [null, 1]},
		{"_id": 16, "a": {}}
	]`,
	// Sorting: values of every common type, arrays and ties.
	"s": `[
		{"_id": 1, "g": 2, "v": 3},
		{"_id": 2, "g": 1, "v": "a"},
		{"_id": 3, "g": 2, "v": null},
		{"_id": 4, "g": 1},
		{"_id": 5, "g": 2, "v": [2, 5]},
		{"_id": 6, "g": 1, "v": []},
		{"_id": 7, "g": 2, "v": {"x": 1}},
		{"_id": 8, "g": 1, "v": true},
		{"_id": 9, "g": 2, "v": 1.5},
		{"_id": 10, "g": 1, "v": [0, 10]},
		{"_id": 11, "g": 2, "v": {"$numberLong": "4"}},
		{"_id": 12, "g": 1, "v": {"$date": "2024-01-02T03:04:05Z"}},
		{"_id": 13, "g": 2, "v": "B"},
		{"_id": 14, "g": 1, "v": false},
		{"_id": 15, "g": 2, "v": 3.0}
	]`,
	// Aggregation: orders.
	"o": `[
		{"_id": 1, "cust": "a", "qty": 2, "price": 1.5, "items": ["x", "y"], "ship": {"city": "P", "zip": "1"}},
		{"_id": 2, "cust": "b", "qty": 5, "price": 2, "items": ["x"], "ship": {"city": "Q"}},
		{"_id": 3, "cust": "a", "qty": {"$numberLong": "7"}, "price": 3, "items": [], "ship": [{"city": "R"}, {"city": "S"}]},
		{"_id": 4, "cust": "c", "qty": null, "price": 4, "ship": 5},
		{"_id": 5, "cust": "b", "qty": 1, "price": 0.5, "items": "z"},
		{"_id": 6, "cust": "c", "price": 1}
	]`,
	// Nested arrays, which FerretDB v1 cannot store: the fake only.
	"n": `[
		{"_id": 1, "a": [5, {"c": 1}, [1, {"c": 2}]]},
		{"_id": 2, "a": [[]]}
	]`,
	// Updates and deletes.
	"u": `[
		{"_id": 1, "n": 1, "arr": [1, 2, 3, 2], "objs": [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}, {"k": 1}], "sub": {"x": 1}},
		{"_id": 2, "n": {"$numberLong": "9223372036854775807"}, "s": "x"},
		{"_id": 3, "n": 2.5, "tags": ["a"], "i": 2147483647}
	]`,
}

// fakeOnly are the datasets FerretDB cannot store.
var fakeOnly = map[string]bool{"n": true}

// diffOp is one driver operation; its results are compared after normalise.
type diffOp func(ctx context.Context, c *mongo.Collection) (any, error)

type diffCase struct {
	name string
	data string // the dataset (a key of diffData)
	op   diffOp
	// write: the case changes its collection, so it gets a copy of its own,
	// and its outcome includes the collection's documents afterwards.
	write bool
	// unordered: MongoDB does not define the order of the results.
	unordered bool
	// anyKeyOrder: MongoDB does not define the order of fields in the
	// result documents.
	anyKeyOrder bool
	// noFerret says why FerretDB v1 cannot run the case: it runs against
	// the fake only, which must return want.
	noFerret string
	// ferretWrong says how FerretDB departs from MongoDB's documented
	// behaviour here: the fake must return want, and FerretDB's answer is
	// logged.
	ferretWrong string
	// want (relaxed extended JSON) is required with noFerret or
	// ferretWrong, and optional otherwise; wantIDs is a shorter want for
	// queries: the dataset's documents with these _ids, in this order.
	want    string
	wantIDs []int
}

func TestDifferential(t *testing.T) {
	cases := diffCases()
	data := map[string]bson.A{}
	for name, docs := range diffData {
		data[name] = ja(docs)
	}
	seedIDs := map[bson.ObjectID]bool{}
	for _, docs := range data {
		collectIDs(docs, seedIDs)
	}
	collName := func(i int, cs diffCase) string {
		if cs.write {
			return fmt.Sprintf("w%03d", i)
		}
		return "d_" + cs.data
	}
	colls := map[string][]any{}
	ferretColls := map[string][]any{}
	for i, cs := range cases {
		if data[cs.data] == nil {
			t.Fatalf("case %s: no dataset %q", cs.name, cs.data)
		}
		if fakeOnly[cs.data] && cs.noFerret == "" {
			t.Fatalf("case %s: dataset %q is not in FerretDB, so the case needs noFerret", cs.name, cs.data)
		}
		colls[collName(i, cs)] = data[cs.data]
		if !fakeOnly[cs.data] {
			ferretColls[collName(i, cs)] = data[cs.data]
		}
	}

	// The fake, seeded through Seed.
	const dbName = "diff"
	fake, err := Start(Seed{dbName: colls})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	fakeDB := connect(t, fake.URI()).Database(dbName)

	// FerretDB, seeded through the driver (mongotest skips the test when
	// FerretDB cannot be built).
	ferretDB := connect(t, mongotest.Start(t)).Database(mongotest.Database(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for name, docs := range ferretColls {
		if _, err := ferretDB.Collection(name).InsertMany(ctx, docs); err != nil {
			t.Fatalf("seeding FerretDB %s: %v", name, err)
		}
	}

	outcome := func(db *mongo.Database, i int, cs diffCase) string {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := db.Collection(collName(i, cs))
		v, err := cs.op(ctx, c)
		if err != nil {
			v = errValue(err)
		}
		if cs.write {
			docs, err := allDocs(ctx, c)
			if err != nil {
				return "reading the documents back: " + err.Error()
			}
			v = bson.D{{Key: "result", Value: v}, {Key: "docs", Value: docs}}
		}
		v = normalise(v, seedIDs, cs.anyKeyOrder)
		if a, ok := v.(bson.A); ok && cs.unordered {
			slices.SortFunc(a, func(x, y any) int { return strings.Compare(cjs(x), cjs(y)) })
		}
		return cjs(v)
	}

	for i, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			got := outcome(fakeDB, i, cs)
			want := ""
			if cs.wantIDs != nil {
				want = cjs(normalise(pick(data[cs.data], cs.wantIDs), seedIDs, cs.anyKeyOrder))
			} else if cs.want != "" {
				var err error
				if want, err = relaxed(cs.want, cs.anyKeyOrder); err != nil {
					t.Fatalf("bad want: %v", err)
				}
			}
			switch {
			case cs.noFerret != "":
				if want == "" {
					t.Fatal("a case FerretDB cannot run needs want")
				}
				if got != want {
					t.Errorf("fake:\n got %s\nwant %s", got, want)
				}
			case cs.ferretWrong != "":
				if want == "" {
					t.Fatal("a case FerretDB gets wrong needs want")
				}
				if got != want {
					t.Errorf("fake:\n got %s\nwant %s", got, want)
				}
				ferret := outcome(ferretDB, i, cs)
				if ferret == want {
					t.Logf("FerretDB now agrees with MongoDB here (%s): drop ferretWrong", cs.ferretWrong)
				} else {
					t.Logf("FerretDB (%s): %s", cs.ferretWrong, ferret)
				}
			default:
				ferret := outcome(ferretDB, i, cs)
				if got != ferret {
					t.Errorf("the fake and FerretDB disagree:\n    fake %s\nFerretDB %s", got, ferret)
				}
				if want != "" && got != want {
					t.Errorf("fake:\n got %s\nwant %s", got, want)
				}
			}
		})
	}
}

// pick returns the documents with the given integer _ids, in that order.
func pick(docs bson.A, ids []int) bson.A {
	out := bson.A{}
	for _, id := range ids {
		for _, d := range docs {
			if v, _ := lookupField(d.(bson.D), "_id"); v == int32(id) {
				out = append(out, d)
			}
		}
	}
	return out
}

func connect(t *testing.T, uri string) *mongo.Client {
	t.Helper()
	cl, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = cl.Disconnect(ctx)
	})
	return cl
}

func collectIDs(v any, ids map[bson.ObjectID]bool) {
	switch x := v.(type) {
	case bson.ObjectID:
		ids[x] = true
	case bson.D:
		for _, e := range x {
			collectIDs(e.Value, ids)
		}
	case bson.A:
		for _, e := range x {
			collectIDs(e, ids)
		}
	}
}

// normalise replaces ObjectIDs that the servers (or the driver) generated,
// which differ from run to run, and sorts fields where their order is not
// defined. It also turns the driver's result types into plain values.
func normalise(v any, seedIDs map[bson.ObjectID]bool, sortKeys bool) any {
	switch x := v.(type) {
	case bson.ObjectID:
		if !seedIDs[x] {
			return "<generated ObjectID>"
		}
		return x
	case bson.D:
		out := make(bson.D, len(x))
		for i, e := range x {
			out[i] = bson.E{Key: e.Key, Value: normalise(e.Value, seedIDs, sortKeys)}
		}
		if sortKeys {
			slices.SortStableFunc(out, func(a, b bson.E) int { return strings.Compare(a.Key, b.Key) })
		}
		return out
	case bson.A:
		out := make(bson.A, len(x))
		for i, e := range x {
			out[i] = normalise(e, seedIDs, sortKeys)
		}
		return out
	case []bson.D:
		out := make(bson.A, len(x))
		for i, e := range x {
			out[i] = normalise(e, seedIDs, sortKeys)
		}
		return out
	}
	return v
}

// relaxed re-renders expected JSON the way outcomes are rendered.
func relaxed(s string, sortKeys bool) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	var v any
	if strings.HasPrefix(strings.TrimSpace(s), "[") {
		v = ja(s)
	} else {
		v = j(s)
	}
	return cjs(normalise(v, nil, sortKeys)), nil
}

// cjs renders a value as canonical extended JSON, which keeps the numeric
// types apart (int32, int64, double, decimal).
func cjs(v any) string {
	b, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: v}}, true, false)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	s := string(b)
	return s[5 : len(s)-1]
}

// errValue reduces a driver error to what both servers should agree on:
// the error codes and, for writes, the failing statements' indexes.
func errValue(err error) bson.D {
	var bwe mongo.BulkWriteException
	var we mongo.WriteException
	var ce mongo.CommandError
	switch {
	case errors.As(err, &bwe):
		var list bson.A
		for _, e := range bwe.WriteErrors {
			list = append(list, bson.D{{Key: "index", Value: int32(e.Index)}, {Key: "code", Value: int32(e.Code)}})
		}
		return bson.D{{Key: "writeErrors", Value: list}}
	case errors.As(err, &we):
		var list bson.A
		for _, e := range we.WriteErrors {
			list = append(list, bson.D{{Key: "index", Value: int32(e.Index)}, {Key: "code", Value: int32(e.Code)}})
		}
		return bson.D{{Key: "writeErrors", Value: list}}
	case errors.As(err, &ce):
		return bson.D{{Key: "error", Value: ce.Code}}
	}
	return bson.D{{Key: "error", Value: err.Error()}}
}

func allDocs(ctx context.Context, c *mongo.Collection) ([]bson.D, error) {
	cur, err := c.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var out []bson.D
	err = cur.All(ctx, &out)
	return out, err
}

// Operations.

type findSpec struct {
	filter, sort, proj string
	skip, limit        int64
}

// q finds the documents matching filter, ordered by _id.
func q(filter string) diffOp { return fnd(findSpec{filter: filter}) }

func fnd(s findSpec) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		if s.sort == "" {
			s.sort = `{"_id": 1}`
		}
		o := options.Find().SetSort(j(s.sort))
		if s.proj != "" {
			o.SetProjection(j(s.proj))
		}
		if s.skip != 0 {
			o.SetSkip(s.skip)
		}
		if s.limit != 0 {
			o.SetLimit(s.limit)
		}
		filter := bson.D{}
		if s.filter != "" {
			filter = j(s.filter)
		}
		cur, err := c.Find(ctx, filter, o)
		if err != nil {
			return nil, err
		}
		var out []bson.D
		err = cur.All(ctx, &out)
		return out, err
	}
}

// qd is q with a filter that extended JSON cannot express (a regex value).
func qd(filter bson.D) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		cur, err := c.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			return nil, err
		}
		var out []bson.D
		err = cur.All(ctx, &out)
		return out, err
	}
}

func agg(pipeline string) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		cur, err := c.Aggregate(ctx, ja(pipeline))
		if err != nil {
			return nil, err
		}
		var out []bson.D
		err = cur.All(ctx, &out)
		return out, err
	}
}

func count(filter string, skip, limit int64) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		o := options.Count()
		if skip != 0 {
			o.SetSkip(skip)
		}
		if limit != 0 {
			o.SetLimit(limit)
		}
		return c.CountDocuments(ctx, j(filter), o)
	}
}

// distinct runs without a deadline: the driver would send maxTimeMS, which
// FerretDB v1's distinct refuses.
func distinct(field, filter string) diffOp {
	return func(_ context.Context, c *mongo.Collection) (any, error) {
		var vals bson.A
		if err := c.Distinct(context.Background(), field, j(filter)).Decode(&vals); err != nil {
			return nil, err
		}
		return vals, nil
	}
}

// sortedDistinct is distinct with its values sorted: MongoDB does not
// promise an order.
func sortedDistinct(field, filter string) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		v, err := distinct(field, filter)(ctx, c)
		if vals, ok := v.(bson.A); ok {
			slices.SortStableFunc(vals, compareValues)
		}
		return v, err
	}
}

func updResult(r *mongo.UpdateResult) bson.D {
	return bson.D{
		{Key: "matched", Value: int32(r.MatchedCount)},
		{Key: "modified", Value: int32(r.ModifiedCount)},
		{Key: "upserted", Value: int32(r.UpsertedCount)},
		{Key: "upsertedID", Value: r.UpsertedID},
	}
}

func updateOne(filter, update string, upsert bool) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		r, err := c.UpdateOne(ctx, j(filter), j(update), options.UpdateOne().SetUpsert(upsert))
		if err != nil {
			return nil, err
		}
		return updResult(r), nil
	}
}

func updateMany(filter, update string, upsert bool) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		r, err := c.UpdateMany(ctx, j(filter), j(update), options.UpdateMany().SetUpsert(upsert))
		if err != nil {
			return nil, err
		}
		return updResult(r), nil
	}
}

// updatePipeline is an update with an aggregation pipeline as the update.
func updatePipeline(filter, pipeline string) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		r, err := c.UpdateOne(ctx, j(filter), ja(pipeline))
		if err != nil {
			return nil, err
		}
		return updResult(r), nil
	}
}

func replaceOne(filter, repl string, upsert bool) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		r, err := c.ReplaceOne(ctx, j(filter), j(repl), options.Replace().SetUpsert(upsert))
		if err != nil {
			return nil, err
		}
		return updResult(r), nil
	}
}

func findOneAndUpdate(filter, sort, update string, after bool) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		o := options.FindOneAndUpdate().SetSort(j(sort))
		if after {
			o.SetReturnDocument(options.After)
		}
		var d bson.D
		if err := c.FindOneAndUpdate(ctx, j(filter), j(update), o).Decode(&d); err != nil {
			if errors.Is(err, mongo.ErrNoDocuments) {
				return "no documents", nil
			}
			return nil, err
		}
		return d, nil
	}
}

func deleteOne(filter string) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		r, err := c.DeleteOne(ctx, j(filter))
		if err != nil {
			return nil, err
		}
		return r.DeletedCount, nil
	}
}

func deleteMany(filter string) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		r, err := c.DeleteMany(ctx, j(filter))
		if err != nil {
			return nil, err
		}
		return r.DeletedCount, nil
	}
}

func insertMany(docs string, ordered bool) diffOp {
	return func(ctx context.Context, c *mongo.Collection) (any, error) {
		r, err := c.InsertMany(ctx, ja(docs), options.InsertMany().SetOrdered(ordered))
		if err != nil {
			return nil, err
		}
		return int64(len(r.InsertedIDs)), nil
	}
}

// The cases.

func diffCases() []diffCase {
	var cases []diffCase
	add := func(data string, list ...diffCase) {
		for _, cs := range list {
			cs.data = data
			cases = append(cases, cs)
		}
	}

	// Find: filters.
	add("q",
		diffCase{name: "find all", op: q(`{}`)},
		diffCase{name: "eq scalar matches array elements", op: q(`{"a": 1}`)},
		diffCase{name: "eq across numeric types", op: q(`{"a": 3}`)},
		diffCase{name: "eq whole array", op: q(`{"a": [1, 2]}`)},
		diffCase{name: "eq whole array other order", op: q(`{"a": [2, 1]}`)},
		diffCase{name: "eq empty array", op: q(`{"a": []}`)},
		// A document matches equal elements of an array too ("Query for a
		// Document Nested in an Array" in MongoDB's manual).
		diffCase{name: "eq document", op: q(`{"a": {"b": 1}}`), wantIDs: []int{5, 6},
			ferretWrong: "does not match a document against the elements of an array"},
		diffCase{name: "eq empty document", op: q(`{"a": {}}`)},
		diffCase{name: "eq null", op: q(`{"a": null}`)},
		diffCase{name: "eq null missing field", op: q(`{"n": null}`)},
		diffCase{name: "eq $eq null", op: q(`{"a": {"$eq": null}}`)},
		diffCase{name: "ne null", op: q(`{"a": {"$ne": null}}`)},
		// Open question 1: {"a.b": null} against a: [1, 2] (_id 3), a: []
		// (_id 4) and a: [null, 1] (_id 15). Since MongoDB 9.0 a dotted path
		// that reaches no non-null value through an empty array or an array
		// of scalars is null, so they match (and $ne: null does not); before
		// 9.0 they did not ("Null Comparisons on Dotted Paths That Traverse
		// Arrays" in the 9.0 compatibility notes). The fake, like FerretDB,
		// follows 9.0.
		diffCase{name: "dotted null", op: q(`{"a.b": null}`), wantIDs: []int{1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		diffCase{name: "dotted ne null", op: q(`{"a.b": {"$ne": null}}`), wantIDs: []int{5, 6}},
		diffCase{name: "dotted eq", op: q(`{"a.b": 1}`)},
		diffCase{name: "dotted eq through array of documents", op: q(`{"items.k": 2}`)},
		diffCase{name: "dotted conditions on different elements", op: q(`{"items.k": 2, "items.v": "a"}`)},
		diffCase{name: "dotted array index", op: q(`{"a.0": 1}`)},
		diffCase{name: "dotted array index then field", op: q(`{"a.0.b": 1}`)},
		diffCase{name: "dotted into sub-document array", op: q(`{"sub.y": 2}`)},
		diffCase{name: "dotted whole sub-document array", op: q(`{"sub.y": [1, 2]}`)},
		diffCase{name: "exists true", op: q(`{"a": {"$exists": true}}`)},
		diffCase{name: "exists false", op: q(`{"a": {"$exists": false}}`)},
		diffCase{name: "exists null field", op: q(`{"n": {"$exists": true}}`)},
		diffCase{name: "dotted exists", op: q(`{"a.b": {"$exists": true}}`)},
		diffCase{name: "dotted exists false", op: q(`{"a.b": {"$exists": false}}`)},
		diffCase{name: "in", op: q(`{"a": {"$in": [1, "str"]}}`)},
		diffCase{name: "in null", op: q(`{"a": {"$in": [null]}}`)},
		diffCase{name: "in empty", op: q(`{"a": {"$in": []}}`)},
		diffCase{name: "in array value", op: q(`{"a": {"$in": [[1, 2]]}}`)},
		diffCase{name: "nin", op: q(`{"a": {"$nin": [1, 2]}}`)},
		diffCase{name: "nin null", op: q(`{"a": {"$nin": [null]}}`)},
		diffCase{name: "gt type bracketing", op: q(`{"a": {"$gt": 1}}`)},
		diffCase{name: "gte lt", op: q(`{"a": {"$gte": 1, "$lt": 3}}`)},
		diffCase{name: "lt string", op: q(`{"b": {"$lt": "b"}}`)},
		diffCase{name: "and", op: q(`{"$and": [{"a": {"$gte": 1}}, {"a": {"$lt": 2}}]}`)},
		diffCase{name: "or", op: q(`{"$or": [{"b": "x"}, {"a": "str"}, {"items.k": 3}]}`)},
		diffCase{name: "nor", op: q(`{"$nor": [{"b": {"$exists": true}}, {"a": null}]}`)},
		diffCase{name: "not gt", op: q(`{"a": {"$not": {"$gt": 1}}}`)},
		diffCase{name: "not in", op: q(`{"b": {"$not": {"$in": ["x", "y"]}}}`)},
		diffCase{name: "regex", op: q(`{"b": {"$regex": "^x"}}`)},
		diffCase{name: "regex options", op: q(`{"b": {"$regex": "^x", "$options": "i"}}`)},
		diffCase{name: "regex value", op: qd(bson.D{{Key: "b", Value: bson.Regex{Pattern: "^a", Options: "i"}}})},
		diffCase{name: "not regex", op: qd(bson.D{{Key: "b", Value: bson.D{{Key: "$not", Value: bson.Regex{Pattern: "^x"}}}}})},
		diffCase{name: "in regex", op: qd(bson.D{{Key: "b", Value: bson.D{{Key: "$in", Value: bson.A{bson.Regex{Pattern: "c$"}, "y"}}}}})},
		diffCase{name: "regex on array elements", op: q(`{"tags": {"$regex": "^r"}}`)},
		diffCase{name: "size 0", op: q(`{"tags": {"$size": 0}}`)},
		diffCase{name: "size 1", op: q(`{"tags": {"$size": 1}}`)},
		diffCase{name: "size of dotted path", op: q(`{"sub.y": {"$size": 2}}`)},
		diffCase{name: "all", op: q(`{"tags": {"$all": ["red", "blue"]}}`)},
		diffCase{name: "all one", op: q(`{"tags": {"$all": ["blue"]}}`)},
		diffCase{name: "all scalar field", op: q(`{"b": {"$all": ["x"]}}`)},
		diffCase{name: "all empty", op: q(`{"tags": {"$all": []}}`)},
		diffCase{name: "elemMatch documents", op: q(`{"items": {"$elemMatch": {"k": 2, "v": "a"}}}`), wantIDs: []int{8},
			noFerret: "FerretDB v1 refuses this $elemMatch (BadValue: unknown operator: k)"},
		diffCase{name: "elemMatch operators", op: q(`{"a": {"$elemMatch": {"$gte": 1, "$lt": 2}}}`)},
		// {b: null} matches an element without b, like any query on a
		// document.
		diffCase{name: "elemMatch null field", op: q(`{"a": {"$elemMatch": {"b": null}}}`), wantIDs: []int{7, 8},
			ferretWrong: "null in $elemMatch does not match a missing field"},
		diffCase{name: "elemMatch or", op: q(`{"items": {"$elemMatch": {"$or": [{"k": 3}, {"v": "b"}]}}}`), wantIDs: []int{1, 2, 8},
			noFerret: "FerretDB v1 does not implement $or inside $elemMatch"},
		diffCase{name: "type", op: q(`{"a": {"$type": "array"}}`)},
		diffCase{name: "type number", op: q(`{"a": {"$type": "number"}}`)},
		diffCase{name: "implicit and", op: q(`{"tags": "red", "b": "x"}`)},
	)

	// Find: sort, projection, skip and limit.
	add("s",
		diffCase{name: "sort mixed types", op: fnd(findSpec{sort: `{"v": 1, "_id": 1}`})},
		diffCase{name: "sort mixed types descending", op: fnd(findSpec{sort: `{"v": -1, "_id": 1}`})},
		diffCase{name: "sort multi-key", op: fnd(findSpec{sort: `{"g": 1, "v": -1, "_id": -1}`})},
		diffCase{name: "sort skip limit", op: fnd(findSpec{sort: `{"v": 1, "_id": 1}`, skip: 3, limit: 4})},
		diffCase{name: "skip past the end", op: fnd(findSpec{skip: 20})},
		diffCase{name: "limit", op: fnd(findSpec{filter: `{"g": 2}`, limit: 3})},
		diffCase{name: "negative limit", op: fnd(findSpec{limit: -2})},
	)
	add("q",
		diffCase{name: "projection inclusion", op: fnd(findSpec{proj: `{"b": 1, "a": 1}`})},
		diffCase{name: "projection exclusion", op: fnd(findSpec{proj: `{"a": 0, "items": 0, "sub": 0}`})},
		diffCase{name: "projection without _id", op: fnd(findSpec{proj: `{"_id": 0, "b": 1}`})},
		diffCase{name: "projection only _id excluded", op: fnd(findSpec{filter: `{"_id": {"$lte": 3}}`, proj: `{"_id": 0}`})},
		diffCase{name: "projection only _id", op: fnd(findSpec{filter: `{"_id": {"$lte": 3}}`, proj: `{"_id": 1}`})},
		diffCase{name: "projection dotted inclusion", op: fnd(findSpec{filter: `{"_id": {"$lte": 8}}`, proj: `{"sub.x": 1, "a.b": 1}`})},
		diffCase{name: "projection dotted through array", op: fnd(findSpec{filter: `{"_id": {"$lte": 8}}`, proj: `{"items.v": 1}`})},
		diffCase{name: "projection dotted exclusion", op: fnd(findSpec{filter: `{"_id": {"$lte": 8}}`, proj: `{"items.v": 0, "sub.y": 0, "a.b": 0}`})},
		diffCase{name: "projection elemMatch", op: fnd(findSpec{filter: `{"_id": {"$lte": 8}}`, proj: `{"items": {"$elemMatch": {"k": {"$gte": 2}}}}`}),
			noFerret: "FerretDB v1 does not implement the $elemMatch projection",
			want: `[{"_id": 1, "items": [{"k": 2, "v": "b"}]}, {"_id": 2, "items": [{"k": 3, "v": "c"}]}, {"_id": 3}, {"_id": 4},
				{"_id": 5}, {"_id": 6}, {"_id": 7}, {"_id": 8, "items": [{"k": 2, "v": "a"}]}]`},
		diffCase{name: "projection slice", op: fnd(findSpec{filter: `{"_id": {"$lte": 3}}`, proj: `{"tags": {"$slice": 1}, "b": 1}`}),
			noFerret: "FerretDB v1 does not implement the $slice projection",
			want:     `[{"_id": 1, "b": "x", "tags": ["red"]}, {"_id": 2, "b": "y", "tags": ["blue"]}, {"_id": 3, "b": "X", "tags": []}]`},
		diffCase{name: "projection mixed is an error", op: fnd(findSpec{proj: `{"a": 1, "b": 0}`})},
	)

	// Counting and distinct.
	add("q",
		diffCase{name: "count all", op: count(`{}`, 0, 0)},
		diffCase{name: "count filter", op: count(`{"a.b": {"$exists": true}}`, 0, 0)},
		diffCase{name: "count skip limit", op: count(`{}`, 3, 5)},
		diffCase{name: "count skip past end", op: count(`{"b": "x"}`, 2, 0)},
		diffCase{name: "estimated count", op: func(ctx context.Context, c *mongo.Collection) (any, error) {
			return c.EstimatedDocumentCount(ctx)
		}},
		diffCase{name: "distinct values", op: sortedDistinct("b", `{}`)},
		diffCase{name: "distinct flattens arrays", op: sortedDistinct("tags", `{}`)},
		diffCase{name: "distinct mixed types", op: sortedDistinct("a", `{}`)},
		diffCase{name: "distinct dotted through arrays", op: sortedDistinct("items.k", `{}`)},
		diffCase{name: "distinct filtered", op: sortedDistinct("items.v", `{"_id": {"$gt": 1}}`)},
		diffCase{name: "distinct missing", op: sortedDistinct("nope", `{}`)},
		// Open question 2: does distinct sort its values? MongoDB's manual
		// promises no order, but mongod collects the values in a set ordered
		// by BSON comparison, and FerretDB sorts them too; so does the fake.
		// These keep the servers' order (the values were stored unsorted).
		diffCase{name: "distinct order", op: distinct("b", `{}`),
			want: `[null, "ABC", "X", "abc", "x", "x y", "xyz", "y", "z"]`},
	)
	add("o",
		diffCase{name: "distinct order numbers", op: distinct("price", `{}`), want: `[0.5, 1, 1.5, 2, 3, 4]`},
	)

	// Aggregation.
	add("o",
		diffCase{name: "agg match", op: agg(`[{"$match": {"cust": "a"}}]`)},
		diffCase{name: "agg match sort limit", op: agg(`[{"$match": {"price": {"$gte": 1}}}, {"$sort": {"price": -1}}, {"$limit": 3}]`)},
		diffCase{name: "agg sort skip", op: agg(`[{"$sort": {"cust": 1, "_id": -1}}, {"$skip": 2}]`)},
		diffCase{name: "agg group sum", op: agg(`[{"$group": {"_id": "$cust", "sum": {"$sum": "$qty"}, "n": {"$sum": 1}, "prices": {"$sum": "$price"}}}, {"$sort": {"_id": 1}}]`),
			ferretWrong: "only the first $sum of a $group is computed, the others come back 0",
			want:        `[{"_id": "a", "sum": {"$numberLong": "9"}, "n": 2, "prices": 4.5}, {"_id": "b", "sum": 6, "n": 2, "prices": 2.5}, {"_id": "c", "sum": 0, "n": 2, "prices": 5}]`},
		diffCase{name: "agg group avg", op: agg(`[{"$group": {"_id": "$cust", "avg": {"$avg": "$qty"}}}, {"$sort": {"_id": 1}}]`),
			noFerret: "FerretDB v1 does not implement the $avg accumulator",
			want:     `[{"_id": "a", "avg": 4.5}, {"_id": "b", "avg": 3.0}, {"_id": "c", "avg": null}]`},
		diffCase{name: "agg group min max", op: agg(`[{"$group": {"_id": "$cust", "min": {"$min": "$qty"}, "max": {"$max": "$qty"}}}, {"$sort": {"_id": 1}}]`),
			noFerret: "FerretDB v1 does not implement the $min and $max accumulators",
			want:     `[{"_id": "a", "min": 2, "max": {"$numberLong": "7"}}, {"_id": "b", "min": 1, "max": 5}, {"_id": "c", "min": null, "max": null}]`},
		diffCase{name: "agg group push", op: agg(`[{"$sort": {"_id": 1}}, {"$group": {"_id": "$cust", "push": {"$push": "$qty"}, "items": {"$push": "$items"}}}, {"$sort": {"_id": 1}}]`),
			noFerret: "FerretDB v1 does not implement the $push accumulator",
			want:     `[{"_id": "a", "push": [2, {"$numberLong": "7"}], "items": [["x", "y"], []]}, {"_id": "b", "push": [5, 1], "items": [["x"], "z"]}, {"_id": "c", "push": [null], "items": []}]`},
		diffCase{name: "agg group first", op: agg(`[{"$sort": {"_id": -1}}, {"$group": {"_id": "$cust", "first": {"$first": "$qty"}}}, {"$sort": {"_id": 1}}]`),
			noFerret: "FerretDB v1 does not implement the $first accumulator",
			want:     `[{"_id": "a", "first": {"$numberLong": "7"}}, {"_id": "b", "first": 1}, {"_id": "c", "first": null}]`},
		diffCase{name: "agg group null id", op: agg(`[{"$group": {"_id": null, "n": {"$sum": 1}, "total": {"$sum": "$price"}}}]`),
			ferretWrong: "only the first $sum of a $group is computed, the others come back 0",
			want:        `[{"_id": null, "n": 6, "total": 12.0}]`},
		diffCase{name: "agg group null id reversed", op: agg(`[{"$group": {"_id": null, "total": {"$sum": "$price"}, "n": {"$sum": 1}}}]`),
			ferretWrong: "only the first $sum of a $group is computed, the others come back 0",
			want:        `[{"_id": null, "total": 12.0, "n": 6}]`},
		diffCase{name: "agg group null id avg max", op: agg(`[{"$group": {"_id": null, "avg": {"$avg": "$price"}, "max": {"$max": "$price"}}}]`),
			noFerret: "FerretDB v1 does not implement the $avg and $max accumulators",
			want:     `[{"_id": null, "avg": 2.0, "max": 4}]`},
		diffCase{name: "agg group unordered", unordered: true, op: agg(`[{"$group": {"_id": "$cust", "n": {"$sum": 1}}}]`)},
		diffCase{name: "agg group by sub-document", op: agg(`[{"$group": {"_id": {"c": "$cust"}, "q": {"$sum": "$qty"}}}, {"$sort": {"_id.c": -1}}]`)},
		diffCase{name: "agg group by missing", op: agg(`[{"$group": {"_id": "$nope", "n": {"$sum": 1}}}]`)},
		diffCase{name: "agg project inclusion", op: agg(`[{"$project": {"price": 1, "cust": 1}}]`)},
		diffCase{name: "agg project exclusion", op: agg(`[{"$project": {"items": 0, "ship": 0, "_id": 0}}]`)},
		diffCase{name: "agg project dotted", op: agg(`[{"$project": {"ship.city": 1}}]`)},
		diffCase{name: "agg project field path", op: agg(`[{"$project": {"c": "$cust", "city": "$ship.city"}}]`),
			ferretWrong: "outputs \"$cust\" as a literal string instead of evaluating the field path",
			want:        `[{"_id": 1, "c": "a", "city": "P"}, {"_id": 2, "c": "b", "city": "Q"}, {"_id": 3, "c": "a", "city": ["R", "S"]}, {"_id": 4, "c": "c"}, {"_id": 5, "c": "b"}, {"_id": 6, "c": "c"}]`},
		// Open question 3: an inclusion $project with computed fields
		// outputs _id, then the included fields in the document's order,
		// then the computed fields in the specification's order (mongod's
		// ProjectionNode applies the projections, then the expressions).
		diffCase{name: "agg project computed field order", op: agg(`[{"$project": {"z": "$price", "price": 1, "cust": 1, "a": "$qty"}}]`),
			ferretWrong: "outputs field paths as literal strings (its field order agrees)",
			want:        `[{"_id": 1, "cust": "a", "price": 1.5, "z": 1.5, "a": 2}, {"_id": 2, "cust": "b", "price": 2, "z": 2, "a": 5}, {"_id": 3, "cust": "a", "price": 3, "z": 3, "a": {"$numberLong": "7"}}, {"_id": 4, "cust": "c", "price": 4, "z": 4, "a": null}, {"_id": 5, "cust": "b", "price": 0.5, "z": 0.5, "a": 1}, {"_id": 6, "cust": "c", "price": 1, "z": 1}]`},
		diffCase{name: "agg project computed over existing", op: agg(`[{"$project": {"qty": "$price", "cust": 1}}]`),
			ferretWrong: "outputs field paths as literal strings (its field order agrees)",
			want:        `[{"_id": 1, "cust": "a", "qty": 1.5}, {"_id": 2, "cust": "b", "qty": 2}, {"_id": 3, "cust": "a", "qty": 3}, {"_id": 4, "cust": "c", "qty": 4}, {"_id": 5, "cust": "b", "qty": 0.5}, {"_id": 6, "cust": "c", "qty": 1}]`},
		diffCase{name: "agg project literal", noFerret: "FerretDB v1 has no expression operators in $project",
			op:   agg(`[{"$match": {"_id": {"$lte": 2}}}, {"$project": {"x": {"$literal": 1}, "cust": 1, "t": {"$multiply": ["$qty", "$price"]}}}]`),
			want: `[{"_id": 1, "cust": "a", "x": 1, "t": 3.0}, {"_id": 2, "cust": "b", "x": 1, "t": 10}]`},
		diffCase{name: "agg unwind", op: agg(`[{"$unwind": "$items"}, {"$project": {"items": 1}}]`)},
		diffCase{name: "agg unwind preserve", op: agg(`[{"$unwind": {"path": "$items", "preserveNullAndEmptyArrays": true}}, {"$project": {"items": 1}}]`),
			noFerret: "FerretDB v1 does not implement preserveNullAndEmptyArrays",
			want:     `[{"_id": 1, "items": "x"}, {"_id": 1, "items": "y"}, {"_id": 2, "items": "x"}, {"_id": 3}, {"_id": 4}, {"_id": 5, "items": "z"}, {"_id": 6}]`},
		diffCase{name: "agg unwind index", op: agg(`[{"$unwind": {"path": "$items", "includeArrayIndex": "i"}}, {"$project": {"items": 1, "i": 1}}]`),
			noFerret: "FerretDB v1 does not implement includeArrayIndex",
			want:     `[{"_id": 1, "items": "x", "i": {"$numberLong": "0"}}, {"_id": 1, "items": "y", "i": {"$numberLong": "1"}}, {"_id": 2, "items": "x", "i": {"$numberLong": "0"}}, {"_id": 5, "items": "z", "i": null}]`},
		diffCase{name: "agg unwind group", op: agg(`[{"$unwind": "$items"}, {"$group": {"_id": "$items", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]`)},
		diffCase{name: "agg count", op: agg(`[{"$match": {"qty": {"$gte": 2}}}, {"$count": "n"}]`)},
		diffCase{name: "agg count none", op: agg(`[{"$match": {"qty": "none"}}, {"$count": "n"}]`)},
		diffCase{name: "agg addFields", op: agg(`[{"$addFields": {"c": "$cust", "k": "v"}}, {"$project": {"c": 1, "k": 1, "cust": 1}}]`),
			ferretWrong: "outputs \"$cust\" as a literal string instead of evaluating the field path",
			want:        `[{"_id": 1, "cust": "a", "c": "a", "k": "v"}, {"_id": 2, "cust": "b", "c": "b", "k": "v"}, {"_id": 3, "cust": "a", "c": "a", "k": "v"}, {"_id": 4, "cust": "c", "c": "c", "k": "v"}, {"_id": 5, "cust": "b", "c": "b", "k": "v"}, {"_id": 6, "cust": "c", "c": "c", "k": "v"}]`},
		diffCase{name: "agg addFields literal", op: agg(`[{"$addFields": {"k": "v", "cust": 1}}]`)},
		// Open question 4: an object value in $addFields merges into an
		// existing sub-document (and applies to each document of an array):
		// mongod parses an object whose first key is not an operator as
		// nested fields, so {ship: {country: "X"}} is {"ship.country": "X"}.
		diffCase{name: "agg addFields object merges", op: agg(`[{"$addFields": {"ship": {"country": "X"}}}, {"$project": {"ship": 1}}]`),
			ferretWrong: "replaces the sub-document instead of merging into it",
			want:        `[{"_id": 1, "ship": {"city": "P", "zip": "1", "country": "X"}}, {"_id": 2, "ship": {"city": "Q", "country": "X"}}, {"_id": 3, "ship": [{"city": "R", "country": "X"}, {"city": "S", "country": "X"}]}, {"_id": 4, "ship": {"country": "X"}}, {"_id": 5, "ship": {"country": "X"}}, {"_id": 6, "ship": {"country": "X"}}]`},
		diffCase{name: "agg addFields dotted", op: agg(`[{"$addFields": {"ship.country": "X"}}, {"$project": {"ship": 1}}]`),
			ferretWrong: "does not set embedded fields through a dotted path",
			want:        `[{"_id": 1, "ship": {"city": "P", "zip": "1", "country": "X"}}, {"_id": 2, "ship": {"city": "Q", "country": "X"}}, {"_id": 3, "ship": [{"city": "R", "country": "X"}, {"city": "S", "country": "X"}]}, {"_id": 4, "ship": {"country": "X"}}, {"_id": 5, "ship": {"country": "X"}}, {"_id": 6, "ship": {"country": "X"}}]`},
		diffCase{name: "agg addFields through array of scalars", op: agg(`[{"$addFields": {"items.k": 1}}, {"$project": {"items": 1}}]`),
			ferretWrong: "does not set embedded fields through a dotted path",
			want:        `[{"_id": 1, "items": [{"k": 1}, {"k": 1}]}, {"_id": 2, "items": [{"k": 1}]}, {"_id": 3, "items": []}, {"_id": 4, "items": {"k": 1}}, {"_id": 5, "items": {"k": 1}}, {"_id": 6, "items": {"k": 1}}]`},
		diffCase{name: "agg set", op: agg(`[{"$set": {"cust": "$price"}}, {"$project": {"cust": 1}}]`),
			ferretWrong: "outputs \"$price\" as a literal string instead of evaluating the field path",
			want:        `[{"_id": 1, "cust": 1.5}, {"_id": 2, "cust": 2}, {"_id": 3, "cust": 3}, {"_id": 4, "cust": 4}, {"_id": 5, "cust": 0.5}, {"_id": 6, "cust": 1}]`},
		diffCase{name: "agg unset", op: agg(`[{"$unset": ["items", "ship"]}]`)},
	)

	// Nested arrays, against the fake only.
	const nested = "FerretDB v1 does not store nested arrays"
	add("n",
		// A nested array's scalars and documents each get the field
		// (MongoDB's ProjectionNode::applyExpressionsToValue).
		diffCase{name: "nested addFields through arrays", noFerret: nested,
			op:   agg(`[{"$addFields": {"a.b": 1}}]`),
			want: `[{"_id": 1, "a": [{"b": 1}, {"c": 1, "b": 1}, [{"b": 1}, {"c": 2, "b": 1}]]}, {"_id": 2, "a": [[]]}]`},
		// Since MongoDB 9.0 an array holding an array evaluates as null on a
		// dotted path (see "dotted null").
		diffCase{name: "nested dotted null", noFerret: nested, op: q(`{"a.b": null}`), wantIDs: []int{1, 2}},
		diffCase{name: "nested eq array element", noFerret: nested, op: q(`{"a": [1, {"c": 2}]}`), wantIDs: []int{1}},
		diffCase{name: "nested eq empty array element", noFerret: nested, op: q(`{"a": []}`), wantIDs: []int{2}},
		// Distinct takes a nested array as one value.
		diffCase{name: "nested distinct", noFerret: nested, op: distinct("a", `{}`),
			want: `[5, {"c": 1}, [], [1, {"c": 2}]]`},
	)

	// Updates.
	add("u",
		diffCase{name: "set", write: true, op: updateOne(`{"_id": 1}`, `{"$set": {"sub.y": 2, "z": "new", "n": 5}}`, false)},
		diffCase{name: "set new fields order", write: true, op: updateOne(`{"_id": 3}`, `{"$set": {"zz": 1, "aa": 2, "mm.b": 3}}`, false)},
		diffCase{name: "set array element", write: true, op: updateOne(`{"_id": 1}`, `{"$set": {"arr.1": 20, "objs.0.v": "A"}}`, false)},
		diffCase{name: "set unchanged", write: true, op: updateOne(`{"_id": 1}`, `{"$set": {"n": 1}}`, false)},
		diffCase{name: "set no match", write: true, op: updateMany(`{"nope": 1}`, `{"$set": {"n": 1}}`, false)},
		diffCase{name: "set _id", write: true, op: updateOne(`{"_id": 1}`, `{"$set": {"_id": 9}}`, false)},
		diffCase{name: "set through scalar", write: true, op: updateOne(`{"_id": 1}`, `{"$set": {"n.x": 1}}`, false)},
		diffCase{name: "inc", write: true, op: updateMany(`{"_id": {"$in": [1, 3]}}`, `{"$inc": {"n": 2, "new": 1}}`, false)},
		diffCase{name: "inc int32 overflows to int64", write: true, op: updateOne(`{"_id": 3}`, `{"$inc": {"i": 1}}`, false)},
		// Open question 6: $inc of a long past its range fails (MongoDB's
		// "Failed to apply $inc operations to current value"), unlike $add,
		// which turns to a double.
		diffCase{name: "inc int64 overflow", write: true, op: updateOne(`{"_id": 2}`, `{"$inc": {"n": 1}}`, false)},
		diffCase{name: "inc int32 by a long overflow", write: true, op: updateOne(`{"_id": 3}`, `{"$inc": {"i": {"$numberLong": "9223372036854775807"}}}`, false)},
		diffCase{name: "mul int64 overflow", write: true, op: updateOne(`{"_id": 2}`, `{"$mul": {"n": 2}}`, false)},
		diffCase{name: "mul int32 overflows to int64", write: true, op: updateOne(`{"_id": 3}`, `{"$mul": {"i": 2}}`, false)},
		diffCase{name: "inc int64 with double", write: true, op: updateOne(`{"_id": 2}`, `{"$inc": {"n": 1.5}}`, false)},
		diffCase{name: "inc non-numeric", write: true, op: updateOne(`{"_id": 2}`, `{"$inc": {"s": 1}}`, false)},
		// MongoDB keeps field order through updates except that $rename
		// "may result in the reordering of fields" (the manual's Document
		// Field Order).
		diffCase{name: "rename", write: true, anyKeyOrder: true, op: updateOne(`{"_id": 1}`, `{"$rename": {"n": "m", "sub.x": "sub.z"}}`, false)},
		diffCase{name: "unset", write: true, op: updateOne(`{"_id": 1}`, `{"$unset": {"sub.x": "", "arr": 1, "nope": 1}}`, false)},
		diffCase{name: "push", write: true, op: updateOne(`{"_id": 1}`, `{"$push": {"arr": 4, "new": "a"}}`, false)},
		diffCase{name: "push each", write: true, op: updateOne(`{"_id": 1}`, `{"$push": {"arr": {"$each": [5, 6]}}}`, false)},
		diffCase{name: "push onto non-array", write: true, op: updateOne(`{"_id": 1}`, `{"$push": {"n": 4}}`, false)},
		diffCase{name: "addToSet", write: true, op: updateOne(`{"_id": 1}`, `{"$addToSet": {"arr": 2, "objs": {"k": 1}, "new": 1}}`, false)},
		diffCase{name: "addToSet each", write: true, op: updateOne(`{"_id": 1}`, `{"$addToSet": {"arr": {"$each": [3, 7, 7]}}}`, false)},
		diffCase{name: "pull value", write: true, op: updateOne(`{"_id": 1}`, `{"$pull": {"arr": 2}}`, false)},
		diffCase{name: "pull condition", write: true, op: updateOne(`{"_id": 1}`, `{"$pull": {"arr": {"$gte": 2}}}`, false),
			ferretWrong: "ignores a $pull condition with query operators",
			want: `{"result": {"matched": 1, "modified": 1, "upserted": 0, "upsertedID": null}, "docs": [{"_id": 1, "n": 1, "arr": [1], "objs": [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}, {"k": 1}], "sub": {"x": 1}},
				{"_id": 2, "n": {"$numberLong": "9223372036854775807"}, "s": "x"}, {"_id": 3, "n": 2.5, "tags": ["a"], "i": 2147483647}]}`},
		// Open question 5: a plain document condition is a query on each
		// element, so {k: 1} also removes {k: 1, v: "a"}.
		diffCase{name: "pull document condition", write: true, op: updateOne(`{"_id": 1}`, `{"$pull": {"objs": {"k": 1}}}`, false),
			ferretWrong: "removes only elements equal to the document",
			want: `{"result": {"matched": 1, "modified": 1, "upserted": 0, "upsertedID": null}, "docs": [{"_id": 1, "n": 1, "arr": [1, 2, 3, 2], "objs": [{"k": 2, "v": "b"}], "sub": {"x": 1}},
				{"_id": 2, "n": {"$numberLong": "9223372036854775807"}, "s": "x"}, {"_id": 3, "n": 2.5, "tags": ["a"], "i": 2147483647}]}`},
		diffCase{name: "pull document operator condition", write: true, op: updateOne(`{"_id": 1}`, `{"$pull": {"objs": {"v": {"$exists": true}}}}`, false),
			ferretWrong: "ignores a $pull condition with query operators",
			want: `{"result": {"matched": 1, "modified": 1, "upserted": 0, "upsertedID": null}, "docs": [{"_id": 1, "n": 1, "arr": [1, 2, 3, 2], "objs": [{"k": 1}], "sub": {"x": 1}},
				{"_id": 2, "n": {"$numberLong": "9223372036854775807"}, "s": "x"}, {"_id": 3, "n": 2.5, "tags": ["a"], "i": 2147483647}]}`},
		diffCase{name: "pull missing field", write: true, op: updateOne(`{"_id": 2}`, `{"$pull": {"arr": 1}}`, false)},
		diffCase{name: "upsert insert", write: true, op: updateOne(`{"_id": 9, "k": "x"}`, `{"$set": {"v": 1}}`, true)},
		diffCase{name: "upsert generated id", write: true, op: updateOne(`{"k": "y", "n": {"$gt": 1}}`, `{"$set": {"v": 1}, "$setOnInsert": {"w": 2}}`, true)},
		diffCase{name: "upsert existing", write: true, op: updateOne(`{"_id": 1}`, `{"$set": {"v": 1}, "$setOnInsert": {"w": 2}}`, true)},
		diffCase{name: "upsert many", write: true, op: updateMany(`{"k": "z"}`, `{"$inc": {"c": 1}}`, true)},
		diffCase{name: "replaceOne", write: true, op: replaceOne(`{"_id": 1}`, `{"x": 1, "y": [1, 2]}`, false)},
		diffCase{name: "replaceOne same _id", write: true, op: replaceOne(`{"n": 2.5}`, `{"_id": 3, "x": 2}`, false)},
		diffCase{name: "replaceOne other _id", write: true, op: replaceOne(`{"_id": 1}`, `{"_id": 7, "x": 1}`, false)},
		diffCase{name: "replaceOne upsert", write: true, op: replaceOne(`{"_id": 8}`, `{"x": 1}`, true)},
		diffCase{name: "replaceOne upsert generated id", write: true, op: replaceOne(`{"k": 1}`, `{"x": 1}`, true)},
		diffCase{name: "findOneAndUpdate", write: true, op: findOneAndUpdate(`{"_id": {"$gt": 1}}`, `{"_id": -1}`, `{"$set": {"f": 1}}`, true)},
		diffCase{name: "findOneAndUpdate before", write: true, op: findOneAndUpdate(`{"n": {"$type": "number"}}`, `{"n": 1}`, `{"$inc": {"n": 1}}`, false)},
		// Neither server implements pipeline-style updates: the fake refuses
		// them (and lists them in Unsupported).
		diffCase{name: "pipeline update", write: true, noFerret: "FerretDB v1 has no pipeline updates",
			op: updatePipeline(`{"_id": 1}`, `[{"$set": {"m": "$n"}}]`),
			want: `{"result": {"writeErrors": [{"index": 0, "code": 238}]}, "docs": [
				{"_id": 1, "n": 1, "arr": [1, 2, 3, 2], "objs": [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}, {"k": 1}], "sub": {"x": 1}},
				{"_id": 2, "n": {"$numberLong": "9223372036854775807"}, "s": "x"}, {"_id": 3, "n": 2.5, "tags": ["a"], "i": 2147483647}]}`},
	)

	// Deletes and inserts.
	add("u",
		diffCase{name: "deleteOne", write: true, op: deleteOne(`{"n": {"$type": "number"}}`)},
		diffCase{name: "deleteMany", write: true, op: deleteMany(`{"n": {"$gte": 2}}`)},
		diffCase{name: "deleteMany none", write: true, op: deleteMany(`{"nope": 1}`)},
		diffCase{name: "deleteMany all", write: true, op: deleteMany(`{}`)},
		diffCase{name: "insertMany", write: true, op: insertMany(`[{"_id": 4}, {"x": 1}]`, true)},
		diffCase{name: "insertMany duplicate ordered", write: true, op: insertMany(`[{"_id": 4}, {"_id": 1, "dup": true}, {"_id": 5}]`, true)},
		diffCase{name: "insertMany duplicate unordered", write: true, op: insertMany(`[{"_id": 4}, {"_id": 1, "dup": true}, {"_id": 5}, {"_id": 4}]`, false)},
	)
	return cases
}
