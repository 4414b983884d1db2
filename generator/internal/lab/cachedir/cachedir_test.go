package cachedir

import "testing"

func TestDir(t *testing.T) {
	tests := []struct {
		env     map[string]string
		sub     []string
		want    string
		wantErr bool
	}{
		{map[string]string{"LAB_CACHE": "/c", "HOME": "/h"}, nil, "/c", false},
		{map[string]string{"HOME": "/h"}, nil, "/h/.cache/illm-lab", false},
		{map[string]string{"HOME": "/h"}, []string{"render"}, "/h/.cache/illm-lab/render", false},
		{map[string]string{"LAB_CACHE": "/c"}, []string{"discover", "x"}, "/c/discover/x", false},
		{map[string]string{}, nil, "", true},
	}
	for _, tt := range tests {
		got, err := Dir(func(k string) string { return tt.env[k] }, tt.sub...)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Dir(%v, %v) = %q, %v; want %q, err %v", tt.env, tt.sub, got, err, tt.want, tt.wantErr)
		}
	}
}
