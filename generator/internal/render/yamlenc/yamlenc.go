// Package yamlenc writes Kubernetes objects and free-form values as YAML
// the same way everywhere in the generator: keys sorted, integers kept
// integers, no empty spec or status. Deterministic output depends on it.
package yamlenc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	yamlv2 "go.yaml.in/yaml/v2"
)

// Encode writes an object as YAML with sorted keys, leaving out the empty
// spec and status that typed Kubernetes objects carry. It goes through
// JSON once (so json tags and omitempty apply) and encodes the result
// directly, keeping integers integers.
func Encode(obj any) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if s, ok := m["spec"].(map[string]any); ok && len(s) == 0 {
		delete(m, "spec")
	}
	return Value(m)
}

// Value writes free-form data (Helm values, decoded JSON) as YAML
// with sorted keys.
func Value(v any) ([]byte, error) {
	n, err := normalize(v)
	if err != nil {
		return nil, err
	}
	return yamlv2.Marshal(n)
}

// normalize turns JSON numbers into int64 or float64 (so 1000000 stays
// 1000000, not 1e+06) and checks the value holds only JSON types.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			x[k] = n
		}
		return x, nil
	case []any:
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			x[i] = n
		}
		return x, nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
		return x, nil
	case string, bool, nil, int, int64:
		return x, nil
	default:
		return nil, fmt.Errorf("unexpected %T in a value", v)
	}
}
