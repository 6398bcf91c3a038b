package mongodb

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kubusdev/kubus/builtins/builtinstest"
)

// TestDecode: BSON types FerretDB cannot store (Decimal128, MinKey, code, …) come out as documented.
func TestDecode(t *testing.T) {
	m := Default()
	vm, h := builtinstest.NewVM(t, nil, m)
	st := &state{m: m, h: h, dateCtor: vm.Get("Date")}
	dec128, _ := bson.ParseDecimal128("12.50")
	oid, _ := bson.ObjectIDFromHex("65f1c0ffee0123456789abcd")
	raw, err := bson.Marshal(bson.D{
		{Key: "dec", Value: dec128},
		{Key: "min", Value: bson.MinKey{}},
		{Key: "max", Value: bson.MaxKey{}},
		{Key: "code", Value: bson.JavaScript("function () {}")},
		{Key: "sym", Value: bson.Symbol("s")},
		{Key: "undef", Value: bson.Undefined{}},
		{Key: "ptr", Value: bson.DBPointer{DB: "db.coll", Pointer: oid}},
		{Key: "re", Value: bson.Regex{Pattern: "^a", Options: "i"}},
		{Key: "safe", Value: int64(1 << 53)},
		{Key: "unsafe", Value: int64(1<<53 + 1)},
		{Key: "neg", Value: int64(-(1<<53 + 1))},
		{Key: "far", Value: bson.DateTime(1 << 62)},
		{Key: "uuid", Value: bson.Binary{Subtype: 4, Data: make([]byte, 16)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = vm.Set("d", st.decoder().doc(raw))
	got := builtinstest.Eval(t, vm, `JSON.stringify(d) + " " + isNaN(d.far.getTime())`)
	want := `{"dec":"12.50","min":{"$minKey":1},"max":{"$maxKey":1},"code":"function () {}","sym":"s","undef":null,"ptr":{"$ref":"db.coll","$id":"65f1c0ffee0123456789abcd"},"re":"/^a/i","safe":9007199254740992,"unsafe":"9007199254740993","neg":"-9007199254740993","far":null,"uuid":"AAAAAAAAAAAAAAAAAAAAAA=="} true`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
