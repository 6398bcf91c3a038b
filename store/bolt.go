package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultPath is the store file used when neither --store nor KUBUS_STORE names one: kubus.db in
// the working directory, so that a first run needs no setup.
const DefaultPath = "kubus.db"

// EnvVar is the environment variable that names the store file when no --store flag is given.
const EnvVar = "KUBUS_STORE"

// DefaultLockTimeout is how long Open waits for another process to release the file lock. One
// second is long enough to ride out a process that is just closing, short enough that a user who
// left a server running learns so at once instead of facing a hang.
const DefaultLockTimeout = time.Second

// PathFromEnv picks the store file of a runner command: the --store flag when it is set, else
// $KUBUS_STORE, else DefaultPath. Every command that uses a store resolves its path through this,
// so that they all agree on which file they mean.
func PathFromEnv(flag string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv(EnvVar); p != "" {
		return p
	}
	return DefaultPath
}

// Options tune Open. The zero value is the default.
type Options struct {
	// LockTimeout is how long to wait for the file lock held by another process (<= 0: 1s). bbolt
	// itself would wait forever with 0; a store never does.
	LockTimeout time.Duration
}

// Names of the top-level buckets. Entities live in entities → ruleset → entity → id; the other
// kinds of data the architecture lists (users, versions, consents, audit) get buckets of their own
// beside it later.
var bucketEntities = []byte("entities")

// Bolt is the bbolt-backed Store: one file, one writer at a time, any number of readers. It is safe
// for concurrent use; each execution takes its own Tx with Begin.
type Bolt struct {
	db   *bolt.DB
	path string

	// commitHook, when set (tests only), is called inside the write transaction after each record
	// written; an error from it aborts the commit. It lets a test fail a commit half-way and see
	// that bbolt's rollback leaves nothing behind.
	commitHook func(written int) error

	group committer
	// groups counts the bbolt write transactions of Commit (the group commit test reads it).
	groups atomic.Int64
}

var _ Store = (*Bolt)(nil)

// Open opens (or creates) the store file at path. The folder must exist: a typo in --store should
// be an error, not a new empty store somewhere unexpected. When another process has the file open,
// Open fails within opts.LockTimeout with an error that wraps ErrLocked.
func Open(path string, opts Options) (*Bolt, error) {
	if path == "" {
		path = DefaultPath
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store %s: folder %s does not exist: create it or use --store to pick another file", path, dir)
		}
		return nil, fmt.Errorf("store %s: %w", path, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("store %s: %s is not a folder", path, dir)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, &lockedError{path: path}
		}
		return nil, fmt.Errorf("store %s: cannot open (is it a kubus store?): %w", path, err)
	}
	// Create the top-level bucket only when it is missing: a write transaction on every open would
	// change the file even for executions that write nothing (a failed one must leave it as it was).
	var exists bool
	_ = db.View(func(btx *bolt.Tx) error { exists = btx.Bucket(bucketEntities) != nil; return nil })
	if !exists {
		if err := db.Update(func(btx *bolt.Tx) error {
			_, err := btx.CreateBucketIfNotExists(bucketEntities)
			return err
		}); err != nil {
			db.Close()
			return nil, fmt.Errorf("store %s: %w", path, err)
		}
	}
	b := &Bolt{db: db, path: path}
	b.group.b = b
	return b, nil
}

// lockedError is Open's error for a file another process holds: it names the file and the way out,
// and matches ErrLocked with errors.Is.
type lockedError struct{ path string }

func (e *lockedError) Error() string {
	return fmt.Sprintf("store %s is in use by another process (bbolt file lock): close it or use --store to pick another file", e.path)
}

func (e *lockedError) Unwrap() error { return ErrLocked }

// Path is the file the store was opened from.
func (b *Bolt) Path() string { return b.path }

// Close releases the file and its lock. Tx values still around fail from then on.
func (b *Bolt) Close() error { return b.db.Close() }

// Begin starts the unit of work of one execution. It takes no bbolt transaction: every read is its
// own short View, and the only write transaction is the one inside Commit.
func (b *Bolt) Begin() Tx {
	return &boltTx{
		b:      b,
		reads:  map[Kind]map[string]readMark{},
		writes: map[Kind]map[string]*pending{},
	}
}

// envelope is the JSON stored under each id, as Commit writes it: Props are the bytes Put encoded.
// Readers decode it as a storedRecord (query.go).
type envelope struct {
	ID        string          `json:"id"`
	Rev       uint64          `json:"rev"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
	Props     json.RawMessage `json:"props"`
}

// meta is the envelope without props: what Commit needs of a stored record (its revision and
// creation time) without building its property map.
type meta struct {
	Rev       uint64    `json:"rev"`
	CreatedAt time.Time `json:"createdAt"`
}

func decodeProps(raw json.RawMessage) (map[string]any, error) {
	props := map[string]any{}
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return props, nil
	}
	if err := json.Unmarshal(raw, &props); err != nil {
		return nil, fmt.Errorf("store: corrupt record: %w", err)
	}
	return props, nil
}

// readMark is what a Tx remembers of a record it read: the revision it saw first (0: absent) and
// the creation time, so that a later Put keeps it without reading again.
type readMark struct {
	rev       uint64
	createdAt time.Time
}

// pending is one buffered write. Its props are kept encoded: that validates them at Put (a value
// JSON cannot hold fails the Put, not the Commit), snapshots them against later changes by the
// caller, and makes every read of the overlay return a fresh copy.
type pending struct {
	id        string
	del       bool            // a tombstone: Get/Find/Count no longer see the record
	props     json.RawMessage // for a put
	createdAt time.Time
	updatedAt time.Time
	baseRev   uint64 // the committed revision this write is based on (0: new)
	// check: Commit requires the stored revision to still be expect (0: absent). Set when the Tx
	// read the record before writing it; a write to a record it never read is blind and applies.
	check  bool
	expect uint64
}

func (p *pending) record() (*Record, error) {
	props, err := decodeProps(p.props)
	if err != nil {
		return nil, err
	}
	return &Record{ID: p.id, Rev: p.baseRev, CreatedAt: p.createdAt, UpdatedAt: p.updatedAt, Props: props}, nil
}

// boltTx is the Tx of a Bolt store. See the package doc for the rules; in short: reads are short
// bbolt Views overlaid with the buffered writes, and Commit is one bbolt Update that checks the
// revisions of every written record the Tx had read.
type boltTx struct {
	b      *Bolt
	done   bool
	reads  map[Kind]map[string]readMark
	writes map[Kind]map[string]*pending
}

func (t *boltTx) noteRead(k Kind, id string, rev uint64, createdAt time.Time) {
	m := t.reads[k]
	if m == nil {
		m = map[string]readMark{}
		t.reads[k] = m
	}
	// The first revision seen is the one kept: what the Tx writes may derive from any of its reads,
	// so if a later read saw a newer revision the record changed under the Tx, and Commit must
	// refuse a write to it.
	if _, ok := m[id]; !ok {
		m[id] = readMark{rev: rev, createdAt: createdAt}
	}
}

func (t *boltTx) buffered(k Kind, id string) *pending {
	return t.writes[k][id]
}

// kindBucket returns the bucket of a Kind, or nil when nothing of that Kind was ever saved.
func kindBucket(btx *bolt.Tx, k Kind) *bolt.Bucket {
	rs := btx.Bucket(bucketEntities)
	if rs == nil {
		return nil
	}
	rs = rs.Bucket([]byte(k.Ruleset))
	if rs == nil {
		return nil
	}
	return rs.Bucket([]byte(k.Entity))
}

func checkKind(k Kind) error {
	if k.Ruleset == "" || k.Entity == "" {
		return fmt.Errorf("store: kind %q/%q: ruleset and entity must not be empty", k.Ruleset, k.Entity)
	}
	if len(k.Ruleset) > bolt.MaxKeySize || len(k.Entity) > bolt.MaxKeySize {
		return fmt.Errorf("store: kind name too long")
	}
	return nil
}

func checkID(id string) error {
	if id == "" || len(id) > bolt.MaxKeySize {
		return fmt.Errorf("store: invalid id %q", id)
	}
	return nil
}

// loadStored reads one record in its own short View; nil when absent. It is decoded inside the
// View: the bytes bbolt returns live in its mmap and are valid only until the View ends.
func (t *boltTx) loadStored(k Kind, id string) (*Record, error) {
	var rec *Record
	err := t.b.db.View(func(btx *bolt.Tx) error {
		bk := kindBucket(btx, k)
		if bk == nil {
			return nil
		}
		v := bk.Get([]byte(id))
		if v == nil {
			return nil
		}
		var err error
		if rec, err = (&lazyRec{id: id, raw: v}).record(); err != nil {
			return fmt.Errorf("store: record %s/%s/%s: %w", k.Ruleset, k.Entity, id, err)
		}
		return nil
	})
	return rec, err
}

func (t *boltTx) Get(k Kind, id string) (*Record, error) {
	if t.done {
		return nil, ErrTxDone
	}
	if err := checkKind(k); err != nil {
		return nil, err
	}
	if p := t.buffered(k, id); p != nil {
		if p.del {
			return nil, ErrNotFound
		}
		return p.record()
	}
	if id == "" {
		return nil, ErrNotFound
	}
	cur, err := t.loadStored(k, id)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		t.noteRead(k, id, 0, time.Time{})
		return nil, ErrNotFound
	}
	t.noteRead(k, id, cur.Rev, cur.CreatedAt)
	return cur, nil
}

func (t *boltTx) Find(k Kind, q Query) ([]*Record, error) {
	if t.done {
		return nil, ErrTxDone
	}
	return t.find(k, q, true)
}

func (t *boltTx) Count(k Kind, filter map[string]any) (int, error) {
	if t.done {
		return 0, ErrTxDone
	}
	recs, err := t.find(k, Query{Filter: filter}, false)
	return len(recs), err
}

// find scans the Kind (a full scan: there are no secondary indexes yet), overlays the buffered
// writes, filters, sorts and limits. Stored records are decoded lazily: the envelope only when the
// filter looks past the id, the props only when the filter or sort needs them or the record is
// returned. With no Sort the scan is in id order, so it stops once Limit stored matches are found.
func (t *boltTx) find(k Kind, q Query, full bool) ([]*Record, error) {
	if err := checkKind(k); err != nil {
		return nil, err
	}
	f, err := compileFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	s, err := compileSort(q.Sort)
	if err != nil {
		return nil, err
	}
	if q.Limit < 0 {
		return nil, fmt.Errorf("store: negative limit %d", q.Limit)
	}
	buf := t.writes[k]
	var stored []*Record
	err = t.b.db.View(func(btx *bolt.Tx) error {
		bk := kindBucket(btx, k)
		if bk == nil {
			return nil
		}
		c := bk.Cursor()
		key, v := c.First()
		if q.IDFrom != "" {
			key, v = c.Seek([]byte(q.IDFrom))
		}
		for ; key != nil; key, v = c.Next() {
			if q.IDTo != "" && string(key) >= q.IDTo {
				break
			}
			id := string(key)
			if _, ok := buf[id]; ok {
				continue // the buffered write (or tombstone) stands for it
			}
			cand := lazyRec{id: id, raw: v}
			ok, err := f.match(&cand)
			if err != nil {
				return fmt.Errorf("store: record %s/%s/%s: %w", k.Ruleset, k.Entity, id, err)
			}
			if !ok {
				continue
			}
			r, err := cand.record()
			if err != nil {
				return err
			}
			stored = append(stored, r)
			if len(s) == 0 && q.Limit > 0 && len(stored) >= q.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Which records came from the store: the Tx must remember their revisions. (Kept aside before
	// sorting, which reorders the shared backing array.)
	fromStore := make(map[*Record]bool, len(stored))
	for _, r := range stored {
		fromStore[r] = true
	}
	out := stored
	if len(buf) > 0 {
		ids := make([]string, 0, len(buf))
		for id, p := range buf {
			if !p.del && id >= q.IDFrom && (q.IDTo == "" || id < q.IDTo) {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			r, err := buf[id].record()
			if err != nil {
				return nil, err
			}
			ok, err := f.match(&lazyRec{id: id, rec: r})
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, r)
			}
		}
	}
	if len(out) > len(stored) || len(s) > 0 {
		// buffered records mixed in, or another order asked for: sort, ties in id order
		sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		if len(s) > 0 {
			sort.SliceStable(out, func(i, j int) bool { return s.less(out[i], out[j]) })
		}
	}
	if full && q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	// Remember what the Tx saw of the stored records it was given (for Count, all matches: its
	// answer depends on each of them).
	for _, r := range out {
		if fromStore[r] {
			t.noteRead(k, r.ID, r.Rev, r.CreatedAt)
		}
	}
	return out, nil
}

// normTime makes a time as it is stored: UTC, no monotonic reading (so == and JSON agree).
func normTime(now time.Time) time.Time {
	if now.IsZero() {
		now = time.Now()
	}
	return now.UTC()
}

func (t *boltTx) Put(k Kind, r *Record, now time.Time) (*Record, error) {
	if t.done {
		return nil, ErrTxDone
	}
	if err := checkKind(k); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("store: Put of a nil record")
	}
	props := r.Props
	if props == nil {
		props = map[string]any{}
	}
	raw, err := json.Marshal(props)
	if err != nil {
		return nil, fmt.Errorf("store: %s/%s %s: properties cannot be stored as JSON: %w", k.Ruleset, k.Entity, r.ID, err)
	}
	now = normTime(now)
	id := r.ID
	var p *pending
	switch {
	case id == "":
		u, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("store: new id: %w", err)
		}
		id = u.String()
		p = &pending{id: id, createdAt: now}
	default:
		if err := checkID(id); err != nil {
			return nil, err
		}
		if old := t.buffered(k, id); old != nil {
			p = old // a second write: it keeps the first one's precondition
		} else if m, ok := t.reads[k][id]; ok {
			p = &pending{id: id, check: true, expect: m.rev, baseRev: m.rev, createdAt: m.createdAt}
			if m.rev == 0 {
				p.createdAt = now
			}
		} else {
			// Never read: a blind write. The lookup only fills in the returned record; it is not a
			// read, and Commit takes CreatedAt and Rev from whatever is stored then.
			cur, err := t.loadStored(k, id)
			if err != nil {
				return nil, err
			}
			p = &pending{id: id, createdAt: now}
			if cur != nil {
				p.baseRev, p.createdAt = cur.Rev, cur.CreatedAt
			}
		}
	}
	p.del = false
	p.props = raw
	p.updatedAt = now
	if t.writes[k] == nil {
		t.writes[k] = map[string]*pending{}
	}
	t.writes[k][id] = p
	return p.record()
}

func (t *boltTx) Delete(k Kind, id string) error {
	if t.done {
		return ErrTxDone
	}
	if err := checkKind(k); err != nil {
		return err
	}
	if p := t.buffered(k, id); p != nil {
		if p.del {
			return ErrNotFound
		}
		p.del, p.props = true, nil
		return nil
	}
	if id == "" {
		return ErrNotFound
	}
	m, ok := t.reads[k][id]
	if !ok {
		// Delete must say whether the record exists, so it reads it: a delete is never blind.
		cur, err := t.loadStored(k, id)
		if err != nil {
			return err
		}
		if cur != nil {
			m = readMark{rev: cur.Rev, createdAt: cur.CreatedAt}
		}
		t.noteRead(k, id, m.rev, m.createdAt)
	}
	if m.rev == 0 {
		return ErrNotFound
	}
	if t.writes[k] == nil {
		t.writes[k] = map[string]*pending{}
	}
	t.writes[k][id] = &pending{id: id, del: true, check: true, expect: m.rev, baseRev: m.rev, createdAt: m.createdAt}
	return nil
}

// Commit applies the buffer atomically, only if every record it read and then wrote is still at
// the revision it read (else ErrConflict, and nothing is written). bbolt syncs the file before a
// write transaction returns, so a nil error means the writes survive a crash. The Tx is finished
// afterwards whatever the outcome.
//
// Commits that arrive while another is being written are written together, in one bbolt write
// transaction and one sync (group commit): each is checked on its own, in arrival order, against
// the store as the ones before it in the group left it, and one that conflicts is left out without
// affecting the others. A lone commit is written at once; it never waits for company.
func (t *boltTx) Commit() error {
	if t.done {
		return ErrTxDone
	}
	t.done = true
	defer t.drop()
	n := 0
	for _, m := range t.writes {
		n += len(m)
	}
	if n == 0 {
		return nil
	}
	return t.b.group.commit(t)
}

// committer gathers the commits that arrive while one is being written.
type committer struct {
	b       *Bolt
	mu      sync.Mutex
	writing bool
	queue   []*queuedCommit
}

type queuedCommit struct {
	tx   *boltTx
	done chan error
}

// maxGroup bounds how many commits share one bbolt transaction.
const maxGroup = 256

// commit queues t; the first caller to find nobody writing writes groups until the queue is
// empty, the others wait for their result.
func (c *committer) commit(t *boltTx) error {
	q := &queuedCommit{tx: t, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, q)
	if c.writing {
		c.mu.Unlock()
		return <-q.done
	}
	c.writing = true
	for {
		group := c.queue[:min(len(c.queue), maxGroup)]
		c.queue = c.queue[len(group):]
		c.mu.Unlock()
		results := c.b.commitGroup(group)
		for i, g := range group {
			g.done <- results[i]
		}
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.writing = false
			c.mu.Unlock()
			return <-q.done
		}
	}
}

// commitGroup writes a group of commits in one bbolt Update. A conflicting one gets ErrConflict
// and writes nothing; any other error (the disk, a corrupt record) rolls the whole Update back and
// is every member's.
func (b *Bolt) commitGroup(group []*queuedCommit) []error {
	results := make([]error, len(group))
	b.groups.Add(1)
	err := b.db.Update(func(btx *bolt.Tx) error {
		for i := range results {
			results[i] = nil
		}
		for i, g := range group {
			switch err := g.tx.apply(btx); {
			case errors.Is(err, ErrConflict):
				results[i] = err
			case err != nil:
				return err
			}
		}
		return nil
	})
	if err != nil {
		for i := range results {
			results[i] = err
		}
	}
	return results
}

// apply checks the Tx's preconditions in btx and, only if all hold, writes its records: ErrConflict
// when one does not (nothing written).
func (t *boltTx) apply(btx *bolt.Tx) error {
	n := 0
	for _, m := range t.writes {
		n += len(m)
	}
	kinds := make([]Kind, 0, len(t.writes))
	for k := range t.writes {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if kinds[i].Ruleset != kinds[j].Ruleset {
			return kinds[i].Ruleset < kinds[j].Ruleset
		}
		return kinds[i].Entity < kinds[j].Entity
	})
	// Pass 1: read what is stored now, check preconditions. Nothing is written yet.
	type op struct {
		k   Kind
		p   *pending
		cur *meta // nil: absent
	}
	ops := make([]op, 0, n)
	for _, k := range kinds {
		bk := kindBucket(btx, k)
		ids := make([]string, 0, len(t.writes[k]))
		for id := range t.writes[k] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			p := t.writes[k][id]
			var cur *meta
			if bk != nil {
				if v := bk.Get([]byte(id)); v != nil {
					cur = &meta{}
					if err := json.Unmarshal(v, cur); err != nil {
						return fmt.Errorf("store: corrupt record %s/%s/%s: %w", k.Ruleset, k.Entity, id, err)
					}
				}
			}
			if p.check {
				var rev uint64
				if cur != nil {
					rev = cur.Rev
				}
				if rev != p.expect {
					return ErrConflict
				}
			}
			ops = append(ops, op{k, p, cur})
		}
	}
	// Pass 2: write.
	root := btx.Bucket(bucketEntities)
	written := 0
	for _, o := range ops {
		if o.p.del {
			if o.cur == nil {
				continue
			}
			if err := kindBucket(btx, o.k).Delete([]byte(o.p.id)); err != nil {
				return err
			}
		} else {
			rb, err := root.CreateBucketIfNotExists([]byte(o.k.Ruleset))
			if err != nil {
				return err
			}
			bk, err := rb.CreateBucketIfNotExists([]byte(o.k.Entity))
			if err != nil {
				return err
			}
			env := envelope{ID: o.p.id, Rev: 1, CreatedAt: o.p.createdAt, UpdatedAt: o.p.updatedAt, Props: o.p.props}
			if o.cur != nil {
				env.Rev, env.CreatedAt = o.cur.Rev+1, o.cur.CreatedAt
			}
			v, err := json.Marshal(&env)
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(o.p.id), v); err != nil {
				return err
			}
		}
		written++
		if t.b.commitHook != nil {
			if err := t.b.commitHook(written); err != nil {
				return err
			}
		}
	}
	return nil
}

// Discard drops the buffer. Nothing was ever written before Commit, so there is nothing to undo.
func (t *boltTx) Discard() {
	t.done = true
	t.drop()
}

func (t *boltTx) drop() {
	t.reads, t.writes = nil, nil
}
