"""The Secrets a rendering expects the cluster to hold: they are created outside the
repository, so `make k8s-check` lists them with their keys (the operators' own excepted)."""

from __future__ import annotations

from typing import Any

from .objects import Obj


def referenced_secrets(objects: list[Obj]) -> dict[str, set[str]]:
    """Secret name -> keys the rendered objects expect (they are created outside the repo)."""
    found: dict[str, set[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("secretKeyRef")
            if isinstance(ref, dict):
                found.setdefault(ref["name"], set()).add(ref["key"])
            if "secretName" in node and isinstance(node["secretName"], str):
                keys = {i["key"] for i in node.get("items", [])}
                found.setdefault(node["secretName"], set()).update(keys)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for obj in objects:
        kind = obj.get("kind")
        spec = obj.get("spec", {})
        walk(spec)
        if kind == "Cluster":
            init = spec.get("bootstrap", {}).get("initdb", {})
            if "secret" in init:
                found.setdefault(init["secret"]["name"], set()).update({"username", "password"})
            for role in spec.get("managed", {}).get("roles", []):
                if "passwordSecret" in role:
                    found.setdefault(role["passwordSecret"]["name"], set()).update(
                        {"username", "password"}
                    )
            store = spec.get("backup", {}).get("barmanObjectStore", {})
            for cred in store.get("s3Credentials", {}).values():
                found.setdefault(cred["name"], set()).add(cred["key"])
            if "endpointCA" in store:
                found.setdefault(store["endpointCA"]["name"], set()).add(store["endpointCA"]["key"])
        if kind == "Tenant":
            found.setdefault(spec["configuration"]["name"], set()).add("config.env")
            for user in spec.get("users", []):
                found.setdefault(user["name"], set()).update(
                    {"CONSOLE_ACCESS_KEY", "CONSOLE_SECRET_KEY"}
                )
            for cert in spec.get("externalCertSecret", []):
                found.setdefault(cert["name"], set()).update({"tls.crt", "tls.key"})
        if kind == "Ingress":
            for tls in spec.get("tls", []):
                found.setdefault(tls["secretName"], set()).update({"tls.crt", "tls.key"})
    # Secrets the operators write themselves are not the deployer's to create: Strimzi's User
    # Operator one per KafkaUser, its Cluster Operator the cluster CA's certificate.
    for user in (o["metadata"]["name"] for o in objects if o.get("kind") == "KafkaUser"):
        found.pop(user, None)
    for kafka in (o["metadata"]["name"] for o in objects if o.get("kind") == "Kafka"):
        found.pop(f"{kafka}-cluster-ca-cert", None)
    return found
