package publish

import (
	"strings"
	"testing"
)

func TestOwnerRepo(t *testing.T) {
	tests := []struct {
		remote, want, err string
	}{
		{"https://github.com/illm-k8s-ai-lab/illm-k8s-ai-lab.git", "illm-k8s-ai-lab/illm-k8s-ai-lab", ""},
		{"https://github.com/o/n", "o/n", ""},
		{"https://github.com/o/n/", "o/n", ""},
		{"http://127.0.0.1:3000/git/o/n.git", "o/n", ""},
		{"https://user:s3cret@git.example.test/o/n.git", "o/n", ""},
		{"https://github.com/n.git", "", "no owner/name"},
		{"git@github.com:o/n.git", "", "not an http(s) URL"},
		{"ssh://git@github.com/o/n.git", "", "not an http(s) URL"},
		{"https://user:s3cret@github.com/", "", "no owner/name"},
	}
	for _, tt := range tests {
		got, err := OwnerRepo(tt.remote)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("OwnerRepo(%q) = %q, %v; want %q", tt.remote, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("OwnerRepo(%q) error %v, want %q", tt.remote, err, tt.err)
		case err != nil && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("OwnerRepo(%q) prints the password: %v", tt.remote, err)
		}
	}
}
