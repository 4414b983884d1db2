package k6

import (
	"encoding/json"

	"sigs.k8s.io/yaml"
)

// encode writes an object as YAML with sorted keys, without the status
// typed Kubernetes objects carry (as render.Encode does; render imports
// this package).
func encode(obj any) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	return yaml.Marshal(m)
}
