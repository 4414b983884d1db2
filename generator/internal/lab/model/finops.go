package model

// FinOps mirrors #FinOps.
type FinOps struct {
	Resources map[string]*Metric `json:"resources"`
	CostSpike CostSpike          `json:"costSpike"`
	TCO       map[string]*TCO    `json:"tco"`
}

// CostSpike mirrors #FinOps.costSpike.
type CostSpike struct {
	Ratio     float64 `json:"ratio"`
	Baseline  string  `json:"baseline"`
	For       string  `json:"for"`
	MinHourly float64 `json:"minHourly"`
}

// TCO mirrors #TCO.
type TCO struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	SelfManaged TCOSelfManaged `json:"selfManaged"`
	Managed     TCOManaged     `json:"managed"`
}

// TCOSelfManaged mirrors #TCO.selfManaged.
type TCOSelfManaged struct {
	Experiment       string   `json:"experiment"`
	Component        string   `json:"component"`
	Namespace        string   `json:"namespace"`
	OpsHoursPerMonth float64  `json:"opsHoursPerMonth"`
	LaborHour        *float64 `json:"laborHour,omitempty"`
}

// TCOManaged mirrors #TCO.managed.
type TCOManaged struct {
	Offering string               `json:"offering"`
	Source   string               `json:"source"`
	AsOf     string               `json:"asOf"`
	Monthly  float64              `json:"monthly"`
	Usage    map[string]*TCOUsage `json:"usage"`
}

// TCOUsage mirrors one entry of #TCO.managed.usage.
type TCOUsage struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	PerSecond   string  `json:"perSecond"`
	UnitPrice   float64 `json:"unitPrice"`
}
