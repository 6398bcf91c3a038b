package mongodb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/dop251/goja"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/netguard"
)

// call is one call of rule code, from its arguments to its record.
type call struct {
	st                     *state
	h                      *builtins.Host
	e                      *builtins.Exec
	args                   goja.FunctionCall
	fn, method, conn, coll string
	// what the call runs against
	cl       *client
	db       string
	maxDocs  int
	timeout  time.Duration
	readOnly bool
	start    time.Time
}

// callError is a failed call as rule code sees it.
type callError struct {
	kind string
	code int // the server's error code, 0 when none
	msg  string
}

func (ce *callError) Error() string { return ce.msg }

// bind makes the implementation of one function: it reads the connection and collection, counts
// the call, finds what it runs against, refuses a write on a readOnly connection, and hands the
// rest to op.
func (st *state) bind(method string, op func(*state, *call) goja.Value) func(*builtins.Host) func(goja.FunctionCall) goja.Value {
	fn := "MongoDB." + method
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(args goja.FunctionCall) goja.Value {
			c := &call{st: st, h: h, args: args, fn: fn, method: method}
			c.conn = h.String(args, 0, fn, "connection")
			c.coll = h.String(args, 1, fn, "collection")
			if c.coll == "" || len(c.coll) > 255 || strings.ContainsRune(c.coll, 0) || strings.HasPrefix(c.coll, "$") {
				h.TypeError(fn, "collection must be a collection name, got %s", builtins.Describe(args.Argument(1)))
			}
			c.e = h.MustExec(fn)
			calls := st.calls.Get(c.e, func() *int { return new(int) })
			if *calls++; *calls > st.m.cfg.MaxCalls {
				h.RangeError(fn, "more than %d MongoDB calls in one execution (the connections' mongodb maxCalls)", st.m.cfg.MaxCalls)
			}
			c.start = time.Now()
			connect := c.resolve()
			// Before any client is made: a readOnly connection's write never reaches the server.
			if c.readOnly && writes[method] {
				c.fail(&callError{kind: "readOnly", msg: fmt.Sprintf("the connection '%s' is readOnly: %s is refused", builtins.Truncate(c.conn, 100), method)})
			}
			connect()
			return op(st, c)
		}
	}
}

var writes = map[string]bool{"insertOne": true, "insertMany": true, "updateOne": true, "updateMany": true,
	"replaceOne": true, "deleteOne": true, "deleteMany": true}

// resolve finds what the call runs against: a testcase's fixture server when the execution has
// fixtures (never the configured connection then), else the configured connection. It settles
// the limits and readOnly; connect, called next, gets the client.
func (c *call) resolve() (connect func()) {
	m := c.st.m
	conf, configured := m.conns[c.conn]
	c.maxDocs, c.timeout = m.cfg.MaxDocs, m.cfg.Timeout
	if configured {
		c.readOnly = conf.ReadOnly
		if conf.MaxDocs > 0 {
			c.maxDocs = conf.MaxDocs
		}
		if conf.Timeout > 0 {
			c.timeout = conf.Timeout
		}
	}
	if c.e.Fixtures != nil {
		uris, _ := c.e.Fixtures["MongoDB"].(map[string]string)
		uri, ok := uris[c.conn]
		if !ok {
			if c.e.Unanswered != nil {
				c.e.Unanswered(fmt.Sprintf("MongoDB %s %s.%s (add the connection under mongodb:)", c.method, builtins.Truncate(c.conn, 100), builtins.Truncate(c.coll, 100)))
			}
			c.fail(&callError{kind: "noFixture", msg: fmt.Sprintf("no fixture of the testcase answers MongoDB connection '%s' (add one under mongodb:)", builtins.Truncate(c.conn, 100))})
		}
		return func() {
			var err error
			if c.cl, c.db, err = m.fixtureClient(uri, c.timeout); err != nil {
				c.fail(&callError{kind: "noFixture", msg: err.Error()})
			}
		}
	}
	if !configured {
		names := make([]string, 0, len(m.conns))
		for n := range m.conns {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) > 10 {
			names = append(names[:10], "…")
		}
		have := "none"
		if len(names) > 0 {
			have = strings.Join(names, ", ")
		}
		c.fail(&callError{kind: "notConfigured", msg: fmt.Sprintf("no MongoDB connection '%s' is configured (connections: mongodb: in kubus.yaml names %s)", builtins.Truncate(c.conn, 100), have)})
	}
	return func() {
		var err error
		c.db = conf.db
		if c.cl, err = m.clientFor(conf, c.timeout); err != nil {
			c.fail(&callError{kind: "database", msg: err.Error()})
		}
	}
}

// record keeps the call for explain; rows nil when it failed.
func (c *call) record(rows *int, kind string) {
	c.e.RecordCall(builtins.Call{Module: "MongoDB", Target: builtins.Truncate(c.conn, 100), Method: c.method, What: builtins.Truncate(c.coll, 200),
		Rows: rows, Error: kind, Ms: float64(time.Since(c.start).Microseconds()) / 1000})
}

// fail records the failed call and throws its Error, with details.
func (c *call) fail(ce *callError) {
	c.record(nil, ce.kind)
	var code any
	if ce.code != 0 {
		code = ce.code
	}
	c.h.ErrorWithDetails(fmt.Sprintf("%s: %s.%s: %s", c.fn, builtins.Truncate(c.conn, 100), builtins.Truncate(c.coll, 100), ce.msg),
		builtins.Detail{Key: "kind", Value: ce.kind}, builtins.Detail{Key: "connection", Value: c.conn}, builtins.Detail{Key: "code", Value: code})
}

// run does the call's work with the collection, within the call's timeout and the execution's
// deadline and context; work returns the result and the documents it read or changed.
func (c *call) run(work func(ctx context.Context, coll *mongo.Collection) (goja.Value, int, error)) goja.Value {
	parent := c.e.Context
	if parent == nil {
		parent = context.Background()
	}
	deadline := time.Now().Add(c.timeout)
	if !c.e.Deadline.IsZero() && c.e.Deadline.Before(deadline) {
		deadline = c.e.Deadline
	}
	ctx, cancel := context.WithDeadline(parent, deadline)
	if c.method == "distinct" {
		// The driver sends a context's deadline as maxTimeMS, which FerretDB v1's distinct
		// refuses: a timer ends this call instead.
		ctx, cancel = withTimer(parent, deadline)
	}
	defer cancel()
	ctx, end, err := c.cl.begin(ctx)
	if err != nil {
		c.fail(c.describe(ctx, parent, err))
	}
	defer end()
	v, n, err := work(ctx, c.cl.c.Database(c.db).Collection(c.coll))
	if err != nil {
		c.fail(c.describe(ctx, parent, err))
	}
	c.record(&n, "")
	return v
}

// withTimer is a context without a deadline that ends with parent, or at deadline.
func withTimer(parent context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() { cancel(context.Cause(parent)) })
	t := time.AfterFunc(time.Until(deadline), func() { cancel(context.DeadlineExceeded) })
	return ctx, func() { stop(); t.Stop(); cancel(context.Canceled) }
}

// describe classifies a failure; its message never holds a secret of the URI.
func (c *call) describe(ctx, parent context.Context, err error) *callError {
	var ce *callError
	if errors.As(err, &ce) {
		return ce
	}
	var re *netguard.RefusedError
	if ctx != nil {
		if cause := context.Cause(ctx); errors.As(cause, &re) {
			err = cause
		}
	}
	var se mongo.ServerError
	switch {
	case parent.Err() != nil:
		return &callError{kind: "canceled", msg: "the execution ended"}
	case errors.As(err, &re):
		return &callError{kind: "refused", msg: re.Error()}
	case errors.Is(err, errClosed):
		return &callError{kind: "database", msg: err.Error()}
	case ctx != nil && ctx.Err() != nil || mongo.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded):
		return &callError{kind: "timeout", msg: fmt.Sprintf("no answer in time (timeout %v, or the execution's deadline)", c.timeout)}
	case errors.As(err, &se):
		code := 0
		if codes := se.ErrorCodes(); len(codes) > 0 {
			code = codes[0]
		}
		return &callError{kind: "database", code: code, msg: builtins.Truncate(redact(err.Error(), c.cl.secrets), 500)}
	}
	return &callError{kind: "database", msg: builtins.Truncate(redact(rootCause(err), c.cl.secrets), 500)}
}

// rootCause is the innermost network message of a driver error, else the error's text.
func rootCause(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Op + ": " + oe.Err.Error()
	}
	return err.Error()
}
