package platform

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"time"
)

// models are what the MCP stand-in serves, at /v1/models and for
// completions.
var models = []string{"demo-small", "demo-large"}

// chunkGap is the pause between two chunks of a streamed completion: a
// real model produces tokens over time, and the checklist measures the
// time to the first one.
const chunkGap = 15 * time.Millisecond

// completions is an OpenAI-style chat completion: with stream: true, a
// text/event-stream of `data: {"choices":[{"delta":{"content":"..."}}]}`
// chunks then `data: [DONE]`; otherwise one JSON answer. A bearer token is
// optional, but one that is sent must be valid. With the stream-stall
// fault the stream sends two chunks, then nothing, never ending.
func (p *Platform) completions(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		if _, ok := p.authorize(w, r); !ok {
			return
		}
	}
	var in struct {
		Model    string            `json:"model"`
		Messages []json.RawMessage `json:"messages"`
		Stream   bool              `json:"stream"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil || len(in.Messages) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": "a JSON body with model and a non-empty messages list required", "type": "invalid_request_error"}})
		return
	}
	if !slices.Contains(models, in.Model) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"message": fmt.Sprintf("model %q does not exist", in.Model), "type": "invalid_request_error", "code": "model_not_found"}})
		return
	}
	id := "chatcmpl-" + newID()
	created := time.Now().Unix()
	pieces := []string{"Hello", " from", " " + in.Model, "."}
	if !in.Stream {
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "chat.completion", "created": created, "model": in.Model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": strings.Join(pieces, "")}, "finish_reason": "stop"}}})
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "streaming unsupported"})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.Context().Done():
		case <-p.stop:
		}
		return false
	}
	for i, piece := range pieces {
		if p.fault == "stream-stall" && i == 2 {
			wait(time.Hour) // until the client gives up or the platform stops
			return
		}
		var finish any
		if i == len(pieces)-1 {
			finish = "stop"
		}
		chunk, _ := json.Marshal(map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": in.Model,
			"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": piece}, "finish_reason": finish}}})
		if _, err := fmt.Fprintf(w, "data: %s\n\n", chunk); err != nil {
			return
		}
		flusher.Flush()
		if !wait(chunkGap) {
			return
		}
	}
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
	flusher.Flush()
}

// proxy forwards to the backend at base, streaming answers as they come
// (an event stream is flushed event by event).
func (p *Platform) proxy(base string) http.Handler {
	u, err := url.Parse(base)
	if err != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusBadGateway, map[string]any{"error": "no backend"})
		})
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(io.Discard, "", 0)
	return rp
}
