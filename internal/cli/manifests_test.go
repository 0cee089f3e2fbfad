package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
)

const manifestsDir = "../../deploy/kubernetes"

// manifestDocs parses every YAML document of every manifest.
func manifestDocs(t *testing.T) map[string][]map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(manifestsDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", manifestsDir, err)
	}
	out := map[string][]map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc == nil {
				continue
			}
			for _, k := range []string{"apiVersion", "kind", "metadata"} {
				if doc[k] == nil {
					t.Errorf("%s: a document without %s", f, k)
				}
			}
			out[filepath.Base(f)] = append(out[filepath.Base(f)], doc)
		}
	}
	return out
}

// containers finds every container spec anywhere in a document (pod
// templates of Jobs, CronJobs, Deployments and Argo's job provider).
func containers(v any, found *[]map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			if k == "containers" || k == "initContainers" {
				if list, ok := sub.([]any); ok {
					for _, c := range list {
						if m, ok := c.(map[string]any); ok {
							*found = append(*found, m)
						}
					}
				}
			}
			containers(sub, found)
		}
	case []any:
		for _, e := range v {
			containers(e, found)
		}
	}
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, e.(string))
	}
	return out
}

// argoArg stands in for Argo's {{args.NAME}}: the template's value.
var argoArg = regexp.MustCompile(`\{\{\s*args\.([a-z0-9-]+)\s*\}\}`)

// TestManifestsRunValidReadyctl: every manifest parses, and every command
// line that runs readyctl is accepted by readyctl's own command tree
// (flags and arguments), names the checklist the ConfigMap provides, and
// selects a phase that checklist has.
func TestManifestsRunValidReadyctl(t *testing.T) {
	docs := manifestDocs(t)
	checklistText := ""
	argoArgs := map[string]string{}
	kinds := map[string]bool{}
	for _, list := range docs {
		for _, d := range list {
			kind, _ := d["kind"].(string)
			kinds[kind] = true
			if kind == "ConfigMap" {
				checklistText, _ = d["data"].(map[string]any)["checklist.yaml"].(string)
			}
			if kind == "AnalysisTemplate" {
				for _, a := range d["spec"].(map[string]any)["args"].([]any) {
					m := a.(map[string]any)
					v, _ := m["value"].(string)
					argoArgs[m["name"].(string)] = v
				}
			}
		}
	}
	for _, k := range []string{"Job", "CronJob", "Deployment", "Service", "AnalysisTemplate", "ConfigMap"} {
		if !kinds[k] {
			t.Errorf("deploy/kubernetes has no %s", k)
		}
	}
	if checklistText == "" {
		t.Fatal("no ConfigMap with checklist.yaml")
	}
	clPath := filepath.Join(t.TempDir(), "checklist.yaml")
	os.WriteFile(clPath, []byte(checklistText), 0o644)

	streams, _, _ := cmdutil.TestIOStreams(false)
	f := &cmdutil.Factory{IO: streams, LookupEnv: func(string) (string, bool) { return "", false }}
	commands := map[string]int{}
	for file, list := range docs {
		for _, d := range list {
			var cs []map[string]any
			containers(d, &cs)
			for _, c := range cs {
				image, _ := c["image"].(string)
				cmdline := append(stringList(c["command"]), stringList(c["args"])...)
				if !strings.Contains(image, "readyctl") {
					continue
				}
				if c["command"] != nil {
					if cmdline[0] != "/readyctl" {
						t.Errorf("%s: container %v runs %q, the image's binary is /readyctl", file, c["name"], cmdline[0])
						continue
					}
					cmdline = cmdline[1:]
				}
				for i, a := range cmdline {
					cmdline[i] = argoArg.ReplaceAllStringFunc(a, func(m string) string {
						name := argoArg.FindStringSubmatch(m)[1]
						v, ok := argoArgs[name]
						if !ok {
							t.Errorf("%s: %s names an argument the template does not declare", file, m)
						}
						return v
					})
				}
				where := file + ": readyctl " + strings.Join(cmdline, " ")
				root := NewRootCmd(f)
				cmd, rest, err := root.Find(cmdline)
				if err != nil || cmd == root {
					t.Errorf("%s: no such command (%v)", where, err)
					continue
				}
				if err := cmd.ParseFlags(rest); err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
					t.Errorf("%s: %v", where, err)
				}
				commands[cmd.Name()]++
				// The checklist it names is the mounted ConfigMap, and it
				// loads with the selected environment and phase.
				file := cmd.Flags().Lookup("file")
				if file == nil || file.Value.String() != "/etc/readyctl/checklist.yaml" {
					t.Errorf("%s: does not read the mounted checklist", where)
					continue
				}
				env := cmd.Flags().Lookup("env").Value.String()
				cl, err := checklist.Load(clPath, checklist.Options{Env: env, NoEnv: true})
				if err != nil {
					t.Errorf("%s: the ConfigMap's checklist: %v", where, err)
					continue
				}
				phase := cmd.Flags().Lookup("phase").Value.String()
				var phases []string
				for _, it := range cl.Items() {
					phases = append(phases, it.Phase)
				}
				if phase != "" && !slices.Contains(phases, phase) {
					t.Errorf("%s: phase %q is not in the checklist (%v)", where, phase, phases)
				}
			}
		}
	}
	if commands["check"] < 3 || commands["serve"] < 1 {
		t.Errorf("readyctl command lines found: %v; want check in the Job, CronJob and AnalysisTemplate and serve in the Deployment", commands)
	}
}

// TestManifestsServeProbesAndScrape: the serve Deployment's readiness
// probe reads /ready, its port is the one it listens on, and Prometheus
// finds it by annotation.
func TestManifestsServeProbesAndScrape(t *testing.T) {
	for _, d := range manifestDocs(t)["deployment.yaml"] {
		if d["kind"] != "Deployment" {
			continue
		}
		tmpl := d["spec"].(map[string]any)["template"].(map[string]any)
		ann := tmpl["metadata"].(map[string]any)["annotations"].(map[string]any)
		if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != "9469" || ann["prometheus.io/path"] != "/metrics" {
			t.Errorf("scrape annotations: %v", ann)
		}
		var cs []map[string]any
		containers(tmpl, &cs)
		c := cs[0]
		probe := c["readinessProbe"].(map[string]any)["httpGet"].(map[string]any)
		if probe["path"] != "/ready" {
			t.Errorf("readiness probe path %v", probe["path"])
		}
		if !slices.Contains(stringList(c["args"]), "--listen=0.0.0.0:9469") {
			t.Errorf("serve does not listen on the pod's port 9469: %v", c["args"])
		}
		return
	}
	t.Fatal("no Deployment in deployment.yaml")
}
