package store

import "fmt"

// Entry points for hosts that page through Find's answers (the HTTP server's entity lists): the
// checks Find makes before it reads anything, and the order it returns records in, so that a
// cursor ("after this record") means exactly what Find's order means.

// CheckQuery reports what Find would refuse in q before reading any record: an unknown "$"
// operator, an operator object mixed with plain keys, $in without a list, an empty property name
// or sort key, a negative limit. A nil error means Find accepts the query's shape.
func CheckQuery(q Query) error {
	if _, err := compileFilter(q.Filter); err != nil {
		return err
	}
	if _, err := compileSort(q.Sort); err != nil {
		return err
	}
	if q.Limit < 0 {
		return fmt.Errorf("store: negative limit %d", q.Limit)
	}
	return nil
}

// Order is the total order Find returns records in for the sort keys of a Query: by the keys
// (missing and null last in both directions, numbers < strings < bools < others across types,
// "_id"/"_createdAt"/"_updatedAt" as the bookkeeping fields), ties in id order. It returns a
// comparison: negative when a comes before b, positive when after, 0 only for the same id.
// The records need only the fields the keys name (and ID): a record made from a cursor's saved
// values compares as the record it was taken from did.
func Order(sort []string) (func(a, b *Record) int, error) {
	s, err := compileSort(sort)
	if err != nil {
		return nil, err
	}
	return func(a, b *Record) int {
		switch {
		case s.less(a, b):
			return -1
		case s.less(b, a):
			return 1
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	}, nil
}
