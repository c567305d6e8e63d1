package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The parts of the Kubernetes objects the tests read.
type (
	meta struct {
		Name        string            `yaml:"name"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	}
	object struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   meta              `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`       // ConfigMap
		StringData map[string]string `yaml:"stringData"` // Secret
		Spec       yaml.Node         `yaml:"spec"`
	}
	keyRef struct {
		Name string `yaml:"name"`
		Key  string `yaml:"key"`
	}
	labelSelector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	probe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"`
		} `yaml:"httpGet"`
		TCPSocket *struct {
			Port any `yaml:"port"`
		} `yaml:"tcpSocket"`
	}
	container struct {
		Name  string `yaml:"name"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		EnvFrom []struct {
			ConfigMapRef *struct {
				Name string `yaml:"name"`
			} `yaml:"configMapRef"`
			SecretRef *struct {
				Name string `yaml:"name"`
			} `yaml:"secretRef"`
		} `yaml:"envFrom"`
		Env []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
				ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		ReadinessProbe  *probe `yaml:"readinessProbe"`
		LivenessProbe   *probe `yaml:"livenessProbe"`
		StartupProbe    *probe `yaml:"startupProbe"`
		SecurityContext struct {
			RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
	deploymentSpec struct {
		Replicas int           `yaml:"replicas"`
		Selector labelSelector `yaml:"selector"`
		Template struct {
			Metadata meta `yaml:"metadata"`
			Spec     struct {
				SecurityContext struct {
					RunAsNonRoot *bool `yaml:"runAsNonRoot"`
					RunAsUser    int   `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				Containers []container `yaml:"containers"`
				Volumes    []struct {
					Name   string `yaml:"name"`
					Secret *struct {
						SecretName string `yaml:"secretName"`
					} `yaml:"secret"`
					ConfigMap *struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
					EmptyDir any `yaml:"emptyDir"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	}
	servicePort struct {
		Name       string `yaml:"name"`
		Port       int    `yaml:"port"`
		TargetPort any    `yaml:"targetPort"`
	}
	netPort struct {
		Port     any    `yaml:"port"`
		Protocol string `yaml:"protocol"`
	}
)

// manifests reads every object of the files kustomization.yaml lists.
func manifests(t *testing.T) []object {
	t.Helper()
	var k struct {
		Resources []string `yaml:"resources"`
	}
	readYAML(t, filepath.Join("kubernetes", "kustomization.yaml"), &k)
	files, err := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{"kustomization.yaml": true}
	for _, r := range k.Resources {
		listed[r] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("kubernetes/%s is not in kustomization.yaml's resources", filepath.Base(f))
		}
	}
	var objs []object
	for _, r := range k.Resources {
		b, err := os.ReadFile(filepath.Join("kubernetes", r))
		if err != nil {
			t.Fatalf("kustomization.yaml lists %s: %v", r, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("kubernetes/%s: %v", r, err)
			}
			if o.Kind == "" || o.APIVersion == "" || o.Metadata.Name == "" {
				t.Errorf("kubernetes/%s: an object without kind, apiVersion or name", r)
			}
			objs = append(objs, o)
		}
	}
	return objs
}

// find returns the object of kind and name, failing when it is missing.
func find(t *testing.T, objs []object, kind, name string) object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && (name == "" || o.Metadata.Name == name) {
			return o
		}
	}
	t.Fatalf("no %s %s in deploy/kubernetes", kind, name)
	return object{}
}

// entries are a ConfigMap's data or a Secret's stringData.
func (o object) entries() map[string]string {
	if o.Kind == "Secret" {
		return o.StringData
	}
	return o.Data
}

// lookupKey returns the value of ref's key in the Secret or ConfigMap it
// names, failing when the key is missing.
func lookupKey(t *testing.T, objs []object, kind string, ref keyRef, env string) string {
	t.Helper()
	v, ok := find(t, objs, kind, ref.Name).entries()[ref.Key]
	if !ok {
		t.Errorf("env %s: %s %s has no key %s", env, kind, ref.Name, ref.Key)
	}
	return v
}

func decodeSpec(t *testing.T, o object, v any) {
	t.Helper()
	if err := o.Spec.Decode(v); err != nil {
		t.Fatalf("%s %s spec: %v", o.Kind, o.Metadata.Name, err)
	}
}

// deployment returns the sluis Deployment's spec.
func deployment(t *testing.T) deploymentSpec {
	t.Helper()
	var d deploymentSpec
	decodeSpec(t, find(t, manifests(t), "Deployment", "sluis"), &d)
	if len(d.Template.Spec.Containers) != 1 {
		t.Fatalf("the Deployment has %d containers, want 1", len(d.Template.Spec.Containers))
	}
	return d
}

// probePaths lists the httpGet paths of the gateway container's probes.
func probePaths(d deploymentSpec) []string {
	var paths []string
	c := d.Template.Spec.Containers[0]
	for _, p := range []*probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
		if p != nil && p.HTTPGet != nil {
			paths = append(paths, p.HTTPGet.Path)
		}
	}
	return paths
}

// portMatches reports whether a port reference (a name or a number) is the
// named container port.
func portMatches(ref any, name string, number int) bool {
	switch v := ref.(type) {
	case string:
		return v == name || v == strconv.Itoa(number)
	case int:
		return v == number
	}
	return false
}

func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestKubernetesManifests(t *testing.T) {
	objs := manifests(t)
	d := deployment(t)
	pod := d.Template.Spec
	c := pod.Containers[0]
	podLabels := d.Template.Metadata.Labels

	t.Run("security context", func(t *testing.T) {
		yes := func(b *bool) bool { return b != nil && *b }
		if !yes(pod.SecurityContext.RunAsNonRoot) || !yes(c.SecurityContext.RunAsNonRoot) {
			t.Error("runAsNonRoot is not true for the pod and the container")
		}
		if pod.SecurityContext.RunAsUser == 0 {
			t.Error("runAsUser is not set to a non-root id")
		}
		if !yes(c.SecurityContext.ReadOnlyRootFilesystem) {
			t.Error("readOnlyRootFilesystem is not true")
		}
		if c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
			t.Error("allowPrivilegeEscalation is not false")
		}
		if !reflect.DeepEqual(c.SecurityContext.Capabilities.Drop, []string{"ALL"}) {
			t.Errorf("capabilities drop %v, want [ALL]", c.SecurityContext.Capabilities.Drop)
		}
	})

	// The container's environment: envFrom ConfigMaps, env values and
	// secretKeyRefs, resolved against the objects in the manifests.
	vars := map[string]string{}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			for k, v := range find(t, objs, "ConfigMap", ef.ConfigMapRef.Name).entries() {
				vars[k] = v
			}
		case ef.SecretRef != nil:
			for k, v := range find(t, objs, "Secret", ef.SecretRef.Name).entries() {
				vars[k] = v
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			vars[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			vars[e.Name] = lookupKey(t, objs, "Secret", *e.ValueFrom.SecretKeyRef, e.Name)
		case e.ValueFrom.ConfigMapKeyRef != nil:
			vars[e.Name] = lookupKey(t, objs, "ConfigMap", *e.ValueFrom.ConfigMapKeyRef, e.Name)
		}
	}
	cfg := checkConfig(t, "Deployment sluis", vars)
	checkProduction(t, "Deployment sluis", cfg)
	if cfg.Store != "postgres" {
		t.Errorf("SLUIS_STORE=%s: several replicas need the shared PostgreSQL store", cfg.Store)
	}
	// containerPort returns the port of a host:port setting, the name of
	// the container port that exposes it, and its number.
	containerPort := func(setting, addr string) (string, string, int) {
		port := httpPort(t, "ConfigMap sluis-config", addr)
		for _, p := range c.Ports {
			if strconv.Itoa(p.ContainerPort) == port {
				return port, p.Name, p.ContainerPort
			}
		}
		t.Fatalf("no container port %s (%s %s)", port, setting, addr)
		return "", "", 0
	}
	_, httpName, portNumber := containerPort("SLUIS_HTTP_ADDR", cfg.HTTPAddr)
	adminPort, adminName, adminNumber := containerPort("SLUIS_ADMIN_ADDR", cfg.AdminAddr)

	t.Run("probes", func(t *testing.T) {
		if c.ReadinessProbe == nil || c.LivenessProbe == nil {
			t.Fatal("readiness and liveness probes are required")
		}
		for name, p := range map[string]*probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
			switch {
			case p == nil:
			case p.HTTPGet != nil:
				if !portMatches(p.HTTPGet.Port, adminName, adminNumber) {
					t.Errorf("%s probe port %v is not the admin port %s (%s)", name, p.HTTPGet.Port, adminName, adminPort)
				}
				if !strings.HasPrefix(p.HTTPGet.Path, "/") {
					t.Errorf("%s probe path %q", name, p.HTTPGet.Path)
				}
			case p.TCPSocket != nil:
				if !portMatches(p.TCPSocket.Port, adminName, adminNumber) {
					t.Errorf("%s probe port %v is not the admin port %s (%s)", name, p.TCPSocket.Port, adminName, adminPort)
				}
			default:
				t.Errorf("%s probe is neither httpGet nor tcpSocket", name)
			}
		}
		// The paths are asked of a live gateway in TestLiveGateway.
		if got := d.Template.Metadata.Annotations["prometheus.io/port"]; got != adminPort {
			t.Errorf("prometheus.io/port annotation %q, want the admin port %s", got, adminPort)
		}
	})

	t.Run("volumes and files", func(t *testing.T) {
		// mount path → the keys of the Secret or ConfigMap mounted there.
		keysAt := map[string]map[string]string{}
		writable := map[string]bool{}
		for _, m := range c.VolumeMounts {
			found := false
			for _, v := range pod.Volumes {
				if v.Name != m.Name {
					continue
				}
				found = true
				switch {
				case v.Secret != nil:
					keysAt[m.MountPath] = find(t, objs, "Secret", v.Secret.SecretName).entries()
				case v.ConfigMap != nil:
					keysAt[m.MountPath] = find(t, objs, "ConfigMap", v.ConfigMap.Name).entries()
				case v.EmptyDir != nil:
					writable[m.MountPath] = true
				}
			}
			if !found {
				t.Errorf("volumeMount %s names no volume", m.Name)
			}
		}
		if !writable["/tmp"] {
			t.Error("no writable /tmp (emptyDir): the root filesystem is read-only and the XSD validator writes its schemas to a temp folder")
		}
		hasFile := func(file string) bool {
			keys, ok := keysAt[path.Dir(file)]
			_, has := keys[path.Base(file)]
			return ok && has
		}
		for _, s := range fileSettings {
			if f := vars[s]; f != "" && !hasFile(f) {
				t.Errorf("%s=%s: no mounted Secret or ConfigMap has that file", s, f)
			}
		}
		// The provider registry: the same as deploy/providers.json, and every
		// retour certificate it names is mounted.
		registry := keysAt[path.Dir(vars["SLUIS_PROVIDERS_FILE"])][path.Base(vars["SLUIS_PROVIDERS_FILE"])]
		var got, want []map[string]string
		if err := json.Unmarshal([]byte(registry), &got); err != nil {
			t.Fatalf("providers.json in the ConfigMap: %v", err)
		}
		b, err := os.ReadFile("providers.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("providers.json in the ConfigMap differs from deploy/providers.json:\n got %v\nwant %v", got, want)
		}
		for _, p := range got {
			if !hasFile(p["retour_certificate"]) {
				t.Errorf("provider %s: retour certificate %s is not mounted", p["agb"], p["retour_certificate"])
			}
		}
		// The registry of systems: the same as deploy/systems.json.
		var gotSystems, wantSystems any
		if err := json.Unmarshal([]byte(keysAt[path.Dir(vars["SLUIS_SYSTEMS_FILE"])][path.Base(vars["SLUIS_SYSTEMS_FILE"])]), &gotSystems); err != nil {
			t.Fatalf("systems.json in the ConfigMap: %v", err)
		}
		if b, err = os.ReadFile("systems.json"); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &wantSystems); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotSystems, wantSystems) {
			t.Errorf("systems.json in the ConfigMap differs from deploy/systems.json")
		}
	})

	t.Run("service, disruption budget, network policy", func(t *testing.T) {
		if !selects(d.Selector.MatchLabels, podLabels) {
			t.Errorf("the Deployment's selector %v does not select its pods %v", d.Selector.MatchLabels, podLabels)
		}
		var svc struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []servicePort     `yaml:"ports"`
		}
		decodeSpec(t, find(t, objs, "Service", "sluis"), &svc)
		if !selects(svc.Selector, podLabels) {
			t.Errorf("Service selector %v does not select the pods %v", svc.Selector, podLabels)
		}
		if len(svc.Ports) == 0 || !portMatches(svc.Ports[0].TargetPort, httpName, portNumber) {
			t.Errorf("Service ports %v do not target the HTTP port %s", svc.Ports, httpName)
		}

		var pdb struct {
			MinAvailable   any           `yaml:"minAvailable"`
			MaxUnavailable any           `yaml:"maxUnavailable"`
			Selector       labelSelector `yaml:"selector"`
		}
		decodeSpec(t, find(t, objs, "PodDisruptionBudget", ""), &pdb)
		if !selects(pdb.Selector.MatchLabels, podLabels) {
			t.Errorf("PodDisruptionBudget selector %v does not select the pods", pdb.Selector.MatchLabels)
		}
		if n, ok := pdb.MinAvailable.(int); ok && n >= d.Replicas {
			t.Errorf("PodDisruptionBudget minAvailable %d with %d replicas blocks every drain", n, d.Replicas)
		}

		var np struct {
			PodSelector labelSelector `yaml:"podSelector"`
			PolicyTypes []string      `yaml:"policyTypes"`
			Ingress     []struct {
				Ports []netPort `yaml:"ports"`
			} `yaml:"ingress"`
			Egress []struct {
				Ports []netPort `yaml:"ports"`
			} `yaml:"egress"`
		}
		decodeSpec(t, find(t, objs, "NetworkPolicy", ""), &np)
		if !selects(np.PodSelector.MatchLabels, podLabels) {
			t.Errorf("NetworkPolicy podSelector %v does not select the pods", np.PodSelector.MatchLabels)
		}
		sort.Strings(np.PolicyTypes)
		if !reflect.DeepEqual(np.PolicyTypes, []string{"Egress", "Ingress"}) {
			t.Errorf("NetworkPolicy policyTypes %v, want Ingress and Egress", np.PolicyTypes)
		}
		in := false
		for _, r := range np.Ingress {
			for _, p := range r.Ports {
				in = in || portMatches(p.Port, httpName, portNumber)
			}
		}
		if !in {
			t.Error("NetworkPolicy lets nothing in to the HTTP port")
		}
		egress := map[string]bool{}
		for _, r := range np.Egress {
			for _, p := range r.Ports {
				egress[strconv.Itoa(toInt(p.Port))] = true
			}
		}
		_, amqpPort := urlHostPort(t, cfg.AMQPURL)
		_, pgPort := urlHostPort(t, cfg.PostgresURL)
		for what, p := range map[string]string{"DNS": "53", "the broker (SLUIS_AMQP_URL)": amqpPort, "PostgreSQL (SLUIS_POSTGRES_URL)": pgPort} {
			if !egress[p] {
				t.Errorf("NetworkPolicy lets no traffic out to %s on port %s", what, p)
			}
		}
	})
}

func toInt(v any) int {
	if n, ok := v.(int); ok {
		return n
	}
	return -1
}
