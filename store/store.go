// Package store keeps what outlives an execution: persisted entities (later also users, ruleset
// versions, consents, audit events, alert metrics). bbolt is the embedded default: one file, no
// setup. Open it with Open.
//
// An execution works in a Tx: its reads see the store as it was when they happen plus the Tx's own
// writes, and its writes are buffered in memory. Commit applies them in one short write
// transaction, and only if no record the Tx read and then wrote was changed by someone else in the
// meantime (optimistic concurrency): otherwise it returns ErrConflict and writes nothing, and the
// engine runs the execution again. A Tx that is not committed leaves the store exactly as it was.
// No write transaction is ever held while rule code runs.
//
// # The conflict rule
//
// A Tx remembers the revision it first saw of every record it read: by Get (an absent record counts,
// as revision 0), by Delete (which must look the record up to say ErrNotFound), and of each stored
// record Find returned or Count counted. At Commit, every record it writes (put or delete) that it
// had read must still be at that revision, or not exist if it was read as absent; the first
// revision counts, not the last, because what the Tx writes may derive from any of its reads. A
// put to a record the Tx never read is a blind write: it always applies (last writer wins), keeps
// the stored CreatedAt and bumps the stored Rev. Put ignores Record.Rev: a revision the caller
// brought from elsewhere (say a client) would make ErrConflict permanent, and ErrConflict must
// mean "run again". Records the Tx read but did not write are not checked (no serializability,
// no phantom detection): the guarantee is no lost update.
//
// # Records
//
// Props are JSON-shaped: Put encodes them with encoding/json (so a value JSON cannot hold, like NaN
// or a func, fails the Put) and every read decodes them again: numbers come back as float64,
// objects as map[string]any, arrays as []any, time.Time as its RFC 3339 string. Put stores exactly
// the props it is given and never drops any, known or not: to keep properties the caller does not
// know about (saved by another ruleset version), pass back the map Get returned. The Rev of a
// record that is buffered but not committed is the committed revision it is based on (0 for a new
// one); Commit stores Rev+1. Times are stored in UTC with nanoseconds; a zero now means time.Now.
// IDs are UUIDv7 strings, so id order (bbolt's key order) is creation order within a process.
//
// # On disk (Bolt)
//
// bucket "entities" → bucket per ruleset → bucket per entity → key id → JSON
// {"id","rev","createdAt","updatedAt","props"}. bbolt syncs the file before a write transaction
// returns, so a Commit that returned nil survives a crash (the crash test kills a writer with
// SIGKILL and finds every reported commit).
package store

import (
	"errors"
	"time"
)

// ErrConflict means another execution changed a record this Tx read and then wrote; nothing was
// written. Running the execution again sees the new state.
var ErrConflict = errors.New("store: a record changed since this execution read it")

// ErrNotFound is returned by Get for an id that does not exist (or was deleted in this Tx).
var ErrNotFound = errors.New("store: not found")

// ErrLocked means the store file is held open by another process: bbolt takes an exclusive file
// lock, and Open gives up after Options.LockTimeout rather than hanging. The error Open returns
// wraps it and names the file and the way out.
var ErrLocked = errors.New("store: in use by another process")

// ErrTxDone is returned by a Tx that was already committed or discarded: its buffer is gone, so
// a write would be silently lost and a read would no longer see the Tx's own writes.
var ErrTxDone = errors.New("store: transaction already committed or discarded")

// Record is one persisted entity: its properties (JSON-shaped values) and bookkeeping.
type Record struct {
	ID        string
	Rev       uint64 // increases on every committed write; 0 for a record not yet saved
	CreatedAt time.Time
	UpdatedAt time.Time
	Props     map[string]any
}

// Kind names a collection: the entities of one type of one ruleset ("travel-insurance", "Person").
// Ruleset versions share their collections, so that an entity saved by an older version loads in a
// newer one.
type Kind struct {
	Ruleset string
	Entity  string
}

// Query selects records of a Kind.
//
// Filter keys are top-level property names, or "_id", "_createdAt", "_updatedAt". Filter values are
// brought to their JSON shape first, so 30 (an int) equals a stored 30. Equality compares numbers as
// float64, strings, bools, arrays and objects deeply; nil matches null and a missing property. $gt
// $gte $lt $lte order numbers numerically and strings lexically, and never match a value of
// another type or a missing one; date strings in one fixed format ("YYYY-MM-DD", or RFC 3339 in UTC
// with a fixed number of fraction digits) therefore compare chronologically, mixed formats do not.
// "_createdAt"/"_updatedAt" compare as times (operand: time.Time, RFC 3339 or YYYY-MM-DD). An
// unknown "$" operator is an error. Sort puts records without the property (or with null) last in
// both directions, and orders values of different types numbers < strings < bools < others.
//
// Every query is a full scan of its Kind or of its id range (no secondary indexes yet): about 3 ms
// per 1,000 records.
type Query struct {
	// Filter: property → condition. A condition is a plain value (equality) or a map of operators:
	// $gt $gte $lt $lte $ne $in (a list). All conditions must hold.
	Filter map[string]any
	// Sort: property names, "-name" for descending; ties keep id order.
	Sort []string
	// Limit: at most this many records (0: all).
	Limit int
	// IDFrom and IDTo select ids in [IDFrom, IDTo) ("" leaves that end open). The range is read by
	// seeking in id order, not by scanning the Kind: with ids that start with a sortable key (a due
	// time, an instance id and a sequence number) it serves as an index.
	IDFrom, IDTo string
}

// Store is a persistent store.
type Store interface {
	// Begin starts the unit of work of one execution.
	Begin() Tx
	// Close releases the store (and its file lock).
	Close() error
}

// Tx is the unit of work of one execution. It is used by one goroutine at a time.
type Tx interface {
	// Get reads one record; ErrNotFound when there is none.
	Get(k Kind, id string) (*Record, error)
	// Find reads the records that match q, sorted and limited as it says.
	Find(k Kind, q Query) ([]*Record, error)
	// Count counts the records that match the filter.
	Count(k Kind, filter map[string]any) (int, error)
	// Put buffers a save: a record with an empty ID is new and gets one; CreatedAt/UpdatedAt are set
	// from now. It returns the record as it will be stored.
	Put(k Kind, r *Record, now time.Time) (*Record, error)
	// Delete buffers a delete; ErrNotFound when there is no such record.
	Delete(k Kind, id string) error
	// Commit applies the buffered writes atomically; ErrConflict if a record this Tx read and then
	// wrote changed meanwhile. A Tx without writes commits trivially.
	Commit() error
	// Discard drops the buffered writes. It is safe to call after Commit.
	Discard()
}
