package workflow

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
	"time"
)

// TimerSource hands out the timer records that are due. The store's timers, read by seeking in
// due order, serve one process; a shared store can serve several by leasing each batch to one
// node. Whoever gets a timer, firing it is a transaction that deletes its record, so a timer handed
// to two nodes still fires once.
type TimerSource interface {
	// Due lists up to limit timers due at or before now whose ids come after `after` ("" for the
	// first), in due order.
	Due(now time.Time, after string, limit int) ([]TimerRef, error)
}

// TimerRef is a due timer: its record id, and the instance it belongs to.
type TimerRef struct {
	ID       string
	Instance string
	Due      time.Time
}

// storeTimers is the TimerSource of the service's own store.
type storeTimers struct{ s *Service }

func (st storeTimers) Due(now time.Time, after string, limit int) ([]TimerRef, error) {
	ts, err := st.s.dueTimers(now, after, limit)
	out := make([]TimerRef, len(ts))
	for i, t := range ts {
		out[i] = TimerRef{ID: t.ID, Instance: t.Instance, Due: t.Due}
	}
	return out, err
}

// tickBatch is how many due timers one round of Tick reads.
const tickBatch = 512

// Tick makes one pass over the timers due now, in due order: it fires each (and runs the ready
// steps that follow, up to MaxInlineSteps an instance), and returns how many it handled. One pass
// always ends, whatever rule code does: a timer made again during the pass with an id the pass
// has gone by waits for the next Tick. Timers of one instance are handled in order by one worker;
// instances are spread over Options.Workers workers.
func (s *Service) Tick(ctx context.Context) (int, error) {
	return s.tick(ctx, storeTimers{s}, s.opts.Now)
}

func (s *Service) tick(ctx context.Context, src TimerSource, now func() time.Time) (int, error) {
	total, after, t0 := 0, "", now()
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		due, err := src.Due(t0, after, tickBatch)
		if err != nil {
			return total, err
		}
		if len(due) == 0 {
			return total, nil
		}
		after = due[len(due)-1].ID
		n, err := s.fireAll(ctx, due)
		total += n
		if err != nil {
			return total, err
		}
	}
}

// fireAll fires a batch on the workers, each instance's timers on one worker in order.
func (s *Service) fireAll(ctx context.Context, due []TimerRef) (int, error) {
	workers := min(s.opts.Workers, len(due))
	queues := make([][]TimerRef, workers)
	for _, t := range due {
		h := fnv.New32a()
		_, _ = h.Write([]byte(t.Instance))
		k := int(h.Sum32() % uint32(workers))
		queues[k] = append(queues[k], t)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		fired    int
		firstErr error
	)
	for _, q := range queues {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, t := range q {
				inst, err := s.fire(ctx, t.ID)
				if err == nil && inst != nil {
					// What became ready goes on now, not a tick later.
					_, err = s.driveFrom(ctx, inst)
				}
				mu.Lock()
				if err == nil {
					fired++
				} else if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				if err != nil {
					s.opts.Logger.Error("workflow timer", "timer", t.ID, "instance", t.Instance, "error", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return fired, firstErr
}

// Run is the scheduler: it ticks whenever a timer is due or new work arrives (Start, Answer, ...),
// at least every poll, until ctx ends. Errors are logged and the next tick tries again.
func (s *Service) Run(ctx context.Context, poll time.Duration) error {
	if poll <= 0 {
		poll = time.Second
	}
	for {
		if _, err := s.Tick(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.opts.Logger.Error("workflow scheduler", "error", err)
		}
		wait := poll
		if next, ok, err := s.NextDue(); err == nil && ok {
			wait = min(max(time.Until(next), time.Millisecond), poll)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.wake:
		case <-time.After(wait):
		}
	}
}
