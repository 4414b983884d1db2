package conduct

import "testing"

func TestEdit(t *testing.T) {
	tests := []struct {
		name, src, cluster, exp string
		on, changed             bool
		want                    string
	}{
		{
			name: "append to a multi-line list", cluster: "hub", exp: "b", on: true, changed: true,
			src:  "package phases\n\nlab: conduct: hub: [\n\t\"a\",\n]\n",
			want: "package phases\n\nlab: conduct: hub: [\n\t\"a\",\n\t\"b\",\n]\n",
		},
		{
			name: "append to an inline list", cluster: "hub", exp: "b", on: true, changed: true,
			src:  "package phases\n\nlab: conduct: hub: [\"a\"]\n",
			want: "package phases\n\nlab: conduct: hub: [\"a\", \"b\"]\n",
		},
		{
			name: "nested structs", cluster: "hub", exp: "b", on: true, changed: true,
			src:  "package phases\n\nlab: {\n\tconduct: {\n\t\thub: []\n\t}\n}\n",
			want: "package phases\n\nlab: {\n\tconduct: {\n\t\thub: [\"b\"]\n\t}\n}\n",
		},
		{
			name: "a cluster not listed yet", cluster: "edge", exp: "b", on: true, changed: true,
			src:  "package phases\n\nlab: conduct: hub: [\"a\"]\n",
			want: "package phases\n\nlab: conduct: {\n\thub: [\"a\"]\n\tedge: [\"b\"]\n}\n",
		},
		{
			name: "remove keeps comments", cluster: "hub", exp: "a", on: false, changed: true,
			src:  "package phases\n\nlab: conduct: hub: [\n\t// the hub\n\t\"a\",\n\t\"b\", // kept\n]\n",
			want: "package phases\n\nlab: conduct: hub: [\n\t// the hub\n\t\"b\", // kept\n]\n",
		},
		{
			name: "one declaration per cluster: the second cluster's list", cluster: "mesh", exp: "b", on: true, changed: true,
			src:  "package phases\n\nlab: conduct: hub: [\"a\"]\nlab: conduct: mesh: [\"c\"]\n",
			want: "package phases\n\nlab: conduct: hub: [\"a\"]\nlab: conduct: mesh: [\"c\", \"b\"]\n",
		},
		{
			name: "one declaration per cluster: off in the second", cluster: "mesh", exp: "c", on: false, changed: true,
			src:  "package phases\n\nlab: conduct: hub: [\"a\"]\nlab: conduct: mesh: [\"c\", \"b\"]\n",
			want: "package phases\n\nlab: conduct: hub: [\"a\"]\nlab: conduct: mesh: [\"b\"]\n",
		},
		{
			name: "already on", cluster: "hub", exp: "a", on: true, changed: false,
			src: "package phases\n\nlab: conduct: hub: [\"a\"]\n",
		},
		{
			name: "already off", cluster: "edge", exp: "a", on: false, changed: false,
			src: "package phases\n\nlab: conduct: hub: [\"a\"]\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := edit("conduct.cue", []byte(tt.src), tt.cluster, tt.exp, tt.on)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tt.changed {
				t.Fatalf("changed = %v, want %v", changed, tt.changed)
			}
			if changed && string(out) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", out, tt.want)
			}
		})
	}
}

func TestEditRefusesOtherShapes(t *testing.T) {
	if _, _, err := edit("conduct.cue", []byte("package phases\n\nlab: name: \"x\"\n"), "hub", "a", true); err == nil {
		t.Fatal("want an error for a file without lab: conduct")
	}
}
