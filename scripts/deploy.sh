#!/usr/bin/env bash
# Deploy dtwin: render a kustomize overlay, check it, apply it, wait for the
# rollout, gate on `dtwin health`, roll back on failure, print the endpoints.
#
#   scripts/deploy.sh [options]
#     --overlay NAME        dev | prod | loadbalancer | gpu | fleet   (default dev)
#     --image REF           image to deploy: REF@sha256:<digest> (required for prod-
#                           based overlays), or NAME:TAG (dev)
#     --context CTX         kubectl context (required for prod-based overlays)
#     --dry-run             render, policy-check and diff against the cluster; change nothing
#     --render              print the rendered manifests and exit
#     --with-monitoring     also deploy deploy/monitoring/k8s (Grafana password Secret made here)
#     --timeout SECONDS     rollout and health timeout (default 300)
#     --target local        the same on this machine with `podman kube play`
#     --down                (local) stop what --target local started
#     --domain N            (local) ROS_DOMAIN_ID of the local system (default 0)
#     --only A,B            (local) run only these workloads (e.g. dtwin-sim)
#
# Exit codes: 0 deployed and healthy; 1 failed (rolled back when possible); 2 usage.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
overlay=dev image="" context="" dry_run=0 render_only=0 monitoring=0 timeout=300
target=k8s down=0 domain=0 only=""
namespace=dtwin
PY=${PYTHON:-/usr/bin/python3}
[[ -x $PY ]] || PY=python3

die() { echo "deploy: $*" >&2; exit 1; }
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { echo "deploy: $*"; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --overlay) overlay=${2:?}; shift 2 ;;
    --image) image=${2:?}; shift 2 ;;
    --context) context=${2:?}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --render) render_only=1; shift ;;
    --with-monitoring) monitoring=1; shift ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --target) target=${2:?}; shift 2 ;;
    --down) down=1; shift ;;
    --domain) domain=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "deploy: unknown option $1" >&2; usage ;;
  esac
done
[[ -d $root/deploy/k8s/overlays/$overlay ]] || { echo "deploy: no overlay '$overlay'" >&2; exit 2; }
[[ $target == k8s || $target == local ]] || { echo "deploy: --target is k8s or local" >&2; exit 2; }
[[ $timeout =~ ^[0-9]+$ && $domain =~ ^[0-9]+$ ]] || { echo "deploy: --timeout/--domain want numbers" >&2; exit 2; }

prod_based=0
case $overlay in prod|loadbalancer|gpu|fleet) prod_based=1 ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/dtwin-deploy.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- render ------------------------------------------------------------------
# render DIR OUT: kustomize DIR with the chosen image into OUT
render() {
  local dir=$1 out=$2 k=$work/k.$RANDOM
  mkdir -p "$k"
  {
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "resources:"
    echo "  - $(realpath --relative-to="$k" "$dir")"
    if [[ -n $image ]]; then
      local name=$image tag="" digest=""
      if [[ $image == *@sha256:* ]]; then
        name=${image%@*} digest=${image#*@}
      elif [[ ${image##*/} == *:* ]]; then
        name=${image%:*} tag=${image##*:}
      fi
      echo "images:"
      for from in ghcr.io/dtwin-project/dtwin localhost/dtwin; do
        echo "  - name: $from"
        echo "    newName: $name"
        [[ -n $tag ]] && echo "    newTag: \"$tag\""
        [[ -n $digest ]] && echo "    digest: $digest"
      done
    fi
  } >"$k/kustomization.yaml"
  kubectl kustomize --load-restrictor LoadRestrictionsNone "$k" >"$out"
}

# ---- preflight ---------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1 || die "preflight: $1 is not installed ($2)"; }
need kubectl "kubectl >= 1.27 with kustomize"
"$PY" -c 'import yaml' 2>/dev/null || die "preflight: python3-yaml is missing (scripts/install-deps.sh)"

if [[ $prod_based -eq 1 && $target == k8s && $render_only -eq 0 ]]; then
  [[ $image =~ @sha256:[0-9a-f]{64}$ ]] || die "preflight: overlay $overlay deploys by digest: give --image REF@sha256:<digest>"
  [[ $image != *@sha256:0000000000000000000000000000000000000000000000000000000000000000 ]] ||
    die "preflight: that is the placeholder digest"
  [[ -n $context ]] || die "preflight: overlay $overlay needs an explicit --context"
fi

rendered=$work/rendered.yaml
render "$root/deploy/k8s/overlays/$overlay" "$rendered"
if [[ $render_only -eq 1 ]]; then cat "$rendered"; exit 0; fi
policy_args=()
[[ $prod_based -eq 1 ]] && policy_args+=(--prod)
[[ $overlay == loadbalancer ]] && policy_args+=(--allow-loadbalancer)
"$PY" "$root/scripts/policy-check.py" "${policy_args[@]}" "$rendered" || die "preflight: policy check failed"

# ==== local: podman kube play =================================================
local_dir=${DTW_LOCAL_STATE:-${XDG_RUNTIME_DIR:-/tmp}/dtwin-local}
local_file=$local_dir/$overlay.yaml

# The rendered workloads as podman kube play runs them: the containers of every
# StatefulSet/Deployment (or only those named in --only) in ONE pod "dtwin-local",
# so they share a network namespace (Cyclone on its loopback, no cluster DNS or
# NetworkPolicy here, no host ports). Probes are checked by this script.
# Prints "container port" for every health port.
to_local() {  # [OUT]: write the pod manifest to OUT (default $local_file)
  "$PY" - "$rendered" "${1:-$local_file}" "$domain" "$only" <<'PYEOF'
import sys, yaml
src, dst, domain, only = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
only = set(filter(None, only.split(",")))
out, pod, ports, vols = [], None, [], {}
for o in yaml.safe_load_all(open(src)):
    if not o:
        continue
    k = o["kind"]
    if k == "ConfigMap":
        d = o.get("data") or {}
        if "cyclonedds.xml" in d:
            d["cyclonedds.xml"] = ('<CycloneDDS><Domain Id="any"><General><Interfaces>'
                                   '<NetworkInterface name="lo"/></Interfaces></General><Discovery>'
                                   '<ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>64'
                                   '</MaxAutoParticipantIndex></Discovery></Domain></CycloneDDS>')
        if "ROS_DOMAIN_ID" in d:
            d["ROS_DOMAIN_ID"] = domain
        o["metadata"].pop("namespace", None)
        out.append(o)
    elif k in ("StatefulSet", "Deployment"):
        if only and o["metadata"]["name"] not in only:
            continue
        spec = o["spec"]["template"]["spec"]
        if pod is None:
            pod = {"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "dtwin-local", "labels": {"app.kubernetes.io/name": "dtwin"}},
                   "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "dtwin"}},
                            "template": {"metadata": {"labels": {"app.kubernetes.io/name": "dtwin"}},
                                         "spec": {"securityContext": spec.get("securityContext"),
                                                  "automountServiceAccountToken": False,
                                                  "containers": [], "volumes": []}}}}
        for c in spec["containers"]:
            for p in ("startupProbe", "livenessProbe", "readinessProbe"):
                c.pop(p, None)
            if any(x["name"] == c["name"] for x in pod["spec"]["template"]["spec"]["containers"]):
                c["name"] = o["metadata"]["name"] + "-" + c["name"]
            pod["spec"]["template"]["spec"]["containers"].append(c)
            for p in c.get("ports") or []:
                if p.get("name", "").endswith("-http"):
                    ports.append((c["name"], p["containerPort"]))
            # podman kube play would publish these on the host (a busy port 10000
            # fails the pod); the script reaches them inside the pod instead
            c.pop("ports", None)
        for v in spec.get("volumes") or []:
            vols.setdefault(v["name"], v)
if pod is None:
    sys.exit("no workloads selected")
pod["spec"]["template"]["spec"]["volumes"] = list(vols.values())
out.append(pod)
with open(dst, "w") as f:
    yaml.safe_dump_all(out, f, sort_keys=False)
for cname, port in ports:
    print(cname, port)
PYEOF
}

# the podman name of container $1 of the local pod (dtwin-local-pod[-0]-NAME)
ctr() {
  # (not a pipe into grep -m1: under pipefail podman's SIGPIPE would also run the fallback)
  local names
  names=$(podman ps -a --filter name=dtwin-local-pod --format '{{.Names}}')
  grep -m1 -E -- "^dtwin-local-pod(-[0-9]+)?-$1\$" <<<"$names" || echo "dtwin-local-pod-$1"
}

# GET a URL inside the local pod's network namespace (its loopback)
pod_get() {
  local pid
  pid=$(podman inspect --format '{{.State.Pid}}' "$(ctr "$1")" 2>/dev/null) || return 1
  [[ $pid -gt 0 ]] || return 1
  nsenter --net="/proc/$pid/ns/net" curl -fsS -o /dev/null --max-time 2 "$2" 2>/dev/null
}

# wait_local "container port"...: every /readyz answers 200 (or a container exits)
wait_local() {
  local deadline=$((SECONDS + timeout)) e cname port state pending
  while :; do
    pending=()
    for e in "$@"; do
      read -r cname port <<<"$e"
      pod_get "$cname" "http://127.0.0.1:$port/readyz" || pending+=("$e")
    done
    [[ ${#pending[@]} -eq 0 ]] && return 0
    for e in "${pending[@]}"; do
      read -r cname port <<<"$e"
      state=$(podman inspect --format '{{.State.Status}}' "$(ctr "$cname")" 2>/dev/null || echo missing)
      if [[ $state == exited || $state == missing ]] || ((SECONDS >= deadline)); then
        echo "deploy: container $cname ($state) not ready:" >&2
        podman logs --tail 20 "$(ctr "$cname")" >&2 2>&1 || true
        return 1
      fi
    done
    sleep 0.5
  done
}

# `dtwin health` against every process of the pod, from inside it
health_local() {
  local args=() e cname port first
  read -r first _ <<<"$1"
  for e in "$@"; do read -r cname port <<<"$e"; args+=(--endpoint "http://127.0.0.1:$port"); done
  # retried for up to 30 s: a busy machine may hold the real-time factor low a moment
  podman exec "$(ctr "$first")" dtwin health "${args[@]}" --wait 30
}

if [[ $target == local ]]; then
  need podman "scripts/install-deps.sh"
  need curl "apt-get install curl"
  need nsenter "util-linux"
  [[ $(id -u) -eq 0 ]] || die "preflight: --target local enters the pod's network namespace: run as root"
  # shellcheck source=scripts/podman-env.sh
  source "$root/scripts/podman-env.sh"
  mkdir -p "$local_dir"
  if [[ $down -eq 1 ]]; then
    [[ -f $local_file ]] || die "nothing to stop ($local_file missing)"
    podman kube down "$local_file" >/dev/null 2>&1 || true
    log "stopped $overlay (local)"
    exit 0
  fi
  if [[ $dry_run -eq 1 ]]; then
    # what would run, against what the last local deployment of this overlay ran
    to_local "$work/local.yaml" >/dev/null
    if [[ -f $local_file ]]; then
      diff -u --label "running ($local_file)" --label "new" "$local_file" "$work/local.yaml" &&
        log "dry run: no differences from the running local $overlay"
    else
      cat "$work/local.yaml"
      log "dry run: nothing deployed locally yet; the manifest above would be played"
    fi
    exit 0
  fi
  img=$(grep -m1 -o 'image: .*' "$rendered" | cut -d' ' -f2)
  podman image exists "$img" || die "preflight: image $img is not in local storage (make image)"
  log "image $img ($(podman image inspect --format '{{.Id}}' "$img" | cut -c1-12))"
  mapfile -t endpoints < <(to_local)
  [[ -f $local_file ]] || die "conversion failed"
  start=$SECONDS
  podman kube down "$local_file" >/dev/null 2>&1 || true
  podman kube play "$local_file" >"$work/play.log" 2>&1 || { cat "$work/play.log" >&2; die "podman kube play failed"; }
  if ! wait_local "${endpoints[@]}"; then
    podman kube down "$local_file" >/dev/null 2>&1 || true
    die "local deployment did not become ready in ${timeout}s (stopped it)"
  fi
  if ! health_local "${endpoints[@]}"; then
    podman kube down "$local_file" >/dev/null 2>&1 || true
    die "health check failed (stopped it)"
  fi
  log "local $overlay ready in $((SECONDS - start)) s"
  for e in "${endpoints[@]}"; do
    read -r c port <<<"$e"; log "  $c: http://127.0.0.1:$port/metrics (in pod dtwin-local)"
  done
  log "stop with: scripts/deploy.sh --target local --overlay $overlay --down"
  exit 0
fi

# ==== Kubernetes =============================================================
kc=(kubectl)
[[ -n $context ]] && kc+=(--context "$context")
current=$("${kc[@]}" config current-context 2>/dev/null) || die "preflight: no kubectl context"
"${kc[@]}" version --request-timeout=10s >/dev/null 2>&1 || die "preflight: cluster of context '$current' unreachable"
log "context $current, overlay $overlay, image ${image:-(overlay default)}"

if [[ $dry_run -eq 1 ]]; then
  rc=0
  "${kc[@]}" diff -f "$rendered" || rc=$?
  [[ $rc -le 1 ]] || die "kubectl diff failed"
  log "dry run: nothing changed ($([[ $rc -eq 0 ]] && echo no differences || echo differences above))"
  exit 0
fi

mapfile -t sets < <("$PY" -c 'import sys,yaml
for o in yaml.safe_load_all(open(sys.argv[1])):
    if o and o["kind"] in ("StatefulSet","Deployment"): print(o["kind"].lower()+"/"+o["metadata"]["name"])' "$rendered")
existing=()
for s in "${sets[@]}"; do
  "${kc[@]}" -n "$namespace" get "$s" >/dev/null 2>&1 && existing+=("$s")
done

rollback() {
  echo "deploy: $* - rolling back" >&2
  for s in "${existing[@]}"; do
    "${kc[@]}" -n "$namespace" rollout undo "$s" >&2 || true
  done
  for s in "${existing[@]}"; do
    "${kc[@]}" -n "$namespace" rollout status "$s" --timeout="${timeout}s" >&2 || true
  done
  [[ ${#existing[@]} -eq 0 ]] && echo "deploy: first deployment: nothing to roll back to" >&2
  exit 1
}

start=$SECONDS
"${kc[@]}" apply --server-side --field-manager=dtwin-deploy -f "$rendered" || rollback "apply failed"
for s in "${sets[@]}"; do
  "${kc[@]}" -n "$namespace" rollout status "$s" --timeout="${timeout}s" || rollback "$s did not roll out"
done

if [[ $monitoring -eq 1 ]]; then
  "${kc[@]}" get namespace dtwin-monitoring >/dev/null 2>&1 ||
    "${kc[@]}" create namespace dtwin-monitoring
  if ! "${kc[@]}" -n dtwin-monitoring get secret grafana-admin >/dev/null 2>&1; then
    "${kc[@]}" -n dtwin-monitoring create secret generic grafana-admin \
      --from-literal=password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" >/dev/null
    log "Grafana admin password: kubectl -n dtwin-monitoring get secret grafana-admin -o jsonpath='{.data.password}' | base64 -d"
  fi
  kubectl kustomize --load-restrictor LoadRestrictionsNone "$root/deploy/monitoring/k8s" >"$work/monitoring.yaml"
  "$PY" "$root/scripts/policy-check.py" -q "$work/monitoring.yaml" || die "monitoring: policy check failed"
  "${kc[@]}" apply --server-side --field-manager=dtwin-deploy -f "$work/monitoring.yaml"
  "${kc[@]}" -n dtwin-monitoring rollout status deployment/prometheus --timeout="${timeout}s"
fi

# health gate: `dtwin health --kubernetes` as a Job with the deployed image
# (the overlay's own image when no --image was given)
if [[ -z $image ]]; then
  image=$("$PY" -c 'import sys,yaml
for o in yaml.safe_load_all(open(sys.argv[1])):
    if o and o["kind"] in ("StatefulSet","Deployment"):
        print(o["spec"]["template"]["spec"]["containers"][0]["image"]); break' "$rendered")
fi
render "$root/deploy/k8s/jobs" "$work/health.yaml"
"${kc[@]}" -n "$namespace" delete job dtwin-health --ignore-not-found >/dev/null
"${kc[@]}" apply -f "$work/health.yaml" >/dev/null
if ! "${kc[@]}" -n "$namespace" wait --for=condition=complete job/dtwin-health --timeout="${timeout}s"; then
  "${kc[@]}" -n "$namespace" logs job/dtwin-health >&2 || true
  rollback "health check failed"
fi
"${kc[@]}" -n "$namespace" logs job/dtwin-health || true
log "deployed $overlay in $((SECONDS - start)) s"
"${kc[@]}" -n "$namespace" get services -o \
  'custom-columns=SERVICE:.metadata.name,TYPE:.spec.type,CLUSTER-IP:.spec.clusterIP,EXTERNAL:.status.loadBalancer.ingress[*].ip,PORTS:.spec.ports[*].port'
