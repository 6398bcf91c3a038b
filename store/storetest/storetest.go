// Package storetest opens real bbolt stores for tests: a fresh file in the test's temp folder,
// closed when the test ends.
package storetest

import (
	"path/filepath"
	"testing"

	"github.com/kubusdev/kubus/store"
)

// Open opens an empty store in t's temp folder and closes it when the test ends.
func Open(t testing.TB) *store.Bolt {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "kubus.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Begin opens an empty store as Open does and begins a transaction on it, discarded when the
// test ends (a test that commits it first loses nothing).
func Begin(t testing.TB) store.Tx {
	t.Helper()
	tx := Open(t).Begin()
	t.Cleanup(tx.Discard)
	return tx
}
