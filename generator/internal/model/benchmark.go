package model

// Benchmark mirrors #Benchmark.
type Benchmark struct {
	Description string `json:"description,omitempty"`
}
