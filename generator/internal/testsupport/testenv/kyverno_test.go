package testenv

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestKyvernoCLI runs the pinned Kyverno CLI on a ValidatingPolicy (policies.kyverno.io/v1):
// a test whose expectations hold must pass, one with a wrong expectation must fail.
func TestKyvernoCLI(t *testing.T) {
	kyverno := Kyverno(t)
	tests := []struct {
		dir      string
		wantExit int
		wantOut  []string
	}{
		{dir: "testdata/kyverno/pass", wantExit: 0, wantOut: []string{"Test Summary: 2 tests passed and 0 tests failed"}},
		{dir: "testdata/kyverno/wrong-expectation", wantExit: 1, wantOut: []string{
			"Test Summary: 1 tests passed and 1 tests failed",
			"batch/v1/Job/lab-bench/k6-latest │ Fail   │ Want pass, got fail",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			out, err := exec.Command(kyverno, "test", tt.dir, "--remove-color").CombinedOutput()
			exit := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != tt.wantExit {
				t.Errorf("exit code %d, want %d\n%s", exit, tt.wantExit, out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
