package validate

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	kindv1alpha4 "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// KindConfig checks a kind configuration as kind create cluster --config
// reads it: decoded strictly (yaml tags, unknown fields refused) into
// kind's own v1alpha4 types, defaulted by kind's own defaulting, then the
// rules kind applies before it makes a cluster (a control-plane node,
// known roles and proxy modes, parseable subnets, an image per node).
func KindConfig(b []byte) error {
	var tm kindv1alpha4.TypeMeta
	if err := yaml.Unmarshal(b, &tm); err != nil {
		return fmt.Errorf("not YAML: %w", err)
	}
	if tm.APIVersion != "kind.x-k8s.io/v1alpha4" || tm.Kind != "Cluster" {
		return fmt.Errorf("apiVersion %q, kind %q: kind reads kind.x-k8s.io/v1alpha4 Cluster", tm.APIVersion, tm.Kind)
	}
	var c kindv1alpha4.Cluster
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&c); err != nil {
		return fmt.Errorf("kind would refuse it: %w", err)
	}
	kindv1alpha4.SetDefaultsCluster(&c)
	var errs []error
	controlPlanes := 0
	for i, n := range c.Nodes {
		switch n.Role {
		case kindv1alpha4.ControlPlaneRole:
			controlPlanes++
		case kindv1alpha4.WorkerRole:
		default:
			errs = append(errs, fmt.Errorf("nodes[%d].role %q: control-plane or worker", i, n.Role))
		}
		if n.Image == "" || !strings.Contains(path.Base(n.Image), ":") {
			errs = append(errs, fmt.Errorf("nodes[%d].image %q: a node image with a tag", i, n.Image))
		}
	}
	if controlPlanes == 0 {
		errs = append(errs, errors.New("nodes: no control-plane node"))
	}
	switch c.Networking.KubeProxyMode {
	case kindv1alpha4.IPTablesProxyMode, kindv1alpha4.IPVSProxyMode, kindv1alpha4.NFTablesProxyMode, "none":
	default:
		errs = append(errs, fmt.Errorf("networking.kubeProxyMode %q: iptables, ipvs, nftables or none", c.Networking.KubeProxyMode))
	}
	switch c.Networking.IPFamily {
	case kindv1alpha4.IPv4Family, kindv1alpha4.IPv6Family, kindv1alpha4.DualStackFamily:
	default:
		errs = append(errs, fmt.Errorf("networking.ipFamily %q: ipv4, ipv6 or dual", c.Networking.IPFamily))
	}
	for field, s := range map[string]string{"podSubnet": c.Networking.PodSubnet, "serviceSubnet": c.Networking.ServiceSubnet} {
		for _, p := range strings.Split(s, ",") {
			if _, err := netip.ParsePrefix(strings.TrimSpace(p)); err != nil {
				errs = append(errs, fmt.Errorf("networking.%s %q: %v", field, s, err))
			}
		}
	}
	if c.Networking.APIServerPort < -1 || c.Networking.APIServerPort > 65535 {
		errs = append(errs, fmt.Errorf("networking.apiServerPort %d: a port", c.Networking.APIServerPort))
	}
	return errors.Join(errs...)
}
