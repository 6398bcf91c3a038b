package mongofake

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func TestSeedConversion(t *testing.T) {
	var fromJSON map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"n": 12, "f": 1.5}`))
	dec.UseNumber()
	if err := dec.Decode(&fromJSON); err != nil {
		t.Fatal(err)
	}
	seed := Seed{"app": {
		"applications": {
			map[string]any{
				"_id":    map[string]any{"$oid": "65a1b2c3d4e5f60718293a4b"},
				"name":   "x",
				"when":   map[string]any{"$date": "2024-01-02T03:04:05Z"},
				"millis": map[string]any{"$date": 1700000000000},
				"long":   map[string]any{"$numberLong": "9000000000"},
				"dec":    map[string]any{"$numberDecimal": "12.50"},
				"int":    7,
				"big":    int64(1) << 40,
				"float":  2.5,
				"list":   []any{1, "two", nil, true},
				"nested": map[string]any{"b": 1, "a": []any{map[string]any{"$oid": "65a1b2c3d4e5f60718293a4c"}}},
				"json":   fromJSON,
				"t":      time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
			},
			map[string]any{"name": "no id"},
		},
		"empty": {},
	}}
	s, err := Start(seed)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	docs := s.Documents("app", "applications")
	want := `{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"big":{"$numberLong":"1099511627776"},"dec":{"$numberDecimal":"12.50"},` +
		`"float":{"$numberDouble":"2.5"},"int":{"$numberInt":"7"},"json":{"f":{"$numberDouble":"1.5"},"n":{"$numberInt":"12"}},` +
		`"list":[{"$numberInt":"1"},"two",null,true],"long":{"$numberLong":"9000000000"},` +
		`"millis":{"$date":{"$numberLong":"1700000000000"}},"name":"x",` +
		`"nested":{"a":[{"$oid":"65a1b2c3d4e5f60718293a4c"}],"b":{"$numberInt":"1"}},` +
		`"t":{"$date":{"$numberLong":"1577836800000"}},"when":{"$date":{"$numberLong":"1704164645000"}}}`
	if got, _ := bson.MarshalExtJSON(docs[0], true, false); string(got) != want {
		t.Errorf("converted\n got %s\nwant %s", got, want)
	}
	if _, ok := docs[1][0].Value.(bson.ObjectID); !ok || docs[1][0].Key != "_id" {
		t.Errorf("document without _id became %s", js(docs[1]))
	}
	if s2, err := Start(Seed{"d": {"c": {map[any]any{"b": map[any]any{"y": 1, "x": 2}, "_id": 1}}}}); err != nil {
		t.Error(err)
	} else {
		if got := docsJSON(s2.Documents("d", "c")); got != `[{"_id":1,"b":{"x":2,"y":1}}]` {
			t.Errorf("map[any]any seed: %s", got)
		}
		s2.Close()
	}
	if docs := s.Documents("app", "empty"); docs == nil || len(docs) != 0 {
		t.Errorf("an empty seeded collection should exist: %v", docs)
	}

	errTests := []struct {
		seed Seed
		want string
	}{
		{Seed{"db": {"c": {map[string]any{"a": map[string]any{"$oid": "xyz"}}}}}, "db.c[0].a.$oid"},
		{Seed{"db": {"c": {map[string]any{}, map[string]any{"a": []any{1, map[string]any{"$date": "yesterday"}}}}}}, "db.c[1].a.1.$date"},
		{Seed{"db": {"c": {map[string]any{"a": map[string]any{"$regex": "x"}}}}}, "db.c[0].a.$regex"},
		{Seed{"db": {"c": {map[string]any{"a": struct{}{}}}}}, "db.c[0].a"},
		{Seed{"db": {"c": {"not a document"}}}, "db.c[0]"},
		{Seed{"db": {"c": {map[string]any{"_id": 1}, map[string]any{"_id": 1}}}}, "db.c[1]: E11000"},
		{Seed{"db": {"c": {map[string]any{"_id": []any{1}}}}}, "db.c[0]"},
	}
	for _, tt := range errTests {
		_, err := Start(tt.seed)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Start(%v) error %v, want it to name %q", tt.seed, err, tt.want)
		}
	}
}

func TestAdminCommands(t *testing.T) {
	_, db := startDB(t, Seed{"t": {"a": {map[string]any{"_id": 1}}, "b": {}}, "other": {"x": {map[string]any{"_id": 1}}}})
	ctx := ctxT(t)
	cl := db.Client()
	var hello bson.M
	if err := cl.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"isWritablePrimary", "maxWireVersion", "maxBsonObjectSize", "maxMessageSizeBytes", "maxWriteBatchSize", "logicalSessionTimeoutMinutes", "connectionId"} {
		if _, ok := hello[k]; !ok {
			t.Errorf("hello lacks %s: %v", k, hello)
		}
	}
	var bi bson.M
	if err := cl.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&bi); err != nil || bi["version"] == nil {
		t.Errorf("buildInfo: %v %v", bi, err)
	}
	names, err := cl.ListDatabaseNames(ctx, bson.D{})
	if err != nil || !slices.Equal(names, []string{"other", "t"}) {
		t.Errorf("ListDatabaseNames = %v, %v", names, err)
	}
	if res, err := cl.ListDatabases(ctx, bson.D{{Key: "name", Value: "t"}}); err != nil || len(res.Databases) != 1 {
		t.Errorf("ListDatabases filter: %+v %v", res, err)
	}
	colls, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil || !slices.Equal(colls, []string{"a", "b"}) {
		t.Errorf("ListCollectionNames = %v, %v", colls, err)
	}
	specs, err := db.ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: "a"}})
	if err != nil || len(specs) != 1 || specs[0].Name != "a" {
		t.Errorf("ListCollectionSpecifications = %+v, %v", specs, err)
	}
	idx, err := db.Collection("a").Indexes().ListSpecifications(ctx)
	if err != nil || len(idx) != 1 || idx[0].Name != "_id_" {
		t.Errorf("indexes %+v, %v", idx, err)
	}
	if err := db.CreateCollection(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCollection(ctx, "c"); errCode(err) != 48 {
		t.Errorf("creating twice: %v, want code 48", err)
	}
	if err := db.Collection("a").Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Collection("never").Drop(ctx); err != nil {
		t.Errorf("dropping a missing collection: %v", err)
	}
	colls, _ = db.ListCollectionNames(ctx, bson.D{})
	if !slices.Equal(colls, []string{"b", "c"}) {
		t.Errorf("after drop: %v", colls)
	}
	if err := cl.Database("other").Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if names, _ := cl.ListDatabaseNames(ctx, bson.D{}); !slices.Equal(names, []string{"t"}) {
		t.Errorf("after dropDatabase: %v", names)
	}
}

func TestUnsupportedCommand(t *testing.T) {
	s, db := startDB(t, nil)
	ctx := ctxT(t)
	err := db.RunCommand(ctx, bson.D{{Key: "mapReduce", Value: "c"}}).Err()
	var ce mongo.CommandError
	if !errorsAs(err, &ce) || ce.Code != 59 || ce.Name != "CommandNotFound" || !strings.Contains(ce.Message, "mapReduce") {
		t.Fatalf("err %v", err)
	}
	if err := db.RunCommand(ctx, j(`{"find": "c", "tailable": true}`)).Err(); errCode(err) != 238 {
		t.Errorf("tailable find: %v", err)
	}
	if err := db.RunCommand(ctx, j(`{"find": "c", "collation": {"locale": "fr"}}`)).Err(); errCode(err) != 238 {
		t.Errorf("collation: %v", err)
	}
	if err := db.RunCommand(ctx, j(`{"find": "c", "frobnicate": 1}`)).Err(); errCode(err) != 238 {
		t.Errorf("unknown option: %v", err)
	}
	if _, err := db.Collection("c").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}}}); errCode(err) != 59 {
		t.Errorf("createIndexes: %v", err)
	}
	want := []string{"command mapReduce", "find option tailable", "collation", "find option frobnicate", "command createIndexes"}
	if got := s.Unsupported(); !slices.Equal(got, want) {
		t.Errorf("Unsupported() = %q, want %q", got, want)
	}
	// Transactions need a replica set, as on a real standalone server.
	sess, err := db.Client().StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	_, err = sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		return db.Collection("c").InsertOne(ctx, bson.D{{Key: "x", Value: 1}})
	})
	if errCode(err) != 20 {
		t.Errorf("transaction: %v, want code 20", err)
	}
}

func errorsAs(err error, target *mongo.CommandError) bool {
	ce, ok := err.(mongo.CommandError)
	if ok {
		*target = ce
	}
	return ok
}

// rawConn talks to the server without the driver.
func rawConn(t *testing.T, s *Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URI(), "mongodb://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func opMsgBytes(flags uint32, doc bson.D, checksum bool) []byte {
	body, _ := bson.Marshal(doc)
	n := 16 + 4 + 1 + len(body)
	if checksum {
		n += 4
	}
	msg := appendHeader(nil, n, 1, 0, opMsg)
	msg = binary.LittleEndian.AppendUint32(msg, flags)
	msg = append(msg, 0)
	msg = append(msg, body...)
	if checksum {
		msg = binary.LittleEndian.AppendUint32(msg, crc32.Checksum(msg, crcTable))
	}
	return msg
}

// expectClosed reports whether the server closed the connection.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1024)); err != io.EOF {
		t.Errorf("read %d bytes, %v; want the connection closed", n, err)
	}
}

func readReply(t *testing.T, c net.Conn) bson.D {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := readMessage(c)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	switch int32(binary.LittleEndian.Uint32(msg[12:])) {
	case opMsg:
		req, err := parseOpMsg(msg)
		if err != nil {
			t.Fatal(err)
		}
		return req.cmd
	case opReply:
		d, err := decodeDoc(msg[36:])
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Fatal("unexpected opcode")
	return nil
}

func nested(depth int) bson.D {
	d := bson.D{{Key: "x", Value: 1}}
	for range depth {
		d = bson.D{{Key: "x", Value: d}}
	}
	return d
}

func TestWireProtocol(t *testing.T) {
	s, db := startDB(t, seedOf("c", `{"_id": 1}`))
	hugeLen := appendHeader(nil, 0x7fffffff, 1, 0, opMsg)
	tiny := appendHeader(nil, 10, 1, 0, opMsg)
	badOp := append(appendHeader(nil, 21, 1, 0, 9999), 0, 0, 0, 0, 0)
	badBSON := opMsgBytes(0, bson.D{{Key: "ping", Value: 1}}, false)
	badBSON[21+4] = 0x42 // corrupt the element type of "ping"
	badChecksum := opMsgBytes(flagChecksum, bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}, true)
	badChecksum[len(badChecksum)-1] ^= 0xff
	unknownFlag := opMsgBytes(1<<5, bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}, false)
	deep := opMsgBytes(0, bson.D{{Key: "ping", Value: nested(500)}, {Key: "$db", Value: "admin"}}, false)
	badSeq := opMsgBytes(0, bson.D{{Key: "insert", Value: "c"}, {Key: "$db", Value: "t"}}, false)
	badSeq = append(badSeq, 1, 0xff, 0xff, 0, 0) // kind 1 section with a bogus size
	binary.LittleEndian.PutUint32(badSeq, uint32(len(badSeq)))
	malformed := map[string][]byte{
		"length over 48 MB":     hugeLen,
		"length under 16":       tiny,
		"unknown opcode":        badOp,
		"invalid BSON":          badBSON,
		"bad checksum":          badChecksum,
		"unknown required flag": unknownFlag,
		"nesting too deep":      deep,
		"bad document sequence": badSeq,
		"truncated":             opMsgBytes(0, bson.D{{Key: "ping", Value: 1}}, false)[:30],
	}
	for name, msg := range malformed {
		t.Run(name, func(t *testing.T) {
			c := rawConn(t, s)
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			if name == "truncated" {
				c.(*net.TCPConn).CloseWrite()
			}
			expectClosed(t, c)
		})
	}

	t.Run("checksum", func(t *testing.T) {
		c := rawConn(t, s)
		c.Write(opMsgBytes(flagChecksum, bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}, true))
		if r := readReply(t, c); js(r) != `{"ok":1.0}` {
			t.Errorf("reply %s", js(r))
		}
	})
	t.Run("document sequence", func(t *testing.T) {
		c := rawConn(t, s)
		body, _ := bson.Marshal(bson.D{{Key: "insert", Value: "seq"}, {Key: "$db", Value: "t"}})
		d1, _ := bson.Marshal(bson.D{{Key: "_id", Value: 1}})
		d2, _ := bson.Marshal(bson.D{{Key: "_id", Value: 2}})
		sec := append([]byte("documents\x00"), append(d1, d2...)...)
		var msg []byte
		msg = binary.LittleEndian.AppendUint32(msg, 0)
		msg = append(msg, 0)
		msg = append(msg, body...)
		msg = append(msg, 1)
		msg = binary.LittleEndian.AppendUint32(msg, uint32(4+len(sec)))
		msg = append(msg, sec...)
		c.Write(append(appendHeader(nil, 16+len(msg), 7, 0, opMsg), msg...))
		if r := readReply(t, c); js(r) != `{"n":2,"ok":1.0}` {
			t.Errorf("reply %s", js(r))
		}
	})
	t.Run("legacy OP_QUERY", func(t *testing.T) {
		for _, tc := range []struct{ cmd, want string }{{"isMaster", "ismaster"}, {"find", "errmsg"}} {
			c := rawConn(t, s)
			q, _ := bson.Marshal(bson.D{{Key: tc.cmd, Value: 1}})
			var msg []byte
			msg = binary.LittleEndian.AppendUint32(msg, 0)
			msg = append(msg, "admin.$cmd\x00"...)
			msg = binary.LittleEndian.AppendUint32(msg, 0)
			msg = binary.LittleEndian.AppendUint32(msg, 0xffffffff)
			msg = append(msg, q...)
			c.Write(append(appendHeader(nil, 16+len(msg), 3, 0, opQuery), msg...))
			if r := readReply(t, c); fieldIndex(r, tc.want) < 0 {
				t.Errorf("%s: reply %s", tc.cmd, js(r))
			}
		}
	})
	t.Run("no $db", func(t *testing.T) {
		c := rawConn(t, s)
		c.Write(opMsgBytes(0, bson.D{{Key: "ping", Value: 1}}, false))
		if r := readReply(t, c); !bytes.Contains([]byte(js(r)), []byte("40571")) {
			t.Errorf("reply %s", js(r))
		}
	})

	// The server survived all of the above.
	if n, err := db.Collection("c").CountDocuments(ctxT(t), bson.D{}); err != nil || n != 1 {
		t.Errorf("after malformed messages: %d, %v", n, err)
	}
}

// TestHostileInput checks that bounds hold and nothing crashes the server.
func TestHostileInput(t *testing.T) {
	_, db := startDB(t, seedOf("c", `{"_id": 1, "a": [1, 2, 3]}`))
	c := db.Collection("c")
	ctx := ctxT(t)
	deepPath := strings.Repeat("a.", 150) + "a"
	tests := []struct {
		name string
		run  func() error
		code int
	}{
		{"deep document", func() error { _, err := c.InsertOne(ctx, nested(120)); return err }, 15},
		{"long path in $set", func() error {
			_, err := c.UpdateOne(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: deepPath, Value: 1}}}})
			return err
		}, 2},
		{"long path in $addFields", func() error {
			_, err := aggJSON(t, c, bson.A{bson.D{{Key: "$addFields", Value: bson.D{{Key: deepPath, Value: 1}}}}})
			return err
		}, 2},
		{"huge array index", func() error {
			_, err := c.UpdateOne(ctx, bson.D{}, j(`{"$set": {"a.999999999": 1}}`))
			return err
		}, 2},
		{"document over 16 MiB after update", func() error {
			big := strings.Repeat("x", 9<<20)
			if _, err := c.UpdateOne(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "s1", Value: big}}}}); err != nil {
				return err
			}
			_, err := c.UpdateOne(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "s2", Value: big}}}})
			return err
		}, 17419},
		{"unwind explosion", func() error {
			// 1 document × 1,100 × 1,100 elements exceeds the stage cap.
			arr := bson.A{}
			for i := range 1100 {
				arr = append(arr, int32(i))
			}
			_, err := aggJSON(t, c, bson.A{
				bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: bson.D{{Key: "$literal", Value: arr}}}, {Key: "y", Value: bson.D{{Key: "$literal", Value: arr}}}}}},
				bson.D{{Key: "$unwind", Value: "$x"}}, bson.D{{Key: "$unwind", Value: "$y"}},
			})
			return err
		}, 146},
		{"wrong types", func() error { return db.RunCommand(ctx, j(`{"find": 5}`)).Err() }, 73},
		{"getMore wrong id type", func() error { return db.RunCommand(ctx, j(`{"getMore": "x", "collection": "c"}`)).Err() }, 14},
		{"pipeline not an array", func() error { return db.RunCommand(ctx, j(`{"aggregate": "c", "pipeline": 1, "cursor": {}}`)).Err() }, 14},
		{"update without u", func() error {
			var r struct {
				WriteErrors []struct {
					Code int32 `bson:"code"`
				} `bson:"writeErrors"`
			}
			if err := db.RunCommand(ctx, j(`{"update": "c", "updates": [{"q": {}}]}`)).Decode(&r); err != nil {
				return err
			}
			if len(r.WriteErrors) == 0 {
				return nil
			}
			return mongo.CommandError{Code: r.WriteErrors[0].Code}
		}, 40414},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); errCode(err) != tt.code {
				t.Errorf("err %v, want code %d", err, tt.code)
			}
		})
	}
	if err := db.Client().Ping(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, disconnectFirst := range []bool{true, false} {
		s, err := Start(seedOf("c", `{"_id": 1}`))
		if err != nil {
			t.Fatal(err)
		}
		cl, err := mongo.Connect(options.Client().ApplyURI(s.URI()))
		if err != nil {
			t.Fatal(err)
		}
		ctx := ctxT(t)
		if _, err := cl.Database("t").Collection("c").CountDocuments(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
		// An idle raw connection must not keep Close waiting.
		raw := rawConn(t, s)
		if disconnectFirst {
			cl.Disconnect(ctx)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		expectClosed(t, raw)
		if !disconnectFirst {
			cl.Disconnect(ctx)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
