"""The official Kubernetes Python client against `kvip apiserver` (run by
python_client_conformance.sh with the server's URL): list, watch from a list's
resourceVersion, status patch, Lease compare-and-swap, 404s. Prints one
"ok:"/"FAIL:" line per check; exits 1 when any failed."""
import json
import sys
import threading

from kubernetes import client, watch
from kubernetes.client.rest import ApiException

FAILED = []


def check(what, cond, detail=""):
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else " (" + str(detail) + ")"))
    if not cond:
        FAILED.append(what)


def api_error(call):
    """The ApiException a call raises (None if it succeeded) and its Status body."""
    try:
        call()
    except ApiException as e:
        try:
            return e, json.loads(e.body)
        except (TypeError, ValueError):
            return e, {}
    return None, {}


def cm(name, value):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"v": value})


def check_list_and_watch(core):
    core.create_namespaced_config_map("default", cm("first", "1"))
    lst = core.list_namespaced_config_map("default")
    names = [i.metadata.name for i in lst.items]
    rv = lst.metadata.resource_version
    check("list returns the ConfigMap and a resourceVersion", "first" in names and rv, names)
    seen = []

    def run():
        w = watch.Watch()
        for ev in w.stream(core.list_namespaced_config_map, "default", resource_version=rv,
                           timeout_seconds=10):
            seen.append((ev["type"], ev["object"].metadata.name, (ev["object"].data or {}).get("v")))
            if len(seen) == 3:
                w.stop()

    t = threading.Thread(target=run)
    t.start()
    core.create_namespaced_config_map("default", cm("watched", "1"))
    core.patch_namespaced_config_map("watched", "default", {"data": {"v": "2"}})
    core.delete_namespaced_config_map("watched", "default")
    t.join(15)
    want = [("ADDED", "watched", "1"), ("MODIFIED", "watched", "2"), ("DELETED", "watched", "2")]
    check("watch (watch=True) from the list's resourceVersion sees ADDED, MODIFIED, DELETED",
          seen == want, seen)


def check_status_patch(core):
    svc = client.V1Service(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1ServiceSpec(type="LoadBalancer",
                                  ports=[client.V1ServicePort(name="http", port=80)]))
    core.create_namespaced_service("default", svc)
    body = {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}
    out = core.patch_namespaced_service_status("web", "default", body)
    ingress = out.status.load_balancer.ingress or []
    check("status patch answers the Service with the new status",
          [i.ip for i in ingress] == ["192.0.2.10"] and out.spec.type == "LoadBalancer", out.status)
    got = core.read_namespaced_service("web", "default")
    check("status patch is stored",
          [i.ip for i in (got.status.load_balancer.ingress or [])] == ["192.0.2.10"], got.status)


def check_lease_cas(coord):
    ns = "kube-system"
    lease = client.V1Lease(metadata=client.V1ObjectMeta(name="lock"),
                           spec=client.V1LeaseSpec(holder_identity="n1",
                                                   lease_duration_seconds=15))
    coord.create_namespaced_lease(ns, lease)
    cur = coord.read_namespaced_lease("lock", ns)
    stale = cur.metadata.resource_version
    cur.spec.holder_identity = "n2"
    won = coord.replace_namespaced_lease("lock", ns, cur)
    check("Lease replace with the current resourceVersion succeeds",
          won.spec.holder_identity == "n2" and won.metadata.resource_version != stale)
    cur.spec.holder_identity = "n3"
    cur.metadata.resource_version = stale
    e, status = api_error(lambda: coord.replace_namespaced_lease("lock", ns, cur))
    check("Lease replace with a stale resourceVersion is 409 Conflict",
          e is not None and e.status == 409 and status.get("reason") == "Conflict", status)
    check("the losing replace changed nothing",
          coord.read_namespaced_lease("lock", ns).spec.holder_identity == "n2")


def check_not_found(core, coord):
    e, status = api_error(lambda: core.read_namespaced_config_map("missing", "default"))
    check("GET of a missing ConfigMap is 404 NotFound",
          e is not None and e.status == 404 and status.get("reason") == "NotFound"
          and status.get("details", {}).get("name") == "missing", status)
    e, status = api_error(lambda: core.delete_namespaced_config_map("missing", "default"))
    check("DELETE of a missing ConfigMap is 404", e is not None and e.status == 404, status)
    e, status = api_error(lambda: coord.read_namespaced_lease("missing", "kube-system"))
    check("GET of a missing Lease is 404 with its group",
          e is not None and e.status == 404
          and status.get("details", {}).get("group") == "coordination.k8s.io", status)


def main():
    cfg = client.Configuration()
    cfg.host = sys.argv[1]
    api = client.ApiClient(cfg)
    core = client.CoreV1Api(api)
    coord = client.CoordinationV1Api(api)
    for step in (lambda: check_list_and_watch(core), lambda: check_status_patch(core),
                 lambda: check_lease_cas(coord), lambda: check_not_found(core, coord)):
        try:
            step()
        except Exception as e:  # an unexpected error fails the step, the others still run
            check("no unexpected error", False, repr(e))
    print(f"{len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
