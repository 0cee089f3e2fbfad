package platform_test

import (
	"context"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/demo/platform"
)

func TestStartHealthy(t *testing.T) {
	t0 := time.Now()
	p, err := platform.Start(context.Background(), platform.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	t.Logf("started in %s; vars %v; missing %v", time.Since(t0), p.Vars, p.Missing)
	if len(p.Env) < 3 {
		t.Errorf("env %v", p.Env)
	}
}
