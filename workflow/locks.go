package workflow

import (
	"context"
	"sync"
)

// instanceLocks lets one goroutine of this process at a time run an instance's step code. The
// transactions alone keep the instance right (of two runs at once one commits, the other conflicts
// and finds the token moved on), but the step's code would run twice, and with it its outside
// calls (Http, Mail.send): a request driving an instance and the scheduler firing the same ready
// timer, or a failed step whose failure is not recorded yet. A bbolt store is one process's file,
// so this covers everyone who runs the instance.
type instanceLocks struct {
	mu sync.Mutex
	m  map[string]*instanceLock
}

type instanceLock struct {
	held chan struct{} // a slot: full while someone holds the lock
	refs int           // holders and waiters; the entry goes when it drops to 0
}

// acquire waits until the instance is free or ctx ends, and returns the function that frees it.
func (l *instanceLocks) acquire(ctx context.Context, id string) (release func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*instanceLock{}
	}
	e := l.m[id]
	if e == nil {
		e = &instanceLock{held: make(chan struct{}, 1)}
		l.m[id] = e
	}
	e.refs++
	l.mu.Unlock()
	drop := func() {
		l.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
	select {
	case e.held <- struct{}{}:
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.held
			drop()
		})
	}, nil
}

// exclusive runs fn holding the instance's lock.
func (s *Service) exclusive(ctx context.Context, id string, fn func() (*Instance, error)) (*Instance, error) {
	release, err := s.running.acquire(ctx, id)
	if err != nil {
		return nil, err
	}
	defer release()
	return fn()
}
