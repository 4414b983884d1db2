package load

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"cuelang.org/go/cue"
	prommodel "github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// The content rules: what the lab's values and queries must be beyond
// their types. Charts' own defaults are not seen here, only what the lab
// sets.

// checkValues runs the values rules on one component's values; maxReplicas
// is 1 unless the component lifts the rule.
func checkValues(values map[string]any, maxReplicas int, at cue.Path, add adder) {
	walk(values, at, func(p cue.Path, m map[string]any) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			kp := p.Append(cue.Str(k))
			v := m[k]
			switch k {
			case "image", "imageName":
				if s, ok := v.(string); ok {
					if msg := checkImageRef(s); msg != "" {
						add(kp, "%s", msg)
					}
				}
			case "repository":
				checkImageMap(m, p, kp, add)
			case "tag":
				if s, ok := v.(string); ok && (s == "" || isLatest(s)) {
					add(kp, "tag %q does not pin a version", s)
				}
			case "failurePolicy", "FailurePolicy", "webhookFailurePolicy":
				// A webhook that fails closed blocks deletes (and
				// uninstalls) whenever its server is down.
				if s, _ := v.(string); s != "Ignore" {
					add(kp, "failure policy %v: set Ignore so the webhook cannot block deletes", v)
				}
			case "replicas", "replicaCount", "controllerReplicas":
				// One replica of everything, so a phase fits on one node.
				if n, ok := number(v); ok && n > float64(maxReplicas) {
					if maxReplicas == 1 {
						add(kp, "%v replicas: the lab runs one (a component that needs more sets replicas: {max, reason})", v)
					} else {
						add(kp, "%v replicas: above the component's replicas.max %d", v, maxReplicas)
					}
				}
			}
		}
		checkResources(m, p, add)
	})
}

// maxReplicas is the most replicas a component's values may ask for.
func maxReplicas(c *model.Component) int {
	if c.Replicas != nil {
		return c.Replicas.Max
	}
	return 1
}

// walk calls visit for every map in v, depth first, with its path.
func walk(v any, p cue.Path, visit func(cue.Path, map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		visit(p, t)
		for _, k := range slices.Sorted(maps.Keys(t)) {
			walk(t[k], p.Append(cue.Str(k)), visit)
		}
	case []any:
		for i, e := range t {
			walk(e, p.Append(cue.Index(i)), visit)
		}
	}
}

// checkImageMap checks an image map: repository and tag (or digest) side
// by side. Chart repositories (URLs) are not images.
func checkImageMap(m map[string]any, p, kp cue.Path, add adder) {
	repo, ok := m["repository"].(string)
	_, tagged := m["tag"]
	sels := p.Selectors()
	parent := ""
	if len(sels) > 0 {
		parent = sels[len(sels)-1].String()
	}
	isImage := strings.HasSuffix(strings.ToLower(strings.Trim(parent, `"`)), "image") || tagged
	if !ok || strings.Contains(repo, "://") || !isImage {
		return
	}
	tag, hasTag := m["tag"].(string)
	_, hasDigest := m["digest"].(string)
	switch {
	case strings.Contains(repo, "@sha256:"), strings.Contains(lastSegment(repo), ":"):
		if msg := checkImageRef(repo); msg != "" {
			add(kp, "%s", msg)
		}
	case hasDigest:
	case !hasTag || tag == "":
		add(kp, "image %s has no tag: pin one (the chart's default is used only when no repository is overridden)", repo)
	}
}

func checkImageRef(ref string) string {
	if strings.Contains(ref, "@sha256:") {
		return ""
	}
	last := lastSegment(ref)
	i := strings.LastIndex(last, ":")
	if i < 0 {
		return fmt.Sprintf("image %s has no tag", ref)
	}
	if tag := last[i+1:]; tag == "" || isLatest(tag) {
		return fmt.Sprintf("image %s does not pin a version", ref)
	}
	return ""
}

func lastSegment(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func isLatest(tag string) bool { return strings.EqualFold(tag, "latest") }

// checkResources checks a resources block: quantities that parse and
// requests within limits, in Kubernetes' layout (requests.cpu) and
// Linkerd's (cpu.request).
func checkResources(m map[string]any, p cue.Path, add adder) {
	req, _ := m["requests"].(map[string]any)
	lim, _ := m["limits"].(map[string]any)
	if req == nil && lim == nil {
		if _, ok := m["request"]; ok && m["limit"] != nil {
			rq, err1 := quantity(m["request"])
			lq, err2 := quantity(m["limit"])
			switch {
			case err1 != nil:
				add(p.Append(cue.Str("request")), "%v", err1)
			case err2 != nil:
				add(p.Append(cue.Str("limit")), "%v", err2)
			case rq.Cmp(lq) > 0:
				add(p.Append(cue.Str("request")), "request %s exceeds limit %s", rq.String(), lq.String())
			}
		}
		return
	}
	for _, r := range slices.Sorted(maps.Keys(req)) {
		rp := p.Append(cue.Str("requests"), cue.Str(r))
		rq, err := quantity(req[r])
		if err != nil {
			add(rp, "%v", err)
			continue
		}
		if lim == nil || lim[r] == nil {
			continue
		}
		lq, err := quantity(lim[r])
		if err != nil {
			add(p.Append(cue.Str("limits"), cue.Str(r)), "%v", err)
			continue
		}
		if rq.Cmp(lq) > 0 {
			add(rp, "request %s exceeds limit %s", rq.String(), lq.String())
		}
	}
}

func quantity(v any) (resource.Quantity, error) {
	switch t := v.(type) {
	case string:
		return resource.ParseQuantity(t)
	case float64, int, int64:
		return resource.ParseQuantity(fmt.Sprint(t))
	}
	return resource.Quantity{}, fmt.Errorf("quantity %v is neither a string nor a number", v)
}

func number(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	}
	return 0, false
}

// Placeholders are the only variables a metric query may use: the
// variant's namespace and the run's window.
var Placeholders = []string{"$namespace", "$window"}

var (
	placeholderRe = regexp.MustCompile(`\$[A-Za-z_]+`)
	fixedNsRe     = regexp.MustCompile(`namespace\s*(=|=~)\s*"[^$"][^"]*"`)
)

// promParser is Prometheus' own PromQL parser.
var promParser = parser.NewParser(parser.Options{})

// QueryProblems checks a metric's PromQL as Prometheus reads it, with the
// placeholders substituted: it must parse, use no placeholder but
// $namespace and $window, and take every range over the run's window (a
// fixed [5m] measures the last five minutes, not the run).
func QueryProblems(q string) []string {
	var out []string
	for _, p := range placeholderRe.FindAllString(q, -1) {
		if !slices.Contains(Placeholders, p) {
			out = append(out, fmt.Sprintf("unknown placeholder %s (known: %s)", p, strings.Join(Placeholders, ", ")))
		}
	}
	if len(out) > 0 {
		return out
	}
	// A window no query would use by chance, to tell it from a literal range.
	const window = 7919 * time.Second
	expr, err := promParser.ParseExpr(strings.NewReplacer("$namespace", "lab-namespace", "$window", "7919s").Replace(q))
	if err != nil {
		return append(out, "PromQL: "+err.Error())
	}
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch t := n.(type) {
		case *parser.MatrixSelector:
			if r := t.Range; r != window {
				out = append(out, fmt.Sprintf("range [%s]: ranges must be [$window], the run's length", promDuration(r)))
			}
		case *parser.SubqueryExpr:
			if r := t.Range; r != window {
				out = append(out, fmt.Sprintf("subquery range [%s]: ranges must be [$window], the run's length", promDuration(r)))
			}
		}
		return nil
	})
	return out
}

// promDuration prints a range as PromQL spells it (5m, 1h30m).
func promDuration(d time.Duration) string { return prommodel.Duration(d).String() }

// FixedNamespace tells whether a query selects a namespace by a literal
// rather than $namespace: such a query measures the same thing for every
// variant.
func FixedNamespace(q string) bool { return fixedNsRe.MatchString(q) }

// checkMetrics checks an experiment's metrics: PromQL that parses, and
// for experiments with variants, queries that follow each variant's
// namespace.
func checkMetrics(e *model.Experiment, p func(...string) cue.Path, add adder) {
	for _, mn := range slices.Sorted(maps.Keys(e.Measure.Metrics)) {
		m := e.Measure.Metrics[mn]
		qp := p("measure", "metrics", mn, "query")
		for _, msg := range QueryProblems(m.Query) {
			add(qp, "%s", msg)
		}
		if len(e.Variants) == 0 {
			continue
		}
		switch {
		case FixedNamespace(m.Query):
			add(qp, "selects a fixed namespace: it would measure the same thing for every variant")
		case !strings.Contains(m.Query, "$namespace"):
			add(qp, "does not use $namespace: it cannot tell the variants apart")
		}
	}
}
