package connections_test

import (
	"strings"
	"testing"

	"github.com/kubusdev/kubus/builtins/connections"
)

func TestOpen(t *testing.T) {
	env := map[string]string{"CRM_DSN": "postgres://kubus:s3cret-pw@10.1.2.3:5432/crm", "ALLOW": "10.1.0.0/16"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	set, err := connections.Open(connections.Config{
		Allow:   []string{"${ALLOW}", "${UNSET}"},
		HTTP:    connections.HTTP{Timeout: "2s"},
		SQL:     map[string]connections.SQL{"crm": {Driver: "postgres", DSN: "${CRM_DSN}", ReadOnly: true, Timeout: "${SQL_TIMEOUT:-3s}"}},
		MongoDB: map[string]connections.MongoDB{"docs": {URI: "mongodb://10.1.2.4:27017", Database: "docs"}},
		Mail:    map[string]connections.Mail{"default": {Host: "10.1.2.5", User: "kubus", Pass: "${SMTP_PASSWORD}", TLS: "starttls", Timeout: "5s"}},
	}, "connections.test", lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Modules()) != 4 {
		t.Errorf("modules: %v", set.Modules())
	}
	if err := set.Close(); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		name string
		cfg  connections.Config
		want string
	}{
		{"driver", connections.Config{SQL: map[string]connections.SQL{"crm": {Driver: "mysql", DSN: "x"}}}, `connections.test.sql.crm.driver: write postgres or sqlite, got "mysql"`},
		{"no dsn", connections.Config{SQL: map[string]connections.SQL{"crm": {Driver: "sqlite", DSN: "${UNSET}"}}}, "connections.test.sql.crm.dsn: a connection needs a dsn"},
		{"dsn interpolation", connections.Config{SQL: map[string]connections.SQL{"crm": {Driver: "postgres", DSN: "postgres://u:${PW}@h/db"}}}, "connections.test.sql.crm.dsn: only a whole value"},
		{"bad dsn", connections.Config{SQL: map[string]connections.SQL{"crm": {Driver: "postgres", DSN: "postgres://u:s3cret-pw@[::1"}}}, "connections.test.sql"},
		{"timeout", connections.Config{HTTP: connections.HTTP{Timeout: "soon"}}, `connections.test.http.timeout: "soon" is not a duration`},
		{"mongo database", connections.Config{MongoDB: map[string]connections.MongoDB{"docs": {URI: "mongodb://h"}}}, "connections.test.mongodb.docs.database: a connection names its database"},
		{"mongo uri", connections.Config{MongoDB: map[string]connections.MongoDB{"docs": {URI: "mongodb://u:s3cret-pw@h:99999", Database: "d"}}}, "connections.test.mongodb"},
		{"allow", connections.Config{Allow: []string{"db.internal"}}, "connections.test.allow"},
		{"mail host", connections.Config{Mail: map[string]connections.Mail{"default": {Pass: "s3cret-pw"}}}, "connections.test.mail.default.host: a mail server needs a host"},
		{"mail tls", connections.Config{Mail: map[string]connections.Mail{"default": {Host: "h", Pass: "s3cret-pw", TLS: "ssl"}}}, "connections.test.mail"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := connections.Open(c.cfg, "connections.test", lookup)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("the error quotes the password: %v", err)
			}
		})
	}
}
