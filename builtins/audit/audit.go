// Package audit is the append-only trail of changes to personal-data records: every change to a
// consent, a data debit or an Ockto session appends an Event in the execution's store transaction
// (so it commits with the change or not at all). Events are never rewritten: each gets a fresh,
// time-ordered id, and nothing in Kubus puts an existing one again.
package audit

import (
	"fmt"
	"time"

	"github.com/kubusdev/kubus/store"
)

// Kind is where events are stored. "_audit" cannot clash with a ruleset name ([a-z0-9][a-z0-9-]*).
var Kind = store.Kind{Ruleset: "_audit", Entity: "Event"}

// Event is one change.
type Event struct {
	At      time.Time      // the execution clock
	Actor   string         // who: a user id, or "system"
	Subject string         // what kind of record: consent, dataDebit, ocktoSession
	ID      string         // the record's id
	Action  string         // create, give, revoke, rescind, revise, move, enable, disable, status, result, ...
	From    string         // the state before ("" for a new record)
	To      string         // the state after
	Details map[string]any // JSON-shaped extra facts (no secrets)
}

// Append adds an event to the trail in tx.
// timeLayout is how "at" is kept: UTC with exactly three decimals (a JS Date's precision), so
// that the text sorts as the time does.
const timeLayout = "2006-01-02T15:04:05.000Z"

func Append(tx store.Tx, e Event) error {
	if tx == nil {
		return fmt.Errorf("audit: no store transaction")
	}
	if e.Actor == "" {
		e.Actor = "system"
	}
	props := map[string]any{
		"at": e.At.UTC().Format(timeLayout), "actor": e.Actor, "subject": e.Subject, "subjectId": e.ID,
		"action": e.Action, "from": e.From, "to": e.To,
	}
	if e.Details != nil {
		props["details"] = e.Details
	}
	_, err := tx.Put(Kind, &store.Record{Props: props}, e.At)
	return err
}

// Query selects events: for one actor or subject id, since a time (all when zero).
type Query struct {
	Actor string
	ID    string
	Since time.Time
}

// List returns the matching events, oldest first.
func List(tx store.Tx, q Query) ([]*store.Record, error) {
	filter := map[string]any{}
	if q.Actor != "" {
		filter["actor"] = q.Actor
	}
	if q.ID != "" {
		filter["subjectId"] = q.ID
	}
	if !q.Since.IsZero() {
		filter["_createdAt"] = map[string]any{"$gte": q.Since.UTC().Format(time.RFC3339Nano)}
	}
	return tx.Find(Kind, store.Query{Filter: filter, Sort: []string{"_createdAt"}})
}
