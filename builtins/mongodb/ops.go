package mongodb

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kubusdev/kubus/builtins"
)

// opts reads the optional options argument i: an object of only the named keys.
func (c *call) opts(i int, keys ...string) *goja.Object {
	v := c.args.Argument(i)
	if builtins.IsMissing(v) || goja.IsNull(v) {
		return nil
	}
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Object" {
		c.h.TypeError(c.fn, "options must be an object, got %s", builtins.Describe(v))
	}
	for _, k := range o.Keys() {
		if !slices.Contains(keys, k) {
			c.h.TypeError(c.fn, "options.%s is not an option of %s (%s)", builtins.Truncate(k, 40), c.method, strings.Join(keys, ", "))
		}
	}
	return o
}

// present is an option that is set (not undefined or null).
func present(o *goja.Object, key string) (goja.Value, bool) {
	if o == nil {
		return nil, false
	}
	v := o.Get(key)
	return v, !builtins.IsMissing(v) && !goja.IsNull(v)
}

// whole reads a whole non-negative number option.
func (c *call) whole(o *goja.Object, key string) (int64, bool) {
	v, ok := present(o, key)
	if !ok {
		return 0, false
	}
	n, isNum := builtins.NumberOf(v)
	if !isNum || n < 0 || n != math.Trunc(n) || n > 1<<53 {
		c.h.RangeError(c.fn, "options.%s must be a whole number from 0, got %s", key, builtins.Describe(v))
	}
	return int64(n), true
}

func (c *call) upsert(o *goja.Object) bool {
	v, ok := present(o, "upsert")
	if !ok {
		return false
	}
	b, isBool := builtins.BoolOf(v)
	if !isBool {
		c.h.TypeError(c.fn, "options.upsert must be a boolean, got %s", builtins.Describe(v))
	}
	return b
}

// filter reads the filter argument i; an optional one may be missing or null (all documents).
func (c *call) filter(enc *encoder, i int, required bool) bson.D {
	v := c.args.Argument(i)
	if !required && (builtins.IsMissing(v) || goja.IsNull(v)) {
		return bson.D{}
	}
	return enc.doc(v, "filter", true)
}

// read converts a cursor's documents, at most maxDocs of them and MaxResultBytes of BSON: more
// is an error, and closing the cursor kills it on the server.
func (c *call) read(ctx context.Context, cur *mongo.Cursor) ([]any, error) {
	defer func() {
		// The call's context may be over: killing the cursor gets a moment of its own.
		kill, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = cur.Close(kill)
	}()
	dec := c.st.decoder()
	var out []any
	var size int64
	for cur.Next(ctx) {
		if len(out) == c.maxDocs {
			return nil, c.tooManyDocs()
		}
		if size += int64(len(cur.Current)); size > c.st.m.cfg.MaxResultBytes {
			return nil, c.tooLarge()
		}
		out = append(out, dec.doc(cur.Current))
	}
	return out, cur.Err()
}

func (c *call) tooManyDocs() error {
	return &callError{kind: "tooManyDocs", msg: fmt.Sprintf("more than %d documents (the connection's maxDocs): narrow the filter or set a limit", c.maxDocs)}
}

func (c *call) tooLarge() error {
	return &callError{kind: "tooLarge", msg: fmt.Sprintf("the result is more than %d bytes (the connections' mongodb maxResultBytes)", c.st.m.cfg.MaxResultBytes)}
}

func (st *state) find(c *call) goja.Value    { return c.findDocs(false) }
func (st *state) findOne(c *call) goja.Value { return c.findDocs(true) }

func (c *call) findDocs(one bool) goja.Value {
	enc := c.encoder()
	filter := c.filter(enc, 2, false)
	keys := []string{"sort", "limit", "skip", "projection"}
	if one {
		keys = []string{"sort", "skip", "projection"}
	}
	o := c.opts(3, keys...)
	fo := options.Find()
	if v, ok := present(o, "sort"); ok {
		fo.SetSort(enc.doc(v, "options.sort", true))
	}
	if v, ok := present(o, "projection"); ok {
		fo.SetProjection(enc.doc(v, "options.projection", true))
	}
	if n, ok := c.whole(o, "skip"); ok {
		fo.SetSkip(n)
	}
	// One more than maxDocs tells "too many" from "exactly maxDocs" without reading on.
	limit := int64(c.maxDocs) + 1
	if n, ok := c.whole(o, "limit"); ok && n > 0 && n < limit {
		limit = n // limit 0 is no limit, as in the Node driver
	}
	if one {
		limit = 1
	}
	fo.SetLimit(limit)
	return c.run(func(ctx context.Context, coll *mongo.Collection) (goja.Value, int, error) {
		cur, err := coll.Find(ctx, filter, fo)
		if err != nil {
			return nil, 0, err
		}
		docs, err := c.read(ctx, cur)
		switch {
		case err != nil:
			return nil, 0, err
		case !one:
			return c.h.VM.NewArray(docs...), len(docs), nil
		case len(docs) == 0:
			return goja.Null(), 0, nil
		}
		return c.h.VM.ToValue(docs[0]), 1, nil
	})
}

func (st *state) count(c *call) goja.Value {
	enc := c.encoder()
	filter := c.filter(enc, 2, false)
	o := c.opts(3, "limit", "skip")
	co := options.Count()
	if n, ok := c.whole(o, "limit"); ok && n > 0 {
		co.SetLimit(n)
	}
	if n, ok := c.whole(o, "skip"); ok {
		co.SetSkip(n)
	}
	return c.run(func(ctx context.Context, coll *mongo.Collection) (goja.Value, int, error) {
		n, err := coll.CountDocuments(ctx, filter, co)
		return c.h.VM.ToValue(n), int(n), err
	})
}

func (st *state) aggregate(c *call) goja.Value {
	enc := c.encoder()
	pipeline := enc.docs(c.args.Argument(2), "pipeline", true, maxArray)
	for i, stage := range pipeline {
		if len(stage) > 0 && (stage[0].Key == "$out" || stage[0].Key == "$merge") {
			c.fail(&callError{kind: "forbidden", msg: fmt.Sprintf("pipeline[%d]: %s writes: refused (aggregate only reads; write with insertMany or updateMany)", i, stage[0].Key)})
		}
	}
	// The server stops after one more than maxDocs.
	pipeline = append(pipeline, bson.D{{Key: "$limit", Value: int64(c.maxDocs) + 1}})
	return c.run(func(ctx context.Context, coll *mongo.Collection) (goja.Value, int, error) {
		cur, err := coll.Aggregate(ctx, pipeline)
		if err != nil {
			return nil, 0, err
		}
		docs, err := c.read(ctx, cur)
		if err != nil {
			return nil, 0, err
		}
		return c.h.VM.NewArray(docs...), len(docs), nil
	})
}

func (st *state) distinct(c *call) goja.Value {
	field := c.h.String(c.args, 2, c.fn, "field")
	if field == "" || strings.ContainsRune(field, 0) || strings.HasPrefix(field, "$") {
		c.h.TypeError(c.fn, "field must be a field name, got %s", builtins.Describe(c.args.Argument(2)))
	}
	enc := c.encoder()
	filter := c.filter(enc, 3, false)
	return c.run(func(ctx context.Context, coll *mongo.Collection) (goja.Value, int, error) {
		arr, err := coll.Distinct(ctx, field, filter).Raw()
		if err != nil {
			return nil, 0, err
		}
		if int64(len(arr)) > c.st.m.cfg.MaxResultBytes {
			return nil, 0, c.tooLarge()
		}
		vals, err := arr.Values()
		if err != nil {
			return nil, 0, err
		}
		if len(vals) > c.maxDocs {
			return nil, 0, c.tooManyDocs()
		}
		dec := c.st.decoder()
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = dec.value(v)
		}
		return c.h.VM.NewArray(out...), len(out), nil
	})
}

func (st *state) insertOne(c *call) goja.Value {
	doc := c.encoder().doc(c.args.Argument(2), "document", false)
	return c.run(func(ctx context.Context, coll *mongo.Collection) (goja.Value, int, error) {
		res, err := coll.InsertOne(ctx, doc)
		if err != nil {
			return nil, 0, err
		}
		o := c.h.VM.NewObject()
		_ = o.Set("acknowledged", res.Acknowledged)
		_ = o.Set("insertedId", c.st.decoder().goValue(res.InsertedID))
		return o, 1, nil
	})
}

func (st *state) insertMany(c *call) goja.Value {
	docs := c.encoder().docs(c.args.Argument(2), "documents", false, c.maxDocs)
	if len(docs) == 0 {
		c.h.TypeError(c.fn, "documents must not be empty")
	}
	return c.run(func(ctx context.Context, coll *mongo.Collection) (goja.Value, int, error) {
		res, err := coll.InsertMany(ctx, docs)
		if err != nil {
			return nil, 0, err
		}
		vm, dec := c.h.VM, c.st.decoder()
		ids := vm.NewObject()
		for i, id := range res.InsertedIDs {
			_ = ids.Set(strconv.Itoa(i), dec.goValue(id))
		}
		o := vm.NewObject()
		_ = o.Set("acknowledged", res.Acknowledged)
		_ = o.Set("insertedCount", len(res.InsertedIDs))
		_ = o.Set("insertedIds", ids)
		return o, len(res.InsertedIDs), nil
	})
}

func (st *state) updateOne(c *call) goja.Value  { return c.update(false) }
func (st *state) updateMany(c *call) goja.Value { return c.update(true) }

func (c *call) update(many bool) goja.Value {
	enc := c.encoder()
	filter := c.filter(enc, 2, true)
	var update any
	v := c.args.Argument(3)
	if o, ok := v.(*goja.Object); ok && o.ClassName() == "Array" {
		update = enc.docs(v, "update", true, maxArray)
	} else {
		d := enc.doc(v, "update", true)
		for _, e := range d {
			if !strings.HasPrefix(e.Key, "$") {
				c.h.TypeError(c.fn, "update must hold update operators ({$set: …}) or be a pipeline, not a field (%s); to replace a document use replaceOne", builtins.Truncate(e.Key, 40))
			}
		}
		if len(d) == 0 {
			c.h.TypeError(c.fn, "update must hold update operators ({$set: …})")
		}
		update = d
	}
	upsert := c.upsert(c.opts(4, "upsert"))
	return c.run(func(ctx context.Context, coll *mongo.Collection) (goja.Value, int, error) {
		var res *mongo.UpdateResult
		var err error
		if many {
			res, err = coll.UpdateMany(ctx, filter, update, options.UpdateMany().SetUpsert(upsert))
		} else {
			res, err = coll.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(upsert))
		}
		if err != nil {
			return nil, 0, err
		}
		return c.updateResult(res)
	})
}

func (st *state) replaceOne(c *call) goja.Value {
	enc := c.encoder()
	filter := c.filter(enc, 2, true)
	doc := enc.doc(c.args.Argument(3), "replacement", false)
	for _, e := range doc {
		if strings.HasPrefix(e.Key, "$") {
			c.h.TypeError(c.fn, "replacement is a document, not an update (%s): use updateOne for operators", builtins.Truncate(e.Key, 40))
		}
	}
	ro := options.Replace().SetUpsert(c.upsert(c.opts(4, "upsert")))
	return c.run(func(ctx context.Context, coll *mongo.Collection) (goja.Value, int, error) {
		res, err := coll.ReplaceOne(ctx, filter, doc, ro)
		if err != nil {
			return nil, 0, err
		}
		return c.updateResult(res)
	})
}

func (c *call) updateResult(res *mongo.UpdateResult) (goja.Value, int, error) {
	o := c.h.VM.NewObject()
	_ = o.Set("acknowledged", res.Acknowledged)
	_ = o.Set("matchedCount", res.MatchedCount)
	_ = o.Set("modifiedCount", res.ModifiedCount)
	_ = o.Set("upsertedCount", res.UpsertedCount)
	_ = o.Set("upsertedId", c.st.decoder().goValue(res.UpsertedID))
	return o, int(res.ModifiedCount + res.UpsertedCount), nil
}

func (st *state) deleteOne(c *call) goja.Value  { return c.delete(false) }
func (st *state) deleteMany(c *call) goja.Value { return c.delete(true) }

func (c *call) delete(many bool) goja.Value {
	filter := c.filter(c.encoder(), 2, true)
	return c.run(func(ctx context.Context, coll *mongo.Collection) (goja.Value, int, error) {
		var res *mongo.DeleteResult
		var err error
		if many {
			res, err = coll.DeleteMany(ctx, filter)
		} else {
			res, err = coll.DeleteOne(ctx, filter)
		}
		if err != nil {
			return nil, 0, err
		}
		o := c.h.VM.NewObject()
		_ = o.Set("acknowledged", res.Acknowledged)
		_ = o.Set("deletedCount", res.DeletedCount)
		return o, int(res.DeletedCount), nil
	})
}

// objectID is MongoDB.objectId: {$oid: hex}, which goes in as an ObjectId.
func (st *state) objectID(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "MongoDB.objectId"
	return func(call goja.FunctionCall) goja.Value {
		hex := h.String(call, 0, fn, "hex")
		id, err := bson.ObjectIDFromHex(hex)
		if err != nil {
			h.TypeError(fn, "hex must be 24 hex digits, got %s", builtins.Describe(call.Argument(0)))
		}
		o := h.VM.NewObject()
		_ = o.Set("$oid", id.Hex())
		return o
	}
}
