// Package argocd holds the ArgoCD custom resources the lab renders
// (Application, ApplicationSet, AppProject) as Go types, and builds them
// from the lab model. The types carry only the fields the lab sets; their
// JSON names follow ArgoCD's CRDs (argoproj.io/v1alpha1), against which
// the rendered objects are validated.
package argocd

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// APIVersion is the group/version of every ArgoCD kind.
const APIVersion = "argoproj.io/v1alpha1"

// Application is argoproj.io/v1alpha1 Application.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ApplicationSpec `json:"spec"`
}

// ApplicationSpec is the part of an Application's spec the lab sets.
type ApplicationSpec struct {
	Project           string             `json:"project"`
	Source            *Source            `json:"source,omitempty"`
	Sources           []Source           `json:"sources,omitempty"`
	Destination       Destination        `json:"destination"`
	SyncPolicy        *SyncPolicy        `json:"syncPolicy,omitempty"`
	IgnoreDifferences []IgnoreDifference `json:"ignoreDifferences,omitempty"`
}

// Source is one source of an Application.
type Source struct {
	RepoURL        string     `json:"repoURL"`
	Path           string     `json:"path,omitempty"`
	Chart          string     `json:"chart,omitempty"`
	TargetRevision string     `json:"targetRevision,omitempty"`
	Ref            string     `json:"ref,omitempty"`
	Helm           *Helm      `json:"helm,omitempty"`
	Directory      *Directory `json:"directory,omitempty"`
}

// Helm holds a Helm source's options.
type Helm struct {
	ReleaseName string   `json:"releaseName,omitempty"`
	ValueFiles  []string `json:"valueFiles,omitempty"`
}

// Directory holds a plain-directory source's options.
type Directory struct {
	Recurse bool `json:"recurse,omitempty"`
	// Include and Exclude are globs, or {glob,glob}, of the files synced
	// and left out.
	Include string `json:"include,omitempty"`
	Exclude string `json:"exclude,omitempty"`
}

// Destination is where an Application deploys.
type Destination struct {
	Server    string `json:"server,omitempty"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// SyncPolicy is how an Application syncs.
type SyncPolicy struct {
	Automated                *Automated                `json:"automated,omitempty"`
	SyncOptions              []string                  `json:"syncOptions,omitempty"`
	ManagedNamespaceMetadata *ManagedNamespaceMetadata `json:"managedNamespaceMetadata,omitempty"`
	Retry                    *Retry                    `json:"retry,omitempty"`
}

// Automated turns on automated sync.
type Automated struct {
	Prune    bool `json:"prune"`
	SelfHeal bool `json:"selfHeal"`
}

// ManagedNamespaceMetadata labels the namespace ArgoCD creates.
type ManagedNamespaceMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Retry bounds sync retries.
type Retry struct {
	Limit   int64    `json:"limit"`
	Backoff *Backoff `json:"backoff,omitempty"`
}

// Backoff is a retry backoff.
type Backoff struct {
	Duration    string `json:"duration,omitempty"`
	Factor      *int64 `json:"factor,omitempty"`
	MaxDuration string `json:"maxDuration,omitempty"`
}

// IgnoreDifference is ArgoCD's ResourceIgnoreDifferences.
type IgnoreDifference struct {
	Group             string   `json:"group,omitempty"`
	Kind              string   `json:"kind"`
	Name              string   `json:"name,omitempty"`
	Namespace         string   `json:"namespace,omitempty"`
	JSONPointers      []string `json:"jsonPointers,omitempty"`
	JQPathExpressions []string `json:"jqPathExpressions,omitempty"`
}

// AppProject is argoproj.io/v1alpha1 AppProject.
type AppProject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              AppProjectSpec `json:"spec"`
}

// AppProjectSpec is the part of an AppProject's spec the lab sets.
type AppProjectSpec struct {
	Description                string          `json:"description,omitempty"`
	SourceRepos                []string        `json:"sourceRepos"`
	Destinations               []Destination   `json:"destinations"`
	ClusterResourceWhitelist   []GroupKind     `json:"clusterResourceWhitelist,omitempty"`
	NamespaceResourceWhitelist []GroupKind     `json:"namespaceResourceWhitelist,omitempty"`
	SourceNamespaces           []string        `json:"sourceNamespaces,omitempty"`
	OrphanedResources          *OrphanedConfig `json:"orphanedResources,omitempty"`
}

// GroupKind names a resource kind in a project's allow lists.
type GroupKind struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
}

// OrphanedConfig makes ArgoCD report resources no Application owns.
type OrphanedConfig struct {
	Warn bool `json:"warn"`
}

// ApplicationSet is argoproj.io/v1alpha1 ApplicationSet.
type ApplicationSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ApplicationSetSpec `json:"spec"`
}

// ApplicationSetSpec is the part of an ApplicationSet's spec the lab sets.
type ApplicationSetSpec struct {
	GoTemplate        bool                    `json:"goTemplate"`
	GoTemplateOptions []string                `json:"goTemplateOptions"`
	Generators        []Generator             `json:"generators"`
	Strategy          *ApplicationSetStrategy `json:"strategy,omitempty"`
	SyncPolicy        *AppSetSyncPolicy       `json:"syncPolicy,omitempty"`
	Template          ApplicationTemplate     `json:"template"`
	TemplatePatch     string                  `json:"templatePatch,omitempty"`
}

// Generator is an ApplicationSet generator; the lab uses the list generator.
type Generator struct {
	List *ListGenerator `json:"list,omitempty"`
}

// ListGenerator yields one Application per element.
type ListGenerator struct {
	Elements []map[string]string `json:"elements"`
}

// ApplicationSetStrategy orders the generated Applications.
type ApplicationSetStrategy struct {
	Type        string       `json:"type"`
	RollingSync *RollingSync `json:"rollingSync,omitempty"`
}

// RollingSync syncs Applications step by step.
type RollingSync struct {
	Steps []RollingSyncStep `json:"steps"`
}

// RollingSyncStep selects the Applications of one step by label.
type RollingSyncStep struct {
	MatchExpressions []MatchExpression `json:"matchExpressions"`
}

// MatchExpression is a label selector requirement.
type MatchExpression struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values"`
}

// AppSetSyncPolicy controls what the ApplicationSet controller may do to
// the Applications it generated.
type AppSetSyncPolicy struct {
	PreserveResourcesOnDeletion bool `json:"preserveResourcesOnDeletion"`
}

// ApplicationTemplate is the Application an ApplicationSet stamps out.
type ApplicationTemplate struct {
	Metadata TemplateMeta    `json:"metadata"`
	Spec     ApplicationSpec `json:"spec"`
}

// TemplateMeta is the metadata of a templated Application.
type TemplateMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Finalizers  []string          `json:"finalizers,omitempty"`
}
