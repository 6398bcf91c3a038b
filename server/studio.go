package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/kubusdev/kubus/server/studio"
	"github.com/kubusdev/kubus/store"
)

// The studio is a browser app served at /studio/ from assets embedded in the binary. It calls the
// same API as every other client, signed in with a session cookie instead of a key header:
//
//   - POST /studio/session with {"key": KEY} checks the key and sets an HttpOnly, SameSite=Strict
//     cookie; the session remembers the key's id, so revoking the key ends the session.
//   - `kubus studio` signs in through a one-time URL instead (/studio/signin?token=…), whose key
//     lives only in this process.
//   - A request authenticated by the cookie that changes state must carry the session's CSRF token
//     in X-Kubus-CSRF. SameSite=Strict already keeps other sites' requests cookie-less; the token
//     also covers a same-site page that is not the studio.
//   - Every studio page is answered with a strict Content-Security-Policy: scripts, styles and
//     connections to this origin only, no inline code, no framing.

const (
	studioCookie = "kubus_studio"
	csrfHeader   = "X-Kubus-CSRF"
	sessionIdle  = 12 * time.Hour
	// sessionLife bounds a stored key's session however busy it is: a stolen cookie works a day
	// at most. `kubus studio`'s own key lives as long as its process, and so do its sessions.
	sessionLife = 24 * time.Hour
	maxSessions = 10_000
	// maxSessionsPerKey bounds the sessions of one key (browsers, tabs signing in again).
	maxSessionsPerKey = 64
	signInTokenLife   = time.Hour
	studioCSP         = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

// studioSession is one signed-in browser.
type studioSession struct {
	keyID string        // a stored key: looked up again on every request
	local *store.APIKey // or a key that lives only in this process (`kubus studio`)
	csrf  string        // sent back in X-Kubus-CSRF
	seen  time.Time     // the last request; idle sessions end
	born  time.Time     // the sign-in; a stored key's session ends sessionLife after it
}

// over is whether the session has ended by now: idle too long, or (a stored key's) too old.
func (sess *studioSession) over(now time.Time) bool {
	return now.Sub(sess.seen) > sessionIdle || (sess.local == nil && now.Sub(sess.born) > sessionLife)
}

// studioSessions holds the sessions and the one-time sign-in tokens, by the SHA-256 of their
// secret (a map lookup then leaks nothing of the secret).
type studioSessions struct {
	mu       sync.Mutex
	sessions map[[32]byte]*studioSession
	tokens   map[[32]byte]signInToken
}

type signInToken struct {
	key     *store.APIKey
	expires time.Time
}

func (s *Server) studioState() *studioSessions {
	s.studioOnce.Do(func() {
		s.studio = &studioSessions{sessions: map[[32]byte]*studioSession{}, tokens: map[[32]byte]signInToken{}}
	})
	return s.studio
}

func randomSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// LocalSignIn makes a one-time sign-in path (/studio/signin?token=…) for a key with the given
// scopes that exists only in this process: `kubus studio` prints it. It is valid for an hour and
// for one sign-in.
func (s *Server) LocalSignIn(name string, scopes []string) (string, error) {
	if err := CheckScopes(scopes); err != nil {
		return "", err
	}
	idb := make([]byte, 8)
	_, _ = rand.Read(idb)
	k := &store.APIKey{ID: "local_" + hex.EncodeToString(idb), Name: name, Scopes: scopes, Created: s.cfg.Now().UTC()}
	secret := randomSecret()
	st := s.studioState()
	st.mu.Lock()
	st.tokens[sha256.Sum256([]byte(secret))] = signInToken{key: k, expires: s.cfg.Now().Add(signInTokenLife)}
	st.mu.Unlock()
	return "/studio/signin?token=" + secret, nil
}

// sessionKey finds the key of the request's session cookie. It answers the session too, for the
// CSRF check; a reason ("missing", "unknown", "revoked", "expired") when there is none.
func (s *Server) sessionKey(r *http.Request) (*store.APIKey, *studioSession, string) {
	ck, err := r.Cookie(studioCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return nil, nil, refusedMissing
	}
	h := sha256.Sum256([]byte(ck.Value))
	now := s.cfg.Now()
	st := s.studioState()
	st.mu.Lock()
	sess := st.sessions[h]
	if sess != nil && sess.over(now) {
		delete(st.sessions, h)
		sess = nil
	}
	if sess != nil {
		sess.seen = now
	}
	st.mu.Unlock()
	if sess == nil {
		return nil, nil, refusedUnknown
	}
	if sess.local != nil {
		return sess.local, sess, ""
	}
	k, why := s.keys.byID(sess.keyID, now)
	if k == nil {
		return nil, nil, why
	}
	return k, sess, ""
}

// checkCSRF is the token check of a state-changing request signed in by cookie.
func checkCSRF(r *http.Request, sess *studioSession) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	got := r.Header.Get(csrfHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}

// dropIdlest ends the least recently used session of those that match; st.mu is held.
func (st *studioSessions) dropIdlest(match func(*studioSession) bool) {
	var oldest [32]byte
	var found *studioSession
	for h, other := range st.sessions {
		if match(other) && (found == nil || other.seen.Before(found.seen)) {
			oldest, found = h, other
		}
	}
	if found != nil {
		delete(st.sessions, oldest)
	}
}

// newSession signs a browser in with key k (stored, or local when local is set).
func (s *Server) newSession(w http.ResponseWriter, r *http.Request, k *store.APIKey, local bool) *studioSession {
	secret := randomSecret()
	sess := &studioSession{csrf: randomSecret(), seen: s.cfg.Now(), born: s.cfg.Now()}
	if local {
		sess.local = k
	} else {
		sess.keyID = k.ID
	}
	st := s.studioState()
	now := s.cfg.Now()
	st.mu.Lock()
	// A sign-in ends the session the browser had (no session outlives a new sign-in with it).
	if ck, err := r.Cookie(studioCookie); err == nil && ck.Value != "" && len(ck.Value) <= 100 {
		delete(st.sessions, sha256.Sum256([]byte(ck.Value)))
	}
	// One key holds at most maxSessionsPerKey sessions: its idlest goes first, so signing in over
	// and over with one key cannot push everyone else's sessions out.
	owner := func(o *studioSession) bool {
		if local {
			return o.local == k
		}
		return o.local == nil && o.keyID == k.ID
	}
	mine := 0
	for _, other := range st.sessions {
		if owner(other) {
			mine++
		}
	}
	for mine >= maxSessionsPerKey {
		st.dropIdlest(owner)
		mine--
	}
	if len(st.sessions) >= maxSessions {
		// Full: first the idle ones, then the idlest session rather than refuse (only valid keys
		// get this far).
		for h, other := range st.sessions {
			if other.over(now) {
				delete(st.sessions, h)
			}
		}
		if len(st.sessions) >= maxSessions {
			st.dropIdlest(func(*studioSession) bool { return true })
		}
	}
	st.sessions[sha256.Sum256([]byte(secret))] = sess
	st.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: studioCookie, Value: secret, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionIdle.Seconds())})
	return sess
}

// studioRoutes are the studio's pages and its sign-in. They are open routes: the session handlers
// check the key or the cookie themselves, and the pages hold no data (the app asks the API).
func (s *Server) studioRoutes() []*route {
	open, session := []string{accessOpen}, []string{accessSession}
	return append([]*route{
		{Method: "GET", Pattern: "/studio", Access: open, Tag: "studio", Summary: "The studio (redirects to /studio/)", Status: []int{http.StatusMovedPermanently}, hidden: true, handle: s.studioRedirect},
		{Method: "GET", Pattern: "/studio/{file...}", Access: open, Tag: "studio", Summary: "The studio's pages", Status: []int{http.StatusOK, http.StatusNotFound}, hidden: true, handle: s.studioPage},
		{Method: "GET", Pattern: "/studio/signin", Access: session, Tag: "studio", Summary: "Sign in with the one-time token `kubus studio` printed; redirects to /studio/", Status: []int{http.StatusSeeOther, http.StatusUnauthorized}, hidden: true, handle: s.studioSignIn},
		{Method: "GET", Pattern: "/studio/session", Access: session, Tag: "studio", Summary: "The studio session: the key's id, name and scopes and the CSRF token", Status: []int{http.StatusOK, http.StatusUnauthorized}, handle: s.getSession},
		{Method: "POST", Pattern: "/studio/session", Access: session, Tag: "studio", Summary: "Sign in to the studio with {key}: sets an HttpOnly, SameSite=Strict session cookie", Body: true, Status: []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusUnsupportedMediaType}, handle: s.createSession},
		{Method: "DELETE", Pattern: "/studio/session", Access: session, Tag: "studio", Summary: "Sign out of the studio (needs X-Kubus-CSRF)", Status: []int{http.StatusNoContent, http.StatusForbidden, http.StatusUnauthorized}, handle: s.deleteSession},
	}, s.studioAPIRoutes()...)
}

type sessionView struct {
	Key  sessionKeyView `json:"key"`
	CSRF string         `json:"csrf"`
}

type sessionKeyView struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

func viewSession(k *store.APIKey, sess *studioSession) sessionView {
	return sessionView{Key: sessionKeyView{ID: k.ID, Name: k.Name, Scopes: k.Scopes}, CSRF: sess.csrf}
}

func (s *Server) getSession(c *call) {
	k, sess, _ := s.sessionKey(c.r)
	if k == nil {
		c.problem(newProblem("unauthorized", "not signed in to the studio"))
		return
	}
	c.key = k
	c.w.Header().Set("Cache-Control", "no-store")
	writeJSON(c.w, http.StatusOK, viewSession(k, sess))
}

func (s *Server) createSession(c *call) {
	if p := checkJSONContentType(c.r); p != nil {
		c.problem(p)
		return
	}
	var body struct {
		Key string `json:"key"`
	}
	if err := json.NewDecoder(c.r.Body).Decode(&body); err != nil {
		c.problem(newProblem("malformed-request", "the body must be {\"key\": \"kbs_…\"}"))
		return
	}
	k, why := s.keys.check(strings.TrimSpace(body.Key), s.cfg.Now())
	if k == nil {
		s.metrics.keysRefused.WithLabelValues(why).Inc()
		c.problem(newProblem("unauthorized", "%s", map[string]string{
			refusedMissing: "enter an API key (kubus keys create NAME --scope … makes one)",
			refusedUnknown: "the API key is not known",
			refusedRevoked: "the API key was revoked",
			refusedExpired: "the API key has expired",
		}[why]))
		return
	}
	c.key = k
	sess := s.newSession(c.w, c.r, k, false)
	c.w.Header().Set("Cache-Control", "no-store")
	writeJSON(c.w, http.StatusOK, viewSession(k, sess))
}

func (s *Server) deleteSession(c *call) {
	k, sess, _ := s.sessionKey(c.r)
	if k == nil {
		c.problem(newProblem("unauthorized", "not signed in to the studio"))
		return
	}
	if !checkCSRF(c.r, sess) {
		c.problem(newProblem("csrf", "signing out needs the session's token in %s", csrfHeader))
		return
	}
	ck, _ := c.r.Cookie(studioCookie)
	st := s.studioState()
	st.mu.Lock()
	delete(st.sessions, sha256.Sum256([]byte(ck.Value)))
	st.mu.Unlock()
	http.SetCookie(c.w, &http.Cookie{Name: studioCookie, Value: "", Path: "/", HttpOnly: true, Secure: c.r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) studioSignIn(c *call) {
	secret := c.r.URL.Query().Get("token")
	h := sha256.Sum256([]byte(secret))
	st := s.studioState()
	st.mu.Lock()
	tok, ok := st.tokens[h]
	delete(st.tokens, h) // one use, even a late one
	st.mu.Unlock()
	if !ok || secret == "" || s.cfg.Now().After(tok.expires) {
		c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		c.w.WriteHeader(http.StatusUnauthorized)
		_, _ = c.w.Write([]byte("This sign-in link was used already or has expired. Restart kubus studio for a new one, or sign in with an API key at /studio/.\n"))
		return
	}
	c.key = tok.key
	s.newSession(c.w, c.r, tok.key, true)
	c.w.Header().Set("Cache-Control", "no-store")
	http.Redirect(c.w, c.r, "/studio/", http.StatusSeeOther)
}

func (s *Server) studioRedirect(c *call) {
	http.Redirect(c.w, c.r, "/studio/", http.StatusMovedPermanently)
}

// studioFiles is the assets folder; studioETags are their digests, computed once.
var (
	studioFiles, _ = fs.Sub(studio.Assets, "assets")
	studioETags    sync.Map
)

// studioHeaders are the headers of every studio answer (wrap sets them on every /studio path).
func studioHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", studioCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// studioPage answers a file of the assets, or index.html for an app path (no extension: the app
// routes by its hash, but a path such as /studio/rulesets also lands in the app).
func (s *Server) studioPage(c *call) {
	name := c.r.PathValue("file")
	if name == "" || !strings.Contains(path.Base(name), ".") {
		name = "index.html"
	}
	if !fs.ValidPath(name) || strings.HasPrefix(path.Base(name), ".") || strings.HasSuffix(name, ".md") {
		c.problem(newProblem("not-found", "no studio file %s", name))
		return
	}
	body, err := fs.ReadFile(studioFiles, name)
	if err != nil {
		c.problem(newProblem("not-found", "no studio file %s", name))
		return
	}
	etag, ok := studioETags.Load(name)
	if !ok {
		sum := sha256.Sum256(body)
		etag = `"` + hex.EncodeToString(sum[:12]) + `"`
		studioETags.Store(name, etag)
	}
	h := c.w.Header()
	h.Set("ETag", etag.(string))
	h.Set("Cache-Control", "no-cache") // revalidate: a new binary has new assets
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js", ".mjs":
		ctype = "text/javascript; charset=utf-8"
	case ".html":
		ctype = "text/html; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	if match := c.r.Header.Get("If-None-Match"); match != "" && match == etag.(string) {
		c.w.WriteHeader(http.StatusNotModified)
		return
	}
	c.w.WriteHeader(http.StatusOK)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(body)
	}
}
