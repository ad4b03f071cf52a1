"""PostgreSQL (CloudNativePG): each service's database host is a rendered Cluster's primary
(`-rw`) service, its database and role are ones the Cluster creates (or, for a Cluster restored
from a backup, a role that takes its password from the same Secret), and its DATABASE_URL is
composed from MEDREC_DB_* and that Secret. Each Cluster has replicas and scheduled backups to a
bucket of the in-cluster tenant, with a tenant user's credentials."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from .objects import Rendered, ServiceConfig, object_id, secret_of


def check_database_settings(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    host, db, user = (
        s.values.get("MEDREC_DB_HOST", ""),
        s.values.get("MEDREC_DB_NAME", ""),
        s.values.get("MEDREC_DB_USER", ""),
    )
    p = s.prefix
    url = s.values.get(p + "DATABASE_URL", "")
    if not url.startswith("postgresql+asyncpg://") or "$(MEDREC_DB_PASSWORD)" not in url:
        yield f"{s.who}: {p}DATABASE_URL must be composed from MEDREC_DB_* and a Secret"
    cluster = next((c for c in r.of("Cluster") if host == f"{c['metadata']['name']}-rw"), None)
    if cluster is None:
        yield f"{s.who}: MEDREC_DB_HOST={host} is no rendered Cluster's -rw service"
        return
    secret = secret_of(s.api, "MEDREC_DB_PASSWORD")
    initdb = cluster["spec"].get("bootstrap", {}).get("initdb", {})
    roles = {role["name"]: role for role in cluster["spec"].get("managed", {}).get("roles", [])}
    recovering = "recovery" in cluster["spec"].get("bootstrap", {})
    if recovering:  # databases and owners come from the backup; passwords from roles
        if roles.get(user, {}).get("passwordSecret", {}).get("name") != secret:
            yield f"{s.who}: restored role {user} takes no password from {secret}"
    elif initdb.get("database") == db:
        if initdb.get("owner") != user:
            yield f"{s.who}: database {db} is owned by {initdb.get('owner')}"
        if initdb.get("secret", {}).get("name") != secret:
            yield f"{s.who}: password Secret {secret} is not the initdb secret"
    else:
        created = f"CREATE DATABASE {db} OWNER {user}"
        if created not in initdb.get("postInitSQL", []):
            yield f"{s.who}: no `{created}` in {object_id(cluster)}"
        if user not in roles:
            yield f"{s.who}: role {user} is not in managed.roles"
        elif roles[user].get("passwordSecret", {}).get("name") != secret:
            yield f"{s.who}: role {user} takes its password from another Secret"


def check_clusters(r: Rendered) -> Iterator[str]:
    """Replicas, backups, a ScheduledBackup, and a backup target the in-cluster tenant holds."""
    ns, tenants = r.namespace, r.of("Tenant")
    for cluster in r.of("Cluster"):
        if cluster["spec"]["instances"] < 2:
            yield f"{object_id(cluster)}: needs replicas (instances >= 2)"
        store = cluster["spec"].get("backup", {}).get("barmanObjectStore")
        if not store:
            yield f"{object_id(cluster)}: no backups"
            continue
        if not any(
            s["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
            for s in r.of("ScheduledBackup")
        ):
            yield f"{object_id(cluster)}: no ScheduledBackup"
        endpoint = urlsplit(store.get("endpointURL", "")).hostname or ""
        if tenants and endpoint == f"minio.{ns}.svc.cluster.local":  # the in-cluster tenant
            tenant = tenants[0]
            bucket = urlsplit(store["destinationPath"]).hostname
            if bucket not in {b["name"] for b in tenant["spec"].get("buckets", [])}:
                yield f"{object_id(cluster)}: backup bucket {bucket} is not created by the tenant"
            creds = store["s3Credentials"]["accessKeyId"]["name"]
            if creds not in {u["name"] for u in tenant["spec"].get("users", [])}:
                yield f"{object_id(cluster)}: backup credentials {creds} are no tenant user"
        elif endpoint.endswith(".svc.cluster.local"):  # in-cluster, but not this tenant
            yield f"{object_id(cluster)}: backup endpoint {endpoint} is not the tenant in {ns}"
