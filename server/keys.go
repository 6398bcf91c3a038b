package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kubusdev/kubus/store"
)

// KeyPrefix starts every Kubus API key, so that a leaked one is easy to recognise (and to scan for).
const KeyPrefix = "kbs_"

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewKeySecret makes a key: "kbs_" and 32 random bytes in base62 (43 characters).
func NewKeySecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	n := new(big.Int).SetBytes(b[:])
	out := make([]byte, 0, 43)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := 0; i < 43; i++ {
		n.DivMod(n, base, mod)
		out = append(out, base62[mod.Int64()])
	}
	return KeyPrefix + string(out), nil
}

// hashKey is what the store keeps of a key.
func hashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// scopeRE is the grammar of a scope.
var scopeRE = regexp.MustCompile(`^(admin|clock|consents|datadebits|documents|(execute|workflows):([a-z0-9][a-z0-9-]*|\*)|entities:([a-z0-9][a-z0-9-]*|\*)(:read)?)$`)

// CheckScopes reports the first scope that is not one of the contract's.
func CheckScopes(scopes []string) error {
	if len(scopes) == 0 {
		return errors.New("a key needs at least one scope (execute:NAME, execute:*, entities:NAME[:read], consents, datadebits, workflows:NAME, documents, admin, clock)")
	}
	for _, s := range scopes {
		if !scopeRE.MatchString(s) {
			return fmt.Errorf("unknown scope %q (execute:NAME, execute:*, entities:NAME[:read], consents, datadebits, workflows:NAME, documents, admin, clock)", s)
		}
	}
	return nil
}

// NewKey makes a key record and its secret, which is shown once and never stored.
func NewKey(name string, scopes []string, expires time.Time, now time.Time) (store.APIKey, string, error) {
	if strings.TrimSpace(name) == "" || len(name) > 200 {
		return store.APIKey{}, "", errors.New("a key needs a name (at most 200 characters)")
	}
	if err := CheckScopes(scopes); err != nil {
		return store.APIKey{}, "", err
	}
	if !expires.IsZero() && !expires.After(now) {
		return store.APIKey{}, "", fmt.Errorf("the expiry %s is not in the future", expires.Format(time.RFC3339))
	}
	secret, err := NewKeySecret()
	if err != nil {
		return store.APIKey{}, "", err
	}
	idb := make([]byte, 8)
	if _, err := rand.Read(idb); err != nil {
		return store.APIKey{}, "", err
	}
	k := store.APIKey{ID: fmt.Sprintf("key_%x", idb), Name: name, Scopes: slices.Clone(scopes), Hash: hashKey(secret),
		Created: now.UTC(), Expires: expires.UTC()}
	if expires.IsZero() {
		k.Expires = time.Time{}
	}
	return k, secret, nil
}

// keyring is the server's view of the store's keys: looked up by hash in memory, so that checking a
// key costs no store read; "last used" is kept in memory and written back now and then.
type keyring struct {
	st *store.Bolt

	mu       sync.RWMutex
	byHash   map[[32]byte]*store.APIKey
	idIndex  map[string]*store.APIKey // for the studio's sessions, which remember the id
	all      []*store.APIKey
	lastUsed map[string]time.Time // not yet written back
}

func newKeyring(st *store.Bolt) (*keyring, error) {
	kr := &keyring{st: st, lastUsed: map[string]time.Time{}}
	return kr, kr.reload()
}

// reload reads every key from the store.
func (kr *keyring) reload() error {
	keys, err := kr.st.Keys()
	if err != nil {
		return err
	}
	byHash := make(map[[32]byte]*store.APIKey, len(keys))
	byID := make(map[string]*store.APIKey, len(keys))
	all := make([]*store.APIKey, len(keys))
	for i := range keys {
		k := &keys[i]
		all[i] = k
		byID[k.ID] = k
		if len(k.Hash) == sha256.Size {
			byHash[[32]byte(k.Hash)] = k
		}
	}
	kr.mu.Lock()
	kr.byHash, kr.idIndex, kr.all = byHash, byID, all
	kr.mu.Unlock()
	return nil
}

// count is the number of keys that can still be used.
func (kr *keyring) usable(now time.Time) int {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	n := 0
	for _, k := range kr.all {
		if k.Revoked.IsZero() && (k.Expires.IsZero() || now.Before(k.Expires)) {
			n++
		}
	}
	return n
}

// why a key is refused; the log and the metrics say which, the client only "401".
const (
	refusedMissing = "missing"
	refusedUnknown = "unknown"
	refusedRevoked = "revoked"
	refusedExpired = "expired"
)

// check finds the key a request presents. The map lookup is by SHA-256 (which leaks nothing of
// the key), and the digest is compared again in constant time.
func (kr *keyring) check(presented string, now time.Time) (*store.APIKey, string) {
	if presented == "" {
		return nil, refusedMissing
	}
	h := sha256.Sum256([]byte(presented))
	kr.mu.RLock()
	k := kr.byHash[h]
	kr.mu.RUnlock()
	if k == nil || subtle.ConstantTimeCompare(k.Hash, h[:]) != 1 {
		return nil, refusedUnknown
	}
	if !k.Revoked.IsZero() {
		return nil, refusedRevoked
	}
	if !k.Expires.IsZero() && !now.Before(k.Expires) {
		return nil, refusedExpired
	}
	kr.mu.Lock()
	kr.lastUsed[k.ID] = now
	kr.mu.Unlock()
	return k, ""
}

// byID finds a key by its id, as check does by its secret: the studio's sessions remember the id,
// so a key revoked or expired after sign-in ends its sessions.
func (kr *keyring) byID(id string, now time.Time) (*store.APIKey, string) {
	kr.mu.RLock()
	k := kr.idIndex[id]
	kr.mu.RUnlock()
	switch {
	case k == nil:
		return nil, refusedUnknown
	case !k.Revoked.IsZero():
		return nil, refusedRevoked
	case !k.Expires.IsZero() && !now.Before(k.Expires):
		return nil, refusedExpired
	}
	kr.mu.Lock()
	kr.lastUsed[k.ID] = now
	kr.mu.Unlock()
	return k, ""
}

// flush writes the "last used" times back to the store.
func (kr *keyring) flush() error {
	kr.mu.Lock()
	pending := kr.lastUsed
	kr.lastUsed = map[string]time.Time{}
	kr.mu.Unlock()
	var errs []error
	for id, t := range pending {
		if _, err := kr.st.UpdateKey(id, func(k *store.APIKey) {
			if t.After(k.LastUsed) {
				k.LastUsed = t.UTC()
			}
		}); err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return kr.reload()
	}
	return errors.Join(errs...)
}

// list is every key's metadata, with the unwritten "last used" times.
func (kr *keyring) list() []store.APIKey {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	out := make([]store.APIKey, len(kr.all))
	for i, k := range kr.all {
		out[i] = *k
		if t, ok := kr.lastUsed[k.ID]; ok {
			out[i].LastUsed = t.UTC()
		}
	}
	return out
}

// presentedKey reads the key from the headers the contract accepts: Authorization: Bearer KEY,
// Authorization: KEY (Rulecube's alert API), X-API-Key: KEY.
func presentedKey(r *http.Request) string {
	if a := r.Header.Get("Authorization"); a != "" {
		if scheme, rest, ok := strings.Cut(a, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(rest)
		}
		return strings.TrimSpace(a)
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

// hasScope reports whether a key's scopes grant need. need is a concrete scope such as
// "execute:travel-insurance" or "entities:people:read"; wildcards are the key's side only.
func hasScope(scopes []string, need string) bool {
	kind, target, _ := strings.Cut(need, ":")
	target, readOnly := strings.CutSuffix(target, ":read")
	for _, s := range scopes {
		if s == need {
			return true
		}
		sk, st, _ := strings.Cut(s, ":")
		if sk != kind || target == "" {
			continue
		}
		st, sRead := strings.CutSuffix(st, ":read")
		if (st == target || st == "*") && (!sRead || readOnly) {
			return true
		}
	}
	return false
}

// keyView is a key as the API and `kubus keys list` show it: never the key or its hash.
type keyView struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Scopes   []string   `json:"scopes"`
	Created  time.Time  `json:"created"`
	Expires  *time.Time `json:"expires"`
	LastUsed *time.Time `json:"lastUsed"`
	Revoked  *time.Time `json:"revoked,omitempty"`
	Key      string     `json:"key,omitempty"` // only in the answer that creates it
}

func viewKey(k store.APIKey) keyView {
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return keyView{ID: k.ID, Name: k.Name, Scopes: k.Scopes, Created: k.Created, Expires: opt(k.Expires), LastUsed: opt(k.LastUsed), Revoked: opt(k.Revoked)}
}

// ViewKey is viewKey for the CLI.
func ViewKey(k store.APIKey) any { return viewKey(k) }
