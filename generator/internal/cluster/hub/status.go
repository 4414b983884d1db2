package hub

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
)

var (
	applications    = GVR("argoproj.io", "v1alpha1", "applications")
	applicationSets = GVR("argoproj.io", "v1alpha1", "applicationsets")
)

// Status is what a hub runs of the lab, read from its API only: the root
// and the lab's own Applications, each experiment's ApplicationSet with its
// Applications, and the experiment's k6 runs.
type Status struct {
	Cluster string    `json:"cluster"`
	Time    time.Time `json:"time"`
	// LabRead says the lab's CUE was read, so Conducted is known.
	LabRead bool `json:"labRead"`
	// Root is the cluster's app of apps (nil when it is not there).
	Root *App `json:"root,omitempty"`
	// Lab are the lab's own Applications (policies, discovery).
	Lab         []App        `json:"lab"`
	Experiments []Experiment `json:"experiments"`
}

// Experiment is one experiment on the hub.
type Experiment struct {
	Name string `json:"name"`
	// Conducted says the lab switches it on for the cluster (unknown, so
	// false, when the lab could not be read); Deployed that its
	// ApplicationSet exists.
	Conducted bool `json:"conducted"`
	Deployed  bool `json:"deployed"`
	// Rollout is the ApplicationSet's progressive sync state, and Errors
	// its error conditions.
	Rollout      string   `json:"rollout,omitempty"`
	Errors       []string `json:"errors,omitempty"`
	Applications []App    `json:"applications"`
	Runs         []Run    `json:"runs"`
}

// App is one Application.
type App struct {
	Name      string `json:"name"`
	Component string `json:"component,omitempty"`
	Variant   string `json:"variant,omitempty"`
	Wave      string `json:"wave,omitempty"`
	// Step and StepStatus are its RollingSync step and state (Waiting,
	// Pending, Progressing, Healthy).
	Step       string `json:"step,omitempty"`
	StepStatus string `json:"stepStatus,omitempty"`
	Sync       string `json:"sync"`
	Health     string `json:"health"`
	// HealthMessage says why it is not healthy, when ArgoCD says.
	HealthMessage string `json:"healthMessage,omitempty"`
	Revision      string `json:"revision,omitempty"`
	// Operation is the last (or running) sync operation.
	Operation *Operation `json:"operation,omitempty"`
	// Conditions are its error and warning conditions ("Type: message").
	Conditions []string `json:"conditions,omitempty"`
	// Finalizers still on it (a deleting Application keeps them until
	// its resources are gone).
	Finalizers []string `json:"finalizers,omitempty"`
	Deleting   bool     `json:"deleting,omitempty"`
}

// Operation is an Application's last sync operation.
type Operation struct {
	Phase      string     `json:"phase"`
	Message    string     `json:"message,omitempty"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
}

// Run is one k6 Job of an experiment.
type Run struct {
	Job       string     `json:"job"`
	Namespace string     `json:"namespace"`
	Variant   string     `json:"variant"`
	Run       string     `json:"run"`
	State     string     `json:"state"` // Complete, Failed, Running, Pending
	Message   string     `json:"message,omitempty"`
	Created   time.Time  `json:"created"`
	Completed *time.Time `json:"completed,omitempty"`
}

// StatusOptions say what to read.
type StatusOptions struct {
	// Cluster names the root Application lab-<cluster>.
	Cluster string
	// Namespace is ArgoCD's (default argocd).
	Namespace string
	// Conducted are the experiments the lab switches on for the cluster
	// (nil when unknown, non-nil and empty when none).
	Conducted []string
}

// ReadStatus reads the hub's status through its API.
func ReadStatus(ctx context.Context, cfg *rest.Config, o StatusOptions) (*Status, error) {
	if o.Namespace == "" {
		o.Namespace = "argocd"
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	st := &Status{Cluster: o.Cluster, Time: time.Now().UTC().Truncate(time.Second), LabRead: o.Conducted != nil, Lab: []App{}, Experiments: []Experiment{}}
	apps, err := dyn.Resource(applications).Namespace(o.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("no ArgoCD Applications served in namespace %s: is ArgoCD installed?", o.Namespace)
		}
		return nil, fmt.Errorf("listing Applications: %w", err)
	}
	sets, err := dyn.Resource(applicationSets).Namespace(o.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing ApplicationSets: %w", err)
	}
	exps := map[string]*Experiment{}
	exp := func(name string) *Experiment {
		if e, ok := exps[name]; ok {
			return e
		}
		e := &Experiment{Name: name, Applications: []App{}, Runs: []Run{}}
		exps[name] = e
		return e
	}
	for _, n := range o.Conducted {
		exp(n).Conducted = true
	}
	steps := map[string][2]string{}
	for i := range sets.Items {
		s := &sets.Items[i]
		e := exp(s.GetName())
		e.Deployed = true
		for _, c := range slice(s.Object, "status", "conditions") {
			typ, status, msg := str(c, "type"), str(c, "status"), str(c, "message")
			switch {
			case typ == "RolloutProgressing" && status == "True":
				e.Rollout = msg
			case typ == "ErrorOccurred" && status == "True", typ == "InvalidRolloutConfig" && status == "True":
				e.Errors = append(e.Errors, typ+": "+msg)
			}
		}
		for _, as := range slice(s.Object, "status", "applicationStatus") {
			steps[str(as, "application")] = [2]string{str(as, "step"), str(as, "status")}
		}
	}
	rootName := "lab-" + o.Cluster
	for i := range apps.Items {
		a := appStatus(&apps.Items[i])
		if s, ok := steps[a.Name]; ok {
			a.Step, a.StepStatus = s[0], s[1]
		}
		l := apps.Items[i].GetLabels()
		switch {
		case a.Name == rootName:
			st.Root = &a
		case l[labels.Experiment] != "":
			e := exp(l[labels.Experiment])
			e.Applications = append(e.Applications, a)
		case l[labels.PartOf] != "" && strings.HasPrefix(a.Name, "lab-"):
			st.Lab = append(st.Lab, a)
		}
	}
	for _, e := range exps {
		if err := readRuns(ctx, kc, e); err != nil {
			return nil, err
		}
		sort.SliceStable(e.Applications, func(i, j int) bool {
			wi, _ := strconv.Atoi(e.Applications[i].Wave)
			wj, _ := strconv.Atoi(e.Applications[j].Wave)
			if wi != wj {
				return wi < wj
			}
			return e.Applications[i].Name < e.Applications[j].Name
		})
		st.Experiments = append(st.Experiments, *e)
	}
	sort.Slice(st.Experiments, func(i, j int) bool { return st.Experiments[i].Name < st.Experiments[j].Name })
	sort.Slice(st.Lab, func(i, j int) bool { return st.Lab[i].Name < st.Lab[j].Name })
	return st, nil
}

// readRuns lists the experiment's k6 Jobs, in every namespace, by the
// labels the benchmark Jobs carry.
func readRuns(ctx context.Context, kc kubernetes.Interface, e *Experiment) error {
	sel := labels.Experiment + "=" + e.Name + "," + labels.Run
	jobs, err := kc.BatchV1().Jobs("").List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return fmt.Errorf("listing the k6 Jobs of %s: %w", e.Name, err)
	}
	for _, j := range jobs.Items {
		r := Run{Job: j.Name, Namespace: j.Namespace, Variant: j.Labels[labels.Variant], Run: j.Labels[labels.Run],
			Created: j.CreationTimestamp.UTC(), State: "Pending"}
		if j.Status.Active > 0 {
			r.State = "Running"
		}
		for _, c := range j.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				continue
			}
			switch c.Type {
			case batchv1.JobComplete:
				r.State = "Complete"
			case batchv1.JobFailed:
				r.State, r.Message = "Failed", strings.TrimSpace(c.Reason+": "+c.Message)
			}
		}
		if j.Status.CompletionTime != nil {
			t := j.Status.CompletionTime.UTC()
			r.Completed = &t
		}
		e.Runs = append(e.Runs, r)
	}
	sort.Slice(e.Runs, func(i, j int) bool {
		if !e.Runs[i].Created.Equal(e.Runs[j].Created) {
			return e.Runs[i].Created.Before(e.Runs[j].Created)
		}
		return e.Runs[i].Job < e.Runs[j].Job
	})
	return nil
}

func appStatus(u *unstructured.Unstructured) App {
	o := u.Object
	l := u.GetLabels()
	a := App{
		Name:          u.GetName(),
		Component:     l[labels.Component],
		Variant:       l[labels.Variant],
		Wave:          u.GetAnnotations()[labels.ArgoSyncWave],
		Sync:          orUnknown(str(o, "status", "sync", "status")),
		Health:        orUnknown(str(o, "status", "health", "status")),
		HealthMessage: str(o, "status", "health", "message"),
		Revision:      str(o, "status", "sync", "revision"),
		Finalizers:    u.GetFinalizers(),
		Deleting:      u.GetDeletionTimestamp() != nil,
	}
	if a.Revision == "" {
		if rs, ok := nested(o, "status", "sync", "revisions").([]any); ok {
			var s []string
			for _, r := range rs {
				if x, ok := r.(string); ok && x != "" {
					s = append(s, x)
				}
			}
			a.Revision = strings.Join(s, ",")
		}
	}
	if op, ok := nested(o, "status", "operationState").(map[string]any); ok {
		a.Operation = &Operation{Phase: str(op, "phase"), Message: str(op, "message"),
			StartedAt: timeOf(str(op, "startedAt")), FinishedAt: timeOf(str(op, "finishedAt"))}
	}
	for _, c := range slice(o, "status", "conditions") {
		a.Conditions = append(a.Conditions, str(c, "type")+": "+str(c, "message"))
	}
	return a
}

func timeOf(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	return &t
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

func nested(o any, keys ...string) any {
	for _, k := range keys {
		m, ok := o.(map[string]any)
		if !ok {
			return nil
		}
		o = m[k]
	}
	return o
}

func str(o any, keys ...string) string {
	s, _ := nested(o, keys...).(string)
	return s
}

func slice(o any, keys ...string) []any {
	s, _ := nested(o, keys...).([]any)
	return s
}

// Write prints the status as text: the root and the lab's Applications,
// then per experiment its rollout, Applications (wave order) and k6 runs.
func (st *Status) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "cluster %s at %s\n", st.Cluster, st.Time.Format(time.RFC3339))
	fmt.Fprintln(tw, "APPLICATION\tWAVE\tSTEP\tSYNC\tHEALTH\tREVISION\tLAST OPERATION")
	if st.Root == nil {
		fmt.Fprintf(tw, "lab-%s\t\t\tmissing\t\t\tnot applied: run `generator hub apply-root` (or hub local up)\n", st.Cluster)
	} else {
		writeApp(tw, *st.Root, "")
	}
	for _, a := range st.Lab {
		writeApp(tw, a, "")
	}
	for _, e := range st.Experiments {
		state := ""
		switch {
		case !e.Deployed && e.Conducted:
			state = " (conducted, no ApplicationSet yet: committed and pushed?)"
		case e.Deployed && !e.Conducted && st.LabRead:
			state = " (no longer conducted: ArgoCD removes it)"
		}
		fmt.Fprintf(tw, "\nEXPERIMENT %s%s\n", e.Name, state)
		if e.Rollout != "" {
			fmt.Fprintf(tw, "  rollout: %s\n", e.Rollout)
		}
		for _, er := range e.Errors {
			fmt.Fprintf(tw, "  error: %s\n", er)
		}
		for _, a := range e.Applications {
			writeApp(tw, a, "  ")
		}
		if len(e.Runs) > 0 {
			fmt.Fprintln(tw, "  K6 RUN\tVARIANT\tSTATE\tCREATED\tCOMPLETED")
			for _, r := range e.Runs {
				done := "-"
				if r.Completed != nil {
					done = r.Completed.Format(time.TimeOnly)
				}
				msg := ""
				if r.Message != "" {
					msg = "  " + r.Message
				}
				fmt.Fprintf(tw, "  %s/%s\t%s\t%s\t%s\t%s%s\n", r.Namespace, r.Job, r.Variant, r.State, r.Created.Format(time.TimeOnly), done, msg)
			}
		}
	}
	return tw.Flush()
}

func writeApp(w io.Writer, a App, indent string) {
	rev := a.Revision
	if len(rev) > 8 && !strings.Contains(rev, ".") {
		rev = rev[:8]
	}
	step := a.Step
	if a.StepStatus != "" {
		step += " " + a.StepStatus
	}
	op := "-"
	if a.Operation != nil {
		op = a.Operation.Phase
		if m := oneLine(a.Operation.Message); m != "" {
			op += ": " + m
		}
	}
	health := a.Health
	if a.Deleting {
		health += " (deleting)"
	}
	fmt.Fprintf(w, "%s%s\t%s\t%s\t%s\t%s\t%s\t%s\n", indent, a.Name, dash(a.Wave), dash(step), a.Sync, health, dash(rev), op)
	for _, c := range a.Conditions {
		fmt.Fprintf(w, "%s  %s\n", indent, oneLine(c))
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine shortens a message to one line of at most 160 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
