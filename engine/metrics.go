package engine

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kubusdev/kubus/store"
)

// Alert metrics: with ExecOptions.Metrics and a store, a successful execution saves how often each
// alert fired, under its ruleset and its ordered tags (ExecOptions.Tags). The record is one per
// (ruleset, tags): running again with the same tags overwrites it, as the reference product does,
// so it always holds the counts of the last such execution. AlertMetrics adds them up.
//
// # Where they are stored
//
// Kind{Ruleset: MetricsRuleset, Entity: <ruleset name>}: a ruleset name never starts with "_", so
// the kind cannot be taken by a ruleset's entities. All versions of a ruleset share it (the record
// says which version wrote it). The record's ID is MetricsKey(tags); its props are
//
//	{"tags": ["a", "b"], "version": "1.0.0", "at": "2024-05-17T10:30:00Z",
//	 "counts": {"BigOrder": 1, "TooYoung": 0, "ManualReview": 2}}
//
// counts holds every declared alert (0 when it did not fire, so that an overwrite resets it) and
// every alert raised with System.createAlert; at is the execution clock (ExecOptions.Now, else the
// time the execution started), in UTC.

// MetricsRuleset is the store's Kind.Ruleset of alert metrics; Kind.Entity is the ruleset's name.
const MetricsRuleset = "_metrics"

// Limits of ExecOptions.Tags.
const (
	MaxTags      = 5
	MaxTagLength = 64 // characters (runes)
)

// tagSep separates the tags in a metrics key. Tags may not contain control characters, so it cannot
// occur inside a tag.
const tagSep = "\x1f"

// ErrNoMetrics is AlertMetrics' answer when the store holds no metrics record that matches.
var ErrNoMetrics = errors.New("no alert metrics")

// MetricsKind is the store Kind that holds the alert metrics of a ruleset.
func MetricsKind(ruleset string) store.Kind {
	return store.Kind{Ruleset: MetricsRuleset, Entity: ruleset}
}

// MetricsKey is the store ID of the metrics record of an ordered list of tags: "-" followed by each
// tag preceded by the unit separator U+001F, so no tags is "-", [a b] is "-\x1fa\x1fb". It is
// deterministic and never empty; distinct valid tag lists get distinct keys (a tag cannot contain
// U+001F), and the key of a list's prefix is a prefix of its key that ends where a tag ends. It is
// at most 1 + MaxTags×(1+4×MaxTagLength) = 1,286 bytes, far below bbolt's 32 KiB key limit.
func MetricsKey(tags []string) string {
	if len(tags) == 0 {
		return "-"
	}
	n := 1
	for _, t := range tags {
		n += len(tagSep) + len(t)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('-')
	for _, t := range tags {
		b.WriteString(tagSep)
		b.WriteString(t)
	}
	return b.String()
}

// tagProblems checks ExecOptions.Tags: at most MaxTags, each non-empty, valid UTF-8, at most
// MaxTagLength characters and without control characters. It allocates only for a problem.
func tagProblems(tags []string) []InputProblem {
	var ps []InputProblem
	if len(tags) > MaxTags {
		ps = append(ps, InputProblem{Message: fmt.Sprintf("tags: at most %d tags, got %d", MaxTags, len(tags))})
	}
	for i, t := range tags {
		var msg string
		switch {
		case t == "":
			msg = "must not be empty"
		case !utf8.ValidString(t):
			msg = "must be valid UTF-8"
		case utf8.RuneCountInString(t) > MaxTagLength:
			msg = fmt.Sprintf("longer than %d characters", MaxTagLength)
		case strings.ContainsFunc(t, unicode.IsControl):
			msg = "must not contain control characters"
		default:
			continue
		}
		ps = append(ps, InputProblem{Message: fmt.Sprintf("tags[%d]: %s", i, msg)})
	}
	return ps
}

// putMetrics saves the alert counts of a successful execution in its Tx: a blind write (the Tx never
// reads the record), so it overwrites the last record of the same tags and never conflicts.
func (r *Ruleset) putMetrics(tx store.Tx, res *Result, tags []string, now time.Time) error {
	counts := make(map[string]int, len(r.model.Alerts)+len(res.Alerts))
	for _, a := range r.model.Alerts {
		counts[a.Name] = 0
	}
	for _, a := range res.Alerts {
		counts[a.Name]++
	}
	if tags == nil {
		tags = []string{} // [] rather than null in the record
	}
	_, err := tx.Put(MetricsKind(r.model.Name), &store.Record{
		ID: MetricsKey(tags),
		Props: map[string]any{
			"tags":    tags,
			"version": r.model.Version,
			"counts":  counts,
			"at":      now.UTC().Format(time.RFC3339Nano),
		},
	}, now)
	return err
}

// AlertMetrics aggregates per alert name: it sums the counts of the metrics records of a ruleset
// whose tags start with the given tags (no tags: every record of the ruleset). Each record holds
// the counts of the last execution with exactly its tags, so the sum over [a] adds up the last
// [a], [a b], [a c], ... executions. A declared alert that never fired is in the answer with 0. When
// no record matches, it returns ErrNoMetrics.
func AlertMetrics(s store.Store, ruleset string, tags []string) (map[string]int, error) {
	if s == nil {
		return nil, errors.New("alert metrics: no store")
	}
	if ps := tagProblems(tags); len(ps) > 0 {
		return nil, fmt.Errorf("alert metrics of %s: %w", ruleset, &InputError{Problems: ps})
	}
	if ruleset == "" {
		return nil, errors.New("alert metrics: no ruleset name")
	}
	tx := s.Begin()
	defer tx.Discard()
	recs, err := tx.Find(MetricsKind(ruleset), store.Query{})
	if err != nil {
		return nil, fmt.Errorf("alert metrics of %s: %w", ruleset, err)
	}
	key := MetricsKey(tags)
	sums := map[string]int{}
	matched := false
	for _, rec := range recs {
		if rec.ID != key && !strings.HasPrefix(rec.ID, key+tagSep) {
			continue
		}
		matched = true
		counts, ok := rec.Props["counts"].(map[string]any)
		if !ok && rec.Props["counts"] != nil {
			return nil, fmt.Errorf("alert metrics of %s: record %q: counts is not an object", ruleset, rec.ID)
		}
		for name, v := range counts {
			n, ok := v.(float64)
			if !ok || n < 0 || n != math.Trunc(n) || n > 1<<53 {
				return nil, fmt.Errorf("alert metrics of %s: record %q: count of %s is %v, not a count", ruleset, rec.ID, name, v)
			}
			sums[name] += int(n)
		}
	}
	if !matched {
		return nil, ErrNoMetrics
	}
	return sums, nil
}
