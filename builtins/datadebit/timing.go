package datadebit

import "time"

// Timing is what a permissions version's end and activity are computed from: nothing else (in
// particular no stored "active" flag) decides them, and the clock is always passed in.
//
// The contract's rule, case by case (p = Period):
//
//	canceled, immediately (CancelAtPeriodEnd false)  end = CanceledAt
//	canceled at period end (CancelAtPeriodEnd true)   end = the end of the period running at
//	                                                  CanceledAt: Start + (k+1)·p with
//	                                                  k = ⌊(CanceledAt − Start) / p⌋; Start when
//	                                                  canceled before Start (no period was running)
//	not canceled, CancelAtPeriodEnd                   end = Start + p (one period)
//	not canceled, not CancelAtPeriodEnd               no end: it rolls on, period after period
//
// Periods are half-open, [Start + k·p, Start + (k+1)·p): a cancel at exactly a period boundary is in
// the period that begins there. A version is active at now when it is accepted, Start ≤ now, and
// now < end (or it has no end): active at Start, no longer active at end.
//
// All arithmetic is in whole milliseconds (a JS Date's precision) on int64, so it neither loses
// precision nor overflows anywhere in a JS Date's range.
type Timing struct {
	Accepted          bool
	Start             time.Time
	Period            time.Duration // > 0; a non-positive period never makes a version active
	CancelAtPeriodEnd bool
	CanceledAt        time.Time // zero: not canceled
}

// End is when the version stops; ok is false when it has no end (it rolls on).
func (t Timing) End() (end time.Time, ok bool) {
	p := t.Period.Milliseconds()
	if p <= 0 {
		return t.Start, true
	}
	start := t.Start.UnixMilli()
	canceled := !t.CanceledAt.IsZero()
	switch {
	case canceled && !t.CancelAtPeriodEnd:
		return t.CanceledAt, true
	case canceled:
		c := t.CanceledAt.UnixMilli()
		if c < start {
			return t.Start, true
		}
		k := (c - start) / p
		return time.UnixMilli(start + (k+1)*p).UTC(), true
	case t.CancelAtPeriodEnd:
		return time.UnixMilli(start + p).UTC(), true
	}
	return time.Time{}, false
}

// Active reports whether the version is in force at now.
func (t Timing) Active(now time.Time) bool {
	if !t.Accepted || now.Before(t.Start) {
		return false
	}
	end, ok := t.End()
	return !ok || now.Before(end)
}
