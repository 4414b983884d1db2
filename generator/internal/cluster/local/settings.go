package local

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// ArgoCDChart is the chart name of the component that installs ArgoCD on a
// hub; its values are what the local hub runs ArgoCD with.
const ArgoCDChart = "argo-cd"

// Settings are ArgoCD's configuration as the lab's argo-cd chart values
// give it: the three ConfigMaps (configs.cm, configs.params, configs.rbac)
// and each component's resource limits.
type Settings struct {
	CM, CmdParams, RBAC map[string]string
	// Limits are per component (application-controller, repo-server,
	// applicationset-controller, server, redis).
	Limits map[string]Limits
	// From names the component the values came from ("" when none).
	From string
}

// Limits bound one process: the cores it may use (GOMAXPROCS) and memory
// (GOMEMLIMIT for Go programs, maxmemory for Redis); zero means unbounded.
type Limits struct {
	CPU    int
	Memory int64
}

// chartKeys maps the argo-cd chart's component keys to ArgoCD components.
var chartKeys = map[string]string{
	"controller":     "application-controller",
	"repoServer":     "repo-server",
	"applicationSet": "applicationset-controller",
	"server":         "server",
	"redis":          "redis",
}

// LabSettings finds the argo-cd component the lab deploys to cluster (or,
// when that cluster conducts none, anywhere in the lab) and reads its
// values. A lab without one gets ArgoCD's defaults.
func LabSettings(lab *model.Lab, cluster string) (Settings, error) {
	var found *model.Component
	var from string
	search := func(exps []*model.Experiment) {
		for _, e := range exps {
			for _, u := range e.Units() {
				if c := u.Component; found == nil && c.Chart != nil && c.Chart.Name == ArgoCDChart {
					found, from = c, e.Name+"/"+u.Name()
				}
			}
		}
	}
	var conducted []*model.Experiment
	for _, n := range lab.Conduct[cluster] {
		if e, ok := lab.Experiment(n); ok {
			conducted = append(conducted, e)
		}
	}
	search(conducted)
	if found == nil {
		search(lab.Experiments())
	}
	if found == nil {
		return Settings{CM: map[string]string{}, CmdParams: map[string]string{}, RBAC: map[string]string{}, Limits: map[string]Limits{}}, nil
	}
	s, err := SettingsFromValues(found.Values)
	if err != nil {
		return Settings{}, fmt.Errorf("values of %s: %w", from, err)
	}
	s.From = from
	return s, nil
}

// SettingsFromValues reads the argo-cd chart values the local hub uses.
func SettingsFromValues(v map[string]any) (Settings, error) {
	s := Settings{Limits: map[string]Limits{}}
	configs, _ := v["configs"].(map[string]any)
	var err error
	if s.CM, err = stringMap(configs["cm"], "configs.cm"); err != nil {
		return s, err
	}
	if s.CmdParams, err = stringMap(configs["params"], "configs.params"); err != nil {
		return s, err
	}
	if s.RBAC, err = stringMap(configs["rbac"], "configs.rbac"); err != nil {
		return s, err
	}
	for key, comp := range chartKeys {
		m, _ := v[key].(map[string]any)
		res, _ := m["resources"].(map[string]any)
		lim, _ := res["limits"].(map[string]any)
		var l Limits
		if c, ok := lim["cpu"]; ok {
			q, err := quantity(c)
			if err != nil {
				return s, fmt.Errorf("%s.resources.limits.cpu: %w", key, err)
			}
			l.CPU = int(math.Ceil(float64(q.MilliValue()) / 1000))
		}
		if mem, ok := lim["memory"]; ok {
			q, err := quantity(mem)
			if err != nil {
				return s, fmt.Errorf("%s.resources.limits.memory: %w", key, err)
			}
			l.Memory = q.Value()
		}
		if l != (Limits{}) {
			s.Limits[comp] = l
		}
	}
	return s, nil
}

func quantity(v any) (resource.Quantity, error) {
	switch x := v.(type) {
	case string:
		return resource.ParseQuantity(x)
	case int:
		return *resource.NewQuantity(int64(x), resource.DecimalSI), nil
	case int64:
		return *resource.NewQuantity(x, resource.DecimalSI), nil
	case float64:
		return resource.ParseQuantity(strconv.FormatFloat(x, 'f', -1, 64))
	}
	return resource.Quantity{}, fmt.Errorf("not a quantity: %v", v)
}

// stringMap turns a values map into ConfigMap data: Helm writes booleans and
// numbers of these maps as their text.
func stringMap(v any, where string) (map[string]string, error) {
	out := map[string]string{}
	if v == nil {
		return out, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a map, got %T", where, v)
	}
	for k, val := range m {
		switch x := val.(type) {
		case string:
			out[k] = x
		case bool:
			out[k] = strconv.FormatBool(x)
		case int, int64:
			out[k] = fmt.Sprint(x)
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return nil, fmt.Errorf("%s.%s: want a string, number or boolean, got %T", where, k, val)
		}
	}
	return out, nil
}

// Node is one kwok node of the local hub.
type Node struct {
	Name         string
	InstanceType string
	CPU, Memory  resource.Quantity
	Pods         int
}

// MachineType is a node type's capacity.
type MachineType struct {
	CPU    int
	Memory resource.Quantity
}

// MachineTypes are the capacities of the node types the lab prices
// (costModel.nodeHour): the providers' published machine shapes. The
// "kind-node" type is a kind container on this machine, so it gets this
// machine's cores and memory (HostMachine).
var MachineTypes = map[string]MachineType{
	"e2-medium":     {CPU: 2, Memory: resource.MustParse("4Gi")},
	"e2-standard-2": {CPU: 2, Memory: resource.MustParse("8Gi")},
	"e2-standard-4": {CPU: 4, Memory: resource.MustParse("16Gi")},
	"e2-standard-8": {CPU: 8, Memory: resource.MustParse("32Gi")},
	"n2-standard-4": {CPU: 4, Memory: resource.MustParse("16Gi")},
}

// KindNode is the node type of a kind cluster.
const KindNode = "kind-node"

// HostMachine is this machine's shape: what a kind node sees.
func HostMachine() MachineType {
	mt := MachineType{CPU: runtime.NumCPU(), Memory: resource.MustParse("8Gi")}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 2 && fs[0] == "MemTotal:" {
				if kb, err := strconv.ParseInt(fs[1], 10, 64); err == nil {
					mt.Memory = *resource.NewQuantity(kb*1024, resource.BinarySI)
				}
			}
		}
	}
	return mt
}

// ClusterNodes are the kwok nodes standing in for a cluster's nodes: its
// count of its node type, with that type's capacity, labelled with it
// (node.kubernetes.io/instance-type, which the results collector records).
func ClusterNodes(cl *model.Cluster) ([]Node, error) {
	mt, ok := MachineTypes[cl.Nodes.Type]
	if cl.Nodes.Type == KindNode {
		mt, ok = HostMachine(), true
	}
	if !ok {
		known := []string{KindNode}
		for k := range MachineTypes {
			known = append(known, k)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("cluster %s: no capacity known for node type %q (known: %s)", cl.Name, cl.Nodes.Type, strings.Join(known, ", "))
	}
	n := max(cl.Nodes.Count, 1)
	nodes := make([]Node, n)
	for i := range nodes {
		nodes[i] = Node{
			Name:         fmt.Sprintf("%s-%s-%d", cl.Name, cl.Nodes.Type, i),
			InstanceType: cl.Nodes.Type,
			CPU:          *resource.NewQuantity(int64(mt.CPU), resource.DecimalSI),
			Memory:       mt.Memory,
			Pods:         110,
		}
	}
	return nodes, nil
}
