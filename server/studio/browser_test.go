package studio_test

// The studio's browser tests: a real `kubus serve` handler (bbolt on a temp file, the examples
// copied into a temp folder and watched) on 127.0.0.1, driven through a real Chromium with
// chromedp along the paths a user takes. Every screen is checked with axe-core.
//
// Chromium: /usr/bin/chromium (Debian's chromium package), or $KUBUS_CHROMIUM. axe-core: the file
// $KUBUS_AXE (axe.min.js from the npm package axe-core). Without them the tests skip, unless
// KUBUS_REQUIRE_CHROMIUM=1 (CI), when they fail. KUBUS_STUDIO_SHOTS=DIR writes the screenshots
// there (the README's come from `KUBUS_STUDIO_SHOTS=docs/studio go test ./server/studio`).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/server"
	"github.com/kubusdev/kubus/store"
	"sync"
)

func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("KUBUS_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(p); err != nil {
		if os.Getenv("KUBUS_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("no Chromium at %s (KUBUS_REQUIRE_CHROMIUM=1): apt-get install chromium", p)
		}
		t.Skipf("no Chromium at %s: apt-get install chromium (or set KUBUS_CHROMIUM)", p)
	}
	return p
}

func axeSource(t *testing.T) string {
	t.Helper()
	p := os.Getenv("KUBUS_AXE")
	if p == "" {
		for _, cand := range []string{"/tmp/axe/node_modules/axe-core/axe.min.js", "node_modules/axe-core/axe.min.js"} {
			if _, err := os.Stat(cand); err == nil {
				p = cand
			}
		}
	}
	b, err := os.ReadFile(p)
	if err != nil || p == "" {
		if os.Getenv("KUBUS_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("no axe-core (KUBUS_AXE=%q): npm install axe-core and set KUBUS_AXE to its axe.min.js", p)
		}
		t.Skipf("no axe-core: npm install --prefix /tmp/axe axe-core (or set KUBUS_AXE)")
	}
	return string(b)
}

// studioEnv is a served studio and a browser signed in to it.
type studioEnv struct {
	t       *testing.T
	srv     *server.Server
	url     string
	dir     string // the copied examples, watched
	key     string // an API key with every scope, for the sign-in form
	manager string // an API key with workflows:leave-request only
	ctx     context.Context
	axe     string
	mu      sync.Mutex
	console []string // console errors and uncaught exceptions the page reported
}

// copyExamples copies the example folders into a temp folder the test may edit.
func copyExamples(t *testing.T, names ...string) string {
	t.Helper()
	dst := t.TempDir()
	for _, n := range names {
		src := filepath.Join("..", "..", "examples", n)
		if strings.Contains(n, "/") {
			src, n = n, filepath.Base(n) // a folder of this package's, such as testdata/leave-request
		}
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			to := filepath.Join(dst, n, rel)
			if d.IsDir() {
				return os.MkdirAll(to, 0o755)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// newStudio serves the examples (copied) and opens a signed-in browser tab on the studio.
func newStudio(t *testing.T, examples ...string) *studioEnv {
	t.Helper()
	chrome := chromiumPath(t)
	e := &studioEnv{t: t, axe: axeSource(t)}
	e.dir = copyExamples(t, examples...)
	st, err := store.Open(filepath.Join(t.TempDir(), "kubus.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	k, secret, err := server.NewKey("browser tester", []string{"admin", "execute:*", "entities:*", "workflows:*", "documents", "clock"}, time.Time{}, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutKey(k); err != nil {
		t.Fatal(err)
	}
	e.key = secret
	mk, msecret, err := server.NewKey("manager", []string{"workflows:leave-request"}, time.Time{}, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutKey(mk); err != nil {
		t.Fatal(err)
	}
	e.manager = msecret
	cfg := server.Config{Engine: engine.New(), Store: st, Dirs: []string{e.dir}, KeepFailing: true,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	if e.srv, err = server.New(cfg); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	if err := e.srv.Watch(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(e.srv.Handler())
	t.Cleanup(hs.Close)
	e.url = hs.URL

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelTab := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		var line string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			line = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				line += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, strings.Trim(string(a.Value), `"`))
				}
			}
			line = "console.error: " + strings.Join(parts, " ")
		default:
			return
		}
		e.mu.Lock()
		e.console = append(e.console, line)
		e.mu.Unlock()
	}))
	t.Cleanup(cancelTab)
	tctx, cancelTime := context.WithTimeout(bctx, 4*time.Minute)
	t.Cleanup(cancelTime)
	e.ctx = tctx
	if err := chromedp.Do(tctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return e
}

// run runs browser actions, failing the test with what it was doing.
func (e *studioEnv) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	for try := 1; ; try++ {
		err := chromedp.Do(ctx, actions...)
		if err == nil {
			return
		}
		// The app re-rendered between finding a node and acting on it (a view drawn again when
		// its data arrives): find it again. Nothing was done to the node that is gone.
		if try < 5 && ctx.Err() == nil && strings.Contains(err.Error(), "Could not find node with given id") {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		e.fail(what, err)
	}
}

// fail ends the test with what the page shows and said.
func (e *studioEnv) fail(what string, err error) {
	e.t.Helper()
	e.shot("failed-" + strings.NewReplacer(" ", "-", "/", "-").Replace(what))
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	e.t.Fatalf("%s: %v\npage text: %.2000s\nconsole: %v", what, err, body, e.consoleLines())
}

func (e *studioEnv) consoleLines() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.console...)
}

// eval evaluates JavaScript in the page (awaiting a promise) into T.
func eval[T any](e *studioEnv, what, js string) T {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		e.fail(what, err)
	}
	return v
}

// tid is the CSS selector of a data-testid.
func tid(id string) string { return fmt.Sprintf(`[data-testid=%q]`, id) }

// signInLocally opens the one-time link kubus studio prints.
func (e *studioEnv) signInLocally() {
	e.t.Helper()
	link, err := e.srv.LocalSignIn("kubus studio", []string{"admin", "execute:*", "entities:*", "workflows:*", "documents", "consents", "datadebits", "clock"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.run("sign in with the one-time link", chromedp.Navigate(e.url+link), chromedp.WaitVisible(chromedp.CSS(tid("nav-rulesets"))))
}

// text answers the visible text of an element.
func (e *studioEnv) text(sel string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		e.fail("read "+sel, err)
	}
	return s
}

// waitText waits until the element's text contains want.
func (e *studioEnv) waitText(sel, want string) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		cancel()
		if err == nil && strings.Contains(strings.ToLower(s), strings.ToLower(want)) { // CSS may upper-case what it shows
			return
		}
		last = s
		time.Sleep(100 * time.Millisecond)
	}
	e.fail(fmt.Sprintf("waiting for %s to show %q (it shows %.300q)", sel, want, last), fmt.Errorf("timed out"))
}

// click clicks the element with the data-testid once it is visible.
func (e *studioEnv) click(testid string) {
	e.t.Helper()
	e.run("click "+testid, chromedp.WaitVisible(chromedp.CSS(tid(testid))), chromedp.Click(chromedp.CSS(tid(testid)), chromedp.NodeVisible))
}

// fill replaces the value of an input (by CSS selector) with text, as typing would.
func (e *studioEnv) fill(sel, text string) {
	e.t.Helper()
	e.run("find "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	eval[bool](e, "clear "+sel, `(() => { const el = document.querySelector(`+jsString(sel)+`); el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); return true })()`)
	e.run("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// shot saves a screenshot of the page (to $KUBUS_STUDIO_SHOTS when set, else the test's folder).
func (e *studioEnv) shot(name string) string {
	dir := os.Getenv("KUBUS_STUDIO_SHOTS")
	if dir == "" {
		dir = e.t.TempDir()
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir) // relative to the repository, not the package
	}
	_ = os.MkdirAll(dir, 0o755)
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()) // the viewport, as a user sees it (a PNG)
	if err != nil {
		e.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		e.t.Logf("screenshot %s: %v", name, err)
	}
	return p
}

// axeCheck runs axe-core over the page and fails on serious or critical violations.
func (e *studioEnv) axeCheck(screen string) {
	e.t.Helper()
	eval[bool](e, "load axe-core", e.axe+";true")
	res := eval[string](e, "run axe-core on "+screen, `axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary)}))))`)
	var violations []struct {
		ID, Impact, Help string
		Nodes            []string
	}
	if err := json.Unmarshal([]byte(res), &violations); err != nil {
		e.t.Fatalf("axe-core on %s: %v (%s)", screen, err, res)
	}
	for _, v := range violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			e.t.Errorf("axe-core on %s: %s (%s): %s\n  %s", screen, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
		} else {
			e.t.Logf("axe-core on %s (%s, not failing): %s: %s", screen, v.Impact, v.ID, v.Help)
		}
	}
}

// noConsoleErrors fails the test if the page logged an error or a CSP violation.
func (e *studioEnv) noConsoleErrors() {
	e.t.Helper()
	for _, c := range e.consoleLines() {
		e.t.Errorf("the page reported: %s", c)
	}
}
