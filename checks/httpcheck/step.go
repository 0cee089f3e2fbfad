package httpcheck

// Clone returns a copy of p that shares nothing p's Run could change or
// a caller could edit: headers, credentials and the JSON body are copied.
// A flow runs each step as a clone with its run-time values filled in.
func (p *Probe) Clone() Probe {
	c := *p
	if p.Headers != nil {
		c.Headers = make(map[string]string, len(p.Headers))
		for k, v := range p.Headers {
			c.Headers[k] = v
		}
	}
	if p.BasicAuth != nil {
		ba := *p.BasicAuth
		c.BasicAuth = &ba
	}
	c.JSON = cloneJSON(p.JSON)
	return c
}

func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneJSON(e)
		}
		return m
	case map[any]any:
		m := make(map[any]any, len(x))
		for k, e := range x {
			m[k] = cloneJSON(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = cloneJSON(e)
		}
		return l
	}
	return v
}
