// Command benchload compares the load probe with wrk on this machine: it
// starts the loopback benchserver, runs `wrk -t2 -cN -dD --latency` against
// it, then the load probe with the same connections and duration, one after
// the other, and prints both req/s, both p50/p95/p99 and the ratios.
//
// It builds the probe through the same path a checklist does (YAML decoded
// into the kind's factory value, Validate, Run), so what it measures is
// what `readyctl check` runs. Run it with scripts/bench-load.sh.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	_ "github.com/readyctl/readyctl/checks/loadcheck" // registers the load kind
)

// wrk's done() hook prints what its default summary leaves out (p95).
const wrkScript = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d errors=%d p50=%d p90=%d p95=%d p99=%d max=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max))
end
`

var profilePath string

type result struct {
	requests int64
	errors   int64
	rps      float64
	p50      time.Duration
	p90      time.Duration
	p95      time.Duration
	p99      time.Duration
	max      time.Duration
	cpu      time.Duration // CPU time of the load generator
	allocs   float64       // heap allocations per request (probe only)
	bytes    float64       // heap bytes per request (probe only)
	srvCPU   time.Duration // CPU time of the server during the run
}

func main() {
	server := flag.String("server", "", "path of the benchserver binary (required)")
	wrk := flag.String("wrk", "wrk", "path of wrk")
	conns := flag.Int("c", 100, "connections")
	threads := flag.Int("t", 2, "wrk threads")
	dur := flag.Duration("d", 10*time.Second, "duration of each run")
	probeFirst := flag.Bool("probe-first", false, "run the probe before wrk")
	delay := flag.Duration("server-delay", 0, "make the server wait this long before answering (compares latency accuracy without saturating the machine)")
	rounds := flag.Int("rounds", 1, "repeat wrk and the probe this many times and judge the median ratios (the machine may be shared)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the probe run to this file")
	flag.Parse()
	profilePath = *cpuProfile
	if *server == "" {
		fmt.Fprintln(os.Stderr, "benchload: -server is required")
		os.Exit(2)
	}
	if err := bench(*server, *wrk, *conns, *threads, *dur, *probeFirst, *rounds, *delay); err != nil {
		fmt.Fprintln(os.Stderr, "benchload:", err)
		os.Exit(1)
	}
}

func bench(serverBin, wrkBin string, conns, threads int, dur time.Duration, probeFirst bool, rounds int, delay time.Duration) error {
	srv := exec.Command(serverBin, "-delay", delay.String())
	out, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	defer func() {
		srv.Process.Kill()
		srv.Wait()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("server did not say where it listens: %w", err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	if err := waitListening(addr); err != nil {
		return err
	}
	url := "http://" + addr + "/"

	fmt.Printf("machine: %d CPUs, %s, load average %s; server %s (delay %s); %d connections, %s per run\n",
		runtime.NumCPU(), runtime.Version(), loadavg(), url, delay, conns, dur)

	var rpsRatios, p95Ratios []float64
	for round := 1; round <= rounds; round++ {
		if rounds > 1 {
			fmt.Printf("\n== round %d of %d\n", round, rounds)
		}
		var w, p result
		runWrk := func() (err error) {
			fmt.Printf("running wrk -t%d -c%d -d%s --latency ...\n", threads, conns, dur)
			w, err = runWrkBench(wrkBin, url, conns, threads, dur, srv.Process.Pid)
			return err
		}
		runProbe := func() (err error) {
			fmt.Printf("running load probe, %d connections for %s ...\n", conns, dur)
			p, err = runProbeBench(url, conns, dur, srv.Process.Pid)
			return err
		}
		first, second := runWrk, runProbe
		if probeFirst {
			first, second = runProbe, runWrk
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
		printResults(w, p)
		rpsRatios = append(rpsRatios, p.rps/w.rps)
		p95Ratios = append(p95Ratios, float64(p.p95)/float64(w.p95))
	}

	rpsRatio, p95Ratio := median(rpsRatios), median(p95Ratios)
	fmt.Println()
	if rounds > 1 {
		fmt.Printf("req/s ratios %s, p95 ratios %s: medians below\n", fmtRatios(rpsRatios), fmtRatios(p95Ratios))
	}
	fmt.Printf("goal req/s >= 0.70 x wrk: %s (%.2f)\n", verdict(rpsRatio >= 0.7), rpsRatio)
	fmt.Printf("goal p95 within 15%% of wrk: %s (%.2f)\n", verdict(p95Ratio >= 0.85 && p95Ratio <= 1.15), p95Ratio)
	return nil
}

func printResults(w, p result) {
	fmt.Println()
	fmt.Printf("%-12s %14s %14s %8s\n", "", "wrk", "load probe", "ratio")
	row := func(name, a, b string, ratio float64) {
		fmt.Printf("%-12s %14s %14s %8.2f\n", name, a, b, ratio)
	}
	row("req/s", fmt.Sprintf("%.0f", w.rps), fmt.Sprintf("%.0f", p.rps), p.rps/w.rps)
	for _, m := range []struct {
		name string
		a, b time.Duration
	}{{"p50", w.p50, p.p50}, {"p90", w.p90, p.p90}, {"p95", w.p95, p.p95}, {"p99", w.p99, p.p99}, {"max", w.max, p.max}} {
		row(m.name, ms(m.a), ms(m.b), float64(m.b)/float64(m.a))
	}
	fmt.Printf("%-12s %14d %14d\n", "requests", w.requests, p.requests)
	fmt.Printf("%-12s %14d %14d\n", "errors", w.errors, p.errors)
	fmt.Printf("%-12s %14s %14s\n", "client CPU", w.cpu.Round(10*time.Millisecond), p.cpu.Round(10*time.Millisecond))
	fmt.Printf("%-12s %14s %14s\n", "server CPU", w.srvCPU.Round(10*time.Millisecond), p.srvCPU.Round(10*time.Millisecond))
	fmt.Printf("%-12s %14s %14.1f\n", "allocs/req", "-", p.allocs)
	fmt.Printf("%-12s %14s %14.0f\n", "bytes/req", "-", p.bytes)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRatios(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, " ")
}

// loadavg tells whether something else was busy on the machine.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/1e6) }

func waitListening(addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server at %s not listening: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runWrkBench(wrkBin, url string, conns, threads int, dur time.Duration, srvPid int) (result, error) {
	dir, err := os.MkdirTemp("", "benchload")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "report.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return result{}, err
	}
	cmd := exec.Command(wrkBin, "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(int(dur.Seconds()))+"s", "--latency", "-s", script, url)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	srv0 := procCPU(srvPid)
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("wrk: %w", err)
	}
	srv1 := procCPU(srvPid)
	var r result
	for _, line := range strings.Split(stdout.String(), "\n") {
		rest, ok := strings.CutPrefix(line, "BENCH ")
		if !ok {
			continue
		}
		v := map[string]int64{}
		for _, f := range strings.Fields(rest) {
			k, val, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseInt(val, 10, 64)
			v[k] = n
		}
		us := func(k string) time.Duration { return time.Duration(v[k]) * time.Microsecond }
		r = result{
			requests: v["requests"], errors: v["errors"],
			rps: float64(v["requests"]) / (float64(v["duration_us"]) / 1e6),
			p50: us("p50"), p90: us("p90"), p95: us("p95"), p99: us("p99"), max: us("max"),
		}
	}
	if r.requests == 0 {
		return r, errors.New("wrk reported no requests:\n" + stdout.String())
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	r.srvCPU = srv1 - srv0
	return r, nil
}

func runProbeBench(url string, conns int, dur time.Duration, srvPid int) (result, error) {
	k, ok := checks.Lookup("load")
	if !ok {
		return result{}, errors.New("load kind not registered")
	}
	probe := k.New()
	cfg := fmt.Sprintf("url: %s\nconnections: %d\nduration: %s\n", url, conns, dur)
	if err := yaml.Unmarshal([]byte(cfg), probe); err != nil {
		return result{}, err
	}
	if err := probe.Validate(); err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur+30*time.Second)
	defer cancel()
	if profilePath != "" {
		f, err := os.Create(profilePath)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return result{}, err
		}
		defer pprof.StopCPUProfile()
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0, srv0 := selfCPU(), procCPU(srvPid)
	obs, err := probe.Run(ctx)
	cpu1, srv1 := selfCPU(), procCPU(srvPid)
	runtime.ReadMemStats(&m1)
	if err != nil {
		return result{}, fmt.Errorf("probe: %w", err)
	}
	d := func(k string) time.Duration { v, _ := obs[k].(time.Duration); return v }
	return result{
		requests: int64(obs["requests"].(int)), errors: int64(obs["errors"].(int)),
		rps: obs["rps"].(float64),
		p50: d("p50"), p90: d("p90"), p95: d("p95"), p99: d("p99"), max: d("max"),
		cpu: cpu1 - cpu0, srvCPU: srv1 - srv0,
		allocs: float64(m1.Mallocs-m0.Mallocs) / float64(obs["requests"].(int)),
		bytes:  float64(m1.TotalAlloc-m0.TotalAlloc) / float64(obs["requests"].(int)),
	}, nil
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU reads a process's user+system CPU time from /proc (Linux).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}
