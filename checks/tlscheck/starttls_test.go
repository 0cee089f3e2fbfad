package tlscheck

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/testsvc"
)

// smtpResponder is a tiny loopback SMTP server: a greeting, EHLO with the
// given extensions, STARTTLS with the given reply, then TLS. It records the
// commands it received so tests can see that no mail transaction started.
type smtpResponder struct {
	*tlsServer
	mu       sync.Mutex
	commands []string
}

func serveSMTP(t testing.TB, cfg *tls.Config, extensions []string, startTLSReply string) *smtpResponder {
	t.Helper()
	s := &smtpResponder{}
	s.tlsServer = serve(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "220 mail.test ESMTP readyctl test responder\r\n")
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			s.mu.Lock()
			s.commands = append(s.commands, line)
			s.mu.Unlock()
			verb, _, _ := strings.Cut(line, " ")
			switch strings.ToUpper(verb) {
			case "EHLO":
				lines := append([]string{"mail.test greets you"}, extensions...)
				for i, l := range lines {
					sep := "-"
					if i == len(lines)-1 {
						sep = " "
					}
					fmt.Fprintf(c, "250%s%s\r\n", sep, l)
				}
			case "STARTTLS":
				fmt.Fprintf(c, "%s\r\n", startTLSReply)
				if strings.HasPrefix(startTLSReply, "220") {
					serveConn(tls.Server(c, cfg))
					return
				}
			case "QUIT":
				fmt.Fprintf(c, "221 2.0.0 bye\r\n")
				return
			default:
				fmt.Fprintf(c, "502 5.5.2 command not recognised\r\n")
			}
		}
	})
	return s
}

func (s *smtpResponder) verbs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, c := range s.commands {
		v, _, _ := strings.Cut(c, " ")
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func TestSMTPStartTLS(t *testing.T) {
	pk := newPKI(t)
	leaf := issue(t, certSpec{cn: "mail.test", dns: []string{"mail.test"}}, pk.root)
	expiring := issue(t, certSpec{cn: "mail.test", dns: []string{"mail.test"}, notAfter: time.Now().Add(9*24*time.Hour + time.Hour)}, pk.root)
	ext := []string{"PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME"}
	cases := []struct {
		name       string
		cert       *issued
		extensions []string
		reply      string
		want       outcome
	}{
		{name: "STARTTLS offered and working", cert: leaf, extensions: ext, reply: "220 2.0.0 Ready to start TLS"},
		{
			name: "certificate behind STARTTLS is judged", cert: expiring, extensions: ext, reply: "220 2.0.0 Ready to start TLS",
			want: outcome{"cert_expiring", []string{"certificate for mail.test expires in 9 days"}},
		},
		{
			name: "STARTTLS not offered", cert: leaf, extensions: []string{"PIPELINING", "8BITMIME"}, reply: "220 go ahead",
			want: outcome{"tls_unavailable", []string{"SMTP server at 127.0.0.1:", "does not offer STARTTLS in its EHLO reply"}},
		},
		{
			name: "STARTTLS offered but refused", cert: leaf, extensions: ext, reply: "454 4.7.0 TLS not available due to temporary reason",
			want: outcome{"tls_unavailable", []string{"refused STARTTLS: 454 4.7.0 TLS not available due to temporary reason"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serveSMTP(t, &tls.Config{Certificates: []tls.Certificate{chain(tc.cert)}}, tc.extensions, tc.reply)
			block := fmt.Sprintf("address: %s\nserver_name: mail.test\nca_file: %s\nstarttls: smtp\n", srv.addr, pk.caFile)
			obs, err := runProbe(t, probeFrom(t, block))
			checkOutcome(t, obs, err, tc.want)
			if tc.want.reason == "" && (obs["verified"] != true || obs["version"] != "TLS1.3") {
				t.Errorf("verified=%v version=%v", obs["verified"], obs["version"])
			}
			for _, v := range srv.verbs() {
				if v != "EHLO" && v != "STARTTLS" {
					t.Errorf("probe sent %s; only EHLO and STARTTLS are allowed", v)
				}
			}
		})
	}
}

// pgServer is a PostgreSQL server started from its binaries for one test,
// in a temporary directory, on a free loopback port. PostgreSQL refuses to
// run as root, so as root it runs as the postgres user via runuser.
type pgServer struct {
	bin, data, log string
	running        bool
}

func (s *pgServer) cmd(t testing.TB, name string, args ...string) {
	t.Helper()
	path := filepath.Join(s.bin, name)
	var c *exec.Cmd
	if os.Geteuid() == 0 {
		c = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		c = exec.Command(path, args...)
	}
	if out, err := c.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(s.log)
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, log)
	}
}

// newPostgres runs initdb and installs cert (with its chain) as the
// server certificate.
func newPostgres(t testing.TB, cert *issued, chainCerts ...*issued) *pgServer {
	t.Helper()
	initdb := testsvc.Binary(t, "initdb", "/usr/lib/postgresql/*/bin")
	dir := t.TempDir()
	s := &pgServer{bin: filepath.Dir(initdb), data: filepath.Join(dir, "data"), log: filepath.Join(dir, "postgres.log")}
	if os.Geteuid() == 0 {
		// The postgres user must reach and own the directory.
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	s.cmd(t, "initdb", "-D", s.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
	writePEM(t, s.data, "server.crt", append([]*issued{cert}, chainCerts...)...)
	if err := os.WriteFile(filepath.Join(s.data, "server.key"), keyPEM(t, cert.key), 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres", filepath.Join(s.data, "server.crt"), filepath.Join(s.data, "server.key")).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// start runs the server with extra settings (e.g. "ssl=on") and returns
// its address once it accepts connections.
func (s *pgServer) start(t testing.TB, settings ...string) string {
	t.Helper()
	port := testsvc.FreePort(t)
	opts := []string{
		fmt.Sprintf("-c port=%d", port),
		"-c listen_addresses=127.0.0.1",
		"-c unix_socket_directories=" + filepath.Dir(s.data),
		"-c ssl_cert_file=server.crt",
		"-c ssl_key_file=server.key",
		"-c fsync=off",
	}
	for _, kv := range settings {
		opts = append(opts, "-c "+kv)
	}
	s.cmd(t, "pg_ctl", "-D", s.data, "-l", s.log, "-o", strings.Join(opts, " "), "-w", "-t", "30", "start")
	s.running = true
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	testsvc.Eventually(t, 10*time.Second, "postgres on "+addr, func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
	return addr
}

func (s *pgServer) stop(t testing.TB) {
	if s.running {
		s.cmd(t, "pg_ctl", "-D", s.data, "-m", "fast", "-w", "stop")
		s.running = false
	}
}

func TestPostgresStartTLS(t *testing.T) {
	pk := newPKI(t)
	leaf := issue(t, certSpec{cn: "db.test", dns: []string{"db.test"}, ips: loopback}, pk.root)
	pg := newPostgres(t, leaf)
	probe := func(t *testing.T, addr, extra string) (checks.Observations, error) {
		return runProbe(t, probeFrom(t, mergeYAML(t, fmt.Sprintf("address: %s\nserver_name: db.test\nca_file: %s\nstarttls: postgres\n", addr, pk.caFile), extra)))
	}

	// Mozilla "intermediate" ciphers: what a hardened server offers.
	addr := pg.start(t, "ssl=on", "ssl_ciphers='ECDHE+AESGCM:ECDHE+CHACHA20'")
	t.Run("ssl on, hardened ciphers", func(t *testing.T) {
		obs, err := probe(t, addr, "cipher_policy: strict")
		checkOutcome(t, obs, err, outcome{})
		if obs["verified"] != true || obs["hostname_ok"] != true || obs["version"] != "TLS1.3" || obs["days_left"] != 89 {
			t.Errorf("verified=%v hostname_ok=%v version=%v days_left=%v", obs["verified"], obs["hostname_ok"], obs["version"], obs["days_left"])
		}
	})
	t.Run("min_days_left beyond the certificate", func(t *testing.T) {
		obs, err := probe(t, addr, "min_days_left: 120")
		checkOutcome(t, obs, err, outcome{"cert_expiring", []string{"certificate for db.test expires in 89 days", "minimum is 120"}})
	})
	t.Run("without starttls the server is not TLS", func(t *testing.T) {
		obs, err := probe(t, addr, "starttls: ''")
		if err == nil || isFailure(err) || !strings.Contains(err.Error(), "set starttls: postgres or smtp") {
			t.Fatalf("want an error with a hint, got %v (%v)", err, obs)
		}
		t.Logf("%s: %v", checks.Classify(err), err)
	})
	pg.stop(t)
	if log, err := os.ReadFile(pg.log); err == nil {
		// The probe never gets as far as a startup packet: no session,
		// no authentication attempt.
		for _, line := range strings.Split(string(log), "\n") {
			if strings.Contains(line, "connection authorized") || strings.Contains(line, "authentication failed") {
				t.Errorf("the probe opened a session: %s", line)
			}
		}
	}

	// PostgreSQL's default ssl_ciphers (HIGH:MEDIUM:+3DES:!aNULL) still
	// allow static RSA key exchange with an RSA certificate.
	rsaKeys(t)
	rsaLeaf := issue(t, certSpec{cn: "db.test", dns: []string{"db.test"}, key: rsa2048a}, pk.root)
	pgRSA := newPostgres(t, rsaLeaf)
	addr = pgRSA.start(t, "ssl=on")
	t.Run("ssl on, default ciphers, RSA key", func(t *testing.T) {
		obs, err := probe(t, addr, "")
		checkOutcome(t, obs, err, outcome{"weak_cipher", []string{
			"server accepts weak cipher suites: ",
			"TLS_RSA_WITH_AES_256_GCM_SHA384 (RSA key exchange)",
			"TLS_RSA_WITH_AES_128_CBC_SHA (RSA key exchange, CBC)",
		}})
		t.Logf("weak_ciphers: %v", obs["weak_ciphers"])
	})
	pgRSA.stop(t)

	addr = pg.start(t, "ssl=off")
	t.Run("ssl off", func(t *testing.T) {
		obs, err := probe(t, addr, "")
		checkOutcome(t, obs, err, outcome{"tls_unavailable", []string{"PostgreSQL at " + addr + " does not offer TLS: it answered N to SSLRequest"}})
	})
}
