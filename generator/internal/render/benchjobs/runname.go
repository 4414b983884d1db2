package benchjobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// nameByContent ends the Job's name (the repetition's base name) with a
// digest of everything else in it. A Job's pod template cannot be changed
// once created, so a benchmark whose script, image or parameters change
// must run as new Jobs: ArgoCD creates them in their waves and prunes the
// old ones, while an unchanged benchmark keeps its Jobs (and their logs)
// through any number of syncs.
func nameByContent(j *batchv1.Job) error {
	base := j.Name
	j.Name = ""
	b, err := json.Marshal(j)
	j.Name = base
	if err != nil {
		return fmt.Errorf("job %s: %w", base, err)
	}
	sum := sha256.Sum256(b)
	j.Name = base + "-" + hex.EncodeToString(sum[:])[:model.BenchmarkJobDigestLen]
	return nil
}
