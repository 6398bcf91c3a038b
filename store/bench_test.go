package store

import (
	"testing"
	"time"
)

func benchProps(i int) map[string]any {
	return map[string]any{"name": "Person", "age": i % 90, "city": "Utrecht", "active": i%2 == 0, "born": "1990-01-01"}
}

// BenchmarkPutCommit is one record per Tx: a bbolt Update with its fsync each time, the cost of a
// persisting execution.
func BenchmarkPutCommit(b *testing.B) {
	s := openTemp(b)
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tx := s.Begin()
		if _, err := tx.Put(person, &Record{Props: benchProps(i)}, now); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutCommitParallel commits one new record per Tx from 32 goroutines at once, as a busy
// server does: commits that arrive together share a bbolt transaction and its sync.
func BenchmarkPutCommitParallel(b *testing.B) {
	s := openTemp(b)
	now := time.Now()
	b.ReportAllocs()
	b.SetParallelism(16) // × GOMAXPROCS goroutines
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			tx := s.Begin()
			if _, err := tx.Put(person, &Record{Props: benchProps(i)}, now); err != nil {
				b.Error(err)
				return
			}
			if err := tx.Commit(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func seedBench(b *testing.B, n int) (*Bolt, []string) {
	s := openTemp(b)
	tx := s.Begin()
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		r, err := tx.Put(person, &Record{Props: benchProps(i)}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return s, ids
}

// BenchmarkGet reads one record of 1,000 in a fresh Tx (one short View, one decode).
func BenchmarkGet(b *testing.B) {
	s, ids := seedBench(b, 1000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tx := s.Begin()
		if _, err := tx.Get(person, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFind1000 filters 1,000 records (a full scan) down to about a fifth.
func BenchmarkFind1000(b *testing.B) {
	s, _ := seedBench(b, 1000)
	q := Query{Filter: map[string]any{"age": map[string]any{"$gte": 18, "$lt": 36}, "active": true}}
	b.ReportAllocs()
	for b.Loop() {
		tx := s.Begin()
		recs, err := tx.Find(person, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) == 0 {
			b.Fatal("no match")
		}
	}
}
