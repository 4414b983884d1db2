// Command generator compiles the lab's CUE into the committed GitOps tree
// and turns benchmark output into versioned results.
package main

import (
	"os"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/cmd"
)

func main() {
	os.Exit(cmd.Execute())
}
