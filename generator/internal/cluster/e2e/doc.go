// Package e2e holds the lab's end-to-end tests: user stories run through
// the real ArgoCD controllers on a local hub (testsupport/argocdenv).
package e2e
