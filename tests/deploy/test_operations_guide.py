"""docs/operations.md says what the manifests do: every kubectl command of the guide names
objects, namespaces, selectors, ports, Secrets and keys that the rendered overlays have, and
every name, address, setting and topic the prose mentions exists."""

import re
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "operations.md"
SERVICES = ("identity", "ingest", "catalog", "issuance")
# Whose settings (MEDREC_<OWNER>_X) the guide may name: the services' and the portal's.
SETTINGS_OWNERS = (*SERVICES, "portal")
Obj = dict[str, Any]

# kubectl resource types the guide uses -> kinds
TYPES = {
    "deployment": "Deployment", "deploy": "Deployment", "svc": "Service", "service": "Service",
    "job": "Job", "hpa": "HorizontalPodAutoscaler", "pdb": "PodDisruptionBudget",
    "configmap": "ConfigMap", "cm": "ConfigMap", "secret": "Secret", "kafka": "Kafka",
    "kafkatopic": "KafkaTopic", "kafkatopics": "KafkaTopic", "kafkauser": "KafkaUser",
    "kafkanodepool": "KafkaNodePool", "cluster": "Cluster", "tenant": "Tenant",
    "scheduledbackup": "ScheduledBackup", "backups": "Backup", "pods": "Pod", "pod": "Pod",
    "networkpolicy": "NetworkPolicy", "events": "Event", "namespace": "Namespace",
    "scaledobject": "ScaledObject", "triggerauthentication": "TriggerAuthentication",
}  # fmt: skip


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text()


@pytest.fixture(scope="module")
def by_namespace(rendered: dict[str, list[Obj]]) -> dict[str, list[Obj]]:
    out: dict[str, list[Obj]] = {}
    for name in ("overlays/dev", "overlays/prod"):
        objects = rendered[name]
        namespace = next(o["metadata"]["name"] for o in objects if o["kind"] == "Namespace")
        out[namespace] = objects
    return out


def derived_names(objects: list[Obj]) -> dict[str, set[str]]:
    """Objects the operators create from ours, by kind, under their documented names."""
    out: dict[str, set[str]] = {"Pod": set(), "Service": set(), "Backup": {"*"}, "Event": {"*"}}
    for o in objects:
        name, spec = o["metadata"]["name"], o.get("spec", {})
        if o["kind"] == "Kafka":
            out["Service"] |= {f"{name}-kafka-bootstrap", f"{name}-kafka-brokers"}
            out.setdefault("Secret", set()).add(f"{name}-cluster-ca-cert")  # the brokers' CA
        if o["kind"] == "KafkaNodePool":
            cluster = o["metadata"]["labels"]["strimzi.io/cluster"]
            first = int(
                re.findall(r"\d+", o["metadata"]["annotations"]["strimzi.io/next-node-ids"])[0]
            )
            out["Pod"] |= {f"{cluster}-{name}-{first + i}" for i in range(spec["replicas"])}
        if o["kind"] == "Cluster":
            out["Service"] |= {f"{name}-rw", f"{name}-ro", f"{name}-r"}
            out["Pod"] |= {f"{name}-{i}" for i in range(1, spec["instances"] + 1)}
        if o["kind"] == "Tenant":
            out["Service"] |= {"minio", f"{name}-hl", f"{name}-console"}
            for pool in spec["pools"]:
                out["Pod"] |= {f"{name}-{pool['name']}-{i}" for i in range(pool["servers"])}
    return out


def shell_lines(markdown: str) -> Iterator[str]:
    """Lines of the guide's ```sh blocks: continuations joined, comments dropped, simple
    `for x in a b; do ... done` loops unrolled."""
    for block in re.findall(r"```sh\n(.*?)```", markdown, re.S):
        lines = [
            line.split(" #")[0].strip() if not line.lstrip().startswith("#") else ""
            for line in block.replace("\\\n", " ").splitlines()
        ]
        lines = [line for line in lines if line]
        i = 0
        while i < len(lines):
            loop = re.match(r"for (\w+) in ([^;]+); do$", lines[i])
            if not loop:
                yield lines[i]
                i += 1
                continue
            end = lines.index("done", i)
            for value in loop[2].split():
                for body in lines[i + 1 : end]:
                    yield re.sub(rf"\$\{{?{loop[1]}\}}?", value, body)
            i = end + 1


def inline_commands(markdown: str) -> Iterator[str]:
    """`kubectl ...` spans of the prose (they may wrap across lines)."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    for span in re.findall(r"`(kubectl [^`]+)`", prose):
        yield " ".join(span.split())


def kubectl_commands(markdown: str) -> Iterator[list[str]]:
    for line in [*shell_lines(markdown), *inline_commands(markdown)]:
        # commands inside $( ... ) too
        for inner in re.findall(r"\$\((kubectl [^()]*)\)", line):
            yield shlex.split(inner)
        tokens = shlex.split(line.replace("$(", "( "), posix=True)
        command: list[str] = []
        for token in [*tokens, "|"]:
            if token in ("|", "&&", "&", ";", "||"):
                if command[:1] == ["kubectl"]:
                    yield command
                command = []
            else:
                command.append(token)


def option(cmd: list[str], *names: str) -> list[str]:
    values = []
    for i, token in enumerate(cmd):
        for name in names:
            if token == name and i + 1 < len(cmd):
                values.append(cmd[i + 1])
            elif token.startswith(name + "="):
                values.append(token.split("=", 1)[1])
    return values


def parse_selector(selector: str) -> list[tuple[str, str, set[str]]]:
    out = []
    for part in re.findall(r"[^,(]+(?:\([^)]*\))?", selector):
        part = part.strip()
        if m := re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", part):
            out.append((m[1], m[2], {v.strip() for v in m[3].split(",")}))
        elif m := re.fullmatch(r"([\w./-]+)\s*(!=|==|=)\s*([\w.-]+)", part):
            out.append((m[1], m[2], {m[3]}))
        else:
            raise AssertionError(f"selector {selector!r}: cannot read {part!r}")
    return out


def selects(selector: str, labels: dict[str, str]) -> bool:
    for key, op, values in parse_selector(selector):
        value = labels.get(key)
        if op in ("=", "==", "in") and value not in values:
            return False
        if op in ("!=", "notin") and value in values:
            return False
    return True


def test_the_guide_has_commands(guide: str) -> None:
    commands = list(kubectl_commands(guide))
    assert len(commands) > 40
    assert any("port-forward" in c for c in commands)
    assert any("create" in c and "secret" in c for c in commands)


def console_scripts() -> set[str]:
    """The commands the services' images hold (their packages' console scripts), and the
    operators' medrec-admin (admin/, #27), which the guide tells how to run as a job."""
    found: set[str] = set()
    for pyproject in [*(REPO / "services").glob("*/pyproject.toml"), REPO / "admin/pyproject.toml"]:
        found |= set(tomllib.loads(pyproject.read_text())["project"]["scripts"])
    return found


FLAGS_WITH_VALUES = {
    "-n", "--namespace", "-l", "--selector", "-c", "-k", "-f", "-o", "-p", "--type", "--for",
    "--timeout", "--since", "--cert", "--key", "--field-selector", "--replicas", "--from-literal",
    "--from-file", "--bootstrap-server", "--group", "--dry-run",
}  # fmt: skip
OVERLAYS = {"medrec": "deploy/k8s/overlays/prod", "medrec-dev": "deploy/k8s/overlays/dev"}


def command_problems(guide: str, by_namespace: dict[str, list[Obj]], k8s_check: Any) -> list[str]:
    problems: list[str] = []
    for cmd in kubectl_commands(guide):
        text = " ".join(cmd)
        namespaces = option(cmd, "-n", "--namespace")
        for path in option(cmd, "-k", "-f"):
            if path != "-" and not (REPO / path).exists():
                problems.append(f"{text}: no {path}")
        kustomization = option(cmd, "-k")
        if kustomization:
            namespace = next((ns for ns, p in OVERLAYS.items() if kustomization[0] == p), "medrec")
        else:
            namespace = namespaces[0] if namespaces else "medrec"
        if namespace not in by_namespace:
            problems.append(f"{text}: namespace {namespace} is no overlay's")
            continue
        objects = by_namespace[namespace]
        names: dict[str, set[str]] = {}
        for o in objects:
            names.setdefault(o["kind"], set()).add(o["metadata"]["name"])
        for kind, extra in derived_names(objects).items():
            names.setdefault(kind, set()).update(extra)
        secrets = k8s_check.referenced_secrets(objects)
        kafka_users = {o["metadata"]["name"] for o in objects if o["kind"] == "KafkaUser"}
        names["Secret"] = set(secrets) | kafka_users

        for selector in option(cmd, "-l", "--selector"):
            if not any(selects(selector, o["metadata"].get("labels", {})) for o in objects):
                problems.append(f"{text}: selector {selector} matches nothing")

        head = cmd[: cmd.index("--")] if "--" in cmd else cmd  # then: run in the container
        args = [
            t for i, t in enumerate(head[1:], start=1)
            if not t.startswith("-") and head[i - 1] not in FLAGS_WITH_VALUES
        ]  # fmt: skip
        verb = args[0] if args else ""
        refs: list[tuple[str, str]] = []
        for token in args[1:]:
            kind, _, name = token.partition("/")
            if name and kind in TYPES:
                refs.append((TYPES[kind], name))
        typed = verb in ("get", "describe", "patch", "delete", "scale") and len(args) >= 3
        if typed and args[1] in TYPES and "/" not in args[2]:
            refs.append((TYPES[args[1]], args[2]))
        if verb in ("exec", "logs") and len(args) >= 2 and "/" not in args[1]:
            refs.append(("Pod", args[1]))
        if verb == "create" and args[1:2] == ["secret"]:
            name = args[3]
            refs.append(("Secret", name))
            keys = {v.split("=", 1)[0] for v in option(cmd, "--from-literal", "--from-file")}
            if args[2] == "tls":
                keys |= {"tls.crt", "tls.key"}
            wanted = secrets.get(name, set())
            if name in secrets and not keys <= wanted:
                problems.append(f"{text}: keys {sorted(keys - wanted)} are not used")
            if name in secrets and not wanted <= keys and "--dry-run=client" not in cmd:
                problems.append(f"{text}: {name} also needs {sorted(wanted - keys)}")
        for kind, name in refs:
            if verb == "label" or kind in ("Namespace", "Event", "Backup"):
                continue
            if name not in names.get(kind, set()):
                problems.append(f"{text}: no {kind} {name} in namespace {namespace}")
        if verb == "port-forward":
            target, mapping = args[1], args[2]
            ports = [
                p["port"]
                for o in objects
                if o["kind"] == "Service" and f"svc/{o['metadata']['name']}" == target
                for p in o["spec"]["ports"]
            ]
            local, _, remote = mapping.partition(":")
            if int(remote) not in ports or local != remote:
                problems.append(f"{text}: {target} has ports {ports}")
        for group in option(cmd, "--group"):
            if group not in k8s_check.CONSUMED:
                problems.append(f"{text}: no consumer group {group}")
        for server in option(cmd, "--bootstrap-server"):
            kafka = next(o for o in objects if o["kind"] == "Kafka")
            if int(server.rsplit(":", 1)[1]) not in [
                li["port"] for li in kafka["spec"]["kafka"]["listeners"]
            ]:
                problems.append(f"{text}: no listener on {server}")
    return problems


def test_kubectl_commands_match_the_manifests(
    guide: str, by_namespace: dict[str, list[Obj]], k8s_check: Any
) -> None:
    problems = command_problems(guide, by_namespace, k8s_check)
    assert not problems, "\n".join(problems)


def prose_problems(guide: str, objects: list[Obj], k8s_check: Any) -> list[str]:
    known: set[str] = set()
    for o in objects:
        known.add(o["metadata"]["name"])
        known |= set(o["metadata"].get("labels", {}).values())
        if o["kind"] == "Tenant":
            known |= {b["name"] for b in o["spec"]["buckets"]} | {
                p["name"] for p in o["spec"]["pools"]
            }
        if o["kind"] == "ConfigMap":
            known.add(re.sub(r"-[a-z0-9]{10}$", "", o["metadata"]["name"]))
        if o["kind"] == "Cluster":
            known.add(
                o["spec"]["backup"]["barmanObjectStore"].get("serverName", o["metadata"]["name"])
            )
    for names in derived_names(objects).values():
        known |= names
    known |= set(k8s_check.referenced_secrets(objects))
    known |= console_scripts()  # medrec-ingest-api, medrec-ingest-keys, ...
    known |= {
        "medrec-pg-r1",
        "medrec-root",
        "medrec-dev",
        "medrec-base",
    }  # + base image  # the restore's next server name; MinIO root user
    problems = []
    prose = re.sub(r"```.*?```", "", guide, flags=re.S)
    for token in re.findall(r"`([^`]+)`", prose):
        for name in re.findall(r"\bmedrec-[a-z0-9<>-]+[a-z0-9>]", token):
            expanded = [name]
            for placeholder, values in (
                ("<service>", SERVICES),
                ("<user>", ("ingest", "issuance", "pg-backup")),
            ):
                if placeholder in name:
                    expanded = [n.replace(placeholder, v) for n in expanded for v in values]
            for n in expanded:
                if "<" not in n and n not in known:
                    problems.append(f"`{token}`: {n} is not in the prod rendering")
    # in-cluster addresses
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    for host, port in re.findall(r"http://(medrec-[a-z]+):(\d+)", guide):
        ports = [p["port"] for p in services.get(host, {}).get("spec", {}).get("ports", [])]
        if int(port) not in ports:
            problems.append(f"http://{host}:{port}: Service ports {ports}")
    kafka = next(o for o in objects if o["kind"] == "Kafka")
    listeners = {li["port"] for li in kafka["spec"]["kafka"]["listeners"]}
    for port in re.findall(r"medrec-kafka-kafka-bootstrap:(\d+)", guide):
        if int(port) not in listeners:
            problems.append(f"bootstrap port {port} is no listener")
    for address in ("medrec-pg-rw:5432", "https://minio.medrec.svc.cluster.local"):
        if address not in guide:
            problems.append(f"{address} is not in the guide")
    # settings: MEDREC_<SERVICE>_X for every service, MEDREC_INGEST_X for one
    for name in set(re.findall(r"MEDREC_[A-Z0-9_<>]+", guide)):
        if name.startswith(("MEDREC_STACK_", "MEDREC_K8S_", "MEDREC_DB_")):
            continue
        candidates = (
            [name.replace("<SERVICE>", s.upper()) for s in SERVICES]
            if "<SERVICE>" in name
            else [name]
        )
        for candidate in candidates:
            service = next(
                (s for s in SETTINGS_OWNERS if candidate.startswith(f"MEDREC_{s.upper()}_")),
                None,
            )
            if service is None:
                problems.append(f"{name}: not a service setting")
                continue
            field = candidate.removeprefix(f"MEDREC_{service.upper()}_").lower()
            if field not in k8s_check.settings_class(service).model_fields:
                problems.append(f"{candidate}: no such setting of {service}")
    topics = {o["spec"]["topicName"] for o in objects if o["kind"] == "KafkaTopic"}
    for topic in set(re.findall(r"\bmedrec\.[a-z]+\.v\d+\b", guide)):
        if topic not in topics:
            problems.append(f"topic {topic} is no KafkaTopic")
    return problems


def test_names_addresses_and_settings_in_the_prose_exist(
    guide: str, rendered: dict[str, list[Obj]], k8s_check: Any
) -> None:
    problems = prose_problems(guide, rendered["overlays/prod"], k8s_check)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("svc/medrec-ingest 8002:8002 &", "svc/medrec-ingest 8003:8003 &", "has ports [8002]"),
        ("logs deployment/medrec-ingest-api ", "logs deployment/medrec-ingest-apis ",
         "no Deployment"),
        ("-l app.kubernetes.io/name=medrec-identity,", "-l app.kubernetes.io/name=identity,",
         "matches nothing"),
        ("kubectl -n medrec get hpa\n", "kubectl -n medrec-prod get hpa\n", "no overlay's"),
        ("--describe --group catalog", "--describe --group medrec-catalog", "no consumer group"),
        ("exec medrec-kafka-broker-0", "exec medrec-kafka-kafka-0", "no Pod"),
        ("--from-literal=PERSON_INDEX_KEY=", "--from-literal=PERSON_KEY=", "not used"),
        ("wait cluster/medrec-pg ", "wait cluster/medrec-postgres ", "no Cluster"),
    ],
)  # fmt: skip
def test_command_checks_bite(
    guide: str,
    by_namespace: dict[str, list[Obj]],
    k8s_check: Any,
    old: str,
    new: str,
    expected: str,
) -> None:
    assert old in guide
    problems = command_problems(guide.replace(old, new, 1), by_namespace, k8s_check)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("`http://medrec-catalog:8003`", "`http://medrec-catalog:80`", "Service ports"),
        ("`medrec-records`", "`medrec-record`", "medrec-record is not"),
        ("deployment/medrec-ingest-api`", "deployment/medrec-ingest-apis`", "apis is not"),
        ("`MEDREC_ISSUANCE_VERIFY_PAGE_URL`", "`MEDREC_ISSUANCE_VERIFY_URL`", "no such setting"),
        ("`medrec.audit.v1`", "`medrec.audits.v1`", "no KafkaTopic"),
        ("`medrec-kafka-kafka-bootstrap:9093`", "`medrec-kafka-kafka-bootstrap:9094`",
         "no listener"),
    ],
)  # fmt: skip
def test_prose_checks_bite(
    guide: str, rendered: dict[str, list[Obj]], k8s_check: Any, old: str, new: str, expected: str
) -> None:
    assert old in guide
    problems = prose_problems(guide.replace(old, new, 1), rendered["overlays/prod"], k8s_check)
    assert any(expected in p for p in problems), problems


def test_the_guide_covers_the_issue(guide: str) -> None:
    for heading in (
        "## Deploying", "## Scaling", "## Backups and restore", "## Key rotation",
        "## When ingest slows down", "## When a consumer lags",
    ):  # fmt: skip
        assert heading in guide
    assert "partition" in guide and "HorizontalPodAutoscaler" in guide
