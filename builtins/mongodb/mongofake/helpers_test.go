package mongofake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// j parses relaxed extended JSON into a document (order preserved).
func j(s string) bson.D {
	var d bson.D
	if err := bson.UnmarshalExtJSON([]byte(s), false, &d); err != nil {
		panic("bad test JSON " + s + ": " + err.Error())
	}
	return d
}

// ja parses a JSON array.
func ja(s string) bson.A {
	v, _ := lookupField(j(`{"v": `+s+`}`), "v")
	return v.(bson.A)
}

// js renders values as relaxed extended JSON for comparisons.
func js(v any) string {
	b, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: v}}, false, false)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	s := string(b)
	return s[5 : len(s)-1]
}

// docsJSON renders a list of documents, as decoded by the driver or stored.
func docsJSON[T any](docs []T) string {
	a := bson.A{}
	for _, d := range docs {
		a = append(a, d)
	}
	return js(a)
}

// normJSON re-renders expected JSON so spacing does not matter.
func normJSON(s string) string { return js(ja(s)) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startDB starts a server with docs seeded in db "t" and returns it with a
// connected database handle.
func startDB(t *testing.T, seed Seed, opts ...*options.ClientOptions) (*Server, *mongo.Database) {
	t.Helper()
	s, err := Start(seed)
	if err != nil {
		t.Fatal(err)
	}
	co := options.Client().ApplyURI(s.URI())
	for _, o := range opts {
		if o.Monitor != nil {
			co.SetMonitor(o.Monitor)
		}
	}
	cl, err := mongo.Connect(co)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = cl.Disconnect(ctx)
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, cl.Database("t")
}

// seedOf builds a seed of collection coll in db "t" from JSON documents.
func seedOf(coll string, docs ...string) Seed {
	list := make([]any, len(docs))
	for i, d := range docs {
		list[i] = j(d)
	}
	return Seed{"t": {coll: list}}
}

// errCode extracts a server error code from a driver error.
func errCode(err error) int {
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		return int(ce.Code)
	}
	var we mongo.WriteException
	if errors.As(err, &we) {
		if len(we.WriteErrors) > 0 {
			return we.WriteErrors[0].Code
		}
		if we.WriteConcernError != nil {
			return we.WriteConcernError.Code
		}
	}
	var be mongo.BulkWriteException
	if errors.As(err, &be) && len(be.WriteErrors) > 0 {
		return be.WriteErrors[0].Code
	}
	if err != nil && strings.Contains(err.Error(), "(") {
		return -1
	}
	return 0
}

func findJSON(t *testing.T, c *mongo.Collection, filter any, opts ...options.Lister[options.FindOptions]) (string, error) {
	t.Helper()
	ctx := ctxT(t)
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return "", err
	}
	var out []bson.D
	if err := cur.All(ctx, &out); err != nil {
		return "", err
	}
	return docsJSON(out), nil
}

func aggJSON(t *testing.T, c *mongo.Collection, pipeline any) (string, error) {
	t.Helper()
	ctx := ctxT(t)
	cur, err := c.Aggregate(ctx, pipeline)
	if err != nil {
		return "", err
	}
	var out []bson.D
	if err := cur.All(ctx, &out); err != nil {
		return "", err
	}
	return docsJSON(out), nil
}

func ids(t *testing.T, c *mongo.Collection, filter bson.D) (string, error) {
	t.Helper()
	ctx := ctxT(t)
	cur, err := c.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return "", err
	}
	var out []struct {
		ID any `bson:"_id"`
	}
	if err := cur.All(ctx, &out); err != nil {
		return "", err
	}
	var parts []string
	for _, o := range out {
		parts = append(parts, js(o.ID))
	}
	return "[" + strings.Join(parts, ",") + "]", nil
}
