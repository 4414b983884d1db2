package yamlenc

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestValue(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"large integers stay integers", map[string]any{"count": float64(1000000)}, "count: 1000000\n"},
		{"floats stay floats", map[string]any{"f": 0.25}, "f: 0.25\n"},
		{"keys sorted at every level", map[string]any{"b": map[string]any{"z": 1, "a": "x"}, "a": []any{true, nil}},
			"a:\n- true\n- null\nb:\n  a: x\n  z: 1\n"},
		{"strings that look like other types are quoted", map[string]any{"v": "1.10", "b": "true", "s": "on"},
			"b: \"true\"\ns: \"on\"\nv: \"1.10\"\n"},
		{"empty", map[string]any{}, "{}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Value(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := Value(map[string]any{"c": make(chan int)}); err == nil {
		t.Error("a non-JSON value must be an error")
	}
}

func TestEncodeDropsEmptySpecAndStatus(t *testing.T) {
	got, err := Encode(&corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"b": "2", "a": "1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    a: \"1\"\n    b: \"2\"\n  name: x\n"
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
