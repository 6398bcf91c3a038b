package kubustest

import (
	stdsql "database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/kubusdev/kubus/builtins/mail"
	"github.com/kubusdev/kubus/builtins/mongodb/mongofake"
	kubussql "github.com/kubusdev/kubus/builtins/sql"
	"github.com/kubusdev/kubus/rulesets"
)

// A testcase's `sql:` and `mongodb:` fixtures: a throwaway SQLite database per SQL connection,
// seeded by its script, and a local MongoDB fixture server (mongofake: FerretDB cannot live in the
// kubus binary) holding the seeded collections, one database per connection. The execution's
// calls reach those and nothing else: a connection without a fixture is refused, and the refusal
// fails the testcase naming the call even when the rule caught it.
type dataFixtures struct {
	dir   string
	dbs   map[string]*stdsql.DB
	mongo *mongofake.Server
	uris  map[string]string
	mail  *mail.Capture // `mail: capture`; nil: Mail calls are refused

	mu      sync.Mutex
	missing []string
}

// dataFixturesOf seeds tc's fixtures; an error names the fixture at fault.
func dataFixturesOf(tc *rulesets.Testcase) (*dataFixtures, error) {
	df := &dataFixtures{dbs: map[string]*stdsql.DB{}, uris: map[string]string{}}
	if tc.MailCapture {
		df.mail = mail.NewCapture()
	}
	if len(tc.SQL) > 0 {
		dir, err := os.MkdirTemp("", "kubus-sql-fixture")
		if err != nil {
			return nil, err
		}
		df.dir = dir
		for _, f := range tc.SQL {
			db, err := kubussql.Seed(filepath.Join(dir, fmt.Sprintf("%d.db", len(df.dbs))), f.Script)
			if err != nil {
				df.Close()
				what := "script"
				if f.File != "" {
					what = f.File
				}
				return nil, fmt.Errorf("%s: sql.%s: %s: %w", f.Pos, f.Connection, what, err)
			}
			df.dbs[f.Connection] = db
		}
	}
	if len(tc.MongoDB) > 0 {
		seed := mongofake.Seed{}
		for _, f := range tc.MongoDB {
			colls := map[string][]any{}
			for _, c := range f.Collections {
				colls[c.Name] = rulesets.Plain(c.Documents).([]any)
			}
			seed[f.Connection] = colls
		}
		srv, err := mongofake.Start(seed)
		if err != nil {
			df.Close()
			return nil, fmt.Errorf("%s: mongodb: %w", tc.MongoDB[0].Pos, err)
		}
		df.mongo = srv
		for _, f := range tc.MongoDB {
			df.uris[f.Connection] = srv.URI() + "/" + f.Connection
		}
	}
	return df, nil
}

// fixtures is the execution's Exec.Fixtures: always both maps, so a connection without a fixture
// is refused rather than reached.
func (df *dataFixtures) fixtures() map[string]any {
	f := map[string]any{"SQL": df.dbs, "MongoDB": df.uris}
	if df.mail != nil {
		f["Mail"] = df.mail
	}
	return f
}

// mails are the captured messages as a testcase compares them.
func (df *dataFixtures) mails() []rulesets.ActualMail {
	if df.mail == nil {
		return nil
	}
	var out []rulesets.ActualMail
	for _, m := range df.mail.Messages() {
		a := rulesets.ActualMail{Subject: m.Subject, Text: m.Text + "\n" + m.HTML}
		a.To = append(append(append(a.To, m.To...), m.Cc...), m.Bcc...)
		for _, att := range m.Attachments {
			a.Attachments = append(a.Attachments, att.Filename)
		}
		out = append(out, a)
	}
	return out
}

// unanswered hears a call no fixture answered.
func (df *dataFixtures) unanswered(call string) {
	df.mu.Lock()
	defer df.mu.Unlock()
	df.missing = append(df.missing, call)
}

// mismatches are the calls no fixture answered, and what the MongoDB fixture server could not do.
func (df *dataFixtures) mismatches() []rulesets.Mismatch {
	df.mu.Lock()
	defer df.mu.Unlock()
	var out []rulesets.Mismatch
	for _, c := range df.missing {
		out = append(out, rulesets.Mismatch{Path: "fixtures", Message: "no fixture answers " + c})
	}
	if df.mongo != nil {
		for _, u := range df.mongo.Unsupported() {
			out = append(out, rulesets.Mismatch{Path: "mongodb", Message: "the fixture server does not support " + u + " (test it against a real server in Go, or simplify the call)"})
		}
	}
	return out
}

func (df *dataFixtures) Close() error {
	var errs []error
	for _, db := range df.dbs {
		errs = append(errs, db.Close())
	}
	if df.mongo != nil {
		errs = append(errs, df.mongo.Close())
	}
	if df.dir != "" {
		errs = append(errs, os.RemoveAll(df.dir))
	}
	return errors.Join(errs...)
}
