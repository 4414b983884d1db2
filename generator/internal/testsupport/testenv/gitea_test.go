package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestGitea(t *testing.T) {
	g := StartGitea(t)
	t.Logf("gitea ready in %s", g.StartupTime)
	call := func(method, path, token, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, g.APIURL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "token "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	tests := []struct {
		name, method, path, token, body string
		wantStatus                      int
		wantField, wantValue            string
	}{
		{"token identifies the admin", "GET", "user", g.Token, "", 200, "login", g.User},
		{"bad token refused", "GET", "user", "0000000000000000000000000000000000000000", "", 401, "", ""},
		{"create repository", "POST", "user/repos", g.Token, `{"name":"gitops","auto_init":true,"default_branch":"main"}`, 201, "full_name", g.User + "/gitops"},
		{"read it back", "GET", "repos/" + g.User + "/gitops", g.Token, "", 200, "default_branch", "main"},
		{"unknown repository", "GET", "repos/" + g.User + "/nope", g.Token, "", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m := call(tt.method, tt.path, tt.token, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("%s %s: status %d, want %d (%v)", tt.method, tt.path, status, tt.wantStatus, m)
			}
			if tt.wantField != "" && m[tt.wantField] != tt.wantValue {
				t.Fatalf("%s = %v, want %q", tt.wantField, m[tt.wantField], tt.wantValue)
			}
		})
	}
}
