package suggest

import (
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"<script>alert(1)</script>", "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"},
		{"[x](javascript:alert(1))", "\\[x\\]\\(javascript:alert\\(1\\)\\)"},
		{"a | b\nc", "a \\| b c"},
		{"*bold* _it_ `code` ~~s~~ # h", "\\*bold\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ \\# h"},
		{"&amp;", "&amp;amp;"},
	}
	for _, tc := range tests {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLink(t *testing.T) {
	tests := []struct{ text, url, want string }{
		{"Beyla", "https://github.com/grafana/beyla", "[Beyla](https://github.com/grafana/beyla)"},
		{"x", "javascript:alert(1)", "x"},
		{"x", "data:text/html,<b>", "x"},
		{"y", "https://e.test/a b)(<\"`", "[y](https://e.test/a%20b%29%28%3C%22%60)"},
		{"[z]", "", "\\[z\\]"},
	}
	for _, tc := range tests {
		if got := link(tc.text, tc.url); got != tc.want {
			t.Errorf("link(%q, %q) = %q, want %q", tc.text, tc.url, got, tc.want)
		}
	}
}

func TestParseChart(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"beyla=https://grafana.github.io/helm-charts/beyla@1.9.2", "beyla https://grafana.github.io/helm-charts beyla 1.9.2", ""},
		{"gw=oci://docker.io/envoyproxy/gateway-helm@v1.9.2", "gw oci://docker.io/envoyproxy gateway-helm v1.9.2", ""},
		{"beyla", "", "want NAME=REPOSITORY/CHART@VERSION"},
		{"a=https://x.test/c", "", "want NAME=REPOSITORY/CHART@VERSION"},
		{"a=http://x.test/c@1.0.0", "", "must be an https:// or oci:// URL"},
	}
	for _, tc := range tests {
		c, err := ParseChart(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if got := strings.Join([]string{c.Component, c.Repository, c.Name, c.Version}, " "); err != nil || got != tc.want {
			t.Errorf("%s: %q %v", tc.in, got, err)
		}
	}
}

// TestScaffoldQuoting: remote text in a scaffold stays data: interpolation,
// comment and quote characters round-trip as the same string.
func TestScaffoldQuoting(t *testing.T) {
	hostile := "Evil \"quote\" \\(interp) */ // \u2028 <script>"
	s := &Spec{Name: "evil", Phase: "observability", Kind: "tutorial", Title: hostile, Description: hostile, MeasureWhat: hostile, CostWhat: "x",
		Header: []string{"line one\nsecond line */ still a comment"}, Alternatives: []string{"a\"b"}}
	b, err := s.CUE()
	if err != nil {
		t.Fatal(err)
	}
	v := cuecontext.New().CompileBytes(b)
	if err := v.Err(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	exp := v.LookupPath(cue.ParsePath(`lab.phases.observability.experiments.evil`))
	for _, f := range []string{"title", "description"} {
		got, err := exp.LookupPath(cue.ParsePath(f)).String()
		if err != nil || got != hostile {
			t.Errorf("%s = %q, %v", f, got, err)
		}
	}
	if got, _ := exp.LookupPath(cue.ParsePath("compare.alternatives[0]")).String(); got != "a\"b" {
		t.Errorf("alternative %q", got)
	}
}
