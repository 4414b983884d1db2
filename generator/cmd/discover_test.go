package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/replay"
)

// TestDiscoverScript runs generator/testdata/discover/*.txtar against a
// replay server on loopback TLS serving recorded API answers (a copy in
// $WORK/replay, which a script may change between runs). Scripts see
// $REPLAY (the server's URL), trust its certificate (SSL_CERT_FILE), and
// have "REPLAY" in their phases/*.cue and *.cue.txt replaced by the URL. Under
// $REPLAY/anthropic/ a local server speaks the Messages API.
func TestDiscoverScript(t *testing.T) {
	repo := golden.RepoRoot(t)
	runScripts(t, "discover", func(env *testscript.Env) error {
		dir := filepath.Join(env.WorkDir, "replay")
		if err := os.CopyFS(dir, os.DirFS(filepath.Join(repo, "generator/internal/discovery/sources/testdata/replay"))); err != nil {
			return err
		}
		srv := replay.Start(dir)
		srv.Extra["/anthropic/"] = messagesAPI(t)
		env.Defer(srv.Close)
		cert := filepath.Join(env.WorkDir, "replay-cert.pem")
		if err := os.WriteFile(cert, srv.CertPEM(), 0o644); err != nil {
			return err
		}
		env.Setenv("SSL_CERT_FILE", cert)
		env.Setenv("REPLAY", srv.URL)
		env.Setenv("LAB_CACHE", filepath.Join(env.WorkDir, "cache"))
		env.Setenv("GITHUB_TOKEN", "")
		env.Setenv("ANTHROPIC_API_KEY", "")
		env.Setenv("ANTHROPIC_BASE_URL", srv.URL+"/anthropic")
		files, _ := filepath.Glob(filepath.Join(env.WorkDir, "phases", "*.cue"))
		more, _ := filepath.Glob(filepath.Join(env.WorkDir, "*.cue.txt"))
		files = append(files, more...)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := os.WriteFile(f, []byte(strings.ReplaceAll(string(b), "REPLAY", srv.URL)), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
}

// messagesAPI answers POST /v1/messages the way Anthropic's Messages API
// does, after checking the request has the shape the API requires. Its
// verdict: noise for a finding named "pixie", else the rule's phase.
func messagesAPI(t *testing.T) http.Handler {
	apiError := func(w http.ResponseWriter, status int, typ, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"type":"error","error":{"type":%q,"message":%q},"request_id":"req_011CTest"}`, typ, msg)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
			apiError(w, http.StatusNotFound, "not_found_error", "Not found: "+r.Method+" "+r.URL.Path)
			return
		}
		// The SDK sends the key as a bearer token; x-api-key is the other
		// form the API takes.
		if r.Header.Get("X-Api-Key") != "test-key" && r.Header.Get("Authorization") != "Bearer test-key" {
			apiError(w, http.StatusUnauthorized, "authentication_error", "invalid x-api-key")
			return
		}
		if r.Header.Get("Anthropic-Version") == "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			apiError(w, http.StatusBadRequest, "invalid_request_error", "anthropic-version header and a JSON body are required")
			return
		}
		var req struct {
			Model     string `json:"model"`
			MaxTokens int    `json:"max_tokens"`
			System    []struct {
				Type, Text string
			} `json:"system"`
			Messages []struct {
				Role    string `json:"role"`
				Content []struct {
					Type, Text string
				} `json:"content"`
			} `json:"messages"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &req); err != nil || req.Model == "" || req.MaxTokens <= 0 || len(req.System) != 1 || req.System[0].Text == "" ||
			len(req.Messages) != 1 || req.Messages[0].Role != "user" || len(req.Messages[0].Content) != 1 || req.Messages[0].Content[0].Type != "text" {
			apiError(w, http.StatusBadRequest, "invalid_request_error", "malformed request: "+string(body))
			return
		}
		var q struct {
			Name      string `json:"name"`
			RulePhase string `json:"rulePhase"`
		}
		if err := json.Unmarshal([]byte(req.Messages[0].Content[0].Text), &q); err != nil {
			apiError(w, http.StatusBadRequest, "invalid_request_error", "user message is not the finding JSON")
			return
		}
		verdict := map[string]string{"category": "new", "phase": q.RulePhase, "reason": "An eBPF tool the lab lacks."}
		if strings.EqualFold(q.Name, "pixie") {
			verdict = map[string]string{"category": "noise", "phase": "", "reason": "Overlaps with what Beyla shows; little activity."}
		}
		text, _ := json.Marshal(verdict)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "msg_01TestVerdict", "type": "message", "role": "assistant", "model": req.Model,
			"content":     []any{map[string]any{"type": "text", "text": string(text)}},
			"stop_reason": "end_turn", "stop_sequence": nil,
			"usage": map[string]any{"input_tokens": 180, "output_tokens": 32, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
		})
	})
}
