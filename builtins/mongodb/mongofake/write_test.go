package mongofake

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

const updateBase = `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`

func TestUpdateOperators(t *testing.T) {
	s, db := startDB(t, nil)
	c := db.Collection("u")
	tests := []struct {
		update   string
		want     string // the document after, minus unchanged fields shown in updateBase
		modified int64
		code     int
	}{
		{update: `{"$set": {"a": 5}}`, want: `{"_id": 1, "a": 5, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$set": {"b.d": 3}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2, "d": 3}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$set": {"z": 1, "y": {"w": 2}}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}], "y": {"w": 2}, "z": 1}`, modified: 1},
		{update: `{"$set": {"arr.1": 9}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 9, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$set": {"arr.5": 6}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 2, 3, null, null, 6], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$set": {"objs.1.k": 7}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 7}]}`, modified: 1},
		{update: `{"$set": {"b.c": 2}}`, want: updateBase, modified: 0},
		{update: `{"$set": {"s.x": 1}}`, code: 28},
		{update: `{"$set": {"objs.k": 1}}`, code: 28},
		{update: `{"$unset": {"a": "", "nope": ""}}`, want: `{"_id": 1, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$unset": {"arr.0": ""}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [null, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$inc": {"a": 2, "n": 1}}`, want: `{"_id": 1, "a": 3, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}], "n": 1}`, modified: 1},
		{update: `{"$inc": {"a": 1.5}}`, want: `{"_id": 1, "a": 2.5, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$inc": {"s": 1}}`, code: 14},
		{update: `{"$inc": {"a": "1"}}`, code: 14},
		{update: `{"$mul": {"a": 3, "q": 2}}`, want: `{"_id": 1, "a": 3, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}], "q": 0}`, modified: 1},
		{update: `{"$min": {"a": 0}}`, want: `{"_id": 1, "a": 0, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$min": {"a": 5}}`, want: updateBase, modified: 0},
		{update: `{"$max": {"a": 5, "m": 1}}`, want: `{"_id": 1, "a": 5, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}], "m": 1}`, modified: 1},
		{update: `{"$push": {"arr": 4}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 2, 3, 4], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$push": {"arr": {"$each": [5, 0], "$sort": 1, "$slice": 3}}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [0, 1, 2], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$push": {"arr": {"$each": [9], "$position": 0}}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [9, 1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$push": {"objs": {"$each": [{"k": 0}], "$sort": {"k": -1}, "$slice": -2}}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 0}]}`, modified: 1},
		{update: `{"$push": {"new": 1}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}], "new": [1]}`, modified: 1},
		{update: `{"$push": {"s": 1}}`, code: 2},
		{update: `{"$addToSet": {"arr": 2}}`, want: updateBase, modified: 0},
		{update: `{"$addToSet": {"arr": {"$each": [3, 4, 4]}}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 2, 3, 4], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$pull": {"arr": 2}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$pull": {"arr": {"$gte": 2}}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$pull": {"objs": {"k": 1}}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 2}]}`, modified: 1},
		{update: `{"$pullAll": {"arr": [1, 3]}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [2], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$pop": {"arr": 1}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [1, 2], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$pop": {"arr": -1}}`, want: `{"_id": 1, "a": 1, "b": {"c": 2}, "arr": [2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$rename": {"a": "z"}}`, want: `{"_id": 1, "b": {"c": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}], "z": 1}`, modified: 1},
		{update: `{"$rename": {"b.c": "b.e"}}`, want: `{"_id": 1, "a": 1, "b": {"e": 2}, "arr": [1, 2, 3], "s": "x", "objs": [{"k": 1}, {"k": 2}]}`, modified: 1},
		{update: `{"$rename": {"nope": "x"}}`, want: updateBase, modified: 0},
		{update: `{"$setOnInsert": {"q": 1}}`, want: updateBase, modified: 0},
		{update: `{"$set": {"_id": 2}}`, code: 66},
		{update: `{"$set": {"_id": 1}}`, want: updateBase, modified: 0},
		{update: `{"$set": {"a": 1}, "$inc": {"a": 1}}`, code: 40},
		{update: `{"$set": {"b": 1, "b.c": 2}}`, code: 40},
		{update: `{"$foo": {"a": 1}}`, code: 9},
		{update: `{"$bit": {"a": {"and": 1}}}`, code: 238},
		{update: `{"$set": {"objs.$.k": 1}}`, code: 238},
		{update: `{"$set": 5}`, code: 9},
	}
	ctx := ctxT(t)
	for _, tt := range tests {
		t.Run(tt.update, func(t *testing.T) {
			if _, err := c.DeleteMany(ctx, bson.D{}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.InsertOne(ctx, j(updateBase)); err != nil {
				t.Fatal(err)
			}
			res, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, j(tt.update))
			if tt.code != 0 {
				if errCode(err) != tt.code {
					t.Fatalf("err %v, want code %d", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.MatchedCount != 1 || res.ModifiedCount != tt.modified {
				t.Errorf("matched %d modified %d, want 1 and %d", res.MatchedCount, res.ModifiedCount, tt.modified)
			}
			if got, want := docsJSON(s.Documents("t", "u")), normJSON("["+tt.want+"]"); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	if !slices.Contains(s.Unsupported(), "update operator $bit") {
		t.Errorf("Unsupported() = %q", s.Unsupported())
	}
}

func TestCurrentDateAndReplace(t *testing.T) {
	s, db := startDB(t, seedOf("u", `{"_id": 1, "a": 1}`))
	c := db.Collection("u")
	ctx := ctxT(t)
	before := time.Now().Add(-time.Second)
	if _, err := c.UpdateOne(ctx, bson.D{}, j(`{"$currentDate": {"d": true, "ts": {"$type": "timestamp"}}}`)); err != nil {
		t.Fatal(err)
	}
	doc := s.Documents("t", "u")[0]
	d, _ := lookupField(doc, "d")
	ts, _ := lookupField(doc, "ts")
	if dt, ok := d.(bson.DateTime); !ok || dt.Time().Before(before) {
		t.Errorf("d = %#v", d)
	}
	if _, ok := ts.(bson.Timestamp); !ok {
		t.Errorf("ts = %#v", ts)
	}
	// A replacement keeps _id first.
	if _, err := c.ReplaceOne(ctx, bson.D{{Key: "a", Value: 1}}, j(`{"x": 1}`)); err != nil {
		t.Fatal(err)
	}
	if got := docsJSON(s.Documents("t", "u")); got != `[{"_id":1,"x":1}]` {
		t.Errorf("after replace: %s", got)
	}
	if _, err := c.ReplaceOne(ctx, bson.D{}, j(`{"_id": 2}`)); errCode(err) != 66 {
		t.Errorf("replacing _id: %v, want code 66", err)
	}
}

func TestUpdateManyAndUpsert(t *testing.T) {
	s, db := startDB(t, seedOf("u", `{"_id": 1, "g": 1}`, `{"_id": 2, "g": 1}`, `{"_id": 3, "g": 2}`))
	c := db.Collection("u")
	ctx := ctxT(t)
	res, err := c.UpdateMany(ctx, bson.D{{Key: "g", Value: 1}}, j(`{"$inc": {"n": 1}}`))
	if err != nil || res.MatchedCount != 2 || res.ModifiedCount != 2 {
		t.Fatalf("UpdateMany: %+v, %v", res, err)
	}
	tests := []struct {
		name   string
		filter string
		update string
		want   string // the upserted document, with its _id replaced by "ID" when generated
	}{
		{"equality fields", `{"g": 5, "k.x": "a", "r": {"$gt": 1}}`, `{"$set": {"v": 1}, "$setOnInsert": {"new": true}}`,
			`{"_id": "ID", "g": 5, "k": {"x": "a"}, "new": true, "v": 1}`},
		{"$eq and $and", `{"$and": [{"g": {"$eq": 6}}, {"h": {"$in": [7]}}]}`, `{"$inc": {"n": 2}}`,
			`{"_id": "ID", "g": 6, "h": 7, "n": 2}`},
		{"_id from query", `{"_id": 10}`, `{"$set": {"v": 1}}`, `{"_id": 10, "v": 1}`},
		{"replacement", `{"_id": 11, "g": 9}`, `{"x": 1}`, `{"_id": 11, "x": 1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res *mongo.UpdateResult
			var err error
			if u := j(tt.update); len(u) > 0 && u[0].Key[0] == '$' {
				res, err = c.UpdateOne(ctx, j(tt.filter), u, options.UpdateOne().SetUpsert(true))
			} else {
				res, err = c.ReplaceOne(ctx, j(tt.filter), u, options.Replace().SetUpsert(true))
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.UpsertedCount != 1 || res.UpsertedID == nil || res.MatchedCount != 0 {
				t.Fatalf("result %+v", res)
			}
			docs := s.Documents("t", "u")
			got := docs[len(docs)-1]
			if _, ok := got[0].Value.(bson.ObjectID); ok && got[0].Key == "_id" {
				if got[0].Value != res.UpsertedID {
					t.Errorf("UpsertedID %v, stored %v", res.UpsertedID, got[0].Value)
				}
				got[0].Value = "ID"
			}
			if js(got) != js(j(tt.want)) {
				t.Errorf("got  %s\nwant %s", js(got), js(j(tt.want)))
			}
		})
	}
	// An upsert that matches updates instead.
	res, err = c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 10}}, j(`{"$set": {"v": 2}}`), options.UpdateOne().SetUpsert(true))
	if err != nil || res.MatchedCount != 1 || res.UpsertedCount != 0 {
		t.Errorf("matching upsert: %+v, %v", res, err)
	}
}

func TestInsert(t *testing.T) {
	s, db := startDB(t, seedOf("i", `{"_id": 1}`))
	c := db.Collection("i")
	ctx := ctxT(t)
	tests := []struct {
		name     string
		ordered  bool
		ids      []any
		inserted []any
		errIdx   []int
	}{
		{"ordered stops at the duplicate", true, []any{2, 3, 1, 4}, []any{2, 3}, []int{2}},
		{"unordered goes on", false, []any{5, 1, 6, 5}, []any{5, 6}, []int{1, 3}},
		// 7 and 7.0 are the same key, as in a unique index.
		{"numeric types share keys", false, []any{7, 7.0, int64(7)}, []any{7}, []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var docs []any
			for _, id := range tt.ids {
				docs = append(docs, bson.D{{Key: "_id", Value: id}})
			}
			_, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(tt.ordered))
			var bwe mongo.BulkWriteException
			if !errors.As(err, &bwe) {
				t.Fatalf("err %v, want a BulkWriteException", err)
			}
			var idx []int
			for _, we := range bwe.WriteErrors {
				if we.Code != 11000 || !mongo.IsDuplicateKeyError(err) {
					t.Errorf("write error %+v, want 11000", we)
				}
				idx = append(idx, we.Index)
			}
			if !slices.Equal(idx, tt.errIdx) {
				t.Errorf("errors at %v, want %v", idx, tt.errIdx)
			}
			for _, id := range tt.inserted {
				if n, _ := c.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}}); n != 1 {
					t.Errorf("_id %v stored %d times", id, n)
				}
			}
		})
	}
	// The server adds an ObjectID _id, first, when a document has none
	// (the driver normally adds one itself; RunCommand does not).
	if err := db.RunCommand(ctx, j(`{"insert": "gen", "documents": [{"x": 1}]}`)).Err(); err != nil {
		t.Fatal(err)
	}
	doc := s.Documents("t", "gen")[0]
	if _, ok := doc[0].Value.(bson.ObjectID); !ok || doc[0].Key != "_id" {
		t.Errorf("generated document %s", js(doc))
	}
	// Invalid _id values are rejected.
	if _, err := c.InsertOne(ctx, j(`{"_id": [1]}`)); errCode(err) != 53 {
		t.Errorf("array _id: %v, want code 53", err)
	}
}

func TestUnacknowledgedWrites(t *testing.T) {
	s, db := startDB(t, nil)
	c := db.Collection("w", options.Collection().SetWriteConcern(writeconcern.Unacknowledged()))
	ctx := ctxT(t)
	res, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}})
	if err != nil || res.Acknowledged {
		t.Fatalf("%+v, %v", res, err)
	}
	// The server sends no reply (moreToCome); a later acknowledged command
	// on the same server sees the write.
	if n, err := db.Collection("w").CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
		t.Errorf("count %d, %v", n, err)
	}
	if len(s.Documents("t", "w")) != 1 {
		t.Error("document not stored")
	}
}

func TestDelete(t *testing.T) {
	_, db := startDB(t, seedOf("d", `{"_id": 1, "g": 1}`, `{"_id": 2, "g": 1}`, `{"_id": 3, "g": 2}`, `{"_id": 4, "g": 1}`))
	c := db.Collection("d")
	ctx := ctxT(t)
	res, err := c.DeleteOne(ctx, bson.D{{Key: "g", Value: 1}})
	if err != nil || res.DeletedCount != 1 {
		t.Fatalf("DeleteOne: %+v %v", res, err)
	}
	if got, _ := ids(t, c, bson.D{}); got != `[2,3,4]` {
		t.Errorf("after DeleteOne: %s", got)
	}
	res, err = c.DeleteMany(ctx, bson.D{{Key: "g", Value: 1}})
	if err != nil || res.DeletedCount != 2 {
		t.Fatalf("DeleteMany: %+v %v", res, err)
	}
	res, err = c.DeleteMany(ctx, bson.D{{Key: "g", Value: 9}})
	if err != nil || res.DeletedCount != 0 {
		t.Fatalf("DeleteMany none: %+v %v", res, err)
	}
	// A deleted _id can be inserted again.
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := ids(t, c, bson.D{}); got != `[1,3]` {
		t.Errorf("after re-insert: %s", got)
	}
}

func TestFindAndModify(t *testing.T) {
	_, db := startDB(t, seedOf("f", `{"_id": 1, "n": 5, "g": "a"}`, `{"_id": 2, "n": 1, "g": "a"}`, `{"_id": 3, "n": 9, "g": "b"}`))
	c := db.Collection("f")
	ctx := ctxT(t)
	tests := []struct {
		name string
		run  func() *mongo.SingleResult
		want string
		code int
	}{
		{"update returns before", func() *mongo.SingleResult {
			return c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 1}}, j(`{"$inc": {"n": 1}}`))
		}, `{"_id": 1, "n": 5, "g": "a"}`, 0},
		{"update returns after", func() *mongo.SingleResult {
			return c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 1}}, j(`{"$inc": {"n": 1}}`),
				options.FindOneAndUpdate().SetReturnDocument(options.After))
		}, `{"_id": 1, "n": 7, "g": "a"}`, 0},
		{"sort picks the document", func() *mongo.SingleResult {
			return c.FindOneAndUpdate(ctx, bson.D{{Key: "g", Value: "a"}}, j(`{"$set": {"low": true}}`),
				options.FindOneAndUpdate().SetSort(bson.D{{Key: "n", Value: 1}}).SetReturnDocument(options.After).SetProjection(bson.D{{Key: "g", Value: 0}}))
		}, `{"_id": 2, "n": 1, "low": true}`, 0},
		{"upsert", func() *mongo.SingleResult {
			return c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 7}}, j(`{"$set": {"n": 0}}`),
				options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After))
		}, `{"_id": 7, "n": 0}`, 0},
		{"no match", func() *mongo.SingleResult {
			return c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 99}}, j(`{"$set": {"n": 0}}`))
		}, "", 0},
		{"replace", func() *mongo.SingleResult {
			return c.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: 7}}, j(`{"r": 1}`), options.FindOneAndReplace().SetReturnDocument(options.After))
		}, `{"_id": 7, "r": 1}`, 0},
		{"delete", func() *mongo.SingleResult {
			return c.FindOneAndDelete(ctx, bson.D{{Key: "g", Value: "b"}})
		}, `{"_id": 3, "n": 9, "g": "b"}`, 0},
		{"bad update", func() *mongo.SingleResult {
			return c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 1}}, j(`{"$inc": {"g": 1}}`))
		}, "", 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bson.D
			err := tt.run().Decode(&got)
			switch {
			case tt.code != 0:
				if errCode(err) != tt.code {
					t.Errorf("err %v, want code %d", err, tt.code)
				}
			case tt.want == "":
				if !errors.Is(err, mongo.ErrNoDocuments) {
					t.Errorf("err %v, want ErrNoDocuments", err)
				}
			case err != nil:
				t.Fatal(err)
			case js(got) != js(j(tt.want)):
				t.Errorf("got  %s\nwant %s", js(got), js(j(tt.want)))
			}
		})
	}
	if n, _ := c.CountDocuments(ctx, bson.D{{Key: "_id", Value: 3}}); n != 0 {
		t.Error("FindOneAndDelete left the document")
	}
}
