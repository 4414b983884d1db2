// Package content holds the checks the lab's own content must pass beyond
// what the schema and the loader enforce: pinned images, fail-open
// webhooks, lab-sized replicas, sane resources and well-formed PromQL.
// Its tests run them against the real lab in phases/.
package content

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Finding is one problem at a path inside a component's values.
type Finding struct {
	Path string // e.g. controller.image.tag
	Msg  string
}

func (f Finding) String() string { return f.Path + ": " + f.Msg }

// walk calls visit for every map in v, depth first, with its dotted path.
func walk(v any, path string, visit func(path string, m map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		visit(path, t)
		for _, k := range slices.Sorted(maps.Keys(t)) {
			walk(t[k], join(path, k), visit)
		}
	case []any:
		for i, e := range t {
			walk(e, fmt.Sprintf("%s[%d]", path, i), visit)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// UnpinnedImages finds image references in Helm values that do not pin
// an exact version: an "image" string without a tag (or with latest), an
// image map whose repository comes without a tag or digest, or a "tag"
// that is empty or latest. Charts' own defaults are not seen here: only
// what the lab overrides.
func UnpinnedImages(values map[string]any) []Finding {
	var out []Finding
	walk(values, "", func(path string, m map[string]any) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			p := join(path, k)
			switch k {
			case "image", "imageName":
				if s, ok := m[k].(string); ok {
					if msg := checkImageRef(s); msg != "" {
						out = append(out, Finding{p, msg})
					}
				}
			case "repository":
				// An image map: repository and tag (or digest) side by side.
				// Chart repositories (URLs) are not images.
				repo, ok := m[k].(string)
				_, tagged := m["tag"]
				isImage := strings.HasSuffix(strings.ToLower(path), "image") || tagged
				if !ok || strings.Contains(repo, "://") || !isImage {
					continue
				}
				tag, hasTag := m["tag"].(string)
				_, hasDigest := m["digest"].(string)
				switch {
				case strings.Contains(repo, "@sha256:"), strings.Contains(lastSegment(repo), ":"):
					if msg := checkImageRef(repo); msg != "" {
						out = append(out, Finding{p, msg})
					}
				case hasDigest:
				case !hasTag || tag == "":
					out = append(out, Finding{p, fmt.Sprintf("image %s has no tag: pin one (the chart's default is used only when no repository is overridden)", repo)})
				}
			case "tag":
				if s, ok := m[k].(string); ok && (s == "" || isLatest(s)) {
					out = append(out, Finding{p, fmt.Sprintf("tag %q does not pin a version", s)})
				}
			}
		}
	})
	return out
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

// FailClosedWebhooks finds webhook failure policies other than Ignore: a
// webhook that fails closed blocks deletes (and uninstalls) whenever its
// server is down.
func FailClosedWebhooks(values map[string]any) []Finding {
	var out []Finding
	walk(values, "", func(path string, m map[string]any) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !strings.EqualFold(k, "failurePolicy") && k != "webhookFailurePolicy" {
				continue
			}
			if s, _ := m[k].(string); s != "Ignore" {
				out = append(out, Finding{join(path, k), fmt.Sprintf("failure policy %v: set Ignore so the webhook cannot block deletes", m[k])})
			}
		}
	})
	return out
}

// OversizedReplicas finds replicas/replicaCount above one: the lab runs
// one replica of everything so a phase fits on one node.
func OversizedReplicas(values map[string]any) []Finding {
	var out []Finding
	walk(values, "", func(path string, m map[string]any) {
		for _, k := range []string{"replicas", "replicaCount", "controllerReplicas"} {
			if n, ok := number(m[k]); ok && n > 1 {
				out = append(out, Finding{join(path, k), fmt.Sprintf("%v replicas: the lab runs one", m[k])})
			}
		}
	})
	return out
}

// BadResources finds resources blocks whose requests exceed their limits
// or whose quantities do not parse. Both Kubernetes' layout
// (requests.cpu) and Linkerd's (cpu.request) are understood.
func BadResources(values map[string]any) []Finding {
	var out []Finding
	walk(values, "", func(path string, m map[string]any) {
		req, _ := m["requests"].(map[string]any)
		lim, _ := m["limits"].(map[string]any)
		if req == nil && lim == nil {
			if _, ok := m["request"]; ok && m["limit"] != nil {
				rq, err1 := quantity(m["request"])
				lq, err2 := quantity(m["limit"])
				switch {
				case err1 != nil:
					out = append(out, Finding{join(path, "request"), err1.Error()})
				case err2 != nil:
					out = append(out, Finding{join(path, "limit"), err2.Error()})
				case rq.Cmp(lq) > 0:
					out = append(out, Finding{join(path, "request"), fmt.Sprintf("request %s exceeds limit %s", rq.String(), lq.String())})
				}
			}
			return
		}
		for _, r := range slices.Sorted(maps.Keys(req)) {
			rq, err := quantity(req[r])
			if err != nil {
				out = append(out, Finding{join(path, "requests."+r), err.Error()})
				continue
			}
			if lim == nil || lim[r] == nil {
				continue
			}
			lq, err := quantity(lim[r])
			if err != nil {
				out = append(out, Finding{join(path, "limits."+r), err.Error()})
				continue
			}
			if rq.Cmp(lq) > 0 {
				out = append(out, Finding{join(path, "requests."+r), fmt.Sprintf("request %s exceeds limit %s", rq.String(), lq.String())})
			}
		}
	})
	return out
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

var (
	placeholderRe = regexp.MustCompile(`\$[A-Za-z_]+`)
	rangeRe       = regexp.MustCompile(`\[([^\]]*)\]`)
	fixedNsRe     = regexp.MustCompile(`namespace\s*(=|=~)\s*"[^$"][^"]*"`)
)

// Placeholders are the only variables a metric query may use.
var Placeholders = map[string]bool{"$namespace": true, "$window": true}

// QueryProblems checks a metric's PromQL for what a broken run would hide:
// unbalanced brackets or quotes, unknown placeholders, and range
// selectors not over the run's window (a fixed [5m] measures the last
// five minutes, not the run).
func QueryProblems(q string) []string {
	var out []string
	stack := []rune{}
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	inStr := false
	for i, r := range q {
		if r == '"' && (i == 0 || q[i-1] != '\\') {
			inStr = !inStr
			continue
		}
		if inStr {
			continue
		}
		switch r {
		case '(', '[', '{':
			stack = append(stack, r)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return append(out, fmt.Sprintf("unbalanced %q at offset %d", r, i))
			}
			stack = stack[:len(stack)-1]
		}
	}
	if inStr {
		return append(out, "unterminated string")
	}
	if len(stack) > 0 {
		out = append(out, fmt.Sprintf("unclosed %q", stack[len(stack)-1]))
	}
	for _, p := range placeholderRe.FindAllString(q, -1) {
		if !Placeholders[p] {
			out = append(out, fmt.Sprintf("unknown placeholder %s (known: $namespace, $window)", p))
		}
	}
	for _, m := range rangeRe.FindAllStringSubmatch(stripStrings(q), -1) {
		if m[1] != "$window" {
			out = append(out, fmt.Sprintf("range [%s]: ranges must be [$window], the run's length", m[1]))
		}
	}
	return out
}

// FixedNamespace tells whether a query selects a namespace by a literal
// rather than $namespace: such a query measures the same thing for every
// variant.
func FixedNamespace(q string) bool { return fixedNsRe.MatchString(q) }

// stripStrings blanks out string literals, so brackets inside label
// matchers (regular expressions) are not read as range selectors.
func stripStrings(q string) string {
	b := []byte(q)
	inStr := false
	for i := range b {
		if b[i] == '"' && (i == 0 || b[i-1] != '\\') {
			inStr = !inStr
			continue
		}
		if inStr {
			b[i] = ' '
		}
	}
	return string(b)
}
