package mongofake

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// commandCtx is one command being executed; the server lock is held.
type commandCtx struct {
	s      *Server
	db     string
	cmd    bson.D
	connID int32
}

type handler func(c *commandCtx) (bson.D, error)

var commands map[string]handler

func init() {
	commands = map[string]handler{
		"hello":           cmdHello,
		"isMaster":        cmdHello,
		"ismaster":        cmdHello,
		"ping":            cmdOK,
		"endSessions":     cmdOK,
		"buildInfo":       cmdBuildInfo,
		"buildinfo":       cmdBuildInfo,
		"find":            cmdFind,
		"getMore":         cmdGetMore,
		"killCursors":     cmdKillCursors,
		"count":           cmdCount,
		"distinct":        cmdDistinct,
		"aggregate":       cmdAggregate,
		"insert":          cmdInsert,
		"update":          cmdUpdate,
		"delete":          cmdDelete,
		"findAndModify":   cmdFindAndModify,
		"findandmodify":   cmdFindAndModify,
		"listCollections": cmdListCollections,
		"listDatabases":   cmdListDatabases,
		"listIndexes":     cmdListIndexes,
		"create":          cmdCreate,
		"drop":            cmdDrop,
		"dropDatabase":    cmdDropDatabase,
	}
}

// genericFields are accepted by every command and ignored: sessions,
// cluster time, read preference, API version, concerns and timeouts do not
// change what an in-memory standalone server answers.
var genericFields = map[string]bool{
	"$db": true, "lsid": true, "$clusterTime": true, "txnNumber": true,
	"$readPreference": true, "apiVersion": true, "apiStrict": true,
	"apiDeprecationErrors": true, "readConcern": true, "writeConcern": true,
	"maxTimeMS": true, "comment": true, "$audit": true, "$client": true,
	"backpressure": true,
}

// execute runs a command and returns the encoded reply document.
func (s *Server) execute(db string, cmd bson.D, connID int32, legacy bool) []byte {
	reply, err := s.run(db, cmd, connID, legacy)
	if err != nil {
		me := toMongoError(err)
		reply = bson.D{
			{Key: "ok", Value: 0.0},
			{Key: "errmsg", Value: me.msg},
			{Key: "code", Value: me.code},
			{Key: "codeName", Value: me.name},
		}
	} else {
		reply = append(reply, bson.E{Key: "ok", Value: 1.0})
	}
	b, err := bson.Marshal(reply)
	if err != nil || len(b) > maxMessageSize-64 {
		b, _ = bson.Marshal(bson.D{
			{Key: "ok", Value: 0.0},
			{Key: "errmsg", Value: fmt.Sprintf("the reply is too large or cannot be encoded: %v", err)},
			{Key: "code", Value: int32(10334)},
			{Key: "codeName", Value: "BSONObjectTooLarge"},
		})
	}
	return b
}

func (s *Server) run(db string, cmd bson.D, connID int32, legacy bool) (reply bson.D, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			if ep, ok := r.(evalPanic); ok {
				err = ep.err
			} else {
				err = errf(1, "InternalError", "the Kubus fixture server failed on this command: %v", r)
			}
		}
		if err != nil {
			s.noteUnsupported(err)
		}
	}()
	name := cmd[0].Key
	h := commands[name]
	if legacy && !slices.Contains([]string{"hello", "isMaster", "ismaster"}, name) {
		return nil, errf(352, "UnsupportedOpQueryCommand", "Unsupported OP_QUERY command: %s. The client driver may require an upgrade.", name)
	}
	if h == nil {
		s.noteUnsupported(&unsupportedError{what: "command " + name})
		return nil, errf(59, "CommandNotFound", "the Kubus fixture server does not support command %s", name)
	}
	if db == "" {
		return nil, errf(40571, "Location40571", "OP_MSG requests require a $db argument")
	}
	if _, ok := lookupField(cmd, "startTransaction"); ok {
		s.noteUnsupported(&unsupportedError{what: "transactions"})
		return nil, errf(20, "IllegalOperation", "Transaction numbers are only allowed on a replica set member or mongos")
	}
	return h(&commandCtx{s: s, db: db, cmd: cmd, connID: connID})
}

// Field access.

func (c *commandCtx) name() string { return c.cmd[0].Key }

// checkFields reports an unsupported field, naming the command.
func (c *commandCtx) checkFields(known ...string) error {
	for _, e := range c.cmd[1:] {
		if !genericFields[e.Key] && !slices.Contains(known, e.Key) {
			return unsupported("%s option %s", c.name(), e.Key)
		}
	}
	return nil
}

func (c *commandCtx) collName() (string, error) {
	s, ok := c.cmd[0].Value.(string)
	if !ok || s == "" {
		return "", errf(73, "InvalidNamespace", "collection name has invalid type %s", typeName(c.cmd[0].Value))
	}
	if strings.HasPrefix(s, "$") || strings.ContainsRune(s, 0) {
		return "", errf(73, "InvalidNamespace", "Invalid collection name: %s", s)
	}
	return s, nil
}

func docField(d bson.D, key string) (bson.D, error) {
	v, ok := lookupField(d, key)
	if !ok || v == nil {
		return nil, nil
	}
	x, ok := v.(bson.D)
	if !ok {
		return nil, typeMismatch("BSON field '%s' is the wrong type '%s', expected type 'object'", key, typeName(v))
	}
	return x, nil
}

func intField(d bson.D, key string) (int64, bool, error) {
	v, ok := lookupField(d, key)
	if !ok || v == nil {
		return 0, false, nil
	}
	n, ok := intValue(v)
	if !ok {
		return 0, false, typeMismatch("BSON field '%s' is the wrong type '%s', expected a number", key, typeName(v))
	}
	return n, true, nil
}

func boolField(d bson.D, key string) bool {
	v, _ := lookupField(d, key)
	return truthy(v)
}

// checkCollation accepts only the default (simple) collation.
func checkCollation(d bson.D) error {
	coll, err := docField(d, "collation")
	if err != nil || coll == nil {
		return err
	}
	if loc, _ := lookupField(coll, "locale"); loc == "simple" && len(coll) == 1 {
		return nil
	}
	return unsupported("collation")
}

// Handlers.

func cmdOK(*commandCtx) (bson.D, error) { return bson.D{}, nil }

func cmdHello(c *commandCtx) (bson.D, error) {
	primary := "isWritablePrimary"
	if c.name() != "hello" {
		primary = "ismaster"
	}
	// No topologyVersion: the driver then polls instead of streaming.
	return bson.D{
		{Key: "helloOk", Value: true},
		{Key: primary, Value: true},
		{Key: "maxBsonObjectSize", Value: int32(maxBSONSize)},
		{Key: "maxMessageSizeBytes", Value: int32(maxMessageSize)},
		{Key: "maxWriteBatchSize", Value: int32(100000)},
		{Key: "localTime", Value: bson.NewDateTimeFromTime(time.Now())},
		{Key: "logicalSessionTimeoutMinutes", Value: int32(30)},
		{Key: "connectionId", Value: c.connID},
		{Key: "minWireVersion", Value: int32(0)},
		{Key: "maxWireVersion", Value: int32(21)},
		{Key: "readOnly", Value: false},
	}, nil
}

func cmdBuildInfo(*commandCtx) (bson.D, error) {
	return bson.D{
		{Key: "version", Value: "7.0.0"},
		{Key: "gitVersion", Value: "kubus-mongofake"},
		{Key: "versionArray", Value: bson.A{int32(7), int32(0), int32(0), int32(0)}},
		{Key: "bits", Value: int32(64)},
		{Key: "maxBsonObjectSize", Value: int32(maxBSONSize)},
	}, nil
}

// matchIndexes returns the positions of the matching stored documents,
// sorted by sortSpec.
func (c *commandCtx) matchIndexes(coll string, m matcher, sortSpec bson.D) ([]int, *collection, error) {
	keys, err := compileSort(sortSpec)
	if err != nil {
		return nil, nil, err
	}
	col := c.s.coll(c.db, coll, false)
	if col == nil {
		return nil, nil, nil
	}
	var idx []int
	var docs []bson.D
	for i, d := range col.docs {
		if m(d.doc) {
			idx = append(idx, i)
			docs = append(docs, d.doc)
		}
	}
	if len(keys) > 0 && len(idx) > 1 {
		order := sortOrder(docs, keys)
		sorted := make([]int, len(idx))
		for i, j := range order {
			sorted[i] = idx[j]
		}
		idx = sorted
	}
	return idx, col, nil
}

// queryDocs filters, sorts, skips and limits a collection.
func (c *commandCtx) queryDocs(coll string, filter, sortSpec bson.D, skip, limit int64) ([]bson.D, error) {
	m, err := compileFilter(filter)
	if err != nil {
		return nil, err
	}
	idx, col, err := c.matchIndexes(coll, m, sortSpec)
	if err != nil {
		return nil, err
	}
	idx = idx[min(int64(len(idx)), skip):]
	if limit > 0 && int64(len(idx)) > limit {
		idx = idx[:limit]
	}
	out := make([]bson.D, len(idx))
	for i, j := range idx {
		out[i] = col.docs[j].doc
	}
	return out, nil
}

func cmdFind(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("filter", "sort", "projection", "skip", "limit", "batchSize",
		"singleBatch", "hint", "allowDiskUse", "noCursorTimeout", "allowPartialResults",
		"collation", "returnKey", "showRecordId", "tailable", "awaitData", "let", "min", "max", "oplogReplay"); err != nil {
		return nil, err
	}
	for _, f := range []string{"returnKey", "showRecordId", "tailable", "awaitData"} {
		if boolField(c.cmd, f) {
			return nil, unsupported("find option %s", f)
		}
	}
	for _, f := range []string{"min", "max", "let"} {
		if v, _ := lookupField(c.cmd, f); v != nil {
			return nil, unsupported("find option %s", f)
		}
	}
	if err := checkCollation(c.cmd); err != nil {
		return nil, err
	}
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	filter, err := docField(c.cmd, "filter")
	if err != nil {
		return nil, err
	}
	sortSpec, err := docField(c.cmd, "sort")
	if err != nil {
		return nil, err
	}
	projSpec, err := docField(c.cmd, "projection")
	if err != nil {
		return nil, err
	}
	skip, _, err := intField(c.cmd, "skip")
	if err != nil {
		return nil, err
	}
	if skip < 0 {
		return nil, errf(51024, "Location51024", "BSON field 'skip' value must be >= 0, actual value '%d'", skip)
	}
	limit, _, err := intField(c.cmd, "limit")
	if err != nil {
		return nil, err
	}
	single := boolField(c.cmd, "singleBatch")
	if limit < 0 {
		limit, single = -limit, true
	}
	batch, hasBatch, err := intField(c.cmd, "batchSize")
	if err != nil {
		return nil, err
	}
	if batch < 0 {
		return nil, errf(51024, "Location51024", "BSON field 'batchSize' value must be >= 0, actual value '%d'", batch)
	}
	if !hasBatch {
		batch = 101
	}
	var proj *projection
	if len(projSpec) > 0 {
		if proj, err = compileProjection(projSpec, true); err != nil {
			return nil, err
		}
	}
	docs, err := c.queryDocs(coll, filter, sortSpec, skip, limit)
	if err != nil {
		return nil, err
	}
	shared := true
	if proj != nil {
		shared = false
		for i, d := range docs {
			if docs[i], err = proj.apply(d); err != nil {
				return nil, err
			}
		}
	}
	return c.s.cursorReply(c.db+"."+coll, docs, batch, single, shared)
}

func cmdCount(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("query", "limit", "skip", "hint", "collation", "fields"); err != nil {
		return nil, err
	}
	if err := checkCollation(c.cmd); err != nil {
		return nil, err
	}
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	q, err := docField(c.cmd, "query")
	if err != nil {
		return nil, err
	}
	skip, _, err := intField(c.cmd, "skip")
	if err != nil {
		return nil, err
	}
	if skip < 0 {
		return nil, badValue("skip value is negative in count query")
	}
	limit, _, err := intField(c.cmd, "limit")
	if err != nil {
		return nil, err
	}
	if limit < 0 {
		limit = -limit
	}
	docs, err := c.queryDocs(coll, q, nil, skip, limit)
	if err != nil {
		return nil, err
	}
	return bson.D{{Key: "n", Value: intSeed(int64(len(docs)))}}, nil
}

func cmdDistinct(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("key", "query", "hint", "collation"); err != nil {
		return nil, err
	}
	if err := checkCollation(c.cmd); err != nil {
		return nil, err
	}
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	key, ok := lookupField(c.cmd, "key")
	ks, isStr := key.(string)
	if !ok || !isStr {
		return nil, typeMismatch("BSON field 'distinct.key' is missing or not a string")
	}
	parts, err := splitPath(ks)
	if err != nil {
		return nil, err
	}
	q, err := docField(c.cmd, "query")
	if err != nil {
		return nil, err
	}
	docs, err := c.queryDocs(coll, q, nil, 0, 0)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	values := bson.A{}
	add := func(v any) {
		if k := canonicalKey(v); !seen[k] {
			seen[k] = true
			values = append(values, v)
		}
	}
	for _, d := range docs {
		for _, v := range queryValues(d, parts).vals {
			if a, ok := v.(bson.A); ok {
				for _, e := range a {
					add(e)
				}
			} else {
				add(v)
			}
		}
	}
	slices.SortStableFunc(values, compareValues)
	if approxSize(values) > maxBSONSize {
		return nil, errf(17217, "Location17217", "distinct too big, 16mb cap")
	}
	return bson.D{{Key: "values", Value: values}}, nil
}

func cmdAggregate(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("pipeline", "cursor", "allowDiskUse", "hint", "collation",
		"bypassDocumentValidation", "explain", "let"); err != nil {
		return nil, err
	}
	if boolField(c.cmd, "explain") {
		return nil, unsupported("aggregate option explain")
	}
	if v, _ := lookupField(c.cmd, "let"); v != nil {
		return nil, unsupported("aggregate option let")
	}
	if err := checkCollation(c.cmd); err != nil {
		return nil, err
	}
	if _, ok := c.cmd[0].Value.(string); !ok {
		return nil, unsupported("database-level aggregate (aggregate: 1)")
	}
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	pv, _ := lookupField(c.cmd, "pipeline")
	pipeline, ok := pv.(bson.A)
	if !ok {
		return nil, typeMismatch("'pipeline' option must be specified as an array")
	}
	cursorOpts, err := docField(c.cmd, "cursor")
	if err != nil {
		return nil, err
	}
	if _, ok := lookupField(c.cmd, "cursor"); !ok {
		return nil, errf(9, "FailedToParse", "The 'cursor' option is required, except for aggregate with the explain argument")
	}
	batch, hasBatch, err := intField(cursorOpts, "batchSize")
	if err != nil {
		return nil, err
	}
	if batch < 0 {
		return nil, badValue("batchSize must be non-negative")
	}
	if !hasBatch {
		batch = 101
	}
	stages, err := compilePipeline(pipeline, func(name string) []bson.D { return c.s.docsOf(c.db, name) })
	if err != nil {
		return nil, err
	}
	docs, err := runPipeline(stages, c.s.docsOf(c.db, coll))
	if err != nil {
		return nil, err
	}
	return c.s.cursorReply(c.db+"."+coll, docs, batch, false, len(stages) == 0)
}

// Write commands.

func writeErr(index int, err error) bson.D {
	me := toMongoError(err)
	return bson.D{
		{Key: "index", Value: int32(index)},
		{Key: "code", Value: me.code},
		{Key: "errmsg", Value: me.msg},
	}
}

func opList(c *commandCtx, field string) (bson.A, bool, error) {
	v, _ := lookupField(c.cmd, field)
	list, ok := v.(bson.A)
	if !ok {
		return nil, false, typeMismatch("BSON field '%s.%s' is missing or not an array", c.name(), field)
	}
	ordered := true
	if o, found := lookupField(c.cmd, "ordered"); found {
		ordered = truthy(o)
	}
	return list, ordered, nil
}

func cmdInsert(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("documents", "ordered", "bypassDocumentValidation"); err != nil {
		return nil, err
	}
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	docs, ordered, err := opList(c, "documents")
	if err != nil {
		return nil, err
	}
	n := 0
	var werrs bson.A
	for i, v := range docs {
		d, ok := v.(bson.D)
		if !ok {
			err = typeMismatch("document to insert must be an object")
		} else {
			_, err = c.s.insertDoc(c.db, coll, copyDoc(d))
		}
		if err != nil {
			c.s.noteUnsupported(err)
			werrs = append(werrs, writeErr(i, err))
			if ordered {
				break
			}
			continue
		}
		n++
	}
	reply := bson.D{{Key: "n", Value: int32(n)}}
	if werrs != nil {
		reply = append(reply, bson.E{Key: "writeErrors", Value: werrs})
	}
	return reply, nil
}

// updateResult is the outcome of one update statement.
type updateResult struct {
	matched, modified int
	upsertedID        any
	upserted          bool
	before, after     bson.D
}

// updateStmt applies one update statement. sortSpec picks the document when
// only one is updated (findAndModify).
func (c *commandCtx) updateStmt(coll string, q bson.D, u any, multi, upsert bool, sortSpec bson.D) (updateResult, error) {
	var res updateResult
	m, err := compileFilter(q)
	if err != nil {
		return res, err
	}
	up, err := compileUpdate(u)
	if err != nil {
		return res, err
	}
	if multi && up.isReplace {
		return res, errf(9, "FailedToParse", "multi update is not supported for replacement-style update")
	}
	idx, col, err := c.matchIndexes(coll, m, sortSpec)
	if err != nil {
		return res, err
	}
	if !multi && len(idx) > 1 {
		idx = idx[:1]
	}
	for _, i := range idx {
		before := col.docs[i].doc
		after, err := up.apply(copyDoc(before), false)
		if err != nil {
			return res, err
		}
		res.matched++
		res.before, res.after = before, after
		if docsIdentical(before, after) {
			continue
		}
		if err := c.s.replaceAt(col, i, after); err != nil {
			return res, err
		}
		res.modified++
	}
	if len(idx) > 0 || !upsert {
		return res, nil
	}
	base, err := upsertBase(q)
	if err != nil {
		return res, err
	}
	var doc bson.D
	if up.isReplace {
		doc = copyDoc(up.replacement)
		if id, ok := lookupField(base, "_id"); ok {
			if _, has := lookupField(doc, "_id"); !has {
				doc = withIDFirst(doc, id)
			}
		}
	} else if doc, err = up.apply(base, true); err != nil {
		return res, err
	}
	inserted, err := c.s.insertDoc(c.db, coll, doc)
	if err != nil {
		return res, err
	}
	res.upserted, res.upsertedID, res.after = true, inserted[0].Value, inserted
	return res, nil
}

func docsIdentical(a, b bson.D) bool {
	x, err1 := bson.Marshal(a)
	y, err2 := bson.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func cmdUpdate(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("updates", "ordered", "bypassDocumentValidation", "let"); err != nil {
		return nil, err
	}
	if v, _ := lookupField(c.cmd, "let"); v != nil {
		return nil, unsupported("update option let")
	}
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	stmts, ordered, err := opList(c, "updates")
	if err != nil {
		return nil, err
	}
	n, nModified := 0, 0
	var upserted, werrs bson.A
	for i, sv := range stmts {
		res, err := c.runUpdateStmt(coll, sv)
		if err != nil {
			c.s.noteUnsupported(err)
			werrs = append(werrs, writeErr(i, err))
			if ordered {
				break
			}
			continue
		}
		n += res.matched
		nModified += res.modified
		if res.upserted {
			n++
			upserted = append(upserted, bson.D{{Key: "index", Value: int32(i)}, {Key: "_id", Value: res.upsertedID}})
		}
	}
	reply := bson.D{{Key: "n", Value: int32(n)}, {Key: "nModified", Value: int32(nModified)}}
	if upserted != nil {
		reply = append(reply, bson.E{Key: "upserted", Value: upserted})
	}
	if werrs != nil {
		reply = append(reply, bson.E{Key: "writeErrors", Value: werrs})
	}
	return reply, nil
}

func (c *commandCtx) runUpdateStmt(coll string, sv any) (updateResult, error) {
	st, ok := sv.(bson.D)
	if !ok {
		return updateResult{}, typeMismatch("update statement must be an object")
	}
	for _, e := range st {
		switch e.Key {
		case "q", "u", "multi", "upsert", "hint", "collation", "upsertSupplied":
		case "arrayFilters":
			if a, _ := e.Value.(bson.A); len(a) > 0 {
				return updateResult{}, unsupported("update arrayFilters")
			}
		default:
			return updateResult{}, unsupported("update statement field %s", e.Key)
		}
	}
	if err := checkCollation(st); err != nil {
		return updateResult{}, err
	}
	q, err := docField(st, "q")
	if err != nil {
		return updateResult{}, err
	}
	u, ok := lookupField(st, "u")
	if !ok {
		return updateResult{}, errf(40414, "Location40414", "BSON field 'update.updates.u' is missing but a required field")
	}
	return c.updateStmt(coll, q, u, boolField(st, "multi"), boolField(st, "upsert"), nil)
}

func cmdDelete(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("deletes", "ordered", "let"); err != nil {
		return nil, err
	}
	if v, _ := lookupField(c.cmd, "let"); v != nil {
		return nil, unsupported("delete option let")
	}
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	stmts, ordered, err := opList(c, "deletes")
	if err != nil {
		return nil, err
	}
	n := 0
	var werrs bson.A
	for i, sv := range stmts {
		k, err := c.deleteStmt(coll, sv)
		if err != nil {
			c.s.noteUnsupported(err)
			werrs = append(werrs, writeErr(i, err))
			if ordered {
				break
			}
			continue
		}
		n += k
	}
	reply := bson.D{{Key: "n", Value: int32(n)}}
	if werrs != nil {
		reply = append(reply, bson.E{Key: "writeErrors", Value: werrs})
	}
	return reply, nil
}

func (c *commandCtx) deleteStmt(coll string, sv any) (int, error) {
	st, ok := sv.(bson.D)
	if !ok {
		return 0, typeMismatch("delete statement must be an object")
	}
	for _, e := range st {
		switch e.Key {
		case "q", "limit", "hint", "collation":
		default:
			return 0, unsupported("delete statement field %s", e.Key)
		}
	}
	if err := checkCollation(st); err != nil {
		return 0, err
	}
	q, err := docField(st, "q")
	if err != nil {
		return 0, err
	}
	limit, _, err := intField(st, "limit")
	if err != nil {
		return 0, err
	}
	if limit != 0 && limit != 1 {
		return 0, errf(9, "FailedToParse", "The limit field in delete objects must be 0 or 1. Got %d", limit)
	}
	m, err := compileFilter(q)
	if err != nil {
		return 0, err
	}
	col := c.s.coll(c.db, coll, false)
	if col == nil {
		return 0, nil
	}
	var idx []int
	for i, d := range col.docs {
		if m(d.doc) {
			idx = append(idx, i)
			if limit == 1 {
				break
			}
		}
	}
	c.s.deleteAt(col, idx)
	return len(idx), nil
}

func cmdFindAndModify(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("query", "sort", "remove", "update", "new", "fields", "upsert",
		"bypassDocumentValidation", "hint", "collation", "arrayFilters", "let"); err != nil {
		return nil, err
	}
	if a, _ := lookupField(c.cmd, "arrayFilters"); a != nil {
		if arr, _ := a.(bson.A); len(arr) > 0 {
			return nil, unsupported("findAndModify arrayFilters")
		}
	}
	if v, _ := lookupField(c.cmd, "let"); v != nil {
		return nil, unsupported("findAndModify option let")
	}
	if err := checkCollation(c.cmd); err != nil {
		return nil, err
	}
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	q, err := docField(c.cmd, "query")
	if err != nil {
		return nil, err
	}
	sortSpec, err := docField(c.cmd, "sort")
	if err != nil {
		return nil, err
	}
	fields, err := docField(c.cmd, "fields")
	if err != nil {
		return nil, err
	}
	var proj *projection
	if len(fields) > 0 {
		if proj, err = compileProjection(fields, true); err != nil {
			return nil, err
		}
	}
	project := func(d bson.D) (any, error) {
		if d == nil {
			return nil, nil
		}
		if proj == nil {
			return d, nil
		}
		return proj.apply(d)
	}
	remove := boolField(c.cmd, "remove")
	u, hasUpdate := lookupField(c.cmd, "update")
	upsert, returnNew := boolField(c.cmd, "upsert"), boolField(c.cmd, "new")
	switch {
	case remove && hasUpdate:
		return nil, errf(9, "FailedToParse", "Cannot specify both an update and remove=true")
	case !remove && !hasUpdate:
		return nil, errf(9, "FailedToParse", "Either an update or remove=true must be specified")
	case remove && (upsert || returnNew):
		return nil, errf(9, "FailedToParse", "Cannot specify both upsert=true and remove=true, or new=true with remove=true")
	}
	if remove {
		m, err := compileFilter(q)
		if err != nil {
			return nil, err
		}
		idx, col, err := c.matchIndexes(coll, m, sortSpec)
		if err != nil {
			return nil, err
		}
		var value any
		if len(idx) > 0 {
			doc := col.docs[idx[0]].doc
			c.s.deleteAt(col, idx[:1])
			if value, err = project(doc); err != nil {
				return nil, err
			}
		}
		return bson.D{
			{Key: "lastErrorObject", Value: bson.D{{Key: "n", Value: int32(min(len(idx), 1))}}},
			{Key: "value", Value: value},
		}, nil
	}
	res, err := c.updateStmt(coll, q, u, false, upsert, sortSpec)
	if err != nil {
		return nil, err
	}
	leo := bson.D{
		{Key: "n", Value: int32(res.matched)},
		{Key: "updatedExisting", Value: res.matched > 0},
	}
	var value any
	switch {
	case res.upserted:
		leo[0].Value = int32(1)
		leo = append(leo, bson.E{Key: "upserted", Value: res.upsertedID})
		if returnNew {
			value, err = project(res.after)
		}
	case returnNew:
		value, err = project(res.after)
	default:
		value, err = project(res.before)
	}
	if err != nil {
		return nil, err
	}
	return bson.D{{Key: "lastErrorObject", Value: leo}, {Key: "value", Value: value}}, nil
}

// Catalog commands.

func cmdListCollections(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("filter", "nameOnly", "authorizedCollections", "cursor"); err != nil {
		return nil, err
	}
	filter, err := docField(c.cmd, "filter")
	if err != nil {
		return nil, err
	}
	m, err := compileFilter(filter)
	if err != nil {
		return nil, err
	}
	nameOnly := boolField(c.cmd, "nameOnly")
	var docs []bson.D
	for _, name := range sortedKeys(c.s.dbs[c.db]) {
		d := bson.D{{Key: "name", Value: name}, {Key: "type", Value: "collection"}}
		if !nameOnly {
			d = append(d,
				bson.E{Key: "options", Value: bson.D{}},
				bson.E{Key: "info", Value: bson.D{{Key: "readOnly", Value: false}}},
				bson.E{Key: "idIndex", Value: idIndex()},
			)
		}
		if m(d) {
			docs = append(docs, d)
		}
	}
	return c.s.cursorReply(c.db+".$cmd.listCollections", docs, -1, true, false)
}

func idIndex() bson.D {
	return bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: bson.D{{Key: "_id", Value: int32(1)}}}, {Key: "name", Value: "_id_"}}
}

func cmdListIndexes(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("cursor"); err != nil {
		return nil, err
	}
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	if c.s.coll(c.db, coll, false) == nil {
		return nil, errf(26, "NamespaceNotFound", "ns does not exist: %s.%s", c.db, coll)
	}
	return c.s.cursorReply(c.db+"."+coll, []bson.D{idIndex()}, -1, true, false)
}

func cmdListDatabases(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("filter", "nameOnly", "authorizedDatabases"); err != nil {
		return nil, err
	}
	filter, err := docField(c.cmd, "filter")
	if err != nil {
		return nil, err
	}
	m, err := compileFilter(filter)
	if err != nil {
		return nil, err
	}
	nameOnly := boolField(c.cmd, "nameOnly")
	dbs := bson.A{}
	var total int64
	for _, name := range sortedKeys(c.s.dbs) {
		var size int64
		for _, col := range c.s.dbs[name] {
			for _, d := range col.docs {
				size += int64(d.size)
			}
		}
		d := bson.D{{Key: "name", Value: name}}
		if !nameOnly {
			d = append(d, bson.E{Key: "sizeOnDisk", Value: size}, bson.E{Key: "empty", Value: size == 0})
		}
		if m(d) {
			dbs = append(dbs, d)
			total += size
		}
	}
	reply := bson.D{{Key: "databases", Value: dbs}}
	if !nameOnly {
		reply = append(reply, bson.E{Key: "totalSize", Value: total}, bson.E{Key: "totalSizeMb", Value: total >> 20})
	}
	return reply, nil
}

func cmdCreate(c *commandCtx) (bson.D, error) {
	if err := c.checkFields(); err != nil {
		return nil, err
	}
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	if c.s.coll(c.db, coll, false) != nil {
		return nil, errf(48, "NamespaceExists", "Collection %s.%s already exists.", c.db, coll)
	}
	c.s.coll(c.db, coll, true)
	return bson.D{}, nil
}

func cmdDrop(c *commandCtx) (bson.D, error) {
	coll, err := c.collName()
	if err != nil {
		return nil, err
	}
	// Like MongoDB 7.0+, dropping a missing collection succeeds.
	c.s.dropCollection(c.db, coll)
	return bson.D{{Key: "ns", Value: c.db + "." + coll}, {Key: "nIndexesWas", Value: int32(1)}}, nil
}

func cmdDropDatabase(c *commandCtx) (bson.D, error) {
	for _, name := range sortedKeys(c.s.dbs[c.db]) {
		c.s.dropCollection(c.db, name)
	}
	return bson.D{{Key: "dropped", Value: c.db}}, nil
}

// Cursors.

type cursor struct {
	ns    string
	docs  []bson.D
	bytes int // memory the cursor owns (0 when it shares stored documents)
}

// cursorReply answers with a first batch and, when more remain, a cursor.
// batch < 0 means no count limit; shared says docs are stored documents.
func (s *Server) cursorReply(ns string, docs []bson.D, batch int64, single, shared bool) (bson.D, error) {
	first, rest, err := takeBatch(docs, batch)
	if err != nil {
		return nil, err
	}
	var id int64
	if len(rest) > 0 && !single {
		id = s.addCursor(&cursor{ns: ns, docs: rest}, shared)
	}
	return cursorDoc("firstBatch", first, id, ns), nil
}

func cursorDoc(key string, batch bson.A, id int64, ns string) bson.D {
	return bson.D{{Key: "cursor", Value: bson.D{
		{Key: key, Value: batch},
		{Key: "id", Value: id},
		{Key: "ns", Value: ns},
	}}}
}

// takeBatch encodes up to n documents and at most 16 MiB (at least one).
func takeBatch(docs []bson.D, n int64) (bson.A, []bson.D, error) {
	batch := bson.A{}
	total := 0
	for len(docs) > 0 && (n < 0 || int64(len(batch)) < n) {
		raw, err := bson.Marshal(docs[0])
		if err != nil {
			return nil, nil, badValue("cannot encode result document: %v", err)
		}
		if len(raw) > maxBSONSize {
			return nil, nil, errf(10334, "BSONObjectTooLarge", "a result document is larger than %d bytes", maxBSONSize)
		}
		if len(batch) > 0 && total+len(raw) > maxBSONSize {
			break
		}
		total += len(raw)
		batch = append(batch, bson.Raw(raw))
		docs = docs[1:]
	}
	return batch, docs, nil
}

func (s *Server) addCursor(cur *cursor, shared bool) int64 {
	if !shared {
		for _, d := range cur.docs {
			cur.bytes += approxSize(d)
		}
	}
	for len(s.cursorOrder) > 0 && (len(s.cursors) >= maxCursors || s.cursorBytes+cur.bytes > maxCursorBytes) {
		s.dropCursor(s.cursorOrder[0])
	}
	var id int64
	for id == 0 || s.cursors[id] != nil {
		id = rand.Int64N(math.MaxInt64-1) + 1
	}
	s.cursors[id] = cur
	s.cursorOrder = append(s.cursorOrder, id)
	s.cursorBytes += cur.bytes
	return id
}

func (s *Server) dropCursor(id int64) bool {
	cur := s.cursors[id]
	if cur == nil {
		return false
	}
	delete(s.cursors, id)
	s.cursorBytes -= cur.bytes
	if i := slices.Index(s.cursorOrder, id); i >= 0 {
		s.cursorOrder = slices.Delete(s.cursorOrder, i, i+1)
	}
	return true
}

func cmdGetMore(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("collection", "batchSize"); err != nil {
		return nil, err
	}
	id, ok := c.cmd[0].Value.(int64)
	if !ok {
		return nil, typeMismatch("BSON field 'getMore.getMore' is the wrong type '%s', expected type 'long'", typeName(c.cmd[0].Value))
	}
	coll, _ := lookupField(c.cmd, "collection")
	collName, _ := coll.(string)
	batch, hasBatch, err := intField(c.cmd, "batchSize")
	if err != nil {
		return nil, err
	}
	if !hasBatch || batch <= 0 {
		batch = -1
	}
	cur := c.s.cursors[id]
	if cur == nil {
		return nil, errf(43, "CursorNotFound", "cursor id %d not found", id)
	}
	if want := c.db + "." + collName; want != cur.ns && !strings.HasPrefix(cur.ns, c.db+".$cmd") {
		return nil, errf(13, "Unauthorized", "Requested getMore on namespace '%s', but cursor belongs to a different namespace %s", want, cur.ns)
	}
	next, rest, err := takeBatch(cur.docs, batch)
	if err != nil {
		return nil, err
	}
	ns := cur.ns
	if len(rest) == 0 {
		c.s.dropCursor(id)
		id = 0
	} else {
		if cur.bytes > 0 {
			freed := 0
			for _, d := range cur.docs[:len(cur.docs)-len(rest)] {
				freed += approxSize(d)
			}
			cur.bytes -= freed
			c.s.cursorBytes -= freed
		}
		cur.docs = rest
	}
	return cursorDoc("nextBatch", next, id, ns), nil
}

func cmdKillCursors(c *commandCtx) (bson.D, error) {
	if err := c.checkFields("cursors"); err != nil {
		return nil, err
	}
	v, _ := lookupField(c.cmd, "cursors")
	ids, ok := v.(bson.A)
	if !ok {
		return nil, typeMismatch("BSON field 'killCursors.cursors' is missing or not an array")
	}
	killed, notFound := bson.A{}, bson.A{}
	for _, x := range ids {
		id, _ := x.(int64)
		if c.s.dropCursor(id) {
			killed = append(killed, id)
		} else {
			notFound = append(notFound, x)
		}
	}
	return bson.D{
		{Key: "cursorsKilled", Value: killed},
		{Key: "cursorsNotFound", Value: notFound},
		{Key: "cursorsAlive", Value: bson.A{}},
		{Key: "cursorsUnknown", Value: bson.A{}},
	}, nil
}
