"""S3 (the MinIO tenant): a service with an S3_URL reaches the tenant's in-cluster endpoint,
with TLS exactly when the tenant serves it, a bucket the tenant creates, credentials from a
tenant user's Secret, and the tenant CA (SSL_CERT_FILE) when TLS is on."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from .objects import Rendered, ServiceConfig, secret_of


def check_s3_settings(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    p, cfg = s.prefix, s.values
    if p + "S3_URL" not in cfg:
        return
    parts = urlsplit(cfg[p + "S3_URL"])
    tenants = r.of("Tenant")
    if not tenants:
        yield f"{s.who}: S3_URL set but no Tenant rendered"
        return
    tenant, ns = tenants[0], r.namespace
    tls = bool(tenant["spec"].get("requestAutoCert") or tenant["spec"].get("externalCertSecret"))
    if parts.hostname != f"minio.{ns}.svc.cluster.local":
        yield f"{s.who}: S3_URL host {parts.hostname} is not the tenant's in {ns}"
    if (parts.scheme == "https") != tls:
        yield f"{s.who}: S3_URL scheme {parts.scheme} but tenant TLS is {tls}"
    buckets = {b["name"] for b in tenant["spec"].get("buckets", [])}
    bucket = cfg.get(p + "RECORDS_BUCKET") or cfg.get(p + "COPIES_BUCKET")
    if bucket not in buckets:
        yield f"{s.who}: bucket {bucket} is not created by the tenant"
    users = {u["name"] for u in tenant["spec"].get("users", [])}
    for key in ("S3_ACCESS_KEY", "S3_SECRET_KEY"):
        if secret_of(s.api, p + key) not in users:
            yield f"{s.who}: {p}{key} comes from no tenant user's Secret"
    if tls and "SSL_CERT_FILE" not in cfg:
        yield f"{s.who}: TLS to MinIO but no SSL_CERT_FILE (tenant CA)"
