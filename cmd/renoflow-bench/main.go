// Command renoflow-bench measures renoflow and prints its figures: build times, time from
// the run command to ready, memory, and API latency and throughput for filings and staff
// actions, against the real embedded stack (`renoflow dev`).
//
//	go run ./cmd/renoflow-bench -quick           # issue 15 scale figures as ratios, scaled down
//	go run ./cmd/renoflow-bench                  # the same at full scale (10k customers)
//	go run ./cmd/renoflow-bench -startup         # start-up, memory, sequential API figures
//	go run ./cmd/renoflow-bench -startup -builds -test    # also cold/warm builds and the test command
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
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/renoflow/renoflow/internal/apiclient"
)

func main() {
	builds := flag.Bool("builds", false, "measure a cold build (empty build cache) and warm rebuilds")
	tests := flag.Bool("test", false, "measure the wall time of the test command (go test ./...)")
	filings := flag.Int("filings", 200, "sequential filings to time")
	burst := flag.Int("burst", 50, "concurrent filings to time")
	startup := flag.Bool("startup", false, "measure start-up, memory and sequential API figures (the bench before issue 15) instead of the scale figures")
	quick := flag.Bool("quick", false, "scale figures scaled down (a few minutes): 2×40 filings, 20 timers, 200/1000 open customers, 20 lifecycles")
	binFlag := flag.String("bin", "", "scale figures: run this renoflow binary instead of building ./cmd/renoflow (to compare two builds)")
	var o scaleOpts
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds of raw starts and filings")
	flag.IntVar(&o.perRound, "per-round", 100, "raw starts and filings per round")
	flag.IntVar(&o.clients, "clients", 16, "concurrent clients for starts and filings")
	flag.IntVar(&o.timers, "timers", 50, "customers (and raw timer workflows) whose clock fires under load")
	flag.DurationVar(&o.timerDelay, "timer-delay", 20*time.Second, "time from filing to the clock firing")
	flag.IntVar(&o.seed, "seed", 10000, "customers seeded in PostgreSQL for the API latency figures")
	flag.IntVar(&o.apiCalls, "api-calls", 200, "calls per API latency figure")
	openFlag := flag.String("open", "1000,10000", "open customers at which worker RSS is read")
	flag.IntVar(&o.lifecycle, "lifecycle", 100, "customers driven concurrently through a shrunk lifecycle")
	flag.DurationVar(&o.lifecycleWait, "lifecycle-wait", 10*time.Minute, "how long to wait for them all to be archived")
	flag.StringVar(&o.profile, "profile", "", "write the dev process's CPU profiles of the throughput rounds after the first: PATH.N for filings, PATH.raw.N for raw starts, PATH.eager.N for raw eager starts "+
		"(each covers -profile-seconds from the round's start, so make rounds that long with -per-round)")
	flag.IntVar(&profileSeconds, "profile-seconds", profileSeconds, "length of each -profile CPU profile")
	flag.BoolVar(&o.filingOnly, "filing-only", false, "stop after the filing throughput and CPU figures")
	flag.Parse()
	if *quick { // scaled down, except what the command line sets
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]any{"rounds": 2, "per-round": 40, "timers": 20, "api-calls": 100, "lifecycle": 20,
			"timer-delay": 10 * time.Second, "open": "200,1000"} {
			if !set[name] {
				_ = flag.Set(name, fmt.Sprint(v))
			}
		}
	}
	for _, f := range strings.Split(*openFlag, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			o.open = append(o.open, n)
		}
	}
	if !*startup {
		if err := buildAndScale(o, *binFlag); err != nil {
			fmt.Fprintln(os.Stderr, "renoflow-bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*builds, *tests, *filings, *burst); err != nil {
		fmt.Fprintln(os.Stderr, "renoflow-bench:", err)
		os.Exit(1)
	}
}

func run(builds, tests bool, filings, burst int) error {
	work, err := os.MkdirTemp("", "renoflow-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(work, "renoflow")

	fmt.Println("renoflow benchmark —", time.Now().UTC().Format(time.RFC3339))
	if builds {
		cache := filepath.Join(work, "gocache")
		d, err := timed("go", []string{"build", "-o", bin, "./cmd/renoflow"}, "GOCACHE="+cache)
		if err != nil {
			return err
		}
		fmt.Printf("build, cold (empty GOCACHE):        %8.1f s\n", d.Seconds())
		d, err = timed("go", []string{"build", "-o", bin, "./cmd/renoflow"}, "GOCACHE="+cache)
		if err != nil {
			return err
		}
		fmt.Printf("build, warm (nothing changed):      %8.1f s\n", d.Seconds())
		if err := os.WriteFile("server/zz_bench_touch.go", []byte("package server\n\nconst benchTouch = 1\n"), 0o644); err != nil {
			return err
		}
		d, err = timed("go", []string{"build", "-o", bin, "./cmd/renoflow"}, "GOCACHE="+cache)
		os.Remove("server/zz_bench_touch.go")
		if err != nil {
			return err
		}
		fmt.Printf("build, warm (one package changed):  %8.1f s\n", d.Seconds())
	} else if _, err := timed("go", []string{"build", "-o", bin, "./cmd/renoflow"}); err != nil {
		return err
	}
	if fi, err := os.Stat(bin); err == nil {
		fmt.Printf("binary size:                        %8.1f MB\n", float64(fi.Size())/1e6)
	}

	data := filepath.Join(work, "data")
	dev, err := startDev(bin, data, false)
	if err != nil {
		return err
	}
	fmt.Printf("run → ready, first start (initdb):  %8.2f s\n", dev.ready.Seconds())
	fmt.Printf("memory after start: renoflow %6.0f MB RSS, PostgreSQL %6.0f MB RSS\n", rssMB(dev.cmd.Process.Pid), pgRSSMB(data))
	if err := dev.stop(); err != nil {
		return err
	}
	dev, err = startDev(bin, data, false)
	if err != nil {
		return err
	}
	defer dev.stop() //nolint:errcheck
	fmt.Printf("run → ready, restart:               %8.2f s\n", dev.ready.Seconds())

	ctx := context.Background()
	api, err := login(ctx, dev.web, "cm1")
	if err != nil {
		return err
	}
	var lat []time.Duration
	var ids []string
	for i := 0; i < filings; i++ {
		start := time.Now()
		id, err := file(ctx, api, fmt.Sprintf("1390%07d", i))
		if err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
		ids = append(ids, id)
	}
	report("filing (sequential)", lat)
	lat = lat[:0]
	for _, id := range ids[:min(len(ids), 100)] {
		start := time.Now()
		if _, err := api.Act(ctx, id, "store-visit", map[string]any{"note": "bench"}); err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
	}
	report("store visit (update)", lat)

	// The burst is filed by the store manager: cm1 is near the owner capacity (库容) by now.
	burster, err := login(ctx, dev.web, "sm1")
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	lat = lat[:0]
	errs := 0
	var firstErr error
	start := time.Now()
	for i := 0; i < burst; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t := time.Now()
			_, err := file(ctx, burster, fmt.Sprintf("1380%07d", i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				errs++
				return
			}
			lat = append(lat, time.Since(t))
		}(i)
	}
	wg.Wait()
	wall := time.Since(start)
	report(fmt.Sprintf("filing (%d concurrent)", burst), lat)
	fmt.Printf("  throughput %.1f filings/s, %d errors\n", float64(len(lat))/wall.Seconds(), errs)
	if firstErr != nil {
		fmt.Printf("  first error: %v\n", firstErr)
	}
	fmt.Printf("memory after %d customers: renoflow %6.0f MB RSS, PostgreSQL %6.0f MB RSS\n", filings+burst,
		rssMB(dev.cmd.Process.Pid), pgRSSMB(data))
	if err := dev.stop(); err != nil {
		return err
	}
	if tests {
		d, err := timed("go", []string{"test", "./..."})
		if err != nil {
			return err
		}
		fmt.Printf("test command (go test ./...):       %8.1f s\n", d.Seconds())
	}
	return nil
}

func buildAndScale(o scaleOpts, prebuilt string) error {
	if prebuilt != "" {
		return scale(prebuilt, o)
	}
	dir, err := os.MkdirTemp("", "renoflow-bench-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(dir, "renoflow")
	if _, err := timed("go", []string{"build", "-o", bin, "./cmd/renoflow"}); err != nil {
		return err
	}
	return scale(bin, o)
}

// timed runs a command in the module root and returns its wall time.
func timed(name string, args []string, env ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return time.Since(start), nil
}

// dev is a running `renoflow dev` process.
type dev struct {
	cmd      *exec.Cmd
	web      string
	temporal string // Temporal frontend host:port
	pgURL    string // PostgreSQL URL (trust auth: no password to redact)
	ready    time.Duration
	done     chan error
	pprof    string // PPROF_ADDR of the dev process, when profiled
}

var (
	webLine      = regexp.MustCompile(`web app\s+(\S+)`)
	temporalLine = regexp.MustCompile(`^\s+Temporal\s+(\S+:\d+)\s`)
	pgLine       = regexp.MustCompile(`^\s+PostgreSQL\s+(postgres\S+)`)
)

func startDev(bin, data string, profiled bool) (*dev, error) {
	cmd := exec.Command(bin, "dev")
	cmd.Env = append(os.Environ(), "RENOFLOW_DATA="+data, "HTTP_ADDR=127.0.0.1:0", "TEMPORAL_PORT=0",
		"TEMPORAL_UI_PORT=0", "PG_PORT=0", "DATABASE_URL=", "TEMPORAL_ADDRESS=")
	var pprofAddr string
	if profiled {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		pprofAddr = l.Addr().String()
		l.Close()
		cmd.Env = append(cmd.Env, "PPROF_ADDR="+pprofAddr)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &dev{cmd: cmd, done: make(chan error, 1), pprof: pprofAddr}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := temporalLine.FindStringSubmatch(sc.Text()); m != nil {
				d.temporal = m[1]
			}
			if m := pgLine.FindStringSubmatch(sc.Text()); m != nil {
				d.pgURL = m[1]
				found <- d.web
			}
			if m := webLine.FindStringSubmatch(sc.Text()); m != nil {
				d.web = m[1]
			}
		}
		d.done <- cmd.Wait()
	}()
	select {
	case <-found:
		d.ready = time.Since(start)
		return d, nil
	case err := <-d.done:
		return nil, fmt.Errorf("renoflow dev exited: %v", err)
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		return nil, errors.New("renoflow dev not ready in 2 minutes")
	}
}

func (d *dev) stop() error {
	if d.cmd.ProcessState != nil {
		return nil
	}
	_ = d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-d.done:
		return nil
	case <-time.After(time.Minute):
		_ = d.cmd.Process.Kill()
		return errors.New("renoflow dev did not stop")
	}
}

// rssMB reads a process's resident memory.
func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// pgRSSMB sums the resident memory of the PostgreSQL processes serving data.
func pgRSSMB(data string) float64 {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	total := 0.0
	pgdir, _ := filepath.Abs(filepath.Join(data, "pg"))
	var postmaster string
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(pgdir)) {
			postmaster = strings.Split(p, "/")[2]
		}
	}
	if postmaster == "" {
		return 0
	}
	for _, p := range procs {
		pid := strings.Split(p, "/")[2]
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat))
		if pid == postmaster || (len(f) > 3 && f[3] == postmaster) {
			n, _ := strconv.Atoi(pid)
			total += rssMB(n)
		}
	}
	return total
}

func report(what string, lat []time.Duration) {
	if len(lat) == 0 {
		fmt.Printf("%-28s no samples\n", what)
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("%-28s n=%-4d p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms\n", what, len(lat), pct(0.5), pct(0.95), pct(1))
}

// login returns a client of the JSON API logged in as a demo staff member.
func login(ctx context.Context, base, who string) (*apiclient.Client, error) {
	c := apiclient.New(base)
	_, err := c.Login(ctx, who, "renoflow")
	return c, err
}

// file files a bench customer with phone and returns its ID; a filing still being
// written is accepted (202) and becomes a customer moments later.
func file(ctx context.Context, c *apiclient.Client, phone string) (string, error) {
	f, err := c.File(ctx, map[string]any{
		"name": "陈", "gender": "female", "phone": phone, "situation": "压测客户",
		"house": map[string]any{"layout": "三室两厅", "area_m2": 120}, "channel": "walk_in", "store_id": "s1",
	})
	return f.CustomerID, err
}
