package crds

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestLockMatchesEmbeddedFiles guards against hand edits of the vendored manifests: each file
// must hash to what scripts/refresh-crds.sh recorded, and the lock must list exactly the files
// embedded.
func TestLockMatchesEmbeddedFiles(t *testing.T) {
	lock, err := Lock()
	if err != nil {
		t.Fatal(err)
	}
	inLock := map[string]bool{}
	for _, e := range lock {
		inLock[e.File] = true
		if e.Module == "" || e.Version == "" || e.Path == "" || !strings.HasPrefix(e.ModuleSum, "h1:") {
			t.Errorf("lock.json entry %s: incomplete source %+v", e.File, e)
		}
		b, err := Raw(e.File)
		if err != nil {
			t.Errorf("lock.json lists %s but it is not embedded: %v", e.File, err)
			continue
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != e.SHA256 {
			t.Errorf("%s: sha256 %s, lock.json says %s (%s@%s %s); run scripts/refresh-crds.sh", e.File, got, e.SHA256, e.Module, e.Version, e.Path)
		}
	}
	for _, f := range Files() {
		if !inLock[f] {
			t.Errorf("data/%s is embedded but not in lock.json", f)
		}
	}
}

func TestAllHasPinnedKinds(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{} // group/version/kind of every served version
	for _, c := range all {
		for _, v := range c.Spec.Versions {
			if v.Served {
				served[c.Spec.Group+"/"+v.Name+"/"+c.Spec.Names.Kind] = true
			}
			if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				t.Errorf("%s %s has no structural schema", c.Name, v.Name)
			}
		}
	}
	for _, want := range []string{
		"argoproj.io/v1alpha1/Application",
		"argoproj.io/v1alpha1/ApplicationSet",
		"argoproj.io/v1alpha1/AppProject",
		"argoproj.io/v1alpha1/CronWorkflow",
		"policies.kyverno.io/v1/ValidatingPolicy",
		"policies.kyverno.io/v1/ImageValidatingPolicy",
	} {
		if !served[want] {
			t.Errorf("no embedded CRD serves %s", want)
		}
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{name: "empty", in: "", want: 0},
		{name: "two documents", in: "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a.x.io}\n---\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: b.x.io}\n", want: 2},
		{name: "other kind", in: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", wantErr: "document 1: v1 ConfigMap is not"},
		{name: "wrong type", in: "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: {group: [1]}\n", wantErr: "document 1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("decoded %d CRDs, want %d", len(got), tt.want)
			}
		})
	}
}

func BenchmarkAll(b *testing.B) {
	for b.Loop() {
		if _, err := All(); err != nil {
			b.Fatal(err)
		}
	}
}
