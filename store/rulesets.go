package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/semver"
)

// Ruleset versions: the single-JSON form of each imported version of a ruleset, kept so that a
// version can be run, tested and exported again later exactly as it was imported.
//
// On disk: bucket "rulesets" → bucket per ruleset name → key version → value
//
//	{"storedAt":"2026-05-17T10:30:00.123456789Z","size":12345}\n<the document, byte for byte>
//
// A one-line JSON header (json.Marshal writes no newline), a newline, then the document exactly as
// it was given (not re-encoded, so that GetRuleset returns the very bytes PutRuleset got and the
// immutability check can compare bytes). Keys are in byte order, not semver order: Versions and
// GetRuleset sort in memory.

// ErrImmutable means a ruleset version is already stored with other content. A stored version never
// changes: the new content needs a new version. PutRuleset's error wraps it and names the version.
var ErrImmutable = errors.New("store: a stored ruleset version never changes")

var bucketRulesets = []byte("rulesets")

// RulesetVersion describes one stored version of a ruleset.
type RulesetVersion struct {
	Version  string
	StoredAt time.Time // UTC
	Size     int       // bytes of the stored document
}

// rulesetHeader is the first line of a stored version.
type rulesetHeader struct {
	StoredAt time.Time `json:"storedAt"`
	Size     int       `json:"size"`
}

type immutableError struct{ name, version string }

func (e *immutableError) Error() string {
	return fmt.Sprintf("ruleset %s %s is already stored with other content: a stored version never changes; give the new content a new version", e.name, e.version)
}

func (e *immutableError) Unwrap() error { return ErrImmutable }

func checkRulesetKey(name, version string) error {
	if name == "" || len(name) > bolt.MaxKeySize {
		return fmt.Errorf("store: invalid ruleset name %q", name)
	}
	core, _, _ := strings.Cut(strings.SplitN(version, "+", 2)[0], "-")
	if len(version) > bolt.MaxKeySize || !semver.IsValid("v"+version) || strings.Count(core, ".") != 2 {
		return fmt.Errorf("store: ruleset %s: invalid version %q (want MAJOR.MINOR.PATCH)", name, version)
	}
	return nil
}

// splitStored cuts a stored value into its header and document. The document aliases v.
func splitStored(name, version string, v []byte) (rulesetHeader, []byte, error) {
	var h rulesetHeader
	line, doc, ok := bytes.Cut(v, []byte{'\n'})
	if !ok {
		return h, nil, fmt.Errorf("store: corrupt ruleset %s %s: no header", name, version)
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, nil, fmt.Errorf("store: corrupt ruleset %s %s: %w", name, version, err)
	}
	return h, doc, nil
}

// PutRuleset stores version of the ruleset name: doc is its single-JSON form, stored byte for byte.
// Storing the same bytes again is a no-op that reports created=false (and writes nothing, so the
// file and the first storedAt stay as they were); other bytes under a stored name and version fail
// with an error that wraps ErrImmutable. now stamps storedAt (zero: time.Now).
//
// It looks first in a read transaction and writes only when the version is new, checking again
// inside the write transaction (another process may have stored it in between).
func (b *Bolt) PutRuleset(name, version string, doc []byte, now time.Time) (created bool, err error) {
	if err := checkRulesetKey(name, version); err != nil {
		return false, err
	}
	if !json.Valid(doc) {
		return false, fmt.Errorf("store: ruleset %s %s: the document is not valid JSON", name, version)
	}
	// compare says what is stored under the key: nil (nothing: go ahead), errSame, or the
	// immutability error.
	errSame := errors.New("same")
	compare := func(rb *bolt.Bucket) error {
		if rb == nil {
			return nil
		}
		v := rb.Get([]byte(version))
		if v == nil {
			return nil
		}
		_, stored, err := splitStored(name, version, v)
		if err != nil {
			return err
		}
		if bytes.Equal(stored, doc) {
			return errSame
		}
		return &immutableError{name: name, version: version}
	}
	err = b.db.View(func(btx *bolt.Tx) error {
		root := btx.Bucket(bucketRulesets)
		if root == nil {
			return nil
		}
		return compare(root.Bucket([]byte(name)))
	})
	if err == nil {
		err = b.db.Update(func(btx *bolt.Tx) error {
			root, err := btx.CreateBucketIfNotExists(bucketRulesets)
			if err != nil {
				return err
			}
			rb, err := root.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			if err := compare(rb); err != nil {
				return err
			}
			head, err := json.Marshal(rulesetHeader{StoredAt: normTime(now), Size: len(doc)})
			if err != nil {
				return err
			}
			v := make([]byte, 0, len(head)+1+len(doc))
			v = append(append(append(v, head...), '\n'), doc...)
			return rb.Put([]byte(version), v)
		})
		if err == nil {
			return true, nil
		}
	}
	if err == errSame {
		return false, nil
	}
	return false, err
}

// GetRuleset returns the stored document of a version of the ruleset name and the version it is.
// An empty version picks the highest stored one in semver order (so 1.10.0 beats 1.9.0, and a
// pre-release counts as lower than its release), as Engine.Get does. ErrNotFound when there is no
// such version (or none at all).
func (b *Bolt) GetRuleset(name, version string) ([]byte, string, error) {
	if name == "" || len(name) > bolt.MaxKeySize || len(version) > bolt.MaxKeySize {
		return nil, "", ErrNotFound
	}
	var doc []byte
	err := b.db.View(func(btx *bolt.Tx) error {
		root := btx.Bucket(bucketRulesets)
		if root == nil {
			return ErrNotFound
		}
		rb := root.Bucket([]byte(name))
		if rb == nil {
			return ErrNotFound
		}
		if version == "" {
			_ = rb.ForEach(func(k, _ []byte) error {
				if v := string(k); version == "" || semverLess(version, v) {
					version = v
				}
				return nil
			})
			if version == "" {
				return ErrNotFound
			}
		}
		v := rb.Get([]byte(version))
		if v == nil {
			return ErrNotFound
		}
		_, stored, err := splitStored(name, version, v)
		if err != nil {
			return err
		}
		doc = bytes.Clone(stored) // bbolt's bytes are valid only inside the View
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return doc, version, nil
}

// Versions lists the stored versions of the ruleset name in ascending semver order (empty when there
// are none).
func (b *Bolt) Versions(name string) ([]RulesetVersion, error) {
	var out []RulesetVersion
	err := b.db.View(func(btx *bolt.Tx) error {
		root := btx.Bucket(bucketRulesets)
		if root == nil || name == "" || len(name) > bolt.MaxKeySize {
			return nil
		}
		rb := root.Bucket([]byte(name))
		if rb == nil {
			return nil
		}
		return rb.ForEach(func(k, v []byte) error {
			h, _, err := splitStored(name, string(k), v)
			if err != nil {
				return err
			}
			out = append(out, RulesetVersion{Version: string(k), StoredAt: h.StoredAt, Size: h.Size})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return semverLess(out[i].Version, out[j].Version) })
	return out, nil
}

// semverLess orders versions by semver, and versions semver calls equal (they differ only in build
// metadata) by their text, so that the order is total.
func semverLess(a, b string) bool {
	if c := semver.Compare("v"+a, "v"+b); c != 0 {
		return c < 0
	}
	return a < b
}

// RulesetNames lists the names of the rulesets with at least one stored version, in byte order.
func (b *Bolt) RulesetNames() ([]string, error) {
	var out []string
	err := b.db.View(func(btx *bolt.Tx) error {
		root := btx.Bucket(bucketRulesets)
		if root == nil {
			return nil
		}
		return root.ForEach(func(k, v []byte) error {
			if v == nil { // a nested bucket: one ruleset
				out = append(out, string(k))
			}
			return nil
		})
	})
	return out, err
}
