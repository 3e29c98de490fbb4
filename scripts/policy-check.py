#!/usr/bin/env python3
"""Check rendered Kubernetes manifests against what a reviewer of dtwin's
deployment asks for (docs/deployment.md, "Policy").

    kubectl kustomize deploy/k8s/overlays/dev | scripts/policy-check.py -
    scripts/policy-check.py --prod rendered.yaml
    scripts/policy-check.py --allow-loadbalancer --prod rendered.yaml

Exit 0: every check passed; 1: violations (one line each: object, what, why);
2: usage or unreadable input. Needs python3 and python3-yaml (Debian).
"""
import argparse
import re
import sys

import yaml

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
BATCH_KINDS = {"Job", "CronJob"}
FORBIDDEN_PORT = 11311  # the ROS 1 master: nothing in ROS 2 listens there
DIGEST_RE = re.compile(r"@sha256:[0-9a-f]{64}$")


def quantity(q):
    """Kubernetes quantity -> float (bytes or cores)."""
    if q is None:
        return None
    s = str(q)
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50,
             "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "m": 1e-3}
    for suffix in sorted(units, key=len, reverse=True):
        if s.endswith(suffix):
            try:
                return float(s[:-len(suffix)]) * units[suffix]
            except ValueError:
                return None
    try:
        return float(s)
    except ValueError:
        return None


class Checker:
    def __init__(self, args):
        self.args = args
        self.problems = []

    def fail(self, obj, msg):
        self.problems.append(f"{name_of(obj)}: {msg}")

    # ---- pods ---------------------------------------------------------------
    def pod_spec(self, obj):
        kind = obj.get("kind")
        spec = obj.get("spec") or {}
        if kind == "Pod":
            return spec, obj.get("metadata", {}).get("labels") or {}
        if kind == "CronJob":
            spec = ((spec.get("jobTemplate") or {}).get("spec") or {})
        tmpl = spec.get("template") or {}
        return tmpl.get("spec") or {}, (tmpl.get("metadata") or {}).get("labels") or {}

    def check_workload(self, obj, bound_sas, pdbs, hpas):
        kind = obj["kind"]
        pod, labels = self.pod_spec(obj)
        long_running = kind not in BATCH_KINDS
        psc = pod.get("securityContext") or {}
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(key):
                self.fail(obj, f"{key}: true (the pod would share the node's namespaces)")
        volumes = {v.get("name"): v for v in pod.get("volumes") or []}
        for v in volumes.values():
            if "hostPath" in v:
                self.fail(obj, f"volume '{v.get('name')}' is a hostPath (node file system in the pod)")
        sa = pod.get("serviceAccountName") or "default"
        automount = pod.get("automountServiceAccountToken")
        if automount is not False and sa not in bound_sas:
            self.fail(obj, f"automountServiceAccountToken is not false, and service account '{sa}' "
                           "has no role binding (the pod does not need an API token)")
        containers = list(pod.get("initContainers") or []) + list(pod.get("containers") or [])
        if not containers:
            self.fail(obj, "no containers")
        for c in containers:
            self.check_container(obj, c, psc, volumes, long_running and c in (pod.get("containers") or []))
        if long_running and kind != "Pod":
            if not pod.get("topologySpreadConstraints"):
                self.fail(obj, "no topologySpreadConstraints (replicas could pile up on one node)")
            if not any(selects(p, labels) for p in pdbs):
                self.fail(obj, "no PodDisruptionBudget selects its pods")
        for h in hpas:
            ref = (h.get("spec") or {}).get("scaleTargetRef") or {}
            if ref.get("kind") == kind and ref.get("name") == obj["metadata"].get("name"):
                self.fail(h, f"HorizontalPodAutoscaler targets {kind}/{ref.get('name')}: its pods publish "
                             "state, extra replicas are duplicate publishers (scale twins by adding robots)")

    def check_container(self, obj, c, psc, volumes, needs_probes):
        cname = f"container '{c.get('name')}'"
        sc = c.get("securityContext") or {}

        def eff(key):
            return sc[key] if key in sc else psc.get(key)
        if eff("runAsNonRoot") is not True:
            self.fail(obj, f"{cname}: runAsNonRoot is not true")
        for key in ("runAsUser", "runAsGroup"):
            v = eff(key)
            if not isinstance(v, int) or isinstance(v, bool):
                self.fail(obj, f"{cname}: {key} must be set to a number (the kubelet verifies non-root by uid)")
            elif v == 0:
                self.fail(obj, f"{cname}: {key} is 0 (root)")
        if sc.get("privileged"):
            self.fail(obj, f"{cname}: privileged: true (GPU access goes through the device plugin, "
                           "nothing here needs privilege)")
        if sc.get("allowPrivilegeEscalation") is not False:
            self.fail(obj, f"{cname}: allowPrivilegeEscalation is not false")
        seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            self.fail(obj, f"{cname}: seccompProfile is not RuntimeDefault")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            self.fail(obj, f"{cname}: capabilities do not drop ALL")
        if caps.get("add"):
            self.fail(obj, f"{cname}: adds capabilities {caps['add']}")
        if sc.get("readOnlyRootFilesystem") is not True:
            self.fail(obj, f"{cname}: readOnlyRootFilesystem is not true")
        tmp = [m for m in c.get("volumeMounts") or [] if m.get("mountPath") == "/tmp"]
        if not tmp or "emptyDir" not in (volumes.get(tmp[0].get("name")) or {}):
            self.fail(obj, f"{cname}: no emptyDir mounted at /tmp (needed with a read-only root)")
        self.check_image(obj, cname, c.get("image"))
        for p in c.get("ports") or []:
            if p.get("containerPort") == FORBIDDEN_PORT or p.get("hostPort") == FORBIDDEN_PORT:
                self.fail(obj, f"{cname}: port {FORBIDDEN_PORT} (the ROS 1 master; ROS 2 has none)")
            if p.get("hostPort"):
                self.fail(obj, f"{cname}: hostPort {p['hostPort']} (binds the node's network)")
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        for r in ("cpu", "memory"):
            if r not in req:
                self.fail(obj, f"{cname}: no {r} request")
            if r not in lim:
                self.fail(obj, f"{cname}: no {r} limit")
        if "memory" in req and "memory" in lim and quantity(req["memory"]) != quantity(lim["memory"]):
            self.fail(obj, f"{cname}: memory limit {lim['memory']} != request {req['memory']} "
                           "(a pod above its request is the first one the node kills)")
        if needs_probes:
            for probe, path in (("startupProbe", None), ("livenessProbe", "/healthz"),
                                ("readinessProbe", "/readyz")):
                pr = c.get(probe)
                if not pr:
                    self.fail(obj, f"{cname}: no {probe}")
                    continue
                if path and "dtwin" not in (c.get("image") or ""):
                    if "httpGet" not in pr:  # third-party images: their own health paths
                        self.fail(obj, f"{cname}: {probe} must be an httpGet")
                elif path:
                    got = (pr.get("httpGet") or {}).get("path")
                    if got != path:
                        self.fail(obj, f"{cname}: {probe} must be httpGet {path} (got "
                                       f"{'httpGet ' + str(got) if got else next(iter(set(pr) & {'exec', 'tcpSocket', 'grpc'}), 'none')})")

    def check_image(self, obj, cname, image):
        if not image:
            self.fail(obj, f"{cname}: no image")
            return
        if DIGEST_RE.search(image):
            return
        if self.args.prod:
            self.fail(obj, f"{cname}: image '{image}' is not pinned by digest (@sha256:...) in prod")
        last = image.rsplit("/", 1)[-1]
        if ":" not in last:
            self.fail(obj, f"{cname}: image '{image}' has no tag (means :latest)")
        elif last.endswith(":latest"):
            self.fail(obj, f"{cname}: image '{image}' uses :latest (tag by version, deploy by digest)")

    # ---- the rest -----------------------------------------------------------
    def check_service(self, obj):
        spec = obj.get("spec") or {}
        t = spec.get("type", "ClusterIP")
        for p in spec.get("ports") or []:
            if FORBIDDEN_PORT in (p.get("port"), p.get("targetPort"), p.get("nodePort")):
                self.fail(obj, f"port {FORBIDDEN_PORT} (the ROS 1 master; ROS 2 has none)")
        if t == "ClusterIP":
            return
        if t == "LoadBalancer" and self.args.allow_loadbalancer:
            ranges = spec.get("loadBalancerSourceRanges") or []
            if not ranges:
                self.fail(obj, "LoadBalancer without loadBalancerSourceRanges (open to the internet)")
            if any(r in ("0.0.0.0/0", "::/0") for r in ranges):
                self.fail(obj, "loadBalancerSourceRanges includes everything (0.0.0.0/0)")
            return
        self.fail(obj, f"Service type {t}: only ClusterIP (a LoadBalancer only in the loadbalancer overlay)")

    def run(self, objs):
        by_kind = {}
        for o in objs:
            by_kind.setdefault(o.get("kind"), []).append(o)
        bound = set()
        for b in by_kind.get("RoleBinding", []) + by_kind.get("ClusterRoleBinding", []):
            for s in b.get("subjects") or []:
                if s.get("kind") == "ServiceAccount":
                    bound.add(s.get("name"))
        for sa in by_kind.get("ServiceAccount", []):
            if sa.get("automountServiceAccountToken") is not False and sa["metadata"].get("name") not in bound:
                self.fail(sa, "automountServiceAccountToken is not false and no role is bound to it")
        namespaces = {n["metadata"].get("name"): n for n in by_kind.get("Namespace", [])}
        for name, ns in namespaces.items():
            labels = ns["metadata"].get("labels") or {}
            if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
                self.fail(ns, "label pod-security.kubernetes.io/enforce is not 'restricted'")
        workloads = [o for k in WORKLOAD_KINDS for o in by_kind.get(k, [])]
        used_ns = {o["metadata"].get("namespace") for o in workloads}
        for ns in sorted(n for n in used_ns if n):
            if ns not in namespaces:
                self.problems.append(f"Namespace/{ns}: workloads run in it but the manifests do not "
                                     "create it with the restricted Pod Security label")
            deny = [p for p in by_kind.get("NetworkPolicy", [])
                    if p["metadata"].get("namespace") == ns and is_default_deny(p)]
            if not deny:
                self.problems.append(f"Namespace/{ns}: no default-deny NetworkPolicy "
                                     "(podSelector {}, policyTypes Ingress+Egress, no rules)")
        if None in used_ns:
            self.problems.append("workloads without a namespace")
        pdbs = by_kind.get("PodDisruptionBudget", [])
        hpas = by_kind.get("HorizontalPodAutoscaler", [])
        for w in workloads:
            self.check_workload(w, bound, [p for p in pdbs if p["metadata"].get("namespace") ==
                                           w["metadata"].get("namespace")], hpas)
        for s in by_kind.get("Service", []):
            self.check_service(s)
        return self.problems


def is_default_deny(p):
    spec = p.get("spec") or {}
    return (spec.get("podSelector") in ({}, None) and
            {"Ingress", "Egress"} <= set(spec.get("policyTypes") or []) and
            not spec.get("ingress") and not spec.get("egress"))


def selects(pdb, labels):
    sel = (pdb.get("spec") or {}).get("selector") or {}
    ml = sel.get("matchLabels") or {}
    return bool(ml) and all(labels.get(k) == v for k, v in ml.items())


def name_of(o):
    md = o.get("metadata") or {}
    ns = md.get("namespace")
    return f"{o.get('kind')}/{(ns + '/') if ns else ''}{md.get('name')}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="rendered manifests ('-' = stdin)")
    ap.add_argument("--prod", action="store_true", help="images must be pinned by digest")
    ap.add_argument("--allow-loadbalancer", action="store_true",
                    help="allow LoadBalancer Services that have loadBalancerSourceRanges")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only violations")
    args = ap.parse_args()
    objs = []
    for f in args.files:
        try:
            text = sys.stdin.read() if f == "-" else open(f, encoding="utf-8").read()
            for doc in yaml.safe_load_all(text):
                if isinstance(doc, dict) and doc.get("kind") == "List":
                    objs.extend(doc.get("items") or [])
                elif isinstance(doc, dict):
                    objs.append(doc)
        except (OSError, yaml.YAMLError) as e:
            print(f"policy-check: {f}: {e}", file=sys.stderr)
            return 2
    if not objs:
        print("policy-check: no objects in the input", file=sys.stderr)
        return 2
    problems = Checker(args).run(objs)
    for p in problems:
        print(f"policy-check: {p}")
    if problems:
        print(f"policy-check: {len(problems)} violation(s) in {len(objs)} objects")
        return 1
    if not args.quiet:
        print(f"policy-check: {len(objs)} objects ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
