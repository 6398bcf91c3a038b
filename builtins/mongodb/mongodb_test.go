package mongodb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dop251/goja"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	"github.com/kubusdev/kubus/builtins/mongodb"
	"github.com/kubusdev/kubus/builtins/mongodb/mongotest"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

// fixture is a database of this test's own on the shared FerretDB server.
type fixture struct {
	uri, db string
	mod     *mongodb.Module
	exec    *builtins.Exec
	vm      *goja.Runtime
}

// setup makes a module whose connection "docs" is a fresh database on FerretDB; cfg may add
// connections and limits (Allow defaults to loopback).
func setup(t *testing.T, cfg mongodb.Config) *fixture {
	t.Helper()
	db := mongotest.Database(t)
	f := &fixture{uri: mongotest.URI(t, db), db: db}
	if cfg.Connections == nil {
		cfg.Connections = map[string]mongodb.Connection{}
	}
	if _, ok := cfg.Connections["docs"]; !ok {
		cfg.Connections["docs"] = mongodb.Connection{URI: f.uri}
	}
	if cfg.Allow == nil {
		cfg.Allow = []string{"127.0.0.1"}
	}
	m, err := mongodb.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	f.mod = m
	f.exec = &builtins.Exec{Context: context.Background(), Deadline: time.Now().Add(time.Minute), Serial: 1}
	f.vm, _ = builtinstest.NewVM(t, f.exec, m)
	return f
}

// eval runs expr and gives its JSON (or "Name: message" when it throws).
func (f *fixture) eval(t *testing.T, expr string) string {
	t.Helper()
	got := builtinstest.Eval(t, f.vm, "JSON.stringify("+expr+")")
	s, _ := got.(string)
	return s
}

// fails runs expr, which must throw, and gives "kind message".
func (f *fixture) fails(t *testing.T, expr string) (kind, msg string) {
	t.Helper()
	got := builtinstest.Eval(t, f.vm, `(() => { try { `+expr+`; return "no throw" } catch (e) { return (e.details ? e.details.kind : e.name) + " " + e.message } })()`)
	s := fmt.Sprint(got)
	kind, msg, _ = strings.Cut(s, " ")
	return kind, msg
}

// driver is a plain client for seeding and checking what the module wrote.
func driver(t *testing.T, uri string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

func TestCalls(t *testing.T) {
	f := setup(t, mongodb.Config{})
	builtinstest.Run(t, f.vm, `var seed = MongoDB.insertMany("docs", "applications", [
		{_id: 1, Name: "Ann", Age: 34, Region: "north"},
		{_id: 2, Name: "Bob", Age: 51, Region: "south"},
		{_id: 3, Name: "Cy", Age: 17, Region: "north"},
		{_id: 4, Name: "Di", Age: 28, Region: "east"}])`)
	for _, c := range []struct{ expr, want string }{
		{`seed`, `{"acknowledged":true,"insertedCount":4,"insertedIds":{"0":1,"1":2,"2":3,"3":4}}`},
		{`MongoDB.find("docs", "applications", {Age: {$gte: 18}}, {sort: {Age: -1}, projection: {_id: 0, Name: 1}})`, `[{"Name":"Bob"},{"Name":"Ann"},{"Name":"Di"}]`},
		{`MongoDB.find("docs", "applications", {}, {sort: {_id: 1}, skip: 1, limit: 2}).map(d => d.Name)`, `["Bob","Cy"]`},
		{`MongoDB.find("docs", "applications").length`, `4`},
		{`MongoDB.find("docs", "applications", null, {limit: 0}).length`, `4`},
		{`MongoDB.find("docs", "nothing", {})`, `[]`},
		{`MongoDB.findOne("docs", "applications", {Name: "Ann"})`, `{"_id":1,"Name":"Ann","Age":34,"Region":"north"}`},
		{`MongoDB.findOne("docs", "applications", {}, {sort: {Age: 1}, skip: 1, projection: {Name: 1}})`, `{"_id":4,"Name":"Di"}`},
		{`MongoDB.findOne("docs", "applications", {Name: "Zed"})`, `null`},
		{`MongoDB.count("docs", "applications", {Region: "north"})`, `2`},
		{`MongoDB.count("docs", "applications")`, `4`},
		{`MongoDB.count("docs", "applications", {}, {skip: 1, limit: 2})`, `2`},
		{`MongoDB.aggregate("docs", "applications", [{$match: {Age: {$gte: 18}}}, {$group: {_id: "$Region", n: {$sum: 1}}}, {$sort: {_id: 1}}])`, `[{"_id":"east","n":1},{"_id":"north","n":1},{"_id":"south","n":1}]`},
		{`MongoDB.distinct("docs", "applications", "Region").sort()`, `["east","north","south"]`},
		{`MongoDB.distinct("docs", "applications", "Region", {Age: {$lt: 30}}).sort()`, `["east","north"]`},
		{`MongoDB.updateOne("docs", "applications", {Name: "Ann"}, {$inc: {Age: 1}})`, `{"acknowledged":true,"matchedCount":1,"modifiedCount":1,"upsertedCount":0,"upsertedId":null}`},
		{`MongoDB.findOne("docs", "applications", {Name: "Ann"}).Age`, `35`},
		{`MongoDB.updateMany("docs", "applications", {Region: "north"}, {$set: {Checked: true}})`, `{"acknowledged":true,"matchedCount":2,"modifiedCount":2,"upsertedCount":0,"upsertedId":null}`},
		{`MongoDB.updateOne("docs", "applications", {_id: 9}, {$set: {Name: "Eve"}}, {upsert: true})`, `{"acknowledged":true,"matchedCount":0,"modifiedCount":0,"upsertedCount":1,"upsertedId":9}`},
		{`MongoDB.updateMany("docs", "applications", {Name: "Nobody"}, {$set: {X: 1}})`, `{"acknowledged":true,"matchedCount":0,"modifiedCount":0,"upsertedCount":0,"upsertedId":null}`},
		{`MongoDB.replaceOne("docs", "applications", {_id: 4}, {Name: "Dee", Age: 29})`, `{"acknowledged":true,"matchedCount":1,"modifiedCount":1,"upsertedCount":0,"upsertedId":null}`},
		{`MongoDB.findOne("docs", "applications", {_id: 4})`, `{"_id":4,"Name":"Dee","Age":29}`},
		{`MongoDB.replaceOne("docs", "applications", {_id: 10}, {Name: "Fay"}, {upsert: true}).upsertedId`, `10`},
		{`MongoDB.deleteOne("docs", "applications", {Region: "north"})`, `{"acknowledged":true,"deletedCount":1}`},
		{`MongoDB.deleteMany("docs", "applications", {_id: {$gte: 9}})`, `{"acknowledged":true,"deletedCount":2}`},
		{`MongoDB.deleteMany("docs", "applications", {})`, `{"acknowledged":true,"deletedCount":3}`},
		{`/^[0-9a-f]{24}$/.test(MongoDB.insertOne("docs", "applications", {Name: "Gus"}).insertedId)`, `true`},
		{`MongoDB.insertOne("docs", "applications", {_id: "g2", Name: "Gil"})`, `{"acknowledged":true,"insertedId":"g2"}`},
		{`(r => Object.keys(r.insertedIds).length + " " + /^[0-9a-f]{24}$/.test(r.insertedIds[1]))(MongoDB.insertMany("docs", "applications", [{A: 1}, {A: 2}]))`, `"2 true"`},
	} {
		if got := f.eval(t, c.expr); got != c.want {
			t.Errorf("%s\n got  %s\n want %s", c.expr, got, c.want)
		}
	}
}

// TestSortKeyOrder: a sort spec is ordered: {A: 1, B: -1} is not {B: -1, A: 1}.
func TestSortKeyOrder(t *testing.T) {
	f := setup(t, mongodb.Config{})
	builtinstest.Run(t, f.vm, `MongoDB.insertMany("docs", "s", [{_id: 1, A: 1, B: 1}, {_id: 2, A: 1, B: 2}, {_id: 3, A: 2, B: 1}, {_id: 4, A: 2, B: 2}])`)
	for _, c := range []struct{ sort, want string }{
		{`{A: 1, B: -1}`, `[2,1,4,3]`},
		{`{B: -1, A: 1}`, `[2,4,1,3]`},
		{`{A: -1, B: 1}`, `[3,4,1,2]`},
	} {
		if got := f.eval(t, `MongoDB.find("docs", "s", {}, {sort: `+c.sort+`}).map(d => d._id)`); got != c.want {
			t.Errorf("sort %s: %s, want %s", c.sort, got, c.want)
		}
	}
}

// TestValues: how values go in and come out, through the server and back.
func TestValues(t *testing.T) {
	f := setup(t, mongodb.Config{})
	builtinstest.Run(t, f.vm, `
		var when = new Date(Date.UTC(2024, 2, 31, 12, 30, 15, 250));
		var r = MongoDB.insertOne("docs", "v", {
			_id: MongoDB.objectId("65f1c0ffee0123456789abcd"),
			ref: {$oid: "65f1c0ffee0123456789abce"},
			when, small: 42, neg: -7, big: 2 ** 40, frac: 1.5, huge: 2 ** 60, big64: 2n ** 62n, minus0: -0,
			s: "tëxt €", yes: true, none: null, undef: undefined, boxed: new Number(3),
			nested: {a: {b: [1, "two", {c: 3}]}}, list: [1, {l: [2, 3]}], re: /^an+/i})`)
	for _, c := range []struct{ expr, want string }{
		{`r.insertedId`, `"65f1c0ffee0123456789abcd"`},
		{`MongoDB.findOne("docs", "v", {_id: MongoDB.objectId("65f1c0ffee0123456789abcd")})._id`, `"65f1c0ffee0123456789abcd"`},
		{`MongoDB.findOne("docs", "v", {_id: "65f1c0ffee0123456789abcd"})`, `null`}, // a string is not an ObjectId
		{`MongoDB.findOne("docs", "v", {ref: {$oid: "65f1c0ffee0123456789abce"}}).ref`, `"65f1c0ffee0123456789abce"`},
		{`(d => [d instanceof Date, d.getTime() === when.getTime()])(MongoDB.findOne("docs", "v", {}).when)`, `[true,true]`},
		{`MongoDB.count("docs", "v", {when: {$gte: new Date(Date.UTC(2024, 0, 1)), $lt: new Date(Date.UTC(2025, 0, 1))}})`, `1`},
		// FerretDB stores -0 as 0 (a double still: see $type below).
		{`(d => [d.small, d.neg, d.big, d.frac, d.huge, d.big64, d.minus0])(MongoDB.findOne("docs", "v", {}))`, `[42,-7,1099511627776,1.5,1152921504606847000,"4611686018427387904",0]`},
		{`(d => [d.s, d.yes, d.none, d.undef, d.boxed])(MongoDB.findOne("docs", "v", {}))`, `["tëxt €",true,null,null,3]`},
		{`(d => [d.nested, d.list])(MongoDB.findOne("docs", "v", {}))`, `[{"a":{"b":[1,"two",{"c":3}]}},[1,{"l":[2,3]}]]`},
		{`MongoDB.count("docs", "v", {s: /^TËXT/i})`, `1`},
		{`MongoDB.findOne("docs", "v", {}).re`, `"/^an+/i"`},
		{`MongoDB.count("docs", "v", {big64: 2n ** 62n})`, `1`},
		{`MongoDB.count("docs", "v", {small: {$type: "int"}, big: {$type: "long"}, frac: {$type: "double"}, huge: {$type: "double"}, big64: {$type: "long"}, minus0: {$type: "double"}, neg: {$type: "int"}})`, `1`},
	} {
		if got := f.eval(t, c.expr); got != c.want {
			t.Errorf("%s\n got  %s\n want %s", c.expr, got, c.want)
		}
	}

	// What the Go driver stores comes out as documented.
	dc := driver(t, f.uri)
	_, err := dc.Database(f.db).Collection("w").InsertOne(context.Background(), bson.D{
		{Key: "_id", Value: 1},
		{Key: "bin", Value: bson.Binary{Subtype: 0, Data: []byte("hello")}},
		{Key: "ts", Value: bson.Timestamp{T: 1700000000, I: 3}},
		{Key: "i64", Value: int64(-(1 << 60))},
		{Key: "i64small", Value: int64(12)},
		{Key: "dt", Value: bson.DateTime(0)},
		{Key: "__proto__", Value: "kept as a key"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.eval(t, `MongoDB.findOne("docs", "w", {_id: 1})`), `{"_id":1,"bin":"aGVsbG8=","ts":{"t":1700000000,"i":3},"i64":"-1152921504606846976","i64small":12,"dt":"1970-01-01T00:00:00.000Z","__proto__":"kept as a key"}`; got != want {
		t.Errorf("driver values:\n got  %s\n want %s", got, want)
	}
	if got := f.eval(t, `Object.getPrototypeOf(MongoDB.findOne("docs", "w", {_id: 1})) === Object.prototype`); got != "true" {
		t.Errorf("a __proto__ key changed the prototype: %s", got)
	}
}

// TestArguments: wrong arguments throw TypeErrors and RangeErrors naming the function and the path.
func TestArguments(t *testing.T) {
	f := setup(t, mongodb.Config{})
	for _, c := range []struct{ expr, want string }{
		{`MongoDB.find()`, "TypeError: MongoDB.find: connection is required"},
		{`MongoDB.find("docs")`, "TypeError: MongoDB.find: collection is required"},
		{`MongoDB.find("docs", "$cmd")`, "TypeError: MongoDB.find: collection must be a collection name"},
		{`MongoDB.find("docs", "c", [1])`, "TypeError: MongoDB.find: filter must be a document"},
		{`MongoDB.find("docs", "c", {}, {limt: 1})`, "TypeError: MongoDB.find: options.limt is not an option of find (sort, limit, skip, projection)"},
		{`MongoDB.find("docs", "c", {}, {limit: -1})`, "RangeError: MongoDB.find: options.limit must be a whole number from 0"},
		{`MongoDB.findOne("docs", "c", {}, {limit: 1})`, "TypeError: MongoDB.findOne: options.limit is not an option"},
		{`MongoDB.find("docs", "c", {a: () => 1})`, "TypeError: MongoDB.find: filter.a: a function cannot be stored"},
		{`MongoDB.find("docs", "c", {a: {b: [1, Symbol("s")]}})`, "TypeError: MongoDB.find: filter.a.b[1]: a symbol cannot be stored"},
		{`MongoDB.find("docs", "c", {a: new Map()})`, "TypeError: MongoDB.find: filter.a: a Map or Set cannot be stored"},
		{`MongoDB.find("docs", "c", {a: new Date("x")})`, "TypeError: MongoDB.find: filter.a: an invalid Date cannot be stored"},
		{`MongoDB.find("docs", "c", {a: {$oid: "xyz"}})`, "TypeError: MongoDB.find: filter.a: $oid must be 24 hex digits"},
		{`MongoDB.find("docs", "c", {a: 2n ** 64n})`, "RangeError: MongoDB.find: filter.a: the bigint 18446744073709551616 does not fit an int64"},
		{`MongoDB.find("docs", "c", (() => { let o = {}; for (let i = 0; i < 150; i++) o = {o}; return o })())`, "RangeError: MongoDB.find: filter.o.o"},
		{`MongoDB.find("docs", "c", (() => { const o = {}; o.self = o; return o })())`, "RangeError: MongoDB.find: filter.self.self"},
		{`MongoDB.insertOne("docs", "c", {big: "x".repeat(17 << 20)})`, "RangeError: MongoDB.insertOne: what goes in is larger than 16777216 bytes"},
		{`MongoDB.insertOne("docs", "c", {a: (() => { const a = [1]; a.length = 4e9; return a })()})`, "RangeError: MongoDB.insertOne: document.a: an array of more than 1048576 elements"},
		{`MongoDB.insertOne("docs", "c", [{}])`, "TypeError: MongoDB.insertOne: document must be a document"},
		{`MongoDB.insertMany("docs", "c", [])`, "TypeError: MongoDB.insertMany: documents must not be empty"},
		{`MongoDB.insertMany("docs", "c", [{}, 3])`, "TypeError: MongoDB.insertMany: documents[1] must be a document"},
		{`MongoDB.updateOne("docs", "c", {}, {Name: "x"})`, "TypeError: MongoDB.updateOne: update must hold update operators"},
		{`MongoDB.updateOne("docs", "c", {}, {})`, "TypeError: MongoDB.updateOne: update must hold update operators"},
		{`MongoDB.updateOne("docs", "c", {}, {$set: {a: 1}}, {upsert: "yes"})`, "TypeError: MongoDB.updateOne: options.upsert must be a boolean"},
		{`MongoDB.updateMany("docs", "c", undefined, {$set: {a: 1}})`, "TypeError: MongoDB.updateMany: filter must be a document"},
		{`MongoDB.replaceOne("docs", "c", {}, {$set: {a: 1}})`, "TypeError: MongoDB.replaceOne: replacement is a document, not an update"},
		{`MongoDB.deleteMany("docs", "c")`, "TypeError: MongoDB.deleteMany: filter must be a document"},
		{`MongoDB.distinct("docs", "c")`, "TypeError: MongoDB.distinct: field is required"},
		{`MongoDB.aggregate("docs", "c", {$match: {}})`, "TypeError: MongoDB.aggregate: pipeline must be an array of documents"},
		{`MongoDB.objectId("nope")`, "TypeError: MongoDB.objectId: hex must be 24 hex digits"},
	} {
		if got := fmt.Sprint(builtinstest.Eval(t, f.vm, c.expr)); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s\n got  %.300s\n want %s…", c.expr, got, c.want)
		}
	}
	if got := f.eval(t, `MongoDB.objectId("65F1C0FFEE0123456789ABCD")`); got != `{"$oid":"65f1c0ffee0123456789abcd"}` {
		t.Errorf("objectId: %s", got)
	}
}

// TestRefusals: readOnly connections refuse writes before anything reaches the server, and
// server-side JavaScript and writing aggregate stages are refused everywhere.
func TestRefusals(t *testing.T) {
	addr, accepted := silent(t)
	f := setup(t, mongodb.Config{Connections: map[string]mongodb.Connection{
		"ro": {URI: "mongodb://" + addr + "/docs", ReadOnly: true, Timeout: 5 * time.Second},
	}})
	start := time.Now()
	for _, expr := range []string{
		`MongoDB.insertOne("ro", "c", {a: 1})`,
		`MongoDB.insertMany("ro", "c", [{a: 1}])`,
		`MongoDB.updateOne("ro", "c", {}, {$set: {a: 1}})`,
		`MongoDB.updateMany("ro", "c", {}, {$set: {a: 1}})`,
		`MongoDB.replaceOne("ro", "c", {}, {a: 1})`,
		`MongoDB.deleteOne("ro", "c", {})`,
		`MongoDB.deleteMany("ro", "c", {})`,
	} {
		method := strings.TrimPrefix(expr[:strings.IndexByte(expr, '(')], "MongoDB.")
		kind, msg := f.fails(t, expr)
		if kind != "readOnly" || msg != "MongoDB."+method+": ro.c: the connection 'ro' is readOnly: "+method+" is refused" {
			t.Errorf("%s: %s %s", expr, kind, msg)
		}
	}
	time.Sleep(100 * time.Millisecond) // a client made would have dialled by now
	if time.Since(start) > time.Second || accepted.Load() != 0 {
		t.Errorf("the refusals took %v and made %d connections", time.Since(start), accepted.Load())
	}
	for _, c := range []struct{ expr, want string }{
		{`MongoDB.find("docs", "c", {$where: "this.a > 1"})`, "$where runs JavaScript on the server: refused"},
		{`MongoDB.find("docs", "c", {$and: [{a: 1}, {$expr: {$function: {body: "function() { return true }", args: [], lang: "js"}}}]})`, "$function runs JavaScript"},
		{`MongoDB.count("docs", "c", {$where: "1"})`, "$where runs"},
		{`MongoDB.find("docs", "c", {}, {projection: {x: {$function: {}}}})`, "$function runs"},
		{`MongoDB.aggregate("docs", "c", [{$group: {_id: null, x: {$accumulator: {}}}}])`, "$accumulator runs"},
		{`MongoDB.updateMany("docs", "c", {}, [{$set: {x: {$function: {}}}}])`, "$function runs"},
		{`MongoDB.deleteMany("docs", "c", {$where: "true"})`, "$where runs"},
		{`MongoDB.aggregate("docs", "c", [{$match: {}}, {$out: "other"}])`, "pipeline[1]: $out writes: refused"},
		{`MongoDB.aggregate("docs", "c", [{$merge: {into: "other"}}])`, "pipeline[0]: $merge writes: refused"},
	} {
		if kind, msg := f.fails(t, c.expr); kind != "forbidden" || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %s %s", c.expr, kind, msg)
		}
	}
	// Data may hold such keys: an inserted document is not a query (FerretDB refuses $ keys in
	// data, so the server's answer shows the call got past the check).
	if kind, msg := f.fails(t, `MongoDB.insertOne("docs", "c", {_id: 1, note: {$where: "just text"}})`); kind == "forbidden" {
		t.Errorf("insert of data with $where: %s %s", kind, msg)
	}
}

// commands counts the commands clients send, by name.
type commands struct {
	mu sync.Mutex
	n  map[string]int
}

func watch(t *testing.T) *commands {
	c := &commands{n: map[string]int{}}
	mongodb.SetTestMonitor(&event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		c.mu.Lock()
		c.n[e.CommandName]++
		c.mu.Unlock()
	}})
	t.Cleanup(func() { mongodb.SetTestMonitor(nil) })
	return c
}

func (c *commands) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

// TestLimits: reading more than maxDocs or maxResultBytes is an error, not a cut; the cursor is
// killed, and the next call works.
func TestLimits(t *testing.T) {
	cmds := watch(t)
	f := setup(t, mongodb.Config{MaxDocs: 100, MaxResultBytes: 64 << 10, Connections: map[string]mongodb.Connection{}})
	// 20,000 documents, seeded with the Go driver.
	dc := driver(t, f.uri)
	coll := dc.Database(f.db).Collection("big")
	start := time.Now()
	for b := 0; b < 4; b++ {
		docs := make([]any, 5000)
		for i := range docs {
			n := b*5000 + i
			docs[i] = bson.D{{Key: "_id", Value: n}, {Key: "n", Value: n}, {Key: "pad", Value: strings.Repeat("x", 50)}}
		}
		if _, err := coll.InsertMany(context.Background(), docs); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seeded 20,000 documents in %v", time.Since(start))

	getMores := cmds.count("getMore")
	for _, c := range []struct{ expr, kind, want string }{
		{`MongoDB.find("docs", "big", {})`, "tooManyDocs", "MongoDB.find: docs.big: more than 100 documents (the connection's maxDocs): narrow the filter or set a limit"},
		{`MongoDB.find("docs", "big", {}, {limit: 5000})`, "tooManyDocs", "more than 100 documents"},
		{`MongoDB.aggregate("docs", "big", [{$match: {n: {$gte: 100}}}])`, "tooManyDocs", "more than 100 documents"},
		{`MongoDB.distinct("docs", "big", "n", {n: {$lt: 200}})`, "tooManyDocs", "more than 100 documents"},
		{`MongoDB.distinct("docs", "big", "n")`, "tooLarge", "the result is more than 65536 bytes"},
		{`MongoDB.insertMany("docs", "big2", Array.from({length: 101}, (_, i) => ({i})))`, "tooManyDocs", "documents has more than 100 documents"},
	} {
		if kind, msg := f.fails(t, c.expr); kind != c.kind || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %s %s", c.expr, kind, msg)
		}
	}
	// The server stopped at maxDocs+1: nobody read on through the 20,000.
	if n := cmds.count("getMore") - getMores; n > 3 {
		t.Errorf("%d getMore commands for calls that stop at 101 documents", n)
	}
	for _, c := range []struct{ expr, want string }{
		{`MongoDB.find("docs", "big", {n: {$lt: 100}}).length`, `100`},
		{`MongoDB.find("docs", "big", {}, {limit: 100}).length`, `100`},
		{`MongoDB.count("docs", "big", {})`, `20000`},
		{`MongoDB.aggregate("docs", "big", [{$match: {n: {$lt: 5}}}, {$count: "n"}])`, `[{"n":5}]`},
	} {
		if got := f.eval(t, c.expr); got != c.want {
			t.Errorf("%s: %s, want %s", c.expr, got, c.want)
		}
	}

	// The byte cap ends a read in the middle of a batch: the open cursor is killed.
	g := setup(t, mongodb.Config{MaxDocs: 10_000, MaxResultBytes: 8 << 10})
	gc := driver(t, g.uri).Database(g.db).Collection("big")
	docs := make([]any, 2000)
	for i := range docs {
		docs[i] = bson.D{{Key: "n", Value: i}, {Key: "pad", Value: strings.Repeat("x", 100)}}
	}
	if _, err := gc.InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	killed := cmds.count("killCursors")
	if kind, msg := g.fails(t, `MongoDB.find("docs", "big", {})`); kind != "tooLarge" || msg != "MongoDB.find: docs.big: the result is more than 8192 bytes (the connections' mongodb maxResultBytes)" {
		t.Errorf("byte cap: %s %s", kind, msg)
	}
	if cmds.count("killCursors") != killed+1 {
		t.Errorf("the cursor was not killed (%d killCursors before, %d after)", killed, cmds.count("killCursors"))
	}
	if kind, _ := g.fails(t, `MongoDB.aggregate("docs", "big", [{$sort: {n: 1}}])`); kind != "tooLarge" {
		t.Errorf("aggregate byte cap: %s", kind)
	}
	if got := g.eval(t, `MongoDB.find("docs", "big", {n: {$lt: 10}}).length`); got != "10" {
		t.Errorf("after the failures: %s", got)
	}
}

// TestCallCap: at most MaxCalls calls an execution; the next execution counts from zero.
func TestCallCap(t *testing.T) {
	f := setup(t, mongodb.Config{MaxCalls: 3})
	for i := 0; i < 3; i++ {
		if got := f.eval(t, `MongoDB.count("docs", "c")`); got != "0" {
			t.Fatalf("call %d: %s", i, got)
		}
	}
	if got := f.eval(t, `MongoDB.count("docs", "c")`); !strings.Contains(got, "RangeError: MongoDB.count: more than 3 MongoDB calls in one execution") {
		t.Errorf("cap: %s", got)
	}
	f.exec.Serial = 2
	if got := f.eval(t, `MongoDB.count("docs", "c")`); got != "0" {
		t.Errorf("next execution: %s", got)
	}
}

// silent is a TCP server that accepts connections and never answers.
func silent(t *testing.T) (addr string, accepted *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = &atomic.Int64{}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String(), accepted
}

// TestSilentServer: a server that never answers ends a call as a timeout within the call's
// timeout, or the execution's deadline, or when the execution is canceled.
func TestSilentServer(t *testing.T) {
	addr, _ := silent(t)
	f := setup(t, mongodb.Config{Connections: map[string]mongodb.Connection{
		"silent": {URI: "mongodb://" + addr + "/docs", Timeout: 500 * time.Millisecond},
	}})
	for _, expr := range []string{`MongoDB.find("silent", "c", {})`, `MongoDB.insertOne("silent", "c", {a: 1})`, `MongoDB.count("silent", "c")`} {
		start := time.Now()
		kind, msg := f.fails(t, expr)
		if kind != "timeout" || !strings.Contains(msg, "no answer in time") || time.Since(start) > 2*time.Second {
			t.Errorf("%s: %s %s after %v", expr, kind, msg, time.Since(start))
		}
	}
	// The execution's deadline is shorter than the connection's timeout.
	g := setup(t, mongodb.Config{Connections: map[string]mongodb.Connection{"silent": {URI: "mongodb://" + addr + "/docs", Timeout: time.Minute}}})
	g.exec.Deadline = time.Now().Add(300 * time.Millisecond)
	start := time.Now()
	if kind, _ := g.fails(t, `MongoDB.find("silent", "c", {})`); kind != "timeout" || time.Since(start) > 2*time.Second {
		t.Errorf("deadline: %s after %v", kind, time.Since(start))
	}
	// A canceled execution ends its call.
	ctx, cancel := context.WithCancel(context.Background())
	g.exec.Context, g.exec.Deadline = ctx, time.Now().Add(time.Hour)
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	if kind, msg := g.fails(t, `MongoDB.find("silent", "c", {})`); kind != "canceled" || !strings.Contains(msg, "the execution ended") || time.Since(start) > 2*time.Second {
		t.Errorf("canceled: %s %s after %v", kind, msg, time.Since(start))
	}
	// The module's other connection still works.
	g.exec.Context = context.Background()
	if got := g.eval(t, `MongoDB.count("docs", "c")`); got != "0" {
		t.Errorf("after the timeouts: %s", got)
	}
}

// TestAddressCheck: without an allow list, loopback is refused, at once and without a connection.
func TestAddressCheck(t *testing.T) {
	addr, accepted := silent(t)
	f := setup(t, mongodb.Config{Allow: []string{}, Connections: map[string]mongodb.Connection{
		"local": {URI: "mongodb://" + addr + "/docs", Timeout: 10 * time.Second},
		"meta":  {URI: "mongodb://169.254.169.254:27017/docs", Timeout: 10 * time.Second},
	}})
	for _, c := range []struct{ expr, want string }{
		{`MongoDB.find("local", "c", {})`, "is loopback: outbound connections may not reach it unless the environment's allow list names it"},
		{`MongoDB.count("local", "c")`, "is loopback"},
		{`MongoDB.insertOne("meta", "c", {})`, "is the cloud metadata service"},
	} {
		start := time.Now()
		if kind, msg := f.fails(t, c.expr); kind != "refused" || !strings.Contains(msg, c.want) || time.Since(start) > 3*time.Second {
			t.Errorf("%s: %s %s after %v", c.expr, kind, msg, time.Since(start))
		}
	}
	if accepted.Load() != 0 {
		t.Errorf("the server was reached %d times", accepted.Load())
	}
	// Allowed, the same address is reached.
	g := setup(t, mongodb.Config{Connections: map[string]mongodb.Connection{"local": {URI: "mongodb://" + addr + "/docs", Timeout: 300 * time.Millisecond}}})
	if kind, _ := g.fails(t, `MongoDB.find("local", "c", {})`); kind != "timeout" || accepted.Load() == 0 {
		t.Errorf("allowed: %s, %d connections", kind, accepted.Load())
	}
}

// TestSecretsStayOut: a URI's password (and the URI) reach neither an error, its details, a call
// record nor a log line; nor an error of New.
func TestSecretsStayOut(t *testing.T) {
	base := strings.TrimSuffix(strings.TrimPrefix(mongotest.Start(t), "mongodb://"), "/")
	const pass = "pw-SECRET-4711"
	closed := func() string { // a port nothing listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}()
	uris := map[string]string{
		"auth":   "mongodb://kubus:" + pass + "@" + base + "/docs?authSource=admin",
		"closed": "mongodb://kubus:" + pass + "@" + closed + "/docs",
		"token":  "mongodb://AKIAKUBUS:" + pass + "@" + base + "/docs?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:" + pass,
	}
	conns := map[string]mongodb.Connection{}
	for name, uri := range uris {
		conns[name] = mongodb.Connection{URI: uri, Timeout: time.Second}
	}
	f := setup(t, mongodb.Config{Connections: conns})
	f.exec.LogLevel = builtins.LogInfo
	for name, uri := range uris {
		got := fmt.Sprint(builtinstest.Eval(t, f.vm, `(() => { try { MongoDB.find("`+name+`", "c", {}); return "no throw" } catch (e) { return e.message + " " + JSON.stringify(e.details) } })()`))
		if strings.Contains(got, pass) || strings.Contains(got, uri) || strings.Contains(got, "kubus:") || !strings.HasPrefix(got, "MongoDB.find: "+name+".c: ") {
			t.Errorf("%s: %s", name, got)
		}
		t.Logf("%s: %s", name, got)
	}
	records, _ := json.Marshal(f.exec.Calls())
	logs, _ := json.Marshal(f.exec.Diagnostics())
	if strings.Contains(string(records)+string(logs), pass) || len(f.exec.Calls()) != 3 {
		t.Errorf("records %s\nlogs %s", records, logs)
	}
	for _, uri := range []string{
		"mongodb://kubus:" + pass + "@127.0.0.1:notaport/docs",
		"mongodb://kubus:" + pass + "@127.0.0.1/docs?authMechanism=" + pass,
		"mongodb://kubus:" + pass + "@127.0.0.1/docs?connectTimeoutMS=" + pass,
		"mongodb+srv://kubus:" + pass + "@cluster.example.com/docs",
		"http://kubus:" + pass + "@127.0.0.1/docs",
		"mongodb://kubus:" + pass + "@127.0.0.1/",
	} {
		_, err := mongodb.New(mongodb.Config{Connections: map[string]mongodb.Connection{"x": {URI: uri}}})
		if err == nil || strings.Contains(err.Error(), pass) || strings.Contains(err.Error(), "kubus:") {
			t.Errorf("New: %v", err)
		}
		t.Logf("New: %v", err)
	}
}

// TestFixtures: in a testcase, calls go to the fixture servers by connection name, never to the
// configured connection; a connection without a fixture throws noFixture.
func TestFixtures(t *testing.T) {
	addr, accepted := silent(t)
	f := setup(t, mongodb.Config{Connections: map[string]mongodb.Connection{
		"crm":   {URI: "mongodb://" + addr + "/crm", Timeout: 300 * time.Millisecond},
		"audit": {URI: "mongodb://" + addr + "/audit", ReadOnly: true},
	}})
	fixtureDB := mongotest.Database(t)
	f.exec.Fixtures = map[string]any{"MongoDB": map[string]string{
		"crm":   mongotest.URI(t, fixtureDB),
		"audit": mongotest.URI(t, fixtureDB),
		"extra": mongotest.URI(t, fixtureDB),
	}}
	for _, c := range []struct{ expr, want string }{
		{`MongoDB.insertOne("crm", "customers", {_id: 1, Name: "Ann"}).insertedId`, `1`},
		{`MongoDB.find("crm", "customers", {})`, `[{"_id":1,"Name":"Ann"}]`},
		{`MongoDB.count("extra", "customers")`, `1`}, // a fixture needs no configured connection
		{`MongoDB.findOne("audit", "customers", {}).Name`, `"Ann"`},
	} {
		if got := f.eval(t, c.expr); got != c.want {
			t.Errorf("%s: %s, want %s", c.expr, got, c.want)
		}
	}
	// The configured connection's readOnly still holds.
	if kind, _ := f.fails(t, `MongoDB.deleteMany("audit", "customers", {})`); kind != "readOnly" {
		t.Errorf("readOnly under fixtures: %s", kind)
	}
	if kind, msg := f.fails(t, `MongoDB.find("docs", "customers", {})`); kind != "noFixture" || msg != "MongoDB.find: docs.customers: no fixture of the testcase answers MongoDB connection 'docs' (add one under mongodb:)" {
		t.Errorf("no fixture: %s %s", kind, msg)
	}
	// Fixtures without MongoDB's: every connection is unanswered.
	f.exec.Fixtures = map[string]any{"SQL": nil}
	if kind, _ := f.fails(t, `MongoDB.find("crm", "customers", {})`); kind != "noFixture" {
		t.Errorf("fixtures without MongoDB: %s", kind)
	}
	if accepted.Load() != 0 {
		t.Errorf("the configured server was reached %d times", accepted.Load())
	}
	// Out of the testcase, the configured connection answers (here: not in time).
	f.exec.Fixtures = nil
	if kind, _ := f.fails(t, `MongoDB.find("crm", "customers", {})`); kind != "timeout" {
		t.Errorf("configured: %s", kind)
	}
	// Default has no connections.
	d := mongodb.Default()
	vm, _ := builtinstest.NewVM(t, &builtins.Exec{Context: context.Background()}, d)
	if got := builtinstest.Eval(t, vm, `(() => { try { MongoDB.find("docs", "c") } catch (e) { return e.details.kind + " " + e.message } })()`); got != "notConfigured MongoDB.find: docs.c: no MongoDB connection 'docs' is configured (connections: mongodb: in kubus.yaml names none)" {
		t.Errorf("Default: %v", got)
	}
}

// TestCallRecords: each call is recorded (never its filter or documents), failed ones with their kind.
func TestCallRecords(t *testing.T) {
	f := setup(t, mongodb.Config{Connections: map[string]mongodb.Connection{"ro": {URI: "mongodb://127.0.0.1:1/x", ReadOnly: true}}})
	f.exec.LogLevel = builtins.LogInfo
	builtinstest.Run(t, f.vm, `
		MongoDB.insertMany("docs", "apps", [{Name: "SECRET-ann"}, {Name: "b"}]);
		MongoDB.find("docs", "apps", {Name: "SECRET-ann"});
		MongoDB.updateMany("docs", "apps", {}, {$set: {x: 1}});
		try { MongoDB.deleteMany("ro", "apps", {}) } catch (e) {}
		try { MongoDB.find("nope", "apps") } catch (e) {}
		try { MongoDB.find("docs", "apps", {$where: "1"}) } catch (e) {}
		MongoDB.objectId("65f1c0ffee0123456789abcd");`)
	calls := f.exec.Calls()
	var got []string
	for _, c := range calls {
		rows := "-"
		if c.Rows != nil {
			rows = fmt.Sprint(*c.Rows)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %s %s", c.Module, c.Target, c.Method, c.What, rows, c.Error))
		if c.Ms < 0 {
			t.Errorf("ms %v", c.Ms)
		}
	}
	want := []string{
		"MongoDB docs insertMany apps 2 ",
		"MongoDB docs find apps 1 ",
		"MongoDB docs updateMany apps 2 ",
		"MongoDB ro deleteMany apps - readOnly",
		"MongoDB nope find apps - notConfigured",
		"MongoDB docs find apps - forbidden",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	all, _ := json.Marshal(calls)
	logs, _ := json.Marshal(f.exec.Diagnostics())
	if strings.Contains(string(all)+string(logs), "SECRET") {
		t.Errorf("a filter or document was recorded: %s %s", all, logs)
	}
	if !strings.Contains(string(logs), "MongoDB find docs apps: 1 rows") {
		t.Errorf("logs: %s", logs)
	}
}

// TestModuleDocumented: typings, reference and examples agree; every example runs against a
// server with the collection it names.
func TestModuleDocumented(t *testing.T) {
	f := setup(t, mongodb.Config{})
	builtinstest.Run(t, f.vm, `MongoDB.insertMany("docs", "applications", [
		{Name: "Ann", Age: 34, Region: "north"}, {Name: "Bob", Age: 51, Region: "south"}, {Name: "Cy", Age: 17, Region: "north"}])`)
	var fns []builtins.Fn
	for _, e := range f.mod.Reference() {
		fns = append(fns, builtins.Fn{Name: strings.TrimPrefix(e.Qualified, "MongoDB."), Signature: e.Signature, Doc: e.Doc, Example: e.Example})
	}
	builtinstest.CheckModule(t, f.vm, f.mod, fns)
	for _, fn := range fns {
		expr, _, _ := strings.Cut(fn.Example, " // ")
		if got := fmt.Sprint(builtinstest.Eval(t, f.vm, expr)); strings.Contains(got, "Error") {
			t.Errorf("%s: example throws: %s", fn.Name, got)
		}
	}
	typings := f.mod.Typings()
	if len(fns) != 13 || !strings.Contains(typings, "declare namespace MongoDB {") || !strings.Contains(typings, "interface MongoUpdateResult") {
		t.Errorf("%d functions; typings:\n%s", len(fns), typings)
	}
}

// TestClose: Close disconnects every client and leaves no goroutine behind; calls after it throw.
func TestClose(t *testing.T) {
	mongotest.Start(t)
	before := runtime.NumGoroutine()
	f := setup(t, mongodb.Config{})
	fixtureDB := mongotest.Database(t)
	for i := 0; i < 3; i++ {
		if got := f.eval(t, `MongoDB.count("docs", "c")`); got != "0" {
			t.Fatal(got)
		}
	}
	f.exec.Fixtures = map[string]any{"MongoDB": map[string]string{"docs": mongotest.URI(t, fixtureDB)}}
	f.eval(t, `MongoDB.count("docs", "c")`)
	if err := f.mod.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
	if kind, msg := f.fails(t, `MongoDB.count("docs", "c")`); kind != "noFixture" || !strings.Contains(msg, "closed") {
		t.Errorf("after Close: %s %s", kind, msg)
	}
}
