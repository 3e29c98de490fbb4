#!/usr/bin/env bash
# The Kubernetes manifests: every overlay and the monitoring stack render with
# `kubectl kustomize`, pass scripts/policy-check.py, the Cyclone configurations
# are what deploy/k8s/gen-cyclonedds.sh generates, and manifests that break a
# rule (tests/data/deploy/bad-*.yaml) are rejected with a message naming it.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
command -v kubectl >/dev/null || { echo "SKIP: kubectl (with kustomize) is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out_file"' EXIT
K=deploy/k8s
policy=(scripts/policy-check.py)

render() { kubectl kustomize --load-restrictor LoadRestrictionsNone "$1"; }
for o in dev prod loadbalancer gpu fleet; do
  expect 0 'kind: StatefulSet' -- render $K/overlays/$o
  render $K/overlays/$o >"$tmp/$o.yaml" 2>/dev/null
  args=()
  [[ $o != dev ]] && args+=(--prod)
  [[ $o == loadbalancer ]] && args+=(--allow-loadbalancer)
  expect 0 'objects ok' -- "$PY" "${policy[@]}" "${args[@]}" "$tmp/$o.yaml"
done
expect 0 'kind: Deployment' -- render deploy/monitoring/k8s
render deploy/monitoring/k8s >"$tmp/monitoring.yaml" 2>/dev/null
expect 0 'objects ok' -- "$PY" "${policy[@]}" "$tmp/monitoring.yaml"
render $K/jobs >"$tmp/jobs.yaml" 2>/dev/null
expect 0 'objects ok' -- "$PY" "${policy[@]}" "$tmp/dev.yaml" "$tmp/jobs.yaml"
# the health Job's command line is one dtwin accepts (exit 2 = bad options): run
# outside a cluster, with no waiting, it fails (1) on "not in a cluster"
mapfile -t job_args < <("$PY" -c 'import sys, yaml
for o in yaml.safe_load_all(open(sys.argv[1])):
    if o and o["kind"] == "Job":
        print("\n".join(o["spec"]["template"]["spec"]["containers"][0]["args"]))' "$tmp/jobs.yaml")
expect 0 '^health$' -- printf '%s\n' "${job_args[0]:-}"
if [[ -n ${DTWIN:-} ]]; then
  expect 1 'FAIL kubernetes: not in a cluster' -- env -u KUBECONFIG -u KUBERNETES_SERVICE_HOST \
    "$DTWIN" "${job_args[@]}" --wait 0 --timeout 1
fi
# its pod may reach the twin's health ports, and the twin's pods admit it
expect 0 'dtwin-health' -- "$PY" -c 'import sys, yaml
pols = {o["metadata"]["name"]: o for o in yaml.safe_load_all(open(sys.argv[1])) if o and o["kind"] == "NetworkPolicy"}
eg = pols["allow-health-egress"]["spec"]
assert eg["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "dtwin-health"
assert any(t.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == "dtwin"
           for rule in eg["egress"] for t in rule.get("to", [])), "no egress to the twin pods"
ing = pols["allow-metrics"]["spec"]["ingress"][0]["from"]
assert any(f.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == "dtwin-health"
           for f in ing), "twin pods do not admit the health Job"
print("dtwin-health allowed")' "$tmp/dev.yaml"

# the shape the issue asks for, overlay by overlay
expect 0 'dtwin-robot' -- grep -h 'name: dtwin-robot$' "$tmp/dev.yaml"
expect 1 '' -- grep -q 'name: dtwin-robot$' "$tmp/prod.yaml"
expect 0 'allow-dds-robot' -- grep 'name: allow-dds-robot$' "$tmp/prod.yaml"
expect 1 '' -- grep -q 'type: LoadBalancer' "$tmp/prod.yaml"
expect 0 '203.0.113.0/24' -- grep -A1 'loadBalancerSourceRanges:' "$tmp/loadbalancer.yaml"
expect 0 'nvidia.com/gpu' -- grep 'nvidia.com/gpu: "1"' "$tmp/gpu.yaml"
expect 0 'MUJOCO_GL' -- grep -A1 'name: MUJOCO_GL' "$tmp/gpu.yaml"
expect 1 '' -- grep -q 'DISPLAY' "$tmp/gpu.yaml"
expect 0 'replicas: 4' -- grep 'replicas: 4' "$tmp/fleet.yaml"
# shellcheck disable=SC2016 # the $ is meant literally
expect 0 'twin_\$\(ORDINAL\)' -- grep 'sim.namespace=/twin_$(ORDINAL)' "$tmp/fleet.yaml"
# the fleet: one DDS domain per robot/twin pair (docs/deployment.md): the pod holds
# the whole pair, every container knows its ORDINAL (Cyclone expands the domain
# tag from it), no core pod, no DDS between pods
expect 0 'pair pods ok' -- "$PY" -c 'import sys, yaml
objs = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o]
names = {(o["kind"], o["metadata"]["name"]) for o in objs}
assert ("StatefulSet", "dtwin-core") not in names, "fleet still has the core pod"
assert ("NetworkPolicy", "allow-dds") not in names, "fleet lets pods reach each other over DDS"
assert ("NetworkPolicy", "allow-dds-robot") in names, "fleet does not let the robots in"
sim = next(o for o in objs if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "dtwin-sim")
cs = {c["name"]: c for c in sim["spec"]["template"]["spec"]["containers"]}
assert sorted(cs) == ["bridge", "monitor", "sim", "sync"], sorted(cs)
for c in cs.values():
    assert any(e["name"] == "ORDINAL" for e in c.get("env", [])), c["name"] + " has no ORDINAL"
assert len({c["image"] for c in cs.values()}) == 1, "containers run different images"
print("pair pods ok")' "$tmp/fleet.yaml"
expect 0 'dtwin-pair-\$\{ORDINAL\}' -- grep '<Tag>' $K/overlays/fleet/cyclonedds.xml
expect 1 '' -- grep -q 'dtwin-sim-[0-9]' $K/overlays/fleet/cyclonedds.xml
expect 0 'clusterIP: None' -- grep 'clusterIP: None' "$tmp/prod.yaml"
expect 0 'enforce: restricted' -- grep 'pod-security.kubernetes.io/enforce: restricted' "$tmp/prod.yaml"
expect 1 '' -- grep -rq 11311 deploy/k8s deploy/monitoring/k8s
expect 1 '' -- grep -q 'kind: HorizontalPodAutoscaler' "$tmp/fleet.yaml"
expect 0 '@sha256:' -- grep -m1 'image: .*@sha256:' "$tmp/prod.yaml"

# Cyclone DDS configurations: generated, well-formed, multicast off
for f in $K/base/cyclonedds.xml $K/overlays/dev/cyclonedds.xml $K/overlays/fleet/cyclonedds.xml; do
  # the arguments it was made with, read back from the file
  gen_args=$("$PY" -c 'import sys, xml.etree.ElementTree as E
ns = {"c": "https://cdds.io/config"}
r = E.parse(sys.argv[1]).getroot()
assert r.find(".//c:AllowMulticast", ns).text == "false", "multicast on"
assert r.find(".//c:ParticipantIndex", ns).text == "auto", "ParticipantIndex not auto"
a = ["--max-index", r.find(".//c:MaxAutoParticipantIndex", ns).text]
i = r.find(".//c:NetworkInterface", ns)
a += ["--interface", i.get("name")] if i is not None else []
t = r.find(".//c:Tag", ns)
a += ["--tag", t.text] if t is not None else []
print(" ".join(a + [p.get("Address") for p in r.findall(".//c:Peer", ns)]))' "$f" 2>&1)
  read -ra argv <<<"$gen_args"
  expect 0 '' -- diff -u "$f" <($K/gen-cyclonedds.sh "${argv[@]}")
done
expect 2 'give at least one peer' -- $K/gen-cyclonedds.sh
expect 2 'bad peer' -- $K/gen-cyclonedds.sh 'a"b'
expect 2 'bad tag' -- $K/gen-cyclonedds.sh --tag 'a b' x
# shellcheck disable=SC2016 # literal ${...}: what the script must refuse or pass on
expect 2 'bad peer' -- $K/gen-cyclonedds.sh 'x${a'
# shellcheck disable=SC2016
expect 0 'Peer Address="\$\{P:-localhost\}"' -- $K/gen-cyclonedds.sh '${P:-localhost}'

# the policy check rejects what a reviewer would, naming the rule
D=$DTW_TEST_DATA/deploy
expect 0 'objects ok' -- "$PY" "${policy[@]}" "$D/good.yaml"
expect 1 "container 'sim': privileged: true" -- "$PY" "${policy[@]}" "$D/bad-privileged.yaml"
expect 1 'uses :latest' -- "$PY" "${policy[@]}" "$D/bad-latest.yaml"
expect 1 'not pinned by digest' -- "$PY" "${policy[@]}" --prod "$D/good.yaml"
expect 1 "no livenessProbe" -- "$PY" "${policy[@]}" "$D/bad-no-probes.yaml"
expect 1 "no readinessProbe" -- "$PY" "${policy[@]}" "$D/bad-no-probes.yaml"
expect 1 'livenessProbe must be httpGet /healthz' -- "$PY" "${policy[@]}" "$D/bad-exec-probe.yaml"
expect 1 'runAsUser is 0' -- "$PY" "${policy[@]}" "$D/bad-root.yaml"
expect 1 'capabilities do not drop ALL' -- "$PY" "${policy[@]}" "$D/bad-root.yaml"
expect 1 'seccompProfile is not RuntimeDefault' -- "$PY" "${policy[@]}" "$D/bad-root.yaml"
expect 1 'hostNetwork: true' -- "$PY" "${policy[@]}" "$D/bad-host.yaml"
expect 1 'is a hostPath' -- "$PY" "${policy[@]}" "$D/bad-host.yaml"
expect 1 'memory limit 1Gi != request 256Mi' -- "$PY" "${policy[@]}" "$D/bad-memory.yaml"
expect 1 'port 11311' -- "$PY" "${policy[@]}" "$D/bad-ros1-lb.yaml"
expect 1 'Service type LoadBalancer' -- "$PY" "${policy[@]}" "$D/bad-ros1-lb.yaml"
expect 1 'duplicate publishers' -- "$PY" "${policy[@]}" "$D/bad-hpa.yaml"
expect 1 'automountServiceAccountToken is not false' -- "$PY" "${policy[@]}" "$D/bad-token.yaml"
expect 1 'no default-deny NetworkPolicy' -- "$PY" "${policy[@]}" "$D/bad-token.yaml"
expect 1 'no PodDisruptionBudget' -- "$PY" "${policy[@]}" "$D/bad-token.yaml"
expect 1 "enforce is not 'restricted'" -- "$PY" "${policy[@]}" "$D/bad-namespace.yaml"
expect 1 'Service type LoadBalancer' -- "$PY" "${policy[@]}" --prod "$tmp/loadbalancer.yaml"
expect 2 'no objects' -- "$PY" "${policy[@]}" /dev/null

# deploy.sh: renders with the image it is given, refuses prod without a digest
digest=sha256:$(printf 'ab%.0s' {1..32})
expect 0 "image: reg.example/dtwin@$digest" -- scripts/deploy.sh --render --overlay prod --image "reg.example/dtwin@$digest"
expect 0 'image: localhost/dtwin:abc' -- scripts/deploy.sh --render --overlay dev --image localhost/dtwin:abc
expect 1 'deploys by digest' -- scripts/deploy.sh --overlay prod --image reg.example/dtwin:1.0
expect 1 'placeholder digest' -- scripts/deploy.sh --overlay prod --image "reg.example/dtwin@sha256:$(printf '0%.0s' {1..64})"
expect 1 'needs an explicit --context' -- scripts/deploy.sh --overlay fleet --image "reg.example/dtwin@$digest"
expect 2 "no overlay 'nope'" -- scripts/deploy.sh --overlay nope
if command -v shellcheck >/dev/null; then
  expect 0 '' -- shellcheck -x scripts/deploy.sh scripts/make-base-image.sh scripts/podman-env.sh $K/gen-cyclonedds.sh
fi
finish
