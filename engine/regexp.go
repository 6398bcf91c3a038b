package engine

import (
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// goja runs the regular expressions RE2 cannot (lookarounds, backreferences) on regexp2, which
// backtracks: /^(a+)+(?!x)$/ on 32 a's and a b takes minutes in one Go call that the interrupt cannot
// stop. regexp2's match timeout ends such a match; goja then reads it as "no match", and execute,
// finding the execution past its deadline, answers with the timeout instead of that result. So the
// match timeout must never be shorter than an engine's Timeout: it is the longest any engine uses.
//
// regexp2.DefaultMatchTimeout is process-wide: a host that uses regexp2 itself gets it too.
var regexpTimeout struct {
	sync.Mutex
	set time.Duration
}

func init() { useRegexpTimeout(DefaultLimits.Timeout) }

// useRegexpTimeout raises the match timeout to at least d.
func useRegexpTimeout(d time.Duration) {
	regexpTimeout.Lock()
	defer regexpTimeout.Unlock()
	if d > regexpTimeout.set {
		regexpTimeout.set = d
		regexp2.DefaultMatchTimeout = d
	}
}
