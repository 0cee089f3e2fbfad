package platform

import (
	"fmt"
	"sort"
)

// Fault is one thing that can be wrong with the platform, and the items of
// checklist.yaml that must catch it.
type Fault struct {
	Name  string
	Doc   string
	Items []string // items that must fail or error
}

// Faults are the faults `readyctl demo --fault NAME` can inject.
var Faults = []Fault{
	{"cert-expiring", "the TLS front's certificate expires in 3 days",
		[]string{"staging-certificate", "certificates-installed", "tls-installed", "certificates-valid"}},
	{"redis-down", "Redis has crashed after warming its cache",
		[]string{"redis", "redis-effectiveness", "cache-hit-ratio"}},
	{"migration-dirty", "the last schema migration failed half-way (golang-migrate dirty flag)",
		[]string{"migrations-applied", "postgres", "run-migrations"}},
	{"gateway-slow", "the API gateway's /health answers in 1.2s and its p95 latency is 2.4s",
		[]string{"api-gateway", "api-latency-sla", "peak-load"}},
	{"auth-bypass", "the services accept any bearer token, even an unsigned alg:none JWT",
		[]string{"credit-management", "auth-bypass", "user-auth", "authn-authz", "integration-test-rate", "security-test-rate"}},
	{"missing-security-headers", "the TLS front sends no Strict-Transport-Security and no Content-Security-Policy",
		[]string{"security-headers", "headers-present"}},
	{"error-spike", "the gateway answers 9% of its requests with 500 (seen in Prometheus)",
		[]string{"error-rate"}},
	{"replica-lagging", "the PostgreSQL replica stopped replaying WAL while the primary kept writing",
		[]string{"postgres-replica"}},
	{"failing-tests", "registration accepts a 3-character password: one integration test of the suite fails",
		[]string{"integration-test-rate"}},
	{"stream-stall", "the MCP server's streamed chat completion sends 2 chunks, then stalls without ending",
		[]string{"mcp-models"}},
}

// LookupFault returns the fault with this name.
func LookupFault(name string) (Fault, error) {
	for _, f := range Faults {
		if f.Name == name {
			return f, nil
		}
	}
	names := make([]string, len(Faults))
	for i, f := range Faults {
		names[i] = f.Name
	}
	sort.Strings(names)
	return Fault{}, fmt.Errorf("unknown fault %q: expected one of %v (readyctl demo --list-faults)", name, names)
}
