package model

// Benchmark mirrors #Benchmark.
type Benchmark struct {
	Description             string               `json:"description,omitempty"`
	Target                  string               `json:"target"`
	Targets                 map[string]string    `json:"targets"`
	Repetitions             int                  `json:"repetitions"`
	Warmup                  *Warmup              `json:"warmup,omitempty"`
	SummaryTrendStats       []string             `json:"summaryTrendStats"`
	Scenarios               map[string]*Scenario `json:"scenarios"`
	Requests                map[string]*Request  `json:"requests"`
	Thresholds              map[string][]string  `json:"thresholds"`
	Runner                  Runner               `json:"runner"`
	TTLSecondsAfterFinished int                  `json:"ttlSecondsAfterFinished"`
}

// Warmup mirrors #Warmup.
type Warmup struct {
	Duration string `json:"duration"`
	VUs      int    `json:"vus"`
}

// Runner mirrors #Benchmark.runner.
type Runner struct {
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
}

// Scenario mirrors #Scenario. Pointers tell an unset parameter from a zero.
type Scenario struct {
	Name            string   `json:"name"`
	Executor        string   `json:"executor"`
	Requests        []string `json:"requests"`
	StartTime       string   `json:"startTime,omitempty"`
	GracefulStop    string   `json:"gracefulStop,omitempty"`
	Duration        string   `json:"duration,omitempty"`
	Rate            *int     `json:"rate,omitempty"`
	StartRate       *int     `json:"startRate,omitempty"`
	TimeUnit        string   `json:"timeUnit,omitempty"`
	PreAllocatedVUs *int     `json:"preAllocatedVUs,omitempty"`
	MaxVUs          *int     `json:"maxVUs,omitempty"`
	VUs             *int     `json:"vus,omitempty"`
	StartVUs        *int     `json:"startVUs,omitempty"`
	Stages          []Stage  `json:"stages,omitempty"`
}

// Stage mirrors #Stage.
type Stage struct {
	Duration string `json:"duration"`
	Target   int    `json:"target"`
}

// Request mirrors #Request.
type Request struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Path    string            `json:"path,omitempty"`
	URL     string            `json:"url,omitempty"`
	Weight  int               `json:"weight"`
	Headers map[string]string `json:"headers"`
	Body    *string           `json:"body,omitempty"`
	Checks  Checks            `json:"checks"`
}

// Checks mirrors #Checks.
type Checks struct {
	Status       int    `json:"status"`
	BodyContains string `json:"bodyContains,omitempty"`
}
