package rulesets

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is an ISO 8601 duration (PnYnMnWnDTnHnMnS) as workflows use it: calendar parts (years,
// months, days) are added on the calendar of the ruleset's time zone, so P1D is "the same time
// tomorrow" across a DST change and P1M is "the same day next month"; the time parts are exact.
type Duration struct {
	Years, Months, Days int
	Clock               time.Duration
	Text                string // as written
}

// maxDurationYears bounds every duration: a timer centuries away is a typo.
const maxDurationYears = 100

// ParseDuration reads an ISO 8601 duration. A fraction is allowed on the seconds only; a zero
// duration is refused (a delay of nothing, in a loop, would spin).
func ParseDuration(s string) (Duration, error) {
	d := Duration{Text: s}
	bad := func(why string) (Duration, error) {
		return Duration{}, fmt.Errorf("`%s` is not an ISO 8601 duration: %s", s, why)
	}
	if !strings.HasPrefix(s, "P") {
		return bad("it starts with P, e.g. PT30S or P3D")
	}
	rest := s[1:]
	inTime, any := false, false
	last := -1 // index in order of the last designator read
	for rest != "" {
		if rest[0] == 'T' {
			if inTime {
				return bad("T appears twice")
			}
			inTime, rest = true, rest[1:]
			if rest == "" {
				return bad("nothing follows T")
			}
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.' || rest[i] == ',') {
			i++
		}
		if i == 0 || i == len(rest) {
			return bad("each part is a number and a designator (Y, M, W, D, H, M, S)")
		}
		num, unit := strings.ReplaceAll(rest[:i], ",", "."), rest[i]
		rest = rest[i+1:]
		key := string(unit)
		if inTime {
			key = "T" + key
		}
		idx := slices.Index(durationOrder, key)
		if idx < 0 {
			return bad(fmt.Sprintf("unknown designator %c", unit))
		}
		if idx <= last {
			return bad("the parts are repeated or out of order (Y M W D T H M S)")
		}
		last = idx
		if strings.Contains(num, ".") && key != "TS" {
			return bad("only the seconds may have a fraction")
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || f > maxDurationYears*366*24*3600 {
			return bad("the number is too large")
		}
		n := int(f)
		any = any || f > 0
		switch key {
		case "Y":
			d.Years = n
		case "M":
			d.Months = n
		case "W":
			d.Days += 7 * n
		case "D":
			d.Days += n
		case "TH":
			d.Clock += time.Duration(n) * time.Hour
		case "TM":
			d.Clock += time.Duration(n) * time.Minute
		case "TS":
			d.Clock += time.Duration(math.Round(f * float64(time.Second)))
		}
	}
	if !any {
		return bad("it must be longer than zero")
	}
	if d.Years*12+d.Months > maxDurationYears*12 || d.Days > maxDurationYears*366 || d.Clock > maxDurationYears*366*24*time.Hour {
		return bad(fmt.Sprintf("it is longer than %d years", maxDurationYears))
	}
	return d, nil
}

// durationOrder is the order of the designators; T-prefixed ones are in the time part.
var durationOrder = []string{"Y", "M", "W", "D", "TH", "TM", "TS"}

// AddTo is t plus the duration: calendar parts on t's calendar in loc, then the exact time parts.
func (d Duration) AddTo(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	if d.Years != 0 || d.Months != 0 || d.Days != 0 {
		t = t.In(loc).AddDate(d.Years, d.Months, d.Days)
	}
	return t.Add(d.Clock)
}

func (d Duration) String() string { return d.Text }

// duration reads an ISO 8601 duration value of the YAML, or reports why it is not one (nil then).
func (d *decoder) duration(n *yaml.Node, field string) *Duration {
	dur, err := ParseDuration(d.str(n, field))
	if err != nil {
		d.problem(n, field, "write an ISO 8601 duration such as PT30S, PT0.5S, P3D or P1M", "%v", err)
		return nil
	}
	return &dur
}
