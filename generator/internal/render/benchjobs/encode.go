package benchjobs

import "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/yamlenc"

// encode writes an object as YAML the way every rendered file is written.
func encode(obj any) ([]byte, error) { return yamlenc.Encode(obj) }
