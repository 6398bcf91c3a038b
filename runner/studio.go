package main

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/kubusdev/kubus/server"
	"github.com/spf13/cobra"
)

// studioScopes are the scopes of the key `kubus studio` signs its user in with: everything, since
// the user is the one who started the process on this machine.
var studioScopes = []string{"admin", "execute:*", "entities:*", "workflows:*", "documents", "consents", "datadebits", "clock"}

func newStudioCmd() *cobra.Command {
	var (
		addr, storePath string
		env             envFlags
	)
	cmd := &cobra.Command{
		Use:   "studio [DIR...]",
		Short: "Try, explain, test and edit rulesets in the browser (kubus serve on 127.0.0.1 with --watch)",
		Long: `Serve the given ruleset folders (default: the current folder) on 127.0.0.1 with the studio at
/studio/, reloading a folder when it changes, and print a one-time sign-in URL: open it in a browser.
The link signs in once, with every scope, and ends with the process. A folder that does not load is
listed in the studio with its problems, so that it can be fixed there.

The studio is also at /studio/ of every kubus serve, where you sign in with an API key.
` + envHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return fmt.Errorf("--addr %q: %w", addr, err)
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return fmt.Errorf("--addr %s: kubus studio signs in with every scope, so it listens on loopback only; use kubus serve (with API keys) to share a studio", addr)
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			return serveFolders(cmd, args, serveOptions{addr: addr, storePath: storePath, maxBody: 1 << 20,
				shutdownTimeout: 5 * time.Second, watch: true, env: &env, studio: true})
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:7700", "loopback address to listen on (127.0.0.1:0 picks a free port)")
	f.StringVar(&storePath, "store", "", "store file (default $KUBUS_STORE, else ./kubus.db)")
	env.register(cmd)
	return cmd
}

// printStudioURL prints the one-time sign-in URL of a listening studio.
func printStudioURL(w io.Writer, srv *server.Server, ln net.Listener) error {
	link, err := srv.LocalSignIn("kubus studio", studioScopes)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Kubus studio: open this link to sign in (it works once; Ctrl-C stops the studio)\n\n    http://%s%s\n\n", ln.Addr(), link)
	return nil
}
