package datadebit

import (
	"testing"
	"time"
)

func TestTiming(t *testing.T) {
	const ms = time.Millisecond
	day := 24 * time.Hour
	S := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	P := 10 * day
	at := func(d time.Duration) time.Time { return S.Add(d) }
	none := time.Time{} // no end

	type check struct {
		now    time.Time
		active bool
	}
	cases := []struct {
		name   string
		timing Timing
		end    time.Time // zero: no end (rolls on)
		checks []check
	}{
		{
			name:   "no cancel, no cancelAtPeriodEnd: rolls on",
			timing: Timing{Accepted: true, Start: S, Period: P},
			end:    none,
			checks: []check{{at(-ms), false}, {S, true}, {at(ms), true}, {at(P - ms), true}, {at(P), true}, {at(P + ms), true}, {at(1000 * P), true}},
		},
		{
			name:   "no cancel, cancelAtPeriodEnd: one period",
			timing: Timing{Accepted: true, Start: S, Period: P, CancelAtPeriodEnd: true},
			end:    at(P),
			checks: []check{{at(-ms), false}, {S, true}, {at(P - ms), true}, {at(P), false}, {at(P + ms), false}, {at(2 * P), false}},
		},
		{
			name:   "immediate cancel in the second period: ends at canceledAt",
			timing: Timing{Accepted: true, Start: S, Period: P, CanceledAt: at(15 * day)},
			end:    at(15 * day),
			checks: []check{{S, true}, {at(15*day - ms), true}, {at(15 * day), false}, {at(15*day + ms), false}, {at(2 * P), false}},
		},
		{
			name:   "immediate cancel of a one-period version: cancelAtPeriodEnd false wins",
			timing: Timing{Accepted: true, Start: S, Period: P, CanceledAt: at(5 * day)},
			end:    at(5 * day),
			checks: []check{{at(5*day - ms), true}, {at(5 * day), false}},
		},
		{
			name:   "immediate cancel at exactly start: never active",
			timing: Timing{Accepted: true, Start: S, Period: P, CanceledAt: S},
			end:    S,
			checks: []check{{at(-ms), false}, {S, false}, {at(ms), false}},
		},
		{
			name:   "immediate cancel before start: never active",
			timing: Timing{Accepted: true, Start: S, Period: P, CanceledAt: at(-day)},
			end:    at(-day),
			checks: []check{{at(-day - ms), false}, {at(-ms), false}, {S, false}, {at(ms), false}},
		},
		{
			name:   "immediate cancel in the future (a handover): active until then",
			timing: Timing{Accepted: true, Start: S, Period: P, CanceledAt: at(25 * day)},
			end:    at(25 * day),
			checks: []check{{at(25*day - ms), true}, {at(25 * day), false}},
		},
		{
			name:   "cancel at period end, in the second period: ends at the end of the second period",
			timing: Timing{Accepted: true, Start: S, Period: P, CancelAtPeriodEnd: true, CanceledAt: at(15 * day)},
			end:    at(2 * P),
			checks: []check{{at(15 * day), true}, {at(2*P - ms), true}, {at(2 * P), false}, {at(2*P + ms), false}},
		},
		{
			name:   "cancel at period end, the instant before a period boundary: that period's end",
			timing: Timing{Accepted: true, Start: S, Period: P, CancelAtPeriodEnd: true, CanceledAt: at(P - ms)},
			end:    at(P),
			checks: []check{{at(P - ms), true}, {at(P), false}},
		},
		{
			name:   "cancel at period end, at a period boundary: the period beginning there runs",
			timing: Timing{Accepted: true, Start: S, Period: P, CancelAtPeriodEnd: true, CanceledAt: at(P)},
			end:    at(2 * P),
			checks: []check{{at(P), true}, {at(2*P - ms), true}, {at(2 * P), false}},
		},
		{
			name:   "cancel at period end, the instant after a period boundary",
			timing: Timing{Accepted: true, Start: S, Period: P, CancelAtPeriodEnd: true, CanceledAt: at(P + ms)},
			end:    at(2 * P),
			checks: []check{{at(2*P - ms), true}, {at(2 * P), false}},
		},
		{
			name:   "cancel at period end, at start: the first period",
			timing: Timing{Accepted: true, Start: S, Period: P, CancelAtPeriodEnd: true, CanceledAt: S},
			end:    at(P),
			checks: []check{{S, true}, {at(P - ms), true}, {at(P), false}},
		},
		{
			name:   "cancel at period end, before start: no period ran, never active",
			timing: Timing{Accepted: true, Start: S, Period: P, CancelAtPeriodEnd: true, CanceledAt: at(-ms)},
			end:    S,
			checks: []check{{at(-ms), false}, {S, false}, {at(ms), false}},
		},
		{
			name:   "not accepted: never active, whatever the window",
			timing: Timing{Start: S, Period: P},
			end:    none,
			checks: []check{{at(-ms), false}, {S, false}, {at(P), false}},
		},
		{
			name:   "not accepted, one period",
			timing: Timing{Start: S, Period: P, CancelAtPeriodEnd: true},
			end:    at(P),
			checks: []check{{S, false}, {at(P - ms), false}},
		},
		{
			name:   "non-positive period: never active",
			timing: Timing{Accepted: true, Start: S},
			end:    S,
			checks: []check{{S, false}, {at(day), false}},
		},
		{
			name:   "far apart: year 1 to 9999 in one-second periods (no overflow)",
			timing: Timing{Accepted: true, Start: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Period: time.Second, CancelAtPeriodEnd: true, CanceledAt: time.Date(9999, 12, 31, 23, 59, 58, 500_000_000, time.UTC)},
			end:    time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
			checks: []check{{time.Date(9999, 12, 31, 23, 59, 58, 999_000_000, time.UTC), true}, {time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), false}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			end, ok := c.timing.End()
			switch {
			case c.end.IsZero() && ok:
				t.Errorf("End() = %v, want no end", end)
			case !c.end.IsZero() && (!ok || !end.Equal(c.end)):
				t.Errorf("End() = %v, %v; want %v", end, ok, c.end)
			}
			for _, ch := range c.checks {
				if got := c.timing.Active(ch.now); got != ch.active {
					t.Errorf("Active(%s) = %v, want %v", ch.now.Format(time.RFC3339Nano), got, ch.active)
				}
			}
		})
	}
}
