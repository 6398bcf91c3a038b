package mongofake

import (
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Stored documents are never modified in place: an update replaces the
// entry with a new document, so cursors and pipelines may share them.
type stored struct {
	doc  bson.D
	size int
}

type collection struct {
	docs []stored
	ids  map[string]bool
}

func newCollection() *collection { return &collection{ids: map[string]bool{}} }

// coll returns a collection, creating it (and its database) when create.
func (s *Server) coll(db, name string, create bool) *collection {
	d := s.dbs[db]
	if d == nil {
		if !create {
			return nil
		}
		d = map[string]*collection{}
		s.dbs[db] = d
	}
	c := d[name]
	if c == nil && create {
		c = newCollection()
		d[name] = c
	}
	return c
}

func (s *Server) docsOf(db, name string) []bson.D {
	c := s.coll(db, name, false)
	if c == nil {
		return nil
	}
	out := make([]bson.D, len(c.docs))
	for i, d := range c.docs {
		out[i] = d.doc
	}
	return out
}

// checkStorable validates a document about to be stored and returns its size.
func checkStorable(d bson.D, tooLargeCode int32) (int, error) {
	if deeper(d, maxDepth) {
		return 0, errf(15, "Overflow", "document nesting is deeper than %d levels", maxDepth)
	}
	if id, ok := lookupField(d, "_id"); ok {
		switch id.(type) {
		case bson.A, bson.Regex, bson.Undefined:
			return 0, errf(53, "InvalidIdField", "The '_id' value cannot be of type %s", typeName(id))
		}
	}
	b, err := bson.Marshal(d)
	if err != nil {
		return 0, badValue("cannot encode document: %v", err)
	}
	if len(b) > maxDocSize {
		if tooLargeCode == 17419 {
			return 0, errf(17419, "Location17419", "Resulting document after update is larger than %d", maxDocSize)
		}
		return 0, errf(10334, "BSONObjectTooLarge", "object to insert too large. size in bytes: %d, max size: %d", len(b), maxDocSize)
	}
	return len(b), nil
}

// deeper reports whether v nests more than limit levels of documents/arrays.
func deeper(v any, limit int) bool {
	if limit < 0 {
		return true
	}
	switch x := v.(type) {
	case bson.D:
		for _, e := range x {
			if deeper(e.Value, limit-1) {
				return true
			}
		}
	case bson.A:
		for _, e := range x {
			if deeper(e, limit-1) {
				return true
			}
		}
	}
	return false
}

func dupKeyError(db, coll string, id any) error {
	return errf(11000, "DuplicateKey", "E11000 duplicate key error collection: %s.%s index: _id_ dup key: { _id: %s }", db, coll, extJSON(id))
}

func extJSON(v any) string {
	b, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: v}}, false, false)
	if err != nil || len(b) < 7 {
		return "?"
	}
	return string(b[5 : len(b)-1])
}

// insertDoc adds one document, giving it an ObjectID _id if it has none.
func (s *Server) insertDoc(db, name string, d bson.D) (bson.D, error) {
	id, ok := lookupField(d, "_id")
	if !ok {
		id = bson.NewObjectID()
	}
	d = withIDFirst(d, id)
	size, err := checkStorable(d, 0)
	if err != nil {
		return nil, err
	}
	c := s.coll(db, name, true)
	if len(c.docs) >= maxCollectionDocs {
		return nil, errf(146, "ExceededMemoryLimit", "collection %s.%s already holds %d documents, the Kubus fixture server's limit", db, name, maxCollectionDocs)
	}
	if s.storedBytes+size > maxStoredBytes {
		return nil, errf(146, "ExceededMemoryLimit", "the Kubus fixture server holds at most %d MiB of documents", maxStoredBytes>>20)
	}
	k := canonicalKey(id)
	if c.ids[k] {
		return nil, dupKeyError(db, name, id)
	}
	c.ids[k] = true
	c.docs = append(c.docs, stored{doc: d, size: size})
	s.storedBytes += size
	return d, nil
}

// replaceAt stores the updated version of document i (same _id).
func (s *Server) replaceAt(c *collection, i int, d bson.D) error {
	size, err := checkStorable(d, 17419)
	if err != nil {
		return err
	}
	if s.storedBytes-c.docs[i].size+size > maxStoredBytes {
		return errf(146, "ExceededMemoryLimit", "the Kubus fixture server holds at most %d MiB of documents", maxStoredBytes>>20)
	}
	s.storedBytes += size - c.docs[i].size
	c.docs[i] = stored{doc: d, size: size}
	return nil
}

func (s *Server) deleteAt(c *collection, idx []int) {
	if len(idx) == 0 {
		return
	}
	drop := map[int]bool{}
	for _, i := range idx {
		drop[i] = true
		id, _ := lookupField(c.docs[i].doc, "_id")
		delete(c.ids, canonicalKey(id))
		s.storedBytes -= c.docs[i].size
	}
	kept := c.docs[:0]
	for i, d := range c.docs {
		if !drop[i] {
			kept = append(kept, d)
		}
	}
	clear(c.docs[len(kept):])
	c.docs = kept
}

func (s *Server) dropCollection(db, name string) bool {
	c := s.coll(db, name, false)
	if c == nil {
		return false
	}
	for _, d := range c.docs {
		s.storedBytes -= d.size
	}
	delete(s.dbs[db], name)
	if len(s.dbs[db]) == 0 {
		delete(s.dbs, db)
	}
	return true
}
