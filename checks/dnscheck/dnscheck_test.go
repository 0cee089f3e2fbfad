package dnscheck

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/probetest"
)

// zone is what the loopback server answers.
var zone = map[string][]string{
	"api.test. A":           {"api.test. 300 IN A 203.0.113.10", "api.test. 60 IN A 203.0.113.11"},
	"www.test. A":           {"www.test. 300 IN CNAME api.test.", "api.test. 300 IN A 203.0.113.10"},
	"www.test. CNAME":       {"www.test. 300 IN CNAME api.test."},
	"api.test. AAAA":        {"api.test. 300 IN AAAA 2001:db8::10"},
	"test. MX":              {"test. 3600 IN MX 10 mail.test."},
	"test. TXT":             {`test. 3600 IN TXT "v=spf1 " "-all"`},
	"test. CAA":             {`test. 3600 IN CAA 0 issue "letsencrypt.org"`},
	"test. NS":              {"test. 3600 IN NS ns1.test."},
	"_https._tcp.test. SRV": {"_https._tcp.test. 300 IN SRV 10 5 443 api.test."},
	"empty.test. A":         {},
	"big.test. TXT":         bigTXT(),
}

func bigTXT() []string {
	var out []string
	for i := 0; i < 40; i++ {
		out = append(out, `big.test. 300 IN TXT "`+strings.Repeat("x", 60)+`"`)
	}
	return out
}

// startServer serves zone on a loopback UDP and TCP port (the same one, for
// the truncation fallback) and returns host:port.
func startServer(t *testing.T) string {
	t.Helper()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		q := r.Question[0]
		switch q.Name {
		case "broken.test.":
			m.Rcode = dns.RcodeServerFailure
		default:
			rrs, ok := zone[q.Name+" "+dns.TypeToString[q.Qtype]]
			if !ok {
				if _, exists := zone[q.Name+" A"]; !exists {
					m.Rcode = dns.RcodeNameError
				}
			}
			for _, s := range rrs {
				rr, err := dns.NewRR(s)
				if err != nil {
					t.Errorf("zone %q: %v", s, err)
					continue
				}
				m.Answer = append(m.Answer, rr)
			}
		}
		if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
			m.Truncate(512)
		}
		w.WriteMsg(m)
	})
	for try := 0; try < 10; try++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			continue
		}
		udp := &dns.Server{PacketConn: pc, Handler: handler}
		tcp := &dns.Server{Listener: l, Handler: handler}
		go udp.ActivateAndServe()
		go tcp.ActivateAndServe()
		t.Cleanup(func() { udp.Shutdown(); tcp.Shutdown() })
		return pc.LocalAddr().String()
	}
	t.Fatal("no free port for UDP and TCP")
	return ""
}

func load(t *testing.T, src string) *Probe {
	t.Helper()
	p := New()
	probetest.Load(t, p, src)
	return p
}

func TestRecords(t *testing.T) {
	server := startServer(t)
	cases := []struct {
		src    string
		status string
		want   []string
		frag   string
	}{
		{"name: api.test\ncontains: [203.0.113.10]", "pass", []string{"203.0.113.10", "203.0.113.11"}, ""},
		{"name: api.test\nequals: [203.0.113.11, 203.0.113.10]", "pass", nil, ""},
		{"name: api.test\nequals: [203.0.113.10]", "fail", nil, "expected exactly [203.0.113.10]"},
		{"name: api.test\ncontains: [198.51.100.1]", "fail", nil, "missing 198.51.100.1; got [203.0.113.10, 203.0.113.11]"},
		{"name: www.test", "pass", []string{"203.0.113.10"}, ""},
		{"name: www.test\ntype: cname\ncontains: [API.test.]", "pass", []string{"api.test"}, ""},
		{"name: api.test\ntype: AAAA", "pass", []string{"2001:db8::10"}, ""},
		{"name: test\ntype: MX", "pass", []string{"10 mail.test"}, ""},
		{"name: test\ntype: TXT\ncontains: [v=spf1 -all]", "pass", nil, ""},
		{"name: test\ntype: CAA\ncontains: ['0 issue \"letsencrypt.org\"']", "pass", nil, ""},
		{"name: test\ntype: NS", "pass", []string{"ns1.test"}, ""},
		{"name: _https._tcp.test\ntype: SRV", "pass", []string{"10 5 443 api.test"}, ""},
		{"name: empty.test", "fail", nil, "has no A record"},
		{"name: empty.test\nallow_empty: true", "pass", nil, ""},
		{"name: nowhere.test", "fail", nil, "nowhere.test does not exist (NXDOMAIN"},
		{"name: broken.test", "error", nil, "answered SERVFAIL"},
		{"name: api.test\ntcp: true", "pass", nil, ""},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.src, "\n", " "), func(t *testing.T) {
			r := probetest.Run(t, load(t, c.src+"\nserver: "+server), 5*time.Second, "")
			r.Want(t, c.status, c.frag)
			if c.want != nil {
				got := r.Obs["records"].([]any)
				if len(got) != len(c.want) {
					t.Fatalf("records %v, want %v", got, c.want)
				}
				for i := range c.want {
					if got[i] != c.want[i] {
						t.Errorf("records %v, want %v", got, c.want)
					}
				}
			}
		})
	}
}

func TestObservations(t *testing.T) {
	server := startServer(t)
	r := probetest.Run(t, load(t, "name: api.test\nserver: "+server), 5*time.Second, "")
	r.Want(t, "pass")
	if r.Obs["ttl"] != 60 || r.Obs["rcode"] != "NOERROR" || r.Obs["authoritative"] != true || r.Obs["server"] != server {
		t.Errorf("observations %v", r.Obs)
	}
	if l, ok := r.Obs["latency"].(time.Duration); !ok || l <= 0 {
		t.Errorf("latency %v", r.Obs["latency"])
	}
	r = probetest.Run(t, load(t, "name: nowhere.test\nserver: "+server), 5*time.Second, "")
	if r.Obs["rcode"] != "NXDOMAIN" || r.Reason() != checks.ReasonDNS {
		t.Errorf("rcode %v reason %v", r.Obs["rcode"], r.Reason())
	}
}

// An answer too big for UDP comes back truncated: the probe asks again
// over TCP and sees every record.
func TestTruncatedFallsBackToTCP(t *testing.T) {
	server := startServer(t)
	r := probetest.Run(t, load(t, "name: big.test\ntype: TXT\nserver: "+server), 5*time.Second, "")
	r.Want(t, "pass")
	if n := len(r.Obs["records"].([]any)); n != 40 {
		t.Errorf("%d records, want 40", n)
	}
}

// A server that never answers: the item's deadline ends it, as a timeout.
func TestSilentServer(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r := probetest.Run(t, load(t, "name: api.test\nserver: "+pc.LocalAddr().String()), 300*time.Millisecond, "")
	r.Want(t, "error", "no answer from")
	if r.Reason() != checks.ReasonTimeout {
		t.Errorf("reason %q, want timeout", r.Reason())
	}
	if r.Elapsed > 2*time.Second {
		t.Errorf("took %v after a 300ms deadline", r.Elapsed)
	}
}

func TestDefaultServerFromResolvConf(t *testing.T) {
	server := startServer(t)
	host, port, _ := net.SplitHostPort(server)
	conf := t.TempDir() + "/resolv.conf"
	if err := writeFile(conf, "nameserver "+host+"\noptions ndots:1\n"); err != nil {
		t.Fatal(err)
	}
	p := load(t, "name: api.test")
	p.resolvConf = conf
	// resolv.conf has no port: the probe asks on 53, which nothing serves
	// here; the address it chose is what this test checks.
	r := probetest.Run(t, p, 300*time.Millisecond, "")
	if got := r.Obs["server"]; got != net.JoinHostPort(host, "53") {
		t.Errorf("server %v (port %s was the test's)", got, port)
	}
	p = load(t, "name: api.test")
	p.resolvConf = t.TempDir() + "/missing"
	r = probetest.Run(t, p, time.Second, "")
	r.Want(t, "error", "none readable from")
}

func TestValidate(t *testing.T) {
	for src, want := range map[string]string{
		"type: A":                                  "name: name is required",
		"name: 'a..b'":                             `name: "a..b" is not a domain name`,
		"name: a.test\ntype: PTR":                  `type: type "PTR": expected one of`,
		"name: a.test\nserver: 'a:b:c'":            `server: server "a:b:c"`,
		"name: a.test\ncontains: [x]\nequals: [y]": "equals: give contains: or equals:, not both",
	} {
		p := New()
		probetest.Decode(t, p, src)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
