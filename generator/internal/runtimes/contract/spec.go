package contract

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Spec is apps/runtimes/contract/contract.json plus the files it names.
type Spec struct {
	ContentType string `json:"contentType"`
	DocumentRef string `json:"jsonDocument"`
	SchemaRef   string `json:"schema"`
	Compute     struct {
		Param string `json:"param"`
		Min   int64  `json:"min"`
		Max   int64  `json:"max"`
	} `json:"compute"`
	Database struct {
		Param string `json:"param"`
		Min   int64  `json:"min"`
		Max   int64  `json:"max"`
		Query string `json:"query"`
	} `json:"database"`
	Echo struct {
		MaxBytes int `json:"maxBytes"`
	} `json:"echo"`
	Errors map[string]string `json:"errors"`

	// Document is the exact /json body.
	Document []byte `json:"-"`
}

// errorKeys are the error bodies the cases use; LoadSpec checks all exist.
var errorKeys = []string{
	"missingN", "invalidN", "missingId", "invalidId", "itemNotFound", "databaseUnavailable",
	"bodyTooLarge", "invalidJSON", "notFound", "methodNotAllowed",
}

// LoadSpec reads the contract from the repository at root.
func LoadSpec(root string) (*Spec, error) {
	path := filepath.Join(root, SpecPath)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, k := range errorKeys {
		body, ok := s.Errors[k]
		if !ok {
			return nil, fmt.Errorf("%s: errors.%s: missing", path, k)
		}
		if !json.Valid([]byte(body)) {
			return nil, fmt.Errorf("%s: errors.%s: not valid JSON: %s", path, k, body)
		}
	}
	if s.ContentType == "" || s.Compute.Max < 1 || s.Database.Max < 1 || s.Echo.MaxBytes < 2 {
		return nil, fmt.Errorf("%s: contentType, compute.max, database.max and echo.maxBytes are required", path)
	}
	docPath := filepath.Join(filepath.Dir(path), s.DocumentRef)
	s.Document, err = os.ReadFile(docPath)
	if err != nil {
		return nil, fmt.Errorf("%s: jsonDocument: %w", path, err)
	}
	if !json.Valid(s.Document) {
		return nil, fmt.Errorf("%s: not valid JSON", docPath)
	}
	return &s, nil
}

func (s *Spec) errBody(key string) []byte { return []byte(s.Errors[key]) }
