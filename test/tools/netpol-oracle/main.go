// Command netpol-oracle answers NetworkPolicy reachability questions with cyclonus' matcher, an
// implementation independent of appnetpol's, for the randomized differential test.
//
// Input (stdin): {"cases": [{"namespaces": {name: labels}, "policies": [NetworkPolicy...], "probes": [...]}]}.
// Output (stdout): {"results": [[allowed...] per case]}.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

type endpoint struct {
	// Namespace is empty for an address outside the cluster.
	Namespace string             `json:"namespace"`
	Labels    map[string]string  `json:"labels"`
	IP        string             `json:"ip"`
	Ports     []v1.ContainerPort `json:"ports"`
}

type probe struct {
	From     endpoint    `json:"from"`
	To       endpoint    `json:"to"`
	Protocol v1.Protocol `json:"protocol"`
	Port     int         `json:"port"`
}

type testCase struct {
	Namespaces map[string]map[string]string  `json:"namespaces"`
	Policies   []*networkingv1.NetworkPolicy `json:"policies"`
	Probes     []probe                       `json:"probes"`
}

// defaultPolicyTypes does what the API server does on create: Ingress always, Egress when there are egress rules.
func defaultPolicyTypes(policy *networkingv1.NetworkPolicy) {
	if len(policy.Spec.PolicyTypes) > 0 {
		return
	}
	policy.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	if len(policy.Spec.Egress) > 0 {
		policy.Spec.PolicyTypes = append(policy.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
	}
}

func peer(e endpoint, namespaces map[string]map[string]string) *matcher.TrafficPeer {
	if e.Namespace == "" {
		return &matcher.TrafficPeer{IP: e.IP}
	}
	return &matcher.TrafficPeer{IP: e.IP, Internal: &matcher.InternalPeer{PodLabels: e.Labels, NamespaceLabels: namespaces[e.Namespace], Namespace: e.Namespace}}
}

// portName is the name of the destination's container port serving the probe, as a CNI resolves it.
func portName(p probe) string {
	for _, port := range p.To.Ports {
		protocol := port.Protocol
		if protocol == "" {
			protocol = v1.ProtocolTCP
		}
		if int(port.ContainerPort) == p.Port && protocol == p.Protocol {
			return port.Name
		}
	}
	return ""
}

func main() {
	var input struct {
		Cases []testCase `json:"cases"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		fmt.Fprintf(os.Stderr, "netpol-oracle: reading input: %v\n", err)
		os.Exit(2)
	}
	results := make([][]bool, len(input.Cases))
	for i, c := range input.Cases {
		for _, policy := range c.Policies {
			defaultPolicyTypes(policy)
		}
		policies := matcher.BuildNetworkPolicies(false, c.Policies)
		results[i] = make([]bool, len(c.Probes))
		for j, p := range c.Probes {
			traffic := &matcher.Traffic{
				Source:           peer(p.From, c.Namespaces),
				Destination:      peer(p.To, c.Namespaces),
				ResolvedPort:     p.Port,
				ResolvedPortName: portName(p),
				Protocol:         p.Protocol,
			}
			results[i][j] = policies.IsTrafficAllowed(traffic).IsAllowed()
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]any{"results": results}); err != nil {
		fmt.Fprintf(os.Stderr, "netpol-oracle: writing output: %v\n", err)
		os.Exit(1)
	}
}
