#!/usr/bin/env python3
"""deploy/ stays true to the product it deploys.

- deploy/sbc.yaml passes `sbc config check`; deploy/dataplane.yaml passes `sbc-dataplane --check`
  (when sbc-dataplane is built); the two agree (control socket, media side = interface name,
  media address owned by that interface).
- The Prometheus config and alert rules pass promtool; the Grafana dashboard is JSON with panels.
- Every sbc_ metric the rules and the dashboard use exists on a running sbc started with policy
  (policies/examples), b2bua and media. sbc_dataplane_* metrics appear only when a data plane
  answers: with --dataplane a real sbc-dataplane (net_null ports, no hugepages) serves sbc, else
  their names are checked against api/dataplane_counters.hpp's X-macro lists.
- Every Kubernetes YAML document parses and is listed by the kustomization; the ConfigMap's
  sbc.yaml passes `sbc config check`, its dataplane.yaml the data plane's check, its policies
  `sbc policy check`; the DaemonSet mounts what the configs name, shares /run/sbc between its two
  containers, asks for hugepages, grants the systemd units' capabilities, probes with sbcctl.
- The Containerfile copies binaries that meson builds (meson introspect), grants the systemd
  units' capabilities, and its runtime-packages.sh finds the packages of the local binaries.
Images are not built and nothing is applied to a cluster here (no registry, no cluster).
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from e2e_util import check, finish, free_port

try:
    import yaml
except ImportError:  # python3-yaml (Debian)
    yaml = None


def note(what):
    """Something this run could not verify: printed, not a failure."""
    print("note " + what)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def one_line(s):
    return " ".join(s.strip().split())[:400]


# ---- configs ---------------------------------------------------------------------------------

def check_sbc_config(sbc, path, what):
    r = run([sbc, "config", "check", path])
    check(r.returncode == 0, f"{what} passes sbc config check {one_line(r.stderr)}")


def check_dataplane_config(dataplane, path, what):
    if not dataplane:
        note(f"{what} not checked by sbc-dataplane --check (sbc-dataplane is not built in this tree)")
        return
    r = run([dataplane, "--check", path])
    check(r.returncode == 0, f"{what} passes sbc-dataplane --check {one_line(r.stderr)}")


def cross_check(sbc_cfg, dp_cfg, what):
    """sbc's media section and the data plane's config describe the same relay."""
    media = sbc_cfg.get("media") or {}
    control = (dp_cfg.get("control") or {}).get("socket", "/run/sbc/dataplane.sock")
    check(media.get("dataplane_socket") == control,
          f"{what}: media.dataplane_socket {media.get('dataplane_socket')} is the data plane's "
          f"control.socket {control}")
    ifaces = {i["name"]: [a.split("/")[0] for a in i.get("addresses", [])]
              for i in dp_cfg.get("interfaces", [])}
    for side, s in (media.get("sides") or {}).items():
        # MediaClient names the data-plane interface of a flow end after its side.
        check(side in ifaces, f"{what}: media side {side} is a data-plane interface")
        check(s.get("address") in ifaces.get(side, []),
              f"{what}: media address {s.get('address')} of side {side} is one of interface "
              f"{side}'s addresses")


# ---- metrics ---------------------------------------------------------------------------------

def dataplane_counter_names(api_header):
    """sbc_dataplane_* names from api/dataplane_counters.hpp (sbc adds _total, media_status.cpp)."""
    with open(api_header) as f:
        text = f.read()
    names = set(re.findall(r"^\s*X\((\w+),", text, re.M))
    return {f"sbc_dataplane_{n}" + ("" if n.endswith("_total") else "_total") for n in names}


def scrape(port, want_prefix=None, timeout=20.0):
    """The /metrics text; with want_prefix, waits until a metric with that prefix shows up."""
    text = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
            if want_prefix is None or re.search(rf"^{want_prefix}", text, re.M):
                return text
        except OSError:
            pass
        time.sleep(0.1)
    return text


def start_dataplane(dataplane, work, sock):
    """sbc-dataplane on two net_null ports without hugepages; returns the process or None."""
    cfg = os.path.join(work, "dataplane.yaml")
    with open(cfg, "w") as f:
        f.write("eal: ['-l', '0', '--no-huge', '-m', '256', '--no-pci', '--no-shconf',\n"
                "      '--no-telemetry', '--log-level=error', '--vdev=net_null0', '--vdev=net_null1']\n"
                "interfaces:\n"
                "  - {name: outside, device: net_null0, addresses: [192.0.2.20/24]}\n"
                "  - {name: inside, device: net_null1, addresses: [198.51.100.20/24]}\n"
                f"control: {{socket: {sock}}}\n"
                "flows: {capacity: 1024}\n"
                "ports: {mbufs: 2047, idle_sleep_us: 100}\n")
    log = open(os.path.join(work, "dataplane.log"), "w")
    p = subprocess.Popen([dataplane, "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        if os.path.exists(sock) or p.poll() is not None:
            break
        time.sleep(0.05)
    if p.poll() is not None or not os.path.exists(sock):
        with open(os.path.join(work, "dataplane.log")) as f:
            check(False, "sbc-dataplane starts on net_null ports: " + one_line(f.read()))
        stop(p)
        return None
    return p


def stop(p):
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def check_metrics(a, used):
    work = tempfile.mkdtemp(prefix="sbc-deploy-")
    dp_proc = sbc_proc = None
    try:
        sock = os.path.join(work, "dataplane.sock")
        if a.dataplane:
            dp_proc = start_dataplane(a.dataplane, work, sock)
        udp_out, udp_in = free_port(), free_port()
        mport = free_port(kind=socket.SOCK_STREAM)
        pol = os.path.abspath(a.policies)
        cfg = os.path.join(work, "sbc.yaml")
        with open(cfg, "w") as f:
            f.write(f"listeners:\n"
                    f"  - {{name: o, side: outside, transport: udp, address: 127.0.0.1, port: {udp_out}}}\n"
                    f"  - {{name: i, side: inside, transport: udp, address: 127.0.0.1, port: {udp_in}}}\n"
                    f"metrics: {{listen: '127.0.0.1:{mport}'}}\n"
                    f"admin: {{socket: {work}/admin.sock}}\n"
                    f"media:\n"
                    f"  dataplane_socket: {sock}\n"
                    f"  reconnect_ms: 100\n"
                    f"  sides:\n"
                    f"    outside: {{address: 192.0.2.20, ports: [30000, 30099]}}\n"
                    f"    inside: {{address: 198.51.100.20, ports: [30000, 30099]}}\n"
                    f"b2bua: {{cdr_file: {work}/cdr.jsonl}}\n"
                    f"policy: [{pol}/examples/trunks.yaml, {pol}/examples/acl.yaml]\n")
        sbc_log = open(os.path.join(work, "sbc.log"), "w")
        sbc_proc = subprocess.Popen([a.sbc, "run", "--config", cfg], stderr=sbc_log)
        live_dp = dp_proc is not None
        text = scrape(mport, "sbc_dataplane_" if live_dp else None)
        exposed = set(re.findall(r"^(sbc_[a-z0-9_]+)", text, re.M))
        check(len(exposed) > 0, f"sbc exposes {len(exposed)} sbc_ metrics")
        for family in ("sbc_policy_", "sbc_media_"):
            check(any(n.startswith(family) for n in exposed), f"sbc exposes {family}* metrics")
        dp_names = dataplane_counter_names(a.api_counters)
        if live_dp:
            live = {n for n in exposed if n.startswith("sbc_dataplane_")}
            check(bool(live), f"sbc exports {len(live)} sbc_dataplane_* metrics from a live data plane")
            missing_api = sorted(dp_names - live)
            check(not missing_api, "every api/dataplane_counters.hpp counter is exported: missing "
                  + ", ".join(missing_api))
        else:
            note("no data plane answered: sbc_dataplane_* names checked against "
                 "api/dataplane_counters.hpp only")
            exposed |= dp_names
        r = run([a.sbcctl, "--socket", f"{work}/admin.sock", "status"])
        check(r.returncode == 0 and '"calls"' in r.stdout,
              "sbcctl status answers (the Kubernetes liveness probe) and reports calls")
        missing = sorted(used - exposed)
        check(not missing, "every metric used by deploy/ exists: missing " + ", ".join(missing))
    finally:
        stop(sbc_proc)
        stop(dp_proc)
        shutil.rmtree(work, ignore_errors=True)


# ---- Kubernetes ------------------------------------------------------------------------------

def capabilities_of_unit(path):
    with open(path) as f:
        m = re.search(r"^AmbientCapabilities=(.*)$", f.read(), re.M)
    return {c.removeprefix("CAP_") for c in m.group(1).split()} if m else set()


def check_kubernetes(a, deploy, caps):
    kdir = os.path.join(deploy, "kubernetes")
    docs = {}
    files = sorted(glob.glob(os.path.join(kdir, "*.yaml")))
    check(len(files) >= 4, f"deploy/kubernetes has {len(files)} YAML files")
    kustomization = None
    for path in files:
        try:
            with open(path) as f:
                loaded = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            check(False, f"{os.path.basename(path)} parses: {one_line(str(e))}")
            continue
        check(len(loaded) > 0, f"{os.path.basename(path)} parses ({len(loaded)} documents)")
        for d in loaded:
            ok = isinstance(d, dict) and "apiVersion" in d and "kind" in d
            check(ok, f"{os.path.basename(path)}: document has apiVersion and kind")
            if not ok:
                continue
            if d["kind"] == "Kustomization":
                kustomization = (os.path.basename(path), d)
                continue
            name = (d.get("metadata") or {}).get("name")
            check(bool(name), f"{os.path.basename(path)}: {d['kind']} has metadata.name")
            if d["kind"] != "Namespace":
                check((d.get("metadata") or {}).get("namespace") == "sbc",
                      f"{d['kind']}/{name} is in namespace sbc")
            docs[(d["kind"], name)] = (os.path.basename(path), d)
    if kustomization:
        listed = set(kustomization[1].get("resources", []))
        others = {os.path.basename(p) for p in files} - {kustomization[0]}
        check(listed == others, f"kustomization lists every manifest ({sorted(others - listed)} missing)")
    else:
        check(False, "deploy/kubernetes has a kustomization.yaml")

    cm = docs.get(("ConfigMap", "sbc-config"), (None, {}))[1].get("data", {})
    pols = docs.get(("ConfigMap", "sbc-policies"), (None, {}))[1].get("data", {})
    ds = docs.get(("DaemonSet", "sbc"), (None, None))[1]
    check("sbc.yaml" in cm and "dataplane.yaml" in cm, "ConfigMap sbc-config holds sbc.yaml and dataplane.yaml")
    check(len(pols) > 0, f"ConfigMap sbc-policies holds {len(pols)} policy files")
    check(ds is not None, "DaemonSet sbc exists")
    if not (cm.get("sbc.yaml") and cm.get("dataplane.yaml") and ds):
        return

    work = tempfile.mkdtemp(prefix="sbc-k8s-")
    try:
        for key in ("sbc.yaml", "dataplane.yaml"):
            with open(os.path.join(work, key), "w") as f:
                f.write(cm[key])
        check_sbc_config(a.sbc, os.path.join(work, "sbc.yaml"), "ConfigMap sbc-config sbc.yaml")
        check_dataplane_config(a.dataplane, os.path.join(work, "dataplane.yaml"),
                               "ConfigMap sbc-config dataplane.yaml")
        pdir = os.path.join(work, "policies")
        os.mkdir(pdir)
        for key, text in pols.items():
            with open(os.path.join(pdir, key), "w") as f:
                f.write(text)
        r = run([a.sbc, "policy", "check"] + sorted(glob.glob(os.path.join(pdir, "*"))))
        check(r.returncode == 0, f"ConfigMap sbc-policies passes sbc policy check {one_line(r.stderr)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    sbc_cfg = yaml.safe_load(cm["sbc.yaml"])
    dp_cfg = yaml.safe_load(cm["dataplane.yaml"])
    cross_check(sbc_cfg, dp_cfg, "ConfigMap sbc-config")
    listen = (sbc_cfg.get("metrics") or {}).get("listen", "")
    check(listen.startswith("127.0.0.1:") or listen.startswith("[::1]:"),
          f"metrics listen on loopback ({listen})")

    spec = ds["spec"]["template"]["spec"]
    check(spec.get("hostNetwork") is True, "DaemonSet uses hostNetwork")
    containers = {c["name"]: c for c in spec.get("containers", [])}
    check(set(containers) == {"sbc", "dataplane"}, f"DaemonSet runs containers sbc and dataplane ({sorted(containers)})")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}

    def mounts(c):
        return {m["mountPath"]: m for m in c.get("volumeMounts", [])}

    run_dir = os.path.dirname((sbc_cfg.get("media") or {}).get("dataplane_socket", "/run/sbc/x"))
    admin_dir = os.path.dirname((sbc_cfg.get("admin") or {}).get("socket", ""))
    check(run_dir == admin_dir, f"admin socket and data-plane socket share {run_dir}")
    shared = [mounts(c).get(run_dir, {}).get("name") for c in containers.values()]
    check(len(set(shared)) == 1 and shared[0] is not None and "emptyDir" in volumes.get(shared[0], {}),
          f"both containers mount one emptyDir at {run_dir}")

    # Each container's --config is a file the ConfigMap provides.
    for name, key in (("sbc", "sbc.yaml"), ("dataplane", "dataplane.yaml")):
        c = containers.get(name)
        if not c:
            continue
        cmd = c.get("command", []) + c.get("args", [])
        path = cmd[cmd.index("--config") + 1] if "--config" in cmd else None
        m = mounts(c).get(path, {})
        vol = volumes.get(m.get("name"), {})
        check(m.get("subPath") == key and (vol.get("configMap") or {}).get("name") == "sbc-config",
              f"container {name} reads {path} from ConfigMap sbc-config key {key}")

    sbc_c = containers.get("sbc", {})
    dp_c = containers.get("dataplane", {})
    for f in sbc_cfg.get("policy", []):
        d, base = os.path.dirname(f), os.path.basename(f)
        m = mounts(sbc_c).get(d, {})
        vol = volumes.get(m.get("name"), {})
        check((vol.get("configMap") or {}).get("name") == "sbc-policies" and "subPath" not in m
              and base in pols,
              f"policy file {f} comes from ConfigMap sbc-policies (a directory mount, so reload sees updates)")
    for key in ("secrets_file", "cdr_file", "state_dir"):
        f = (sbc_cfg.get("b2bua") or {}).get(key)
        if f:
            check(os.path.dirname(f) in mounts(sbc_c), f"b2bua.{key} {f} lies on a mounted volume")
    for listener in sbc_cfg.get("listeners", []):
        for key in ("certificate", "private_key"):
            f = (listener.get("tls") or {}).get(key)
            if f:
                check(os.path.dirname(f) in mounts(sbc_c), f"tls {key} {f} lies on a mounted volume")

    res = dp_c.get("resources", {})
    hp_req = (res.get("requests") or {}).get("hugepages-2Mi")
    check(hp_req is not None and hp_req == (res.get("limits") or {}).get("hugepages-2Mi"),
          f"dataplane asks for hugepages-2Mi (requests = limits = {hp_req})")
    hp_mount = [m for m in dp_c.get("volumeMounts", [])
                if ((volumes.get(m["name"]) or {}).get("emptyDir") or {}).get("medium") == "HugePages-2Mi"]
    check(len(hp_mount) == 1, "dataplane mounts a HugePages-2Mi emptyDir")

    def added(c):
        return set(((c.get("securityContext") or {}).get("capabilities") or {}).get("add", []))

    check(added(dp_c) == caps["sbc-dataplane"],
          f"dataplane capabilities {sorted(added(dp_c))} = sbc-dataplane.service's {sorted(caps['sbc-dataplane'])}")
    check(added(sbc_c) == caps["sbc"],
          f"sbc capabilities {sorted(added(sbc_c))} = sbc.service's {sorted(caps['sbc'])}")
    probe = ((sbc_c.get("livenessProbe") or {}).get("exec") or {}).get("command", [])
    check(len(probe) > 0 and os.path.basename(probe[0]) == "sbcctl" and "status" in probe
          and (sbc_cfg.get("admin") or {}).get("socket") in probe,
          f"sbc liveness probe runs sbcctl status on the admin socket ({' '.join(probe)})")
    sc = spec.get("securityContext") or {}
    check(sc.get("runAsNonRoot") is True and sc.get("runAsUser", 0) != 0, "pod runs as non-root")


# ---- container image -------------------------------------------------------------------------

def meson_executables(build):
    """Executables meson builds, as paths relative to the build directory."""
    r = run(["meson", "introspect", "--targets", build])
    if r.returncode != 0:
        return None
    out = set()
    for t in json.loads(r.stdout):
        if t.get("type") == "executable":
            for f in t.get("filename", []):
                out.add(os.path.relpath(f, os.path.abspath(build)))
    return out


def check_container(a, deploy, caps):
    path = os.path.join(deploy, "container", "Containerfile")
    with open(path) as f:
        text = f.read()
    # Join continuation lines so that each instruction is one line.
    lines = re.sub(r"\\\n", " ", text).splitlines()
    froms = [l for l in lines if re.match(r"^FROM\s", l)]
    check(len(froms) >= 2 and all("debian:12" in l for l in froms),
          "Containerfile is multi-stage on Debian 12")
    check(any(re.search(r"meson setup", l) for l in lines) and any("meson compile" in l for l in lines),
          "Containerfile builds with meson")
    check(any(re.match(r"^USER\s+(?!0\b|root\b)\S+", l) for l in lines), "runtime image runs as a non-root user")
    copies = re.findall(r"^COPY\s+--from=build\s+/src/build/(\S+)\s+(\S+)", "\n".join(lines), re.M)
    built = meson_executables(a.build)
    check(built is not None, "meson introspect lists the build's targets")
    names = {os.path.basename(dst): src for src, dst in copies}
    for prog in ("sbc", "sbcctl", "sbc-dataplane"):
        check(prog in names, f"Containerfile copies {prog}")
    for src, dst in copies:
        if built is None:
            break
        if src in built:
            check(True, f"Containerfile copies {src}, which meson builds")
        elif src == "dataplane/sbc-dataplane" and not os.path.exists(
                os.path.join(a.source, "dataplane", "main.cpp")):
            note(f"Containerfile copies {src}: the data plane is not in this tree yet")
        else:
            check(False, f"Containerfile copies {src}, which meson builds")
    # The strip and runtime-packages steps name the same binaries.
    for src, _ in copies:
        check(f"build/{src}" in text, f"build stage strips and scans build/{src}")
    setcap = {prog: c for c, prog in re.findall(r"setcap\s+(\S+)\+ep\s+/usr/local/bin/(\S+)", text)}
    for prog in ("sbc", "sbc-dataplane"):
        got = {c.upper().removeprefix("CAP_") for c in setcap.get(prog, "").split(",") if c}
        check(got == caps[prog], f"image gives {prog} capabilities {sorted(got)} = its unit's {sorted(caps[prog])}")
    script = os.path.join(deploy, "container", "runtime-packages.sh")
    r = run(["sh", script, a.sbc, a.sbcctl])
    pkgs = r.stdout.split()
    check(r.returncode == 0 and "libyaml-cpp0.7" in pkgs and "libstdc++6" in pkgs,
          f"runtime-packages.sh finds the packages of sbc and sbcctl ({' '.join(pkgs)}) {one_line(r.stderr)}")
    named = set()
    for l in lines:
        if "apt-get install" in l and "$(cat /tmp/runtime-packages.txt)" in l:
            named = {w for w in l.split() if re.match(r"^lib[a-z0-9.+-]+$", w)}
    check(len(named) > 0, f"runtime stage installs the found packages and {len(named)} DPDK drivers")
    if shutil.which("apt-cache"):
        unknown = [p for p in sorted(named) if run(["apt-cache", "show", p]).returncode != 0]
        check(not unknown, "Debian 12 has every package the runtime stage names: unknown " + ", ".join(unknown))


# ---- main ------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--sbcctl", required=True)
    ap.add_argument("--deploy", required=True)
    ap.add_argument("--policies", required=True, help="policies/ of the source tree")
    ap.add_argument("--api-counters", required=True, help="api/dataplane_counters.hpp")
    ap.add_argument("--build", required=True, help="the meson build directory")
    ap.add_argument("--source", required=True, help="the source tree")
    ap.add_argument("--dataplane", default="", help="sbc-dataplane, when built")
    a = ap.parse_args()
    d = a.deploy
    if a.dataplane and not os.path.exists(a.dataplane):
        a.dataplane = ""
    check(yaml is not None, "python3-yaml installed")
    if yaml is None:
        return finish()

    check_sbc_config(a.sbc, os.path.join(d, "sbc.yaml"), "deploy/sbc.yaml")
    check_dataplane_config(a.dataplane, os.path.join(d, "dataplane.yaml"), "deploy/dataplane.yaml")
    with open(os.path.join(d, "sbc.yaml")) as f:
        sbc_cfg = yaml.safe_load(f)
    with open(os.path.join(d, "dataplane.yaml")) as f:
        dp_cfg = yaml.safe_load(f)
    cross_check(sbc_cfg, dp_cfg, "deploy/")
    r = run([a.sbc, "policy", "check"] + sorted(glob.glob(os.path.join(a.policies, "examples", "*.yaml"))))
    check(r.returncode == 0, "policies/examples (the policy: files of deploy/) pass sbc policy check")

    promtool = shutil.which("promtool")
    check(promtool is not None, "promtool installed")
    if promtool:
        r = run([promtool, "check", "rules", os.path.join(d, "prometheus", "sbc-alerts.yml")])
        check(r.returncode == 0, "promtool check rules " + one_line(r.stdout + r.stderr))
        r = run([promtool, "check", "config", os.path.join(d, "prometheus", "prometheus.yml")])
        check(r.returncode == 0, "promtool check config " + one_line(r.stderr))
    with open(os.path.join(d, "grafana", "sbc-dashboard.json")) as f:
        dash_text = f.read()
    try:
        dash = json.loads(dash_text)
        panels = [p for p in dash.get("panels", []) if p.get("type") != "row"]
        check(len(panels) >= 20, f"dashboard parses and has {len(panels)} panels")
        ids = [p.get("id") for p in dash.get("panels", [])]
        check(len(ids) == len(set(ids)), "dashboard panel ids are unique")
    except json.JSONDecodeError as e:
        check(False, f"dashboard is JSON: {e}")
    with open(os.path.join(d, "prometheus", "sbc-alerts.yml")) as f:
        rules_text = f.read()
    # (A name ending in "_" is a family named in a comment, "sbc_policy_*".)
    used = {n for n in re.findall(r"\bsbc_[a-z0-9_]+", dash_text + rules_text) if not n.endswith("_")}
    check(len(used) >= 40, f"rules and dashboard use {len(used)} sbc metrics")
    for family in ("sbc_sip_", "sbc_policy_", "sbc_media_", "sbc_dataplane_"):
        check(any(n.startswith(family) for n in used), f"rules and dashboard cover {family}*")
    check_metrics(a, used)

    caps = {
        "sbc": capabilities_of_unit(os.path.join(d, "systemd", "sbc.service")),
        "sbc-dataplane": capabilities_of_unit(os.path.join(d, "systemd", "sbc-dataplane.service")),
    }
    check(all(caps.values()), "systemd units name their capabilities")
    # ProtectSystem=strict: sbc writes only where its unit gives it a directory.
    with open(os.path.join(d, "systemd", "sbc.service")) as f:
        unit = f.read()
    for key, setting, root in (("state_dir", "StateDirectory", "/var/lib/"),
                               ("cdr_file", "LogsDirectory", "/var/log/")):
        path = (sbc_cfg.get("b2bua") or {}).get(key)
        m = re.search(rf"^{setting}=(\S+)$", unit, re.M)
        if path:
            check(m is not None and path.startswith(root + m.group(1) + "/"),
                  f"deploy/sbc.yaml b2bua.{key} {path} lies in sbc.service's {setting}")
    check_kubernetes(a, d, caps)
    check_container(a, d, caps)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
