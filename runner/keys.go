package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kubusdev/kubus/server"
	"github.com/kubusdev/kubus/store"
	"github.com/spf13/cobra"
)

// kubus keys: API keys of `kubus serve`. Without --server the command opens the store itself (the
// server must not be running: it holds the store); with --server it calls the server's key routes
// with the admin key in $KUBUS_KEY.

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke the API keys of kubus serve",
	}
	var storePath, serverURL string
	persistent := cmd.PersistentFlags()
	persistent.StringVar(&storePath, "store", "", "store file (default $KUBUS_STORE, else ./kubus.db)")
	persistent.StringVar(&serverURL, "server", "", "manage the keys of a running server at this URL (admin key in $KUBUS_KEY)")

	var scopes []string
	var expires string
	create := &cobra.Command{
		Use:   "create NAME --scope SCOPE...",
		Short: "Create a key and print it (the only time it is shown)",
		Long: `Create a key. Scopes: execute:NAME or execute:* (run rulesets), entities:NAME[:read] or entities:*,
consents, datadebits, workflows:NAME, documents, admin (keys, imports, alert aggregation, audit,
ruleset definitions), clock (may set options.now). The key is printed once; the store keeps its
SHA-256 only.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if serverURL != "" {
				body, _ := json.Marshal(map[string]any{"name": args[0], "scopes": scopes, "expires": expires})
				var v map[string]any
				if err := callServer(serverURL, "POST", "/api/keys", body, &v); err != nil {
					return err
				}
				writeJSON(cmd.OutOrStdout(), v)
				return nil
			}
			var exp time.Time
			if expires != "" {
				var err error
				if exp, err = server.ParseExpiry(expires); err != nil {
					return fmt.Errorf("--expires: %w", err)
				}
			}
			k, secret, err := server.NewKey(args[0], scopes, exp, time.Now())
			if err != nil {
				return err
			}
			st, err := store.Open(store.PathFromEnv(storePath), store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.PutKey(k); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "created key %s (%s) with scopes %s; it is shown this once:\n", k.ID, k.Name, strings.Join(k.Scopes, " "))
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			return nil
		},
	}
	create.Flags().StringSliceVar(&scopes, "scope", nil, "a scope of the key (repeat, or separate with commas)")
	create.Flags().StringVar(&expires, "expires", "", "expiry, YYYY-MM-DD (start of that day, UTC) or RFC 3339")
	_ = create.MarkFlagRequired("scope")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the keys: id, name, scopes, created, expires, last used (never the key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var views []map[string]any
			if serverURL != "" {
				var v struct {
					Keys []map[string]any `json:"keys"`
				}
				if err := callServer(serverURL, "GET", "/api/keys", nil, &v); err != nil {
					return err
				}
				views = v.Keys
			} else {
				st, err := openExistingStore(store.PathFromEnv(storePath))
				if err != nil {
					return err
				}
				defer st.Close()
				keys, err := st.Keys()
				if err != nil {
					return err
				}
				for _, k := range keys {
					b, _ := json.Marshal(server.ViewKey(k))
					var m map[string]any
					_ = json.Unmarshal(b, &m)
					views = append(views, m)
				}
			}
			if asJSON {
				if views == nil {
					views = []map[string]any{}
				}
				writeJSON(cmd.OutOrStdout(), views)
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tEXPIRES\tLAST USED\tSTATE")
			for _, v := range views {
				state := "active"
				if v["revoked"] != nil {
					state = "revoked"
				} else if e, ok := v["expires"].(string); ok {
					if t, err := time.Parse(time.RFC3339Nano, e); err == nil && !time.Now().Before(t) {
						state = "expired"
					}
				}
				var sc []string
				for _, s := range v["scopes"].([]any) {
					sc = append(sc, fmt.Sprint(s))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v["id"], v["name"], strings.Join(sc, ","), day(v["created"]), day(v["expires"]), day(v["lastUsed"]), state)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a key: it is refused from the next request on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if serverURL != "" {
				var v map[string]any
				if err := callServer(serverURL, "DELETE", "/api/keys/"+args[0], nil, &v); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
				return nil
			}
			st, err := openExistingStore(store.PathFromEnv(storePath))
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = st.UpdateKey(args[0], func(k *store.APIKey) {
				if k.Revoked.IsZero() {
					k.Revoked = time.Now().UTC()
				}
			})
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no key %s in store %s (`kubus keys list` shows the ids)", args[0], st.Path())
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// day shows a JSON time as its date and time in UTC, or "-".
func day(v any) string {
	s, ok := v.(string)
	if !ok || s == "" {
		return "-"
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format("2006-01-02 15:04")
	}
	return s
}

// callServer calls a key route of a running server with the admin key in $KUBUS_KEY.
func callServer(base, method, path string, body []byte, out any) error {
	key := os.Getenv("KUBUS_KEY")
	if key == "" {
		return errors.New("--server needs an admin key in $KUBUS_KEY")
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, strings.TrimRight(base, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var p struct {
			Title, Detail string
		}
		if json.Unmarshal(data, &p) == nil && p.Title != "" {
			return fmt.Errorf("%s %s: %d %s: %s", method, path, resp.StatusCode, p.Title, p.Detail)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return json.Unmarshal(data, out)
}
