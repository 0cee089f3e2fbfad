package tcpcheck

import "github.com/readyctl/readyctl/checks"

// observations are what `expect:` can use, type-checked at load.
var observations = []checks.Observation{
	{Name: "connected", Type: checks.TypeBool, Doc: "the connection was accepted", Key: true},
	{Name: "latency", Type: checks.TypeDuration, Doc: "time to connect, or to give up", Key: true},
	{Name: "closed_by", Type: checks.TypeString, Doc: `with expect_closed: "refused" or "no answer (filtered)"`, Key: true},
}
