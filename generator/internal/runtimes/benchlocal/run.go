package benchlocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/runtimes/contract"
)

// Runner runs one `bench local`.
type Runner struct {
	// Root is the repository root; Cache is ${LAB_CACHE}.
	Root, Cache string
	Options     Options
	Model       cost.Model
	// Out is the results store root (results/<experiment>/<variant>/<run>.json).
	Out string
	// Log receives progress lines.
	Log io.Writer
	// Session names the run ids (its UTC second).
	Session time.Time
}

// Outcome is what a Runner measured and stored.
type Outcome struct {
	Report ReportInput
	// Stored are the result files written, in run order.
	Stored []string
}

// Select resolves runtime names against the manifest: none means every
// runtime buildable here; a named one that is not buildable is refused
// with the manifest's reason.
func Select(m *contract.Manifest, names []string) ([]contract.Runtime, error) {
	if len(names) == 0 {
		var out []contract.Runtime
		for _, rt := range m.Runtimes {
			if rt.BuildableHere {
				out = append(out, rt)
			}
		}
		return out, nil
	}
	var out []contract.Runtime
	var errs []error
	seen := map[string]bool{}
	for _, n := range names {
		rt, ok := m.Find(n)
		switch {
		case !ok:
			known := make([]string, len(m.Runtimes))
			for i, r := range m.Runtimes {
				known[i] = r.Name
			}
			errs = append(errs, fmt.Errorf("unknown runtime %q (%s: %s)", n, contract.ManifestPath, strings.Join(known, ", ")))
		case !rt.BuildableHere:
			errs = append(errs, fmt.Errorf("runtime %s is not buildable here: %s", n, rt.Reason))
		case seen[n]:
			errs = append(errs, fmt.Errorf("runtime %s named twice", n))
		default:
			seen[n] = true
			out = append(out, rt)
		}
	}
	return out, errors.Join(errs...)
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", args...)
	}
}

// Run builds, starts and measures every runtime in rts, storing each
// valid run; runs refused by results.Validate are listed, not stored.
func (r *Runner) Run(ctx context.Context, rts []contract.Runtime) (*Outcome, error) {
	o := r.Options
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(rts) == 0 {
		return nil, errors.New("no runtime to benchmark")
	}
	if o.Planned(len(rts)) > MaxTotal {
		return nil, fmt.Errorf("planned load time %s is above the %s cap", o.Planned(len(rts)), MaxTotal)
	}
	dbURL := o.DatabaseURL
	if dbURL == "" {
		url, stop, err := StartPostgres(r.Root)
		if err != nil {
			return nil, err
		}
		defer func() {
			if err := stop(); err != nil {
				r.logf("postgres: %v", err)
			}
		}()
		dbURL = url
	}
	if err := CheckLoopbackURL(dbURL); err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	out := &Outcome{Report: ReportInput{
		Settings: Settings{Rate: o.Rate, Duration: o.Duration, Warmup: o.Warmup, Repetitions: o.Repetitions, ColdStarts: o.ColdStarts, ComputeN: o.ComputeN},
		Model:    r.Model,
	}}
	for _, rt := range rts {
		info, err := r.runtime(ctx, rt, dbURL, out)
		if err != nil {
			return out, fmt.Errorf("%s: %w", rt.Name, err)
		}
		out.Report.Runtimes = append(out.Report.Runtimes, *info)
	}
	return out, nil
}

func (r *Runner) runtime(ctx context.Context, rt contract.Runtime, dbURL string, out *Outcome) (*RuntimeInfo, error) {
	o := r.Options
	info := &RuntimeInfo{Name: rt.Name, Toolchain: rt.Toolchain}
	r.logf("%s: building (%s)", rt.Name, strings.Join(rt.Build, " "))
	if err := Build(ctx, r.Root, rt); err != nil {
		return nil, err
	}
	argv := rt.StartCommand(r.Cache)
	var err error
	if info.AppBytes, info.RuntimeBytes, err = ArtifactSize(rt.Dir(r.Cache)); err != nil {
		return nil, err
	}
	start := contract.StartOptions{DatabaseURL: dbURL, Ready: 30 * time.Second, Poll: time.Millisecond}
	for i := range o.ColdStarts {
		in, err := contract.Start(ctx, argv, start)
		if err != nil {
			return nil, fmt.Errorf("cold start %d: %w", i+1, err)
		}
		info.ColdStartsMs = append(info.ColdStartsMs, float64(in.ColdStart.Microseconds())/1000)
		if err := in.Stop(20 * time.Second); err != nil {
			return nil, fmt.Errorf("cold start %d: %w", i+1, err)
		}
	}
	r.logf("%s: cold start %v ms", rt.Name, info.ColdStartsMs)

	in, err := contract.Start(ctx, argv, start)
	if err != nil {
		return nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = in.Kill()
		}
	}()
	eps := make([]Endpoint, len(o.Endpoints))
	for i, n := range o.Endpoints {
		eps[i], _ = endpointByName(n)
	}
	load := func(ep Endpoint, d time.Duration, pid int) (*Measurement, error) {
		return Run(ctx, Load{BaseURL: in.URL, Endpoint: ep, ComputeN: o.ComputeN, Rate: o.Rate, Duration: d, Timeout: o.Timeout, Pid: pid})
	}
	if o.Warmup > 0 {
		for _, ep := range eps {
			m, err := load(ep, o.Warmup, 0)
			if err != nil {
				return nil, fmt.Errorf("warm-up %s: %w", ep.Name, err)
			}
			r.logf("%s: warm-up %s: %d requests, %d without a 2xx", rt.Name, ep.Name, m.Requests, m.ErrorRequests())
		}
	}
	exp := results.Expect{Duration: o.Duration, MaxErrorRate: &o.MaxErrorRate}
	for rep := 1; rep <= o.Repetitions; rep++ {
		for _, ep := range eps {
			m, err := load(ep, o.Duration, in.Pid())
			if err != nil {
				return nil, fmt.Errorf("%s r%d: %w", ep.Name, rep, err)
			}
			meta := RunMeta{Runtime: rt.Name, Endpoint: ep.Name, RunID: RunID(r.Session, rep), Rate: o.Rate, Duration: o.Duration, ComputeN: o.ComputeN}
			res, err := ToResult(meta, m, r.Model)
			if err != nil {
				return nil, err
			}
			if verr := results.Validate(res, exp); verr != nil {
				out.Report.Refused = append(out.Report.Refused, Refusal{Variant: res.Variant, RunID: res.RunID, Reason: verr.Error()})
				r.logf("%s %s r%d: refused: %v", rt.Name, ep.Name, rep, verr)
				continue
			}
			path, err := results.Store(r.Out, res, exp)
			if err != nil {
				return nil, err
			}
			out.Stored = append(out.Stored, path)
			out.Report.Results = append(out.Report.Results, res)
			r.logf("%s %s r%d: %d requests, %.1f/s, p99 %s ms -> %s", rt.Name, ep.Name, rep, res.Operations.Count, res.ThroughputPerS, opt(res.LatencyMs.P99, format.Number), path)
		}
	}
	stopped = true
	if err := in.Stop(20 * time.Second); err != nil {
		return nil, err
	}
	return info, nil
}

// Build runs the runtime's build command from the manifest in root.
func Build(ctx context.Context, root string, rt contract.Runtime) error {
	cmd := exec.CommandContext(ctx, rt.Build[0], rt.Build[1:]...)
	cmd.Dir = root
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build (%s): %w\n%s", strings.Join(rt.Build, " "), err, tail(buf.String(), 4096))
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// ArtifactSize is the size of the runtime's build directory (what
// scripts/runtimes.sh put there) and of the interpreter its run script
// execs when that lies outside the directory (node, bun).
func ArtifactSize(dir string) (app, interpreter int64, err error) {
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			st, err := d.Info()
			if err != nil {
				return err
			}
			app += st.Size()
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("artifact size: %w", err)
	}
	script, err := os.ReadFile(filepath.Join(dir, "run"))
	if err != nil {
		return 0, 0, fmt.Errorf("artifact size: %w", err)
	}
	exe := execTarget(string(script))
	if exe != "" && !strings.HasPrefix(exe, filepath.Clean(dir)+string(filepath.Separator)) {
		st, err := os.Stat(exe)
		if err != nil {
			return 0, 0, fmt.Errorf("artifact size: interpreter of %s: %w", filepath.Join(dir, "run"), err)
		}
		interpreter = st.Size()
	}
	return app, interpreter, nil
}

// execTarget is the program of the run script's `exec` line.
func execTarget(script string) string {
	for line := range strings.SplitSeq(script, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "exec" {
			return f[1]
		}
	}
	return ""
}

// StartPostgres starts a throwaway cluster with scripts/postgres.sh on a
// free loopback port; stop stops it and deletes its data.
func StartPostgres(root string) (url string, stop func() error, err error) {
	port, err := contract.FreePort()
	if err != nil {
		return "", nil, err
	}
	script := filepath.Join(root, "scripts", "postgres.sh")
	// The cluster goes with this process, however it ends (scripts/postgres.sh).
	env := append(os.Environ(), "LAB_PG_PORT="+strconv.Itoa(port), "LAB_PG_OWNER_PID="+strconv.Itoa(os.Getpid()))
	cmd := exec.Command("bash", script, "start")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		// A half-started cluster is cleaned up too.
		c := exec.Command("bash", script, "stop")
		c.Env = env
		_ = c.Run()
		return "", nil, fmt.Errorf("PostgreSQL: scripts/postgres.sh start: %w\n%s", err, tail(stderr.String(), 4096))
	}
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	stop = func() error {
		c := exec.Command("bash", script, "stop")
		c.Env = env
		if b, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("scripts/postgres.sh stop: %w\n%s", err, b)
		}
		return nil
	}
	return lines[len(lines)-1], stop, nil
}

// Machine describes this machine for the report: CPU model, cores and
// the load average when the run began (the machine may be shared).
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = fmt.Sprintf(", load average %s/%s/%s (1/5/15 min) at start", f[0], f[1], f[2])
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s%s; the load generator, PostgreSQL and the server share these cores", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, load)
}
