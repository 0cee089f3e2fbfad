// Package all registers every probe kind; import it for its side effects.
// A new kind adds one line here.
package all

import (
	_ "github.com/readyctl/readyctl/checks/dnscheck"
	_ "github.com/readyctl/readyctl/checks/execcheck"
	_ "github.com/readyctl/readyctl/checks/flowcheck"
	_ "github.com/readyctl/readyctl/checks/httpcheck"
	_ "github.com/readyctl/readyctl/checks/loadcheck"
	_ "github.com/readyctl/readyctl/checks/mcpcheck"
	_ "github.com/readyctl/readyctl/checks/pgcheck"
	_ "github.com/readyctl/readyctl/checks/promcheck"
	_ "github.com/readyctl/readyctl/checks/redischeck"
	_ "github.com/readyctl/readyctl/checks/scancheck"
	_ "github.com/readyctl/readyctl/checks/tcpcheck"
	_ "github.com/readyctl/readyctl/checks/testscheck"
	_ "github.com/readyctl/readyctl/checks/tlscheck"
)
