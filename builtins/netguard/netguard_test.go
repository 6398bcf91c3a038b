package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

func TestCheck(t *testing.T) {
	p, err := New([]string{"10.1.0.0/16", "127.0.0.2", "fd12::1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr   string
		reason string // "" allowed
	}{
		{"93.184.216.34", ""},
		{"2606:2800:220:1:248:1893:25c8:1946", ""},
		{"8.8.8.8", ""},
		{"127.0.0.1", "loopback"},
		{"127.0.0.2", ""},       // allowed by address
		{"10.1.2.3", ""},        // allowed by prefix
		{"10.2.0.1", "private"}, // the prefix does not cover it
		{"172.16.0.1", "private"},
		{"192.168.1.1", "private"},
		{"169.254.169.254", "the cloud metadata service"},
		{"169.254.1.1", "link-local"},
		{"100.64.0.1", "shared address space"},
		{"0.0.0.0", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"255.255.255.255", "reserved"},
		{"::1", "loopback"},
		{"::", "unspecified"},
		{"fe80::1", "link-local"},
		{"fd00:ec2::254", "the cloud metadata service"},
		{"fd12::1", ""},
		{"fd12::2", "unique local"},
		{"::ffff:127.0.0.1", "loopback"}, // IPv4-mapped
		{"::ffff:169.254.169.254", "the cloud metadata service"},
		{"64:ff9b::a9fe:a9fe", "the cloud metadata service"}, // NAT64 of 169.254.169.254
		{"2002:7f00:1::1", "loopback"},                       // 6to4 of 127.0.0.1
		{"::ffff:10.1.0.9", ""},                              // mapped, and allowed
	} {
		err := p.Check(netip.MustParseAddr(c.addr))
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%s: refused: %v", c.addr, err)
		case c.reason != "" && (err == nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.reason)):
			t.Errorf("%s: want refused as %s, got %v", c.addr, c.reason, err)
		}
	}
	for _, bad := range []string{"localhost", "example.com", "10.0.0.0/33", ""} {
		if _, err := New([]string{bad}); err == nil {
			t.Errorf("allow %q: no error", bad)
		}
	}
}

// client is an HTTP client through the policy, with a resolver (nil: the system's).
func client(p *Policy, r *net.Resolver) *http.Client {
	return &http.Client{Transport: p.Transport(r), Timeout: 5 * time.Second}
}

func TestLoopbackServerRefusedUnlessAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("secret")) }))
	defer srv.Close()
	deny, _ := New(nil)
	_, err := client(deny, nil).Get(srv.URL)
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("loopback: %v", err)
	}
	allow, _ := New([]string{"127.0.0.1"})
	resp, err := client(allow, nil).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A redirect to another loopback address is dialled, and so checked, like any connection.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(srv.URL, "127.0.0.1", "127.0.0.3", 1), http.StatusFound)
	}))
	defer redirect.Close()
	if _, err := client(allow, nil).Get(redirect.URL); !errors.Is(err, ErrRefused) {
		t.Errorf("redirect to 127.0.0.3: %v", err)
	}
}

// rebindingDNS is a DNS server on 127.0.0.1 that answers rebind.test first with a public address,
// then with 127.0.0.1: what an attacker's name server does to get past a check made on the name.
func rebindingDNS(t *testing.T) (*net.Resolver, *atomic.Int64) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var queries atomic.Int64
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var m dnsmessage.Message
			if m.Unpack(buf[:n]) != nil || len(m.Questions) != 1 {
				continue
			}
			q := m.Questions[0]
			m.Header.Response, m.Header.Authoritative = true, true
			m.Answers = nil
			if q.Type == dnsmessage.TypeA {
				ip := [4]byte{93, 184, 216, 34}
				if queries.Add(1) > 1 {
					ip = [4]byte{127, 0, 0, 1}
				}
				m.Answers = []dnsmessage.Resource{{Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 0},
					Body: &dnsmessage.AResource{A: ip}}}
			}
			out, err := m.Pack()
			if err == nil {
				_, _ = pc.WriteTo(out, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", pc.LocalAddr().String())
	}}, &queries
}

// TestDNSRebinding: the name's first answer is public (the dial is let through, and fails only
// because this machine has no route out), its second is 127.0.0.1, where a server waits: the
// check is on the address dialled, so the second request never reaches it.
func TestDNSRebinding(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	resolver, queries := rebindingDNS(t)
	p, _ := New(nil)
	c := client(p, resolver)
	c.Timeout = 2 * time.Second
	url := "http://rebind.test:" + port + "/"
	if _, err := c.Get(url); errors.Is(err, ErrRefused) {
		t.Fatalf("the public answer was refused: %v", err)
	}
	_, err := c.Get(url)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("the rebound answer: %v", err)
	}
	if hits.Load() != 0 || queries.Load() < 2 {
		t.Errorf("server hits %d, DNS queries %d", hits.Load(), queries.Load())
	}
}
