// Package dnscheck is the `dns` probe kind: ask a DNS server for a name's
// records and judge them (A, AAAA, CNAME, MX, TXT, CAA, NS, SRV). It sends
// one query (and the same over TCP when the UDP answer was truncated),
// never an update or a zone transfer.
package dnscheck

import (
	"context"
	_ "embed"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/readyctl/readyctl/checks"
)

//go:embed example.yaml
var example string

func init() {
	checks.Register(checks.Kind{
		Name:         "dns",
		New:          func() checks.Probe { return New() },
		Summary:      "DNS records of a name (A, AAAA, CNAME, MX, TXT, CAA, NS, SRV) from a resolver or an authoritative server",
		Example:      example,
		Context:      []string{"records", "rcode"},
		Observations: observations,
	})
}

var observations = []checks.Observation{
	{Name: "records", Type: checks.TypeList, Doc: `the answer's records of the asked type, as text: "203.0.113.10", "10 mail.example.com", "0 issue \"letsencrypt.org\""`, Key: true},
	{Name: "ttl", Type: checks.TypeInt, Doc: "the lowest TTL of those records, in seconds (0 without records)"},
	{Name: "rcode", Type: checks.TypeString, Doc: "the response code: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...", Key: true},
	{Name: "authoritative", Type: checks.TypeBool, Doc: "the answer came from an authoritative server (AA bit)"},
	{Name: "latency", Type: checks.TypeDuration, Doc: "round-trip time of the query", Key: true},
	{Name: "server", Type: checks.TypeString, Doc: "the server asked, host:port"},
}

var types = map[string]uint16{
	"A": dns.TypeA, "AAAA": dns.TypeAAAA, "CNAME": dns.TypeCNAME, "MX": dns.TypeMX,
	"TXT": dns.TypeTXT, "CAA": dns.TypeCAA, "NS": dns.TypeNS, "SRV": dns.TypeSRV,
}

// Probe is the `dns:` block of an item.
type Probe struct {
	Name       string   `yaml:"name" doc:"the name to look up (required)"`
	Type       string   `yaml:"type" doc:"record type: A, AAAA, CNAME, MX, TXT, CAA, NS or SRV"`
	Server     string   `yaml:"server" doc:"DNS server host[:port] (default: the first nameserver of /etc/resolv.conf)"`
	Contains   []string `yaml:"contains" doc:"records that must all be in the answer (as shown in records)"`
	Equals     []string `yaml:"equals" doc:"the answer must be exactly these records, in any order"`
	AllowEmpty bool     `yaml:"allow_empty" doc:"pass a NOERROR answer with no record of the type (by default that fails)"`
	TCP        bool     `yaml:"tcp" doc:"ask over TCP instead of UDP"`

	resolvConf string
}

// New returns a Probe with its defaults.
func New() *Probe { return &Probe{Type: "A", resolvConf: "/etc/resolv.conf"} }

// Validate checks the configuration without I/O.
func (p *Probe) Validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return checks.FieldErrorf("name", "name is required, e.g. api.example.com")
	}
	if _, ok := dns.IsDomainName(p.Name); !ok {
		return checks.FieldErrorf("name", "%q is not a domain name", p.Name)
	}
	p.Type = strings.ToUpper(p.Type)
	if _, ok := types[p.Type]; !ok {
		return checks.FieldErrorf("type", "type %q: expected one of A, AAAA, CNAME, MX, TXT, CAA, NS, SRV", p.Type)
	}
	if p.Server != "" {
		if !validServer(p.Server) {
			return checks.FieldErrorf("server", "server %q: expected host, host:port, IP or [IPv6]:port", p.Server)
		}
	}
	if len(p.Contains) > 0 && len(p.Equals) > 0 {
		return checks.FieldErrorf("equals", "give contains: or equals:, not both")
	}
	return nil
}

func validServer(s string) bool {
	host, port, err := net.SplitHostPort(withPort(s))
	if err != nil {
		return false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return false
	}
	if net.ParseIP(host) != nil {
		return true
	}
	return host != "" && strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == ""
}

func withPort(s string) string {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s
	}
	return net.JoinHostPort(strings.Trim(s, "[]"), "53")
}

// Run sends the query and judges the answer.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	server, err := p.server()
	if err != nil {
		return checks.Observations{}, err
	}
	obs := checks.Observations{"server": server, "records": []any{}, "ttl": 0, "rcode": "", "authoritative": false, "latency": time.Duration(0)}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(p.Name), types[p.Type])
	m.RecursionDesired = true
	network := "udp"
	if p.TCP {
		network = "tcp"
	}
	resp, rtt, err := (&dns.Client{Net: network}).ExchangeContext(ctx, m, server)
	if err == nil && resp.Truncated && network == "udp" {
		resp, rtt, err = (&dns.Client{Net: "tcp"}).ExchangeContext(ctx, m, server)
	}
	obs["latency"] = rtt
	if err != nil {
		// The client's read deadline is the context's, and may fire a
		// moment before the context says so: both mean no answer in time.
		if ctx.Err() != nil {
			return obs, fmt.Errorf("no answer from %s for %s %s: %w", server, p.Name, p.Type, ctx.Err())
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return obs, fmt.Errorf("no answer from %s for %s %s: %w", server, p.Name, p.Type, err)
		}
		return obs, fmt.Errorf("ask %s for %s %s: %w", server, p.Name, p.Type, err)
	}
	records, ttl := answer(resp, types[p.Type])
	list := make([]any, len(records))
	for i, r := range records {
		list[i] = r
	}
	rcode := dns.RcodeToString[resp.Rcode]
	obs["records"], obs["ttl"], obs["rcode"], obs["authoritative"] = list, ttl, rcode, resp.Authoritative
	return obs, p.judge(resp.Rcode, rcode, records, server)
}

func (p *Probe) server() (string, error) {
	if p.Server != "" {
		return withPort(p.Server), nil
	}
	conf, err := dns.ClientConfigFromFile(p.resolvConf)
	if err != nil || len(conf.Servers) == 0 {
		return "", checks.WithReason(checks.ReasonConfig, fmt.Errorf("no server: given and none readable from %s (set server:)", p.resolvConf))
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port), nil
}

func (p *Probe) judge(code int, rcode string, records []string, server string) error {
	switch code {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return checks.Fail(checks.ReasonDNS, "%s does not exist (NXDOMAIN from %s)", p.Name, server)
	default:
		// The server could not answer: nothing is known about the name.
		return checks.WithReason(checks.ReasonDNS, fmt.Errorf("%s answered %s for %s %s", server, rcode, p.Name, p.Type))
	}
	if len(records) == 0 && !p.AllowEmpty {
		return checks.Fail("", "%s has no %s record (NOERROR, empty answer from %s)", p.Name, p.Type, server)
	}
	var missing []string
	for _, want := range p.Contains {
		if !slices.ContainsFunc(records, func(r string) bool { return sameRecord(r, want) }) {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		return checks.Fail("", "%s %s: missing %s; got %s", p.Name, p.Type, strings.Join(missing, ", "), show(records))
	}
	if len(p.Equals) > 0 && !sameSet(records, p.Equals) {
		return checks.Fail("", "%s %s: got %s, expected exactly %s", p.Name, p.Type, show(records), show(p.Equals))
	}
	return nil
}

// answer renders the records of type t in the answer section, and their
// lowest TTL. A CNAME chain in front of an A answer is not an A record.
func answer(resp *dns.Msg, t uint16) ([]string, int) {
	var out []string
	ttl := -1
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype != t {
			continue
		}
		out = append(out, text(rr))
		if h := int(rr.Header().Ttl); ttl < 0 || h < ttl {
			ttl = h
		}
	}
	if ttl < 0 {
		ttl = 0
	}
	return out, ttl
}

func text(rr dns.RR) string {
	switch r := rr.(type) {
	case *dns.A:
		return r.A.String()
	case *dns.AAAA:
		return r.AAAA.String()
	case *dns.CNAME:
		return host(r.Target)
	case *dns.NS:
		return host(r.Ns)
	case *dns.MX:
		return strconv.Itoa(int(r.Preference)) + " " + host(r.Mx)
	case *dns.TXT:
		return strings.Join(r.Txt, "")
	case *dns.CAA:
		return fmt.Sprintf("%d %s %q", r.Flag, r.Tag, r.Value)
	case *dns.SRV:
		return fmt.Sprintf("%d %d %d %s", r.Priority, r.Weight, r.Port, host(r.Target))
	}
	// Everything after the header, as dig shows it.
	s := rr.String()
	if f := strings.SplitN(s, "\t", 5); len(f) == 5 {
		return f[4]
	}
	return s
}

func host(name string) string { return strings.TrimSuffix(name, ".") }

// sameRecord compares names case-insensitively and with or without the
// trailing dot, the way people write them.
func sameRecord(got, want string) bool {
	norm := func(s string) string { return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), ".")) }
	return norm(got) == norm(want)
}

func sameSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return sameRecord(g, w) }) {
			return false
		}
	}
	return true
}

func show(records []string) string {
	if len(records) == 0 {
		return "no records"
	}
	return "[" + strings.Join(records, ", ") + "]"
}

var _ checks.Probe = (*Probe)(nil)
