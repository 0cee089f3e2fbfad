package httpcheck

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// RateLimit is the `rate_limit:` block.
type RateLimit struct {
	Requests     int           `yaml:"requests" doc:"send at most this many requests, stopping at the first limited answer (required, 1 to 10000)"`
	Within       time.Duration `yaml:"within" doc:"spread the requests evenly over this time (0 = as fast as the in-flight cap of 8 allows); must fit in the item's timeout"`
	ExpectStatus int           `yaml:"expect_status" doc:"status of a limited answer (default 429)"`
}

const (
	maxRateLimitRequests = 10000
	// maxInFlight bounds concurrent connections during a burst.
	maxInFlight = 8
)

func (p *Probe) validateRateLimit() error {
	r := p.RateLimit
	if r == nil {
		return nil
	}
	if r.Requests < 1 || r.Requests > maxRateLimitRequests {
		return checks.FieldErrorf("rate_limit.requests", "rate_limit.requests must be from 1 to %d, got %d", maxRateLimitRequests, r.Requests)
	}
	if r.Within < 0 {
		return checks.FieldErrorf("rate_limit.within", "rate_limit.within must not be negative")
	}
	if r.ExpectStatus == 0 {
		r.ExpectStatus = http.StatusTooManyRequests
	}
	if r.ExpectStatus < 100 || r.ExpectStatus > 599 {
		return checks.FieldErrorf("rate_limit.expect_status", "rate_limit.expect_status %d is not an HTTP status", r.ExpectStatus)
	}
	return p.requireSafeMethod("rate_limit")
}

type burstResult struct {
	index int
	resp  *response
	err   error
}

// checkRateLimit repeats the request at most Requests times, evenly
// spread over Within, and stops launching at the first limited answer.
func checkRateLimit(ctx context.Context, e *env, obs checks.Observations) ([]string, error) {
	r := e.p.RateLimit
	obs["requests_until_limited"] = nil
	o := map[string]any{"requests_sent": 0, "limited": false, "status": nil, "retry_after": nil, "headers": map[string]any{}}
	obs["rate_limit"] = o
	if deadline, ok := ctx.Deadline(); ok && r.Within > 0 {
		if left := time.Until(deadline); left < r.Within {
			return nil, checks.WithReason(checks.ReasonConfig, fmt.Errorf("within %s does not fit in the %s left of this item's timeout: raise the item's timeout", r.Within, left.Round(time.Millisecond)))
		}
	}
	if e.main != nil && e.main.Status == r.ExpectStatus {
		// Limited before the burst: a second run inside the limiter's
		// window must not fail on a limiter that works.
		obs["requests_until_limited"] = 1
		o["requests_sent"], o["limited"], o["status"] = 1, true, e.main.Status
		o["retry_after"] = headerValue(e.main.Header, "Retry-After")
		o["headers"] = rateLimitHeaders(e.main.Header)
		return nil, nil
	}
	interval := r.Within / time.Duration(r.Requests)

	var (
		mu        sync.Mutex
		results   []burstResult
		wg        sync.WaitGroup
		stop      = make(chan struct{})
		closeOnce sync.Once
		sem       = make(chan struct{}, maxInFlight)
		sent      int
		aborted   error
	)
	start := time.Now()
launch:
	for i := 0; i < r.Requests; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
				break launch
			case <-ctx.Done():
				t.Stop()
				aborted = ctx.Err()
				break launch
			}
		}
		select {
		case sem <- struct{}{}:
		case <-stop:
			break launch
		case <-ctx.Done():
			aborted = ctx.Err()
			break launch
		}
		select { // a stop seen while waiting for a slot wins
		case <-stop:
			<-sem
			break launch
		default:
		}
		req, err := e.p.request(ctx)
		if err != nil {
			<-sem
			aborted = err
			break
		}
		sent++
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			resp, err := e.do(e.client, req)
			mu.Lock()
			results = append(results, burstResult{i, resp, err})
			done := len(results)
			mu.Unlock()
			checks.Progress(ctx, fmt.Sprintf("rate_limit: %d/%d requests answered", done, r.Requests))
			// Stop launching at the limit, or when the target stops answering.
			if err != nil || resp.Status == r.ExpectStatus {
				closeOnce.Do(func() { close(stop) })
			}
		}(i)
	}
	wg.Wait()
	o["requests_sent"] = sent
	sort.Slice(results, func(a, b int) bool { return results[a].index < results[b].index })

	statuses := map[string]any{}
	var first *burstResult
	var firstErr error
	for i := range results {
		res := &results[i]
		if res.err != nil {
			if firstErr == nil {
				firstErr = res.err
			}
			continue
		}
		k := strconv.Itoa(res.resp.Status)
		n, _ := statuses[k].(int)
		statuses[k] = n + 1
		if first == nil && res.resp.Status == r.ExpectStatus {
			first = res
		}
	}
	o["statuses"] = statuses
	if first != nil {
		obs["requests_until_limited"] = first.index + 1
		o["limited"] = true
		o["status"] = first.resp.Status
		o["retry_after"] = headerValue(first.resp.Header, "Retry-After")
		o["headers"] = rateLimitHeaders(first.resp.Header)
		return nil, nil
	}
	switch {
	case firstErr != nil:
		return nil, fmt.Errorf("after %d of %d requests: %w", sent, r.Requests, firstErr)
	case aborted != nil:
		return nil, fmt.Errorf("stopped after %d of %d requests: %w", sent, r.Requests, aborted)
	}
	within := ""
	if r.Within > 0 {
		within = " within " + r.Within.String()
	}
	return []string{fmt.Sprintf("no %d answer after %d requests%s (statuses seen: %s)", r.ExpectStatus, sent, within, formatCounts(statuses))}, nil
}

// rateLimitHeaders collects Retry-After and the RateLimit headers (the
// IETF draft's RateLimit and RateLimit-Policy, the older RateLimit-* and
// the common X-RateLimit-*), lower-cased.
func rateLimitHeaders(h http.Header) map[string]any {
	out := map[string]any{}
	for k, v := range h {
		lk := strings.ToLower(k)
		if lk == "retry-after" || strings.HasPrefix(lk, "ratelimit") || strings.HasPrefix(lk, "x-ratelimit") || strings.HasPrefix(lk, "x-rate-limit") {
			out[lk] = strings.Join(v, ", ")
		}
	}
	return out
}

func formatCounts(m map[string]any) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s x%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
