// Package synth writes synthetic labs of a given size for benchmarks: the
// real schema and cue.mod, and n experiments of three components each,
// spread over ten phases, all switched on for one cluster.
package synth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Write creates a synthetic lab with n experiments under dir, copying
// cue.mod/ and schema/ from repoRoot.
func Write(repoRoot, dir string, n int) error {
	if err := CopySchema(repoRoot, dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "phases"), 0o755); err != nil {
		return err
	}
	var names []string
	for i := 0; i < n; i++ {
		names = append(names, fmt.Sprintf("%q", fmt.Sprintf("exp-%04d", i)))
	}
	lab := fmt.Sprintf(`package phases

import "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/schema"

lab: schema.#Lab & {
	name:    "synthetic"
	repoURL: "https://git.example.test/lab.git"
	clusters: hub: {}
	costModel: nodeHour: "kind-node": 0
	conduct: hub: [%s]
}
`, strings.Join(names, ", "))
	if err := os.WriteFile(filepath.Join(dir, "phases", "lab.cue"), []byte(lab), 0o644); err != nil {
		return err
	}
	const phases = 10
	for p := 0; p < phases; p++ {
		var b strings.Builder
		fmt.Fprintf(&b, "package phases\n\nlab: phases: \"phase-%02d\": {\n\tnumber: %d\n\ttitle: \"Phase %d\"\n\tbuilds: \"b\"\n\tmeasures: \"m\"\n\tfinops: \"f\"\n\texperiments: {\n", p, p+1, p+1)
		for i := p; i < n; i += phases {
			fmt.Fprintf(&b, `		"exp-%04d": {
			kind: "tutorial"
			status: "backlog"
			title: "Experiment %d"
			description: "A synthetic experiment."
			components: {
				operator: {chart: {repository: "https://charts.example.test", name: "operator", version: "1.%d.0"}, syncWave: -1, values: replicas: 1}
				server: {chart: {repository: "oci://registry.example.test/charts", name: "server", version: "2.0.%d"}, values: resources: requests: cpu: "50m"}
				client: {chart: {repository: "https://charts.example.test", name: "client", version: "0.1.0"}, values: image: tag: "1.0.%d"}
			}
			measure: {
				summary: "cpu"
				metrics: cpu_cores: {query: "sum(rate(container_cpu_usage_seconds_total{namespace=\"$namespace\"}[$window]))", unit: "cores"}
			}
			cost: question: "what does it cost?"
			compare: summary: "nothing"
		}
`, i, i, i%50, i, i)
		}
		b.WriteString("\t}\n}\n")
		if err := os.WriteFile(filepath.Join(dir, "phases", fmt.Sprintf("phase-%02d.cue", p)), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// CopySchema copies the CUE module and schema (cue.mod/, schema/) of the
// repository at repoRoot into dir, for test and benchmark labs.
func CopySchema(repoRoot, dir string) error {
	for _, sub := range []string{"cue.mod", "schema"} {
		if err := copyDir(filepath.Join(repoRoot, sub), filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	return nil
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		if !strings.HasSuffix(p, ".cue") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
}
