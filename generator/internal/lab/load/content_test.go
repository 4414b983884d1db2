package load

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"cuelang.org/go/cue"
)

// findings runs the values rules and returns the paths they flag.
func findings(values map[string]any) []string {
	var out []string
	checkValues(values, 1, cue.MakePath(), func(p cue.Path, format string, args ...any) {
		_ = fmt.Sprintf(format, args...)
		out = append(out, p.String())
	})
	return out
}

func TestUnpinnedImages(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{"no images", map[string]any{"replicas": 1}, nil},
		{"string with tag", map[string]any{"image": "busybox:1.37.0"}, nil},
		{"string with registry port and tag", map[string]any{"image": "registry:5000/team/app:1.2.3"}, nil},
		{"string with digest", map[string]any{"image": "gcr.io/distroless/static@sha256:abc"}, nil},
		{"string without tag", map[string]any{"image": "busybox"}, []string{"image"}},
		{"registry port but no tag", map[string]any{"image": "registry:5000/app"}, []string{"image"}},
		{"string latest", map[string]any{"c": []any{map[string]any{"image": "busybox:latest"}}}, []string{"c[0].image"}},
		{"map with tag", map[string]any{"image": map[string]any{"repository": "otel/collector", "tag": "0.160.0"}}, nil},
		{"map with digest", map[string]any{"image": map[string]any{"repository": "otel/collector", "digest": "sha256:abc"}}, nil},
		{"map without tag", map[string]any{"x": map[string]any{"image": map[string]any{"repository": "otel/collector"}}}, []string{"x.image.repository"}},
		{"collectorImage without tag", map[string]any{"manager": map[string]any{"collectorImage": map[string]any{"repository": "otel/c"}}}, []string{"manager.collectorImage.repository"}},
		{"map with empty tag", map[string]any{"image": map[string]any{"repository": "a/b", "tag": ""}}, []string{"image.repository", "image.tag"}},
		{"map with latest tag", map[string]any{"image": map[string]any{"repository": "a/b", "tag": "latest"}}, []string{"image.tag"}},
		{"chart repository is no image", map[string]any{"repository": "https://charts.example.org"}, nil},
		{"imageName", map[string]any{"imageName": "ghcr.io/cloudnative-pg/postgresql"}, []string{"imageName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findings(tt.values); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findings at %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFailClosedWebhooks(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{"ignore", map[string]any{"webhook": map[string]any{"failurePolicy": "Ignore"}}, nil},
		{"fail", map[string]any{"webhook": map[string]any{"failurePolicy": "Fail"}}, []string{"webhook.failurePolicy"}},
		{"chaos-mesh spelling", map[string]any{"webhook": map[string]any{"FailurePolicy": "Fail"}}, []string{"webhook.FailurePolicy"}},
		{"linkerd key", map[string]any{"webhookFailurePolicy": "Fail"}, []string{"webhookFailurePolicy"}},
		{"in a list", map[string]any{"resources": []any{map[string]any{"spec": map[string]any{"failurePolicy": "Ignore"}}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findings(tt.values); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findings at %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOversizedReplicas(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{"one", map[string]any{"replicas": float64(1), "server": map[string]any{"replicaCount": 1}}, nil},
		{"zero", map[string]any{"read": map[string]any{"replicas": float64(0)}}, nil},
		{"three", map[string]any{"server": map[string]any{"replicaCount": float64(3)}}, []string{"server.replicaCount"}},
		{"max is not replicas", map[string]any{"maxReplicas": float64(10)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findings(tt.values); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findings at %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBadResources(t *testing.T) {
	res := func(rc, rm, lc, lm string) map[string]any {
		return map[string]any{"resources": map[string]any{
			"requests": map[string]any{"cpu": rc, "memory": rm},
			"limits":   map[string]any{"cpu": lc, "memory": lm},
		}}
	}
	tests := []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{"fine", res("50m", "64Mi", "250m", "256Mi"), nil},
		{"equal", res("1", "1Gi", "1000m", "1024Mi"), nil},
		{"cpu over", res("2", "64Mi", "1", "256Mi"), []string{"resources.requests.cpu"}},
		{"memory over", res("50m", "1Gi", "250m", "512Mi"), []string{"resources.requests.memory"}},
		{"bad quantity", res("lots", "64Mi", "250m", "256Mi"), []string{"resources.requests.cpu"}},
		{"requests only", map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "5"}}}, nil},
		{"linkerd layout over", map[string]any{"cpu": map[string]any{"request": "500m", "limit": "250m"}}, []string{"cpu.request"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findings(tt.values); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findings at %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueryProblems(t *testing.T) {
	tests := []struct {
		query string
		want  string // a substring of the one problem expected; "" for none
	}{
		{`sum(rate(container_cpu_usage_seconds_total{namespace="$namespace"}[$window]))`, ""},
		{`sum(container_memory_working_set_bytes{namespace=~"a|b",pod=~"x-[0-9]+"})`, ""},
		{`histogram_quantile(0.99, sum by (le) (rate(x_bucket[$window])))`, ""},
		{`sum(rate(x{namespace="$namespace"}[5m]))`, "range [5m]"},
		{`sum(rate(x{namespace="$ns"}[$window]))`, "unknown placeholder $ns"},
		{`sum(rate(x[$window])`, "PromQL: "},
		{`sum(x{a="b"}))`, "PromQL: "},
		{`sum(x{a="b})`, "PromQL: "},
		{`max_over_time(sum(rate(x[$window]))[10m:30s])`, "subquery range [10m]"},
		{`max_over_time(sum(rate(x[$window]))[$window:30s])`, ""},
		{`sum(rate(x{pod=~"a[0-9]"}[$window]))`, ""},
		{`nosuchfunction(x)`, "PromQL: "},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := QueryProblems(tt.query)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %v, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("problems %v, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestFixedNamespace(t *testing.T) {
	tests := []struct {
		query string
		want  bool
	}{
		{`x{namespace="$namespace"}`, false},
		{`x{namespace="argocd"}`, true},
		{`x{namespace=~"argocd|argo"}`, true},
		{`x{exported_namespace="$namespace"}`, false},
		{`x{job="apiserver"}`, false},
	}
	for _, tt := range tests {
		if got := FixedNamespace(tt.query); got != tt.want {
			t.Errorf("FixedNamespace(%s) = %v, want %v", tt.query, got, tt.want)
		}
	}
}
