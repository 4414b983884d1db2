package model

// Policy mirrors #Policy.
type Policy struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}
