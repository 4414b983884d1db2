package analyze

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Verdict is an LLM's categorisation of one candidate.
type Verdict struct {
	Model    string `json:"model"`
	Category string `json:"category"`
	Phase    string `json:"phase"`
	Reason   string `json:"reason"`
	Cached   bool   `json:"cached,omitempty"`
}

// Categorizer categorises a candidate given the lab's phases.
type Categorizer interface {
	Categorize(ctx context.Context, c *Candidate, phases []string) (*Verdict, error)
}

// MaxLLMCalls bounds the candidates sent to the LLM in one run.
const MaxLLMCalls = 40

// Anthropic is the Categorizer on Anthropic's Messages API (the official
// SDK); the model, prompt and token budget are pinned in CUE, answers are
// cached by a hash of all of them and the question.
type Anthropic struct {
	client anthropic.Client
	cfg    model.DiscoveryLLM
	cache  *sources.Cache
}

// NewAnthropic builds the categorizer. baseURL is empty for Anthropic's
// API (tests pass a local server); hc carries timeouts and limits.
func NewAnthropic(cfg model.DiscoveryLLM, apiKey, baseURL string, hc *http.Client, cache *sources.Cache) (*Anthropic, error) {
	if apiKey == "" {
		return nil, fmt.Errorf("discovery.llm.enabled is true but ANTHROPIC_API_KEY is not set")
	}
	opts := []option.RequestOption{option.WithAPIKey(apiKey), option.WithMaxRetries(2)}
	if baseURL != "" {
		opts = append(opts, option.WithBaseURL(baseURL))
	}
	if hc != nil {
		opts = append(opts, option.WithHTTPClient(hc))
	}
	return &Anthropic{client: anthropic.NewClient(opts...), cfg: cfg, cache: cache}, nil
}

// question is the user message: the candidate's facts, as JSON.
func question(c *Candidate, phases []string) string {
	q := map[string]any{
		"name": c.Name, "repo": c.Repo, "description": c.Description, "topics": c.Topics,
		"landscapeCategory": c.Category, "landscapeSubcategory": c.Subcategory, "maturity": c.Maturity,
		"stars": c.Stars, "ruleCategory": c.Category, "rulePhase": c.Phase, "labPhases": phases,
	}
	if c.Match != nil {
		q["labMatch"] = c.Match
	}
	b, _ := json.Marshal(q)
	return string(b)
}

// Categorize asks the model, or reads the cached answer.
func (l *Anthropic) Categorize(ctx context.Context, c *Candidate, phases []string) (*Verdict, error) {
	q := question(c, phases)
	sum := sha256.Sum256([]byte(l.cfg.Model + "\x00" + l.cfg.Prompt + "\x00" + fmt.Sprint(l.cfg.MaxTokens) + "\x00" + q))
	key := hex.EncodeToString(sum[:])
	var v Verdict
	if ok, err := l.cache.Get("llm", key, &v); err != nil {
		return nil, err
	} else if ok {
		v.Cached = true
		return &v, nil
	}
	msg, err := l.client.Messages.New(ctx, anthropic.MessageNewParams{
		Model:     anthropic.Model(l.cfg.Model),
		MaxTokens: int64(l.cfg.MaxTokens),
		System:    []anthropic.TextBlockParam{{Text: l.cfg.Prompt}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(q))},
	})
	if err != nil {
		return nil, fmt.Errorf("messages API: %w", err)
	}
	var text strings.Builder
	for _, b := range msg.Content {
		if b.Type == "text" {
			text.WriteString(b.Text)
		}
	}
	parsed, err := ParseVerdict(text.String(), phases)
	if err != nil {
		return nil, err
	}
	parsed.Model = l.cfg.Model
	if err := l.cache.Put("llm", key, parsed); err != nil {
		return nil, err
	}
	return parsed, nil
}

// ParseVerdict reads the model's JSON answer (the first {...} in it) and
// checks its values.
func ParseVerdict(text string, phases []string) (*Verdict, error) {
	i, j := strings.Index(text, "{"), strings.LastIndex(text, "}")
	if i < 0 || j < i {
		return nil, fmt.Errorf("answer holds no JSON object: %q", clip(text))
	}
	var v Verdict
	if err := json.Unmarshal([]byte(text[i:j+1]), &v); err != nil {
		return nil, fmt.Errorf("answer is not the JSON asked for: %v: %q", err, clip(text))
	}
	switch v.Category {
	case New, Improvement, Noise:
	default:
		return nil, fmt.Errorf("answer category %q is not new, improvement or noise", clip(v.Category))
	}
	if v.Phase != "" && !contains(phases, v.Phase) {
		return nil, fmt.Errorf("answer phase %q is not a phase of the lab", clip(v.Phase))
	}
	v.Reason = clip(v.Reason)
	return &v, nil
}

func clip(s string) string {
	r := []rune(s)
	if len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}

// ApplyLLM asks cat about the candidates the rules did not call noise (at
// most MaxLLMCalls, best first): the verdict may change category and
// phase; the score and its rules stay. Errors are kept, not fatal.
func (a *Analysis) ApplyLLM(ctx context.Context, cat Categorizer) {
	phases := a.phasesByNumber()
	n := 0
	for _, c := range a.Candidates {
		if c.Category == Noise || n >= MaxLLMCalls {
			continue
		}
		n++
		v, err := cat.Categorize(ctx, c, phases)
		if err != nil {
			a.LLMErrors = append(a.LLMErrors, fmt.Sprintf("%s: %v", c.Name, err))
			continue
		}
		c.LLM = v
		if v.Category == Noise {
			c.Category, c.Priority = Noise, ""
		} else if c.Match == nil {
			c.Category = v.Category
		}
		if v.Phase != "" && c.Match == nil {
			c.Phase = v.Phase
		}
	}
	a.count()
}
