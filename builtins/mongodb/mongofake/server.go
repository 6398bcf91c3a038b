// Package mongofake is a small MongoDB wire-protocol server that serves
// testcase fixtures to the real MongoDB Go driver. It keeps everything in
// memory, implements the commands, query operators, update operators and
// aggregation stages a rule engine's fixtures need, and records whatever a
// client asks for that it does not implement (see Server.Unsupported).
package mongofake

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

const (
	maxCollectionDocs = 100_000
	maxDocSize        = maxBSONSize
	// maxStoredBytes bounds all collections of one server together.
	maxStoredBytes = 512 << 20
	maxCursors     = 100
	// maxCursorBytes bounds what cursors over aggregation results hold.
	maxCursorBytes = 256 << 20
	// maxConns bounds open client connections.
	maxConns = 256
)

// Seed is what a testcase declares: database → collection → documents, as
// decoded from YAML or JSON, with extended JSON ($oid, $date, $numberLong,
// $numberDecimal, ...) for the types YAML lacks.
type Seed map[string]map[string][]any

// Server is a running fixture server on 127.0.0.1.
type Server struct {
	ln net.Listener
	wg sync.WaitGroup

	mu          sync.Mutex // guards everything below
	dbs         map[string]map[string]*collection
	storedBytes int
	cursors     map[int64]*cursor
	cursorOrder []int64
	cursorBytes int
	unsupported []string
	conns       map[net.Conn]struct{}
	nextConnID  int32
	closed      bool
}

// Start converts the seed, listens on 127.0.0.1 on a free port and serves
// until Close.
func Start(seed Seed) (*Server, error) {
	s := &Server{
		dbs:     map[string]map[string]*collection{},
		cursors: map[int64]*cursor{},
		conns:   map[net.Conn]struct{}{},
	}
	if err := s.load(seed); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mongofake: listen: %w", err)
	}
	s.ln = ln
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// URI is the connection string for the driver.
func (s *Server) URI() string { return "mongodb://" + s.ln.Addr().String() }

// Close stops listening, closes every connection and waits for the
// server's goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Documents returns a copy of a collection's current contents in natural
// (insertion) order.
func (s *Server) Documents(db, coll string) []bson.D {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.dbs[db][coll]
	if c == nil {
		return nil
	}
	out := make([]bson.D, len(c.docs))
	for i, d := range c.docs {
		out[i] = copyDoc(d.doc)
	}
	return out
}

// Unsupported lists, in the order first seen, the commands, options,
// operators and stages clients asked for that this server does not
// implement.
func (s *Server) Unsupported() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.unsupported)
}

// noteUnsupported records err's feature if it is an unsupportedError; the
// caller holds s.mu.
func (s *Server) noteUnsupported(err error) {
	var ue *unsupportedError
	if errors.As(err, &ue) && !slices.Contains(s.unsupported, ue.what) {
		s.unsupported = append(s.unsupported, ue.what)
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.closed || len(s.conns) >= maxConns {
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.nextConnID++
		id := s.nextConnID
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c, id)
	}
}

func (s *Server) serve(c net.Conn, connID int32) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	// A panic outside command execution means a message we failed to
	// handle: drop this connection, keep the server.
	defer func() { _ = recover() }()
	r := bufio.NewReader(c)
	for {
		h, msg, err := readMessage(r)
		if err != nil {
			return
		}
		reply, ok := s.handleMessage(h, msg, connID)
		if !ok {
			return
		}
		if reply != nil {
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	}
}

// handleMessage answers one message; ok is false for a malformed message,
// after which the connection is closed.
func (s *Server) handleMessage(h header, msg []byte, connID int32) (reply []byte, ok bool) {
	switch h.opCode {
	case opMsg:
		req, err := parseOpMsg(msg)
		if err != nil {
			return nil, false
		}
		db, _ := lookupField(req.cmd, "$db")
		dbName, _ := db.(string)
		doc := s.execute(dbName, req.cmd, connID, false)
		if req.flags&flagMoreToCome != 0 {
			return nil, true // unacknowledged write: no reply
		}
		return encodeOpMsg(rand.Int32(), h.requestID, doc), true
	case opQuery:
		db, cmd, err := parseOpQuery(msg)
		if err != nil {
			return nil, false
		}
		return encodeOpReply(rand.Int32(), h.requestID, s.execute(db, cmd, connID, true)), true
	}
	return nil, false
}
