package mongodb

import (
	"github.com/kubusdev/kubus/builtins"
)

const (
	connArgs    = "connection: string, collection: string"
	findOptions = "{ sort?: MongoDocument; limit?: number; skip?: number; projection?: MongoDocument }"
)

// fns are the module's functions, bound to one runtime's state (nil for the typings and reference).
func (m *Module) fns(st *state) []builtins.Fn {
	return []builtins.Fn{
		{Name: "aggregate", Signature: "(" + connArgs + ", pipeline: MongoDocument[]): MongoDocument[]",
			Doc:     "Runs an aggregation pipeline and returns its documents (more than the connection's maxDocs is an error); $out and $merge are refused: aggregate only reads.",
			Example: `MongoDB.aggregate("docs", "applications", [{$group: {_id: "$Region", n: {$sum: 1}}}]) // e.g. [{"_id":"north","n":2}]`,
			Impl:    st.bind("aggregate", (*state).aggregate)},
		{Name: "count", Signature: "(" + connArgs + ", filter?: MongoDocument, options?: { limit?: number; skip?: number }): number",
			Doc:     "The number of documents matching filter (countDocuments).",
			Example: `MongoDB.count("docs", "applications", {Age: {$gte: 18}}) // e.g. 2`,
			Impl:    st.bind("count", (*state).count)},
		{Name: "deleteMany", Signature: "(" + connArgs + ", filter: MongoDocument): MongoDeleteResult",
			Doc:     "Deletes every document matching filter ({} deletes all); not undone if the execution fails.",
			Example: `MongoDB.deleteMany("docs", "applications", {Status: "expired"}) // e.g. {"acknowledged":true,"deletedCount":3}`,
			Impl:    st.bind("deleteMany", (*state).deleteMany)},
		{Name: "deleteOne", Signature: "(" + connArgs + ", filter: MongoDocument): MongoDeleteResult",
			Doc:     "Deletes the first document matching filter; not undone if the execution fails.",
			Example: `MongoDB.deleteOne("docs", "applications", {Name: "Ann"}) // e.g. {"acknowledged":true,"deletedCount":1}`,
			Impl:    st.bind("deleteOne", (*state).deleteOne)},
		{Name: "distinct", Signature: "(" + connArgs + ", field: string, filter?: MongoDocument): any[]",
			Doc:     "The distinct values of field among the documents matching filter.",
			Example: `MongoDB.distinct("docs", "applications", "Region") // e.g. ["north","south"]`,
			Impl:    st.bind("distinct", (*state).distinct)},
		{Name: "find", Signature: "(" + connArgs + ", filter?: MongoDocument, options?: " + findOptions + "): MongoDocument[]",
			Doc:     "The documents matching filter, in sort order (key order counts); more than the connection's maxDocs is an error, so set a limit.",
			Example: `MongoDB.find("docs", "applications", {Age: {$gte: 18}}, {sort: {Age: -1}, limit: 20, projection: {_id: 0, Name: 1}}) // e.g. [{"Name":"Bob"},{"Name":"Ann"}]`,
			Impl:    st.bind("find", (*state).find)},
		{Name: "findOne", Signature: "(" + connArgs + ", filter?: MongoDocument, options?: { sort?: MongoDocument; skip?: number; projection?: MongoDocument }): MongoDocument | null",
			Doc:     "The first document matching filter, or null.",
			Example: `MongoDB.findOne("docs", "applications", {Name: "Ann"}, {projection: {_id: 0, Age: 1}}) // e.g. {"Age":34}`,
			Impl:    st.bind("findOne", (*state).findOne)},
		{Name: "insertMany", Signature: "(" + connArgs + ", documents: MongoDocument[]): MongoInsertManyResult",
			Doc:     "Inserts the documents (an _id is made for each without one); not undone if the execution fails.",
			Example: `MongoDB.insertMany("docs", "applications", [{Name: "Cy"}, {Name: "Di"}]).insertedCount // e.g. 2`,
			Impl:    st.bind("insertMany", (*state).insertMany)},
		{Name: "insertOne", Signature: "(" + connArgs + ", document: MongoDocument): MongoInsertOneResult",
			Doc:     "Inserts a document (an _id is made when it has none) and returns its _id; not undone if the execution fails.",
			Example: `MongoDB.insertOne("docs", "applications", {Name: "Eve", Age: 41}).insertedId // e.g. "665f1c0ffee0123456789abc"`,
			Impl:    st.bind("insertOne", (*state).insertOne)},
		{Name: "objectId", Signature: "(hex: string): MongoObjectId",
			Doc:     "An ObjectId to put in a filter or document, from its 24 hex digits (ObjectIds come out of calls as such strings).",
			Example: `MongoDB.objectId("65f1c0ffee0123456789abcd") // {"$oid":"65f1c0ffee0123456789abcd"}`,
			Impl:    st.objectID},
		{Name: "replaceOne", Signature: "(" + connArgs + ", filter: MongoDocument, replacement: MongoDocument, options?: { upsert?: boolean }): MongoUpdateResult",
			Doc:     "Replaces the first document matching filter (upsert: inserts it when none matches); not undone if the execution fails.",
			Example: `MongoDB.replaceOne("docs", "applications", {Name: "Ann"}, {Name: "Ann", Age: 35}).modifiedCount // e.g. 1`,
			Impl:    st.bind("replaceOne", (*state).replaceOne)},
		{Name: "updateMany", Signature: "(" + connArgs + ", filter: MongoDocument, update: MongoDocument | MongoDocument[], options?: { upsert?: boolean }): MongoUpdateResult",
			Doc:     "Applies an update ({$set: …} or a pipeline) to every document matching filter; not undone if the execution fails.",
			Example: `MongoDB.updateMany("docs", "applications", {Age: {$lt: 18}}, {$set: {Minor: true}}).matchedCount // e.g. 1`,
			Impl:    st.bind("updateMany", (*state).updateMany)},
		{Name: "updateOne", Signature: "(" + connArgs + ", filter: MongoDocument, update: MongoDocument | MongoDocument[], options?: { upsert?: boolean }): MongoUpdateResult",
			Doc:     "Applies an update ({$set: …} or a pipeline) to the first document matching filter (upsert: inserts one when none matches); not undone if the execution fails.",
			Example: `MongoDB.updateOne("docs", "applications", {Name: "Ann"}, {$inc: {Age: 1}}).modifiedCount // e.g. 1`,
			Impl:    st.bind("updateOne", (*state).updateOne)},
	}
}

const preamble = `/** A MongoDB document: a plain object. ObjectIds come out as 24-hex strings and go in as {$oid: hex} (MongoDB.objectId); dates are Dates; int64 values beyond ±2^53 and Decimal128 come out as strings; binary as base64. */
type MongoDocument = Record<string, any>;
/** An ObjectId going in: {$oid: "24 hex digits"}. */
interface MongoObjectId { $oid: string }
interface MongoInsertOneResult { acknowledged: boolean; insertedId: any }
interface MongoInsertManyResult { acknowledged: boolean; insertedCount: number; insertedIds: Record<number, any> }
interface MongoUpdateResult { acknowledged: boolean; matchedCount: number; modifiedCount: number; upsertedCount: number; upsertedId: any }
interface MongoDeleteResult { acknowledged: boolean; deletedCount: number }
`

// Typings declares the MongoDB namespace and its result types.
func (m *Module) Typings() string {
	return preamble + builtins.NamespaceTypings("MongoDB",
		"MongoDB calls on the environment's connections (kubus.yaml connections: mongodb:), with the Node driver's shapes; within the execution's deadline. A failure throws an Error with details {kind, connection, code}. Writes are not undone when the execution fails.",
		m.fns(nil), nil)
}

// Reference lists MongoDB's functions.
func (m *Module) Reference() []builtins.Entry {
	return builtins.ReferenceOf("MongoDB", m.fns(nil), nil)
}
