// Command synthlab writes a synthetic lab of N experiments for the render
// benchmarks (scripts/bench-render.sh).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/synth"
)

func main() {
	n := flag.Int("n", 1000, "number of experiments")
	out := flag.String("out", "", "folder to write the lab into")
	root := flag.String("root", ".", "repository root (for cue.mod and schema)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "synthlab: -out is required")
		os.Exit(2)
	}
	if err := synth.Write(*root, *out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "synthlab:", err)
		os.Exit(1)
	}
}
