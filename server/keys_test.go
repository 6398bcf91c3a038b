package server

import (
	"strings"
	"testing"
)

func TestHasScope(t *testing.T) {
	cases := []struct {
		have []string
		need string
		want bool
	}{
		{[]string{"execute:travel-insurance"}, "execute:travel-insurance", true},
		{[]string{"execute:travel-insurance"}, "execute:people-register", false},
		{[]string{"execute:*"}, "execute:people-register", true},
		{[]string{"execute:*"}, "entities:people-register", false},
		{[]string{"entities:people"}, "entities:people:read", true},
		{[]string{"entities:people:read"}, "entities:people:read", true},
		{[]string{"entities:people:read"}, "entities:people", false},
		{[]string{"entities:*:read"}, "entities:people:read", true},
		{[]string{"entities:*:read"}, "entities:people", false},
		{[]string{"entities:*"}, "entities:people:read", true},
		{[]string{"admin"}, "execute:people", false},
		{[]string{"admin"}, "admin", true},
		{[]string{"clock"}, "clock", true},
		{[]string{"consents"}, "consents:x", false},
		{nil, "admin", false},
		{[]string{"execute:peop"}, "execute:people", false},
		{[]string{"execute:people-register"}, "execute:people", false},
	}
	for _, c := range cases {
		if got := hasScope(c.have, c.need); got != c.want {
			t.Errorf("hasScope(%v, %q) = %v, want %v", c.have, c.need, got, c.want)
		}
	}
}

func TestCheckScopes(t *testing.T) {
	for _, ok := range []string{"admin", "clock", "consents", "datadebits", "documents", "execute:*", "execute:a-b1", "entities:x:read", "entities:*:read", "workflows:*"} {
		if err := CheckScopes([]string{ok}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "root", "execute:", "execute:A", "execute:../x", "entities:x:write", "admin:x", "execute:*:read"} {
		if err := CheckScopes([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNewKeySecret(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		k, err := NewKeySecret()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(k, KeyPrefix) || len(k) != len(KeyPrefix)+43 || strings.Trim(k[len(KeyPrefix):], base62) != "" || seen[k] {
			t.Fatalf("key %q", k)
		}
		seen[k] = true
	}
}
