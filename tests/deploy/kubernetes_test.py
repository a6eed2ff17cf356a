#!/usr/bin/env python3
"""The Kubernetes manifests (deploy/kubernetes), checked offline.

    kubernetes_test.py --manifests deploy/kubernetes --work build/k8s-schema schema
    kubernetes_test.py --manifests deploy/kubernetes --work build/k8s-run --sim SIM --ctl tools/nt35e-ctl run

Cases:
  schema  renders the kustomization (render() below, which knows only the kustomize
          fields the directory uses and refuses others; where kubectl with kustomize v5
          is installed its rendering must be the same objects), then checks every object
          against the Kubernetes 1.36.0 API with npm packages installed into --work
          (tests/deploy/k8s-schema: kubernetes-models' validators, and TypeScript's
          excess-property check for unknown fields). The checker is first shown broken
          objects (an unknown field, a wrong type, a missing required field, an unknown
          kind) and must refuse each. npm must reach its registry: if it cannot, the test
          fails and says so.
  run     what a pod runs, run here: the StatefulSet's command and environment as pod 2
          would have them (POD_INDEX=2; the ConfigMap and the Secret laid out as the
          kubelet mounts them, symlinks included), with the real nt35e-sim: it must start
          a fleet at offset 2N, and the readiness probe's command must pass against it;
          the ConfigMap's scenario must pass --check-scenario.

Debian's /usr/bin/python3 with python3-yaml; node and npm for "schema".
"""

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "e2e"))
from fleet_control_test import free_ports  # noqa: E402  (a free range of ports on given addresses)
from simulator import Failure, check, run_case  # noqa: E402


# ---------------------------------------------------------------------------
# Rendering

KNOWN_KUSTOMIZE_FIELDS = {"apiVersion", "kind", "namespace", "labels", "resources", "images"}
CLUSTER_SCOPED = {"Namespace"}


def load_documents(path):
    with open(path, encoding="utf-8") as f:
        try:
            return [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            raise Failure(f"{path}: not valid YAML: {e}")


def pod_specs(obj):
    spec = obj.get("spec", {})
    if obj.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        yield spec.get("template", {}).get("spec", {})
    elif obj.get("kind") == "Pod":
        yield spec


def render(directory):
    """The objects `kustomize build directory` gives, for the fields this directory uses."""
    path = os.path.join(directory, "kustomization.yaml")
    (k,) = load_documents(path)
    unknown = sorted(set(k) - KNOWN_KUSTOMIZE_FIELDS)
    check(not unknown, f"{path}: the renderer of this test does not know the kustomize field(s) {unknown}; "
                       "teach render() in tests/deploy/kubernetes_test.py or do without")
    objects = []
    for resource in k.get("resources", []):
        objects += load_documents(os.path.join(directory, resource))
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        if "namespace" in k and obj.get("kind") not in CLUSTER_SCOPED:
            meta["namespace"] = k["namespace"]
        for entry in k.get("labels", []):
            check(set(entry) <= {"pairs"}, f"{path}: labels: only \"pairs\" is understood here, not {sorted(entry)}")
            meta.setdefault("labels", {}).update(entry["pairs"])
        for pod in pod_specs(obj):
            for container in pod.get("containers", []) + pod.get("initContainers", []):
                for image in k.get("images", []):
                    name, _, tag = container["image"].partition(":")
                    if name == image["name"]:
                        container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag or 'latest')}"
    return objects


def key(obj):
    m = obj.get("metadata", {})
    return (obj.get("kind"), m.get("namespace", ""), m.get("name"))


def kubectl_render(directory):
    """kubectl kustomize's objects, or None when no kubectl with kustomize v5 is installed
    (an old kubectl's built-in kustomize renders differently)."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return None
    try:
        version = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"Kustomize Version: v(\d+)", version)
    if not m or int(m.group(1)) < 5:
        return None
    r = subprocess.run([kubectl, "kustomize", directory], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"kubectl kustomize {directory} failed: {r.stderr.strip()}")
    return [d for d in yaml.safe_load_all(r.stdout) if d is not None], version.splitlines()[0]


# ---------------------------------------------------------------------------
# schema


def npm_install(work):
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "k8s-schema")
    os.makedirs(work, exist_ok=True)
    for name in ("package.json", "validate.mjs"):
        shutil.copy(os.path.join(here, name), os.path.join(work, name))
    stamp = os.path.join(work, "node_modules", ".installed-from")
    with open(os.path.join(here, "package.json"), "rb") as f:
        wanted = f.read()
    try:
        with open(stamp, "rb") as f:
            if f.read() == wanted:
                return
    except OSError:
        pass
    for tool in ("node", "npm"):
        check(shutil.which(tool), f"{tool} is not installed; the schema check needs Node.js and npm "
                                  "(tools/install-deps.sh installs them)")
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel", "error"],
                       cwd=work, capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, "npm could not install the Kubernetes schema packages (tests/deploy/k8s-schema/"
                             f"package.json) into {work}; is the npm registry reachable?\n{r.stderr.strip()[-3000:]}")
    with open(stamp, "wb") as f:
        f.write(wanted)


def validate(objects, work, label):
    """(exit status, report) of validate.mjs on `objects`."""
    path = os.path.join(work, f"objects-{label}.json")
    with open(path, "w") as f:
        json.dump(objects, f)
    r = subprocess.run(["node", os.path.join(work, "validate.mjs"), path, work], capture_output=True, text=True,
                       timeout=300)
    return r.returncode, (r.stdout + r.stderr).strip()


def find(objects, kind, name):
    for o in objects:
        if o["kind"] == kind and o["metadata"]["name"] == name:
            return o
    raise Failure(f"the manifests have no {kind} {name}")


def case_schema(args):
    objects = render(args.manifests)
    kinds = sorted(key(o) for o in objects)
    check(("StatefulSet", "nt35e-demo", "nt35e-sim") in kinds and ("Service", "nt35e-demo", "nt35e-sim") in kinds,
          f"the rendered objects lack the StatefulSet or its Service: {kinds}")
    # A kustomize field the renderer does not know is refused, not ignored.
    with tempfile.TemporaryDirectory(prefix="nt35e-k8s-render-") as d:
        with open(os.path.join(d, "kustomization.yaml"), "w") as f:
            f.write("resources: []\npatches:\n  - path: p.yaml\n")
        try:
            render(d)
            raise Failure("the renderer ignored a kustomize field it does not know (patches)")
        except Failure as e:
            check("does not know the kustomize field(s) ['patches']" in str(e), f"the renderer said: {e}")
    other = kubectl_render(args.manifests)
    if other is None:
        print("kubectl with kustomize v5 is not installed: the test's own rendering is checked alone")
    else:
        theirs, version = other
        check(sorted(theirs, key=key) == sorted(objects, key=key),
              f"kubectl kustomize ({version}) renders other objects than the test's renderer")
        print(f"kubectl kustomize ({version}) renders the same {len(objects)} objects")

    npm_install(args.work)
    status, report = validate(objects, args.work, "manifests")
    print(report)
    check(status == 0, "the manifests do not validate against Kubernetes 1.36.0 (above)")

    # The checker must refuse what is wrong.
    sts = find(objects, "StatefulSet", "nt35e-sim")
    broken = []
    b = copy.deepcopy(sts)
    b["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = b["spec"]["template"]["spec"]["containers"][0][
        "livenessProbe"]
    broken.append((b, "/spec/template/spec/containers/0/livenessProbes: unknown field"))
    b = copy.deepcopy(sts)
    b["spec"]["template"]["spec"]["securityContext"]["runAsUserName"] = "sim"
    broken.append((b, "/spec/template/spec/securityContext/runAsUserName: unknown field"))
    b = copy.deepcopy(sts)
    b["spec"]["replicas"] = "4"
    broken.append((b, "/spec/replicas must be integer"))
    b = copy.deepcopy(sts)
    del b["spec"]["template"]["spec"]["containers"][0]["name"]
    broken.append((b, "/spec/template/spec/containers/0 must have required property name"))
    b = copy.deepcopy(sts)
    b["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "128MB!"
    broken.append((b, "/spec/template/spec/containers/0/resources/limits/memory must match format \"quantity\""))
    b = copy.deepcopy(sts)
    b["apiVersion"] = "apps/v1beta9"
    broken.append((b, "no Kubernetes 1.36 type for apiVersion apps/v1beta9"))
    for i, (obj, expected) in enumerate(broken):
        status, report = validate([obj], args.work, f"broken-{i}")
        check(status == 1 and expected in report, f"a broken StatefulSet was not refused with {expected!r}:\n{report}")
        print(report.splitlines()[0])
    print(f"{len(broken)} broken objects refused")


# ---------------------------------------------------------------------------
# run


def kubelet_volume(directory, files, mode):
    """`files` written as the kubelet's atomic writer lays out a ConfigMap or Secret
    volume: the data in a timestamped directory, ..data a symlink to it, and each name a
    symlink through ..data."""
    stamp = os.path.join(directory, "..2026_01_01_00_00_00.000000001")
    os.makedirs(stamp)
    for name, text in files.items():
        p = os.path.join(stamp, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
    os.symlink(os.path.basename(stamp), os.path.join(directory, "..data"))
    for name in files:
        os.symlink(os.path.join("..data", name), os.path.join(directory, name))


def case_run(args):
    objects = render(args.manifests)
    sts = find(objects, "StatefulSet", "nt35e-sim")
    pod = sts["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    scenario = find(objects, "ConfigMap", "nt35e-scenario")["data"]
    with tempfile.TemporaryDirectory(prefix="nt35e-k8s-run-") as root:
        # The scenario passes the simulator's own check.
        scenario_file = os.path.join(root, "scenario.json")
        with open(scenario_file, "w") as f:
            f.write(scenario["scenario.json"])
        r = subprocess.run([args.sim, "--check-scenario", scenario_file], capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, f"the ConfigMap's scenario.json does not pass --check-scenario: {r.stdout}{r.stderr}")

        # The volumes, where the kubelet would mount them, moved under root.
        mounts = {}
        volumes = {v["name"]: v for v in pod["volumes"]}
        for m in container["volumeMounts"]:
            v = volumes[m["name"]]
            target = os.path.join(root, "mnt", m["mountPath"].lstrip("/"))
            os.makedirs(target)
            if "configMap" in v:
                data = find(objects, "ConfigMap", v["configMap"]["name"])["data"]
                kubelet_volume(target, data, v["configMap"].get("defaultMode", 0o644))
            else:
                check(v["secret"]["secretName"] == "nt35e-control-token", f"an unexpected secret: {v}")
                kubelet_volume(target, {"token": "k8s-run-test-token-4b1d9e0c77"}, v["secret"]["defaultMode"])
            mounts[m["mountPath"]] = target

        def moved(text):
            for mount, target in sorted(mounts.items(), key=lambda kv: -len(kv[0])):
                text = text.replace(mount, target)
            return text

        # The environment as the kubelet gives it to pod 2 (the downward API's label).
        env = {"PATH": f"{os.path.dirname(os.path.abspath(args.sim))}:{os.path.dirname(os.path.abspath(args.ctl))}"
                       f":/usr/bin:/bin"}
        for e in container["env"]:
            if "value" in e:
                env[e["name"]] = moved(e["value"])
            else:
                check(e["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['apps.kubernetes.io/pod-index']",
                      f"an unexpected valueFrom: {e}")
                env[e["name"]] = "2"
        modems = int(env["NT35E_MODEMS"])
        # Ports free here (the pod has its own address; this test has only 127.0.0.1),
        # and the loopback instead of every interface.
        base = free_ports(["127.0.0.1"], modems)
        env["NT35E_MODEM_PORT"], env["NT35E_CONTROL_PORT"] = str(base), str(base + modems)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        command = [moved(c).replace("0.0.0.0:", "127.0.0.1:") for c in container["command"] + container["args"]]
        check(command[:2] == ["/bin/sh", "-c"], f"the container's command is not /bin/sh -c: {command}")
        # nt35e-sim as the image has it, by name on PATH.
        stderr_path = os.path.join(root, "sim-stderr.txt")
        with open(stderr_path, "wb") as err:
            proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                    cwd=root, start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            out = b""
            while b"ready:" not in out:
                check(proc.poll() is None, f"the pod's command exited ({proc.returncode}): "
                                           f"{open(stderr_path, errors='replace').read()[-2000:]}")
                check(time.monotonic() < deadline, "the pod's command printed no ready line within 30 s")
                out += os.read(proc.stdout.fileno(), 4096)
            probe = [c.replace("7000", env["NT35E_CONTROL_PORT"]) for c in container["readinessProbe"]["exec"]["command"]]
            probe_env = dict(env, PYTHONPATH=os.path.join(os.path.dirname(os.path.abspath(args.ctl)), "..", "python"))
            check(container["livenessProbe"]["exec"]["command"] == container["readinessProbe"]["exec"]["command"],
                  "the probes differ: run both")
            r = subprocess.run(probe, env=probe_env, capture_output=True, text=True, timeout=30)
            check(r.returncode == 0, f"the readiness probe {probe} failed ({r.returncode}): {r.stderr}")
            check(json.loads(r.stdout)["ok"] is True, f"the probe's answer: {r.stdout}")
            r = subprocess.run(["nt35e-ctl", "--port", env["NT35E_CONTROL_PORT"], "raw", '{"query": "fleet"}'],
                               env=probe_env, capture_output=True, text=True, timeout=30)
            fleet = json.loads(r.stdout)
            check(fleet["size"] == modems and fleet["offset"] == 2 * modems
                  and fleet["modems"][0]["index"] == 2 * modems,
                  f"pod 2 runs {fleet.get('size')} modems from {fleet.get('offset')}, not {modems} from {2 * modems}")
            # Without the token the channel refuses: the Secret is what guards it.
            r = subprocess.run(["nt35e-ctl", "--port", env["NT35E_CONTROL_PORT"], "state"],
                               env={k: v for k, v in probe_env.items() if k != "NT35E_CONTROL_TOKEN_FILE"},
                               capture_output=True, text=True, timeout=30)
            check(r.returncode == 1 and "token" in r.stderr, f"without the token: {r.returncode} {r.stderr}")
            print(f"pod 2's command: a fleet of {modems} modems from index {2 * modems}; the probe passes")
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            proc.stdout.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifests", required=True)
    ap.add_argument("--work", required=True, help="a directory of the build tree (npm installs here)")
    ap.add_argument("--sim")
    ap.add_argument("--ctl")
    ap.add_argument("case", choices=["schema", "run"])
    args = ap.parse_args()
    args.work = os.path.abspath(args.work)
    if args.case == "run" and not (args.sim and args.ctl):
        ap.error("run needs --sim and --ctl")
    return run_case(args.case, case_schema if args.case == "schema" else case_run, args)


if __name__ == "__main__":
    sys.exit(main())
