"""Consistency of one rendering: the objects refer to each other correctly, the engines match
the services' settings, the network flows are exactly the ones the services make, only the
ingress controllers, monitoring and the operators reach in from outside (each to its port), no
public Ingress routes a staff path (#27), the APIs trust a
small proxy pool, the services' own settings classes accept what their containers get, and the
ingress takes the bodies the services take. Each check is a named function of its module; this
one runs them in a fixed order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from . import (
    apis,
    bodies,
    exposure,
    flows,
    kafka,
    object_store,
    postgres,
    references,
    service_settings,
)
from .objects import SERVICES, Rendered, ServiceConfig

# The checks of a whole rendering, in the order their findings are reported.
REFERENCE_CHECKS: tuple[Callable[[Rendered], Iterable[str]], ...] = (
    references.check_workload_references,
    references.check_service_backends,
    references.check_autoscalers,
    references.check_disruption_budgets,
    references.check_deployments_budgeted_and_scaled,
    references.check_network_policies_select_pods,
    references.check_medrec_pods_isolated,
)
ENGINE_CHECKS: tuple[Callable[[Rendered], Iterable[str]], ...] = (
    kafka.check_replication,
    postgres.check_clusters,
)
# The checks of one service's settings against the engines and the other services.
SERVICE_CHECKS: tuple[Callable[[Rendered, ServiceConfig], Iterable[str]], ...] = (
    kafka.check_topics,
    kafka.check_worker_partitions,
    kafka.check_worker_lag_trigger,
    kafka.check_client_credentials,
    kafka.check_apis_hold_no_kafka,
    kafka.check_user_acls,
    postgres.check_database_settings,
    object_store.check_s3_settings,
    apis.check_service_urls,
)


def check_consistency(r: Rendered) -> list[str]:
    """Mismatches between the rendered objects and the services' settings."""
    errors: list[str] = []
    if not r.namespace:
        errors.append("objects are not all in one namespace (the overlay sets it)")
    for check in REFERENCE_CHECKS:
        errors += check(r)
    errors += check_services_against_engines(r)
    errors += flows.check_flows(r)
    errors += exposure.check_exposure(r)
    errors += exposure.check_trusted_proxies(r)
    errors += exposure.check_public_paths(r)
    errors += service_settings.check_settings(r)
    errors += bodies.check_ingress_body_sizes(r)
    for check in ENGINE_CHECKS:
        errors += check(r)
    return errors


def check_services_against_engines(r: Rendered) -> Iterator[str]:
    """Service by service: its api's address, then Kafka, PostgreSQL, S3 and the other
    services' URLs as its settings name them."""
    for svc in SERVICES:
        values = r.config(svc)
        api = r.named("Deployment", f"medrec-{svc}-api")
        if not values or api is None:
            yield f"medrec-{svc}: no api Deployment or settings"
            continue
        s = ServiceConfig(svc, values, api)
        yield from apis.check_api_listens(r, s)
        yield from kafka.check_bootstrap(r, s)
        for check in SERVICE_CHECKS:
            yield from check(r, s)
