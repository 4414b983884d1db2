package nearest

import (
	"reflect"
	"testing"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"hpa", "hpa", 0}, {"vpa", "hpa", 1},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	names := []string{"mesh-benchmark", "mesh-comparison", "mesh-scale", "hpa", "vpa", "keda-autoscaling", "lab"}
	tests := []struct {
		in   string
		want []string
	}{
		{"mesh-benchmrak", []string{"mesh-benchmark"}},                        // transposition
		{"mesh", []string{"mesh-benchmark", "mesh-comparison", "mesh-scale"}}, // a prefix: three at most, by name
		{"hpb", []string{"hpa", "lab", "vpa"}},                                // distance 1, then 2
		{"lbs", []string{"lab"}},                                              // short names allow two edits
		{"kafka", nil},                                                        // nothing close
		{"hpa", []string{"vpa"}},                                              // the name itself is never suggested
	}
	for _, tt := range tests {
		if got := Names(tt.in, names); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Names(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHint(t *testing.T) {
	if got, want := Hint("mesh-benchmrak", []string{"mesh-benchmark", "x"}), ` (did you mean "mesh-benchmark"?)`; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
	if got, want := Hint("hpb", []string{"hpa", "vpa"}), ` (did you mean "hpa" or "vpa"?)`; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
	if got := Hint("kafka", []string{"hpa"}); got != "" {
		t.Errorf("Hint = %q, want none", got)
	}
}
