// Package netguard decides which addresses the connectors (Http, and the database and mail hosts)
// may reach. Rule code names URLs; a tenant could name http://169.254.169.254/ (a cloud's metadata
// service), http://127.0.0.1:8080/api/keys (the server itself) or a name whose DNS answers a private
// address. The check runs where the connection is made, on the address actually dialled, so a name
// that resolves to a public address first and a private one later (DNS rebinding), a redirect, or an
// IPv6 form of a private IPv4 address gets no further than a direct try.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is wrapped by every refusal.
var ErrRefused = errors.New("netguard: destination refused")

// RefusedError names the address refused and why.
type RefusedError struct {
	Addr   netip.Addr
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the address %s is %s: outbound connections may not reach it unless the environment's allow list names it", e.Addr, e.Reason)
}

func (e *RefusedError) Unwrap() error { return ErrRefused }

// Policy says which addresses outbound connections may reach: every public address, and the
// non-public ones its allow list names. The zero Policy allows only public addresses.
type Policy struct {
	allow []netip.Prefix
}

// New parses an allow list: IP addresses ("127.0.0.1", "::1") and CIDR prefixes ("10.1.0.0/16").
// Host names are refused: a name's addresses change, and the check is on addresses.
func New(allow []string) (*Policy, error) {
	p := &Policy{}
	for _, a := range allow {
		a = strings.TrimSpace(a)
		if pfx, err := netip.ParsePrefix(a); err == nil {
			p.allow = append(p.allow, pfx.Masked())
			continue
		}
		addr, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fmt.Errorf("netguard: allow %q: write an IP address (127.0.0.1, ::1) or a CIDR prefix (10.1.0.0/16), not a host name", a)
		}
		addr = addr.Unmap()
		p.allow = append(p.allow, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return p, nil
}

// special are the non-public ranges, each with the words a refusal uses.
var special = func() []struct {
	pfx    netip.Prefix
	reason string
} {
	list := []struct{ cidr, reason string }{
		{"0.0.0.0/8", "unspecified (this network)"},
		{"10.0.0.0/8", "private"},
		{"100.64.0.0/10", "shared address space (carrier-grade NAT)"},
		{"127.0.0.0/8", "loopback"},
		{"169.254.169.254/32", "the cloud metadata service"},
		{"169.254.0.0/16", "link-local"},
		{"172.16.0.0/12", "private"},
		{"192.0.0.0/24", "IETF protocol assignments"},
		{"192.0.2.0/24", "documentation"},
		{"192.88.99.0/24", "6to4 relay anycast"},
		{"192.168.0.0/16", "private"},
		{"198.18.0.0/15", "benchmarking"},
		{"198.51.100.0/24", "documentation"},
		{"203.0.113.0/24", "documentation"},
		{"224.0.0.0/4", "multicast"},
		{"240.0.0.0/4", "reserved"},
		{"::/128", "unspecified"},
		{"::1/128", "loopback"},
		{"100::/64", "discard-only"},
		{"2001:db8::/32", "documentation"},
		{"fd00:ec2::254/128", "the cloud metadata service"},
		{"fc00::/7", "unique local (private)"},
		{"fe80::/10", "link-local"},
		{"ff00::/8", "multicast"},
	}
	out := make([]struct {
		pfx    netip.Prefix
		reason string
	}, len(list))
	for i, s := range list {
		out[i].pfx, out[i].reason = netip.MustParsePrefix(s.cidr), s.reason
	}
	return out
}()

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixto4 = netip.MustParsePrefix("2002::/16")
)

// embedded is the IPv4 address an IPv6 address carries (IPv4-mapped, NAT64, 6to4), so that
// [::ffff:127.0.0.1] or [64:ff9b::a9fe:a9fe] is judged as the IPv4 address it reaches.
func embedded(a netip.Addr) (netip.Addr, bool) {
	if a.Is4In6() {
		return a.Unmap(), true
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixto4.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// Check refuses a non-public address the allow list does not name.
func (p *Policy) Check(a netip.Addr) error {
	a = a.WithZone("")
	judged := a
	if v4, ok := embedded(a); ok {
		judged = v4
	}
	for _, pfx := range p.allow {
		if pfx.Contains(a.Unmap()) || pfx.Contains(judged) {
			return nil
		}
	}
	for _, s := range special {
		if s.pfx.Contains(judged) {
			return &RefusedError{Addr: a, Reason: s.reason}
		}
	}
	return nil
}

// control is the net.Dialer's Control hook: it runs after the name is resolved, for each address
// the dialer is about to connect to.
func (p *Policy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Reason: fmt.Sprintf("not an address (%q)", address)}
	}
	return p.Check(ap.Addr())
}

// Dialer is a net.Dialer whose every connection passes the policy. resolver nil is the system's.
func (p *Policy) Dialer(timeout time.Duration, resolver *net.Resolver) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Resolver: resolver, Control: p.control}
}

// Transport is an HTTP transport that dials through the policy and ignores proxy settings of the
// process environment (a proxy would dial on the client's behalf, past the check).
func (p *Policy) Transport(resolver *net.Resolver) *http.Transport {
	d := p.Dialer(10*time.Second, resolver)
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
}
