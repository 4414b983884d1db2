package analyze

import (
	"fmt"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
)

// BenchmarkAnalyze scores a landscape-sized run: 2,000 projects (half of
// them also on GitHub) and 500 posts.
func BenchmarkAnalyze(b *testing.B) {
	lab, cfg := testLab()
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	res := &sources.Result{}
	for i := 0; i < 2000; i++ {
		repo := fmt.Sprintf("org%d/project%d", i%97, i)
		res.Projects = append(res.Projects, sources.Project{Source: "ls", Kind: "landscape", Weight: 1, Name: fmt.Sprintf("Project %d", i), Repo: repo,
			Maturity: []string{"sandbox", "incubating", "graduated"}[i%3], Category: "Observability and Analysis", Subcategory: "Tracing", Contributors: -1, Commits30d: -1})
		if i%2 == 0 {
			res.Projects = append(res.Projects, sources.Project{Source: "gh", Kind: "github", Weight: 1, Name: repo, Repo: repo, Stars: 1000 + i,
				HasPrev: true, PrevStars: 900 + i, PrevDays: 7, Contributors: i % 300, Commits30d: i % 150, Topics: []string{"ebpf", "observability"}})
		}
	}
	for i := 0; i < 500; i++ {
		res.Mentions = append(res.Mentions, sources.Mention{Source: "hn", Weight: 0.7, Title: fmt.Sprintf("Why project%d beats everything on Kubernetes", i*4), Points: i})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Analyze(lab, cfg, res, now); err != nil {
			b.Fatal(err)
		}
	}
}
