"""`make k8s-check`: render every overlay of deploy/k8s and check what it would deploy.

1. Render (:mod:`.render`): `kubectl kustomize` on every overlay (prod with its kafka-authz
   component), and on the prod overlay with each other component of deploy/k8s/components.
2. Schemas (:mod:`.schemas`): built-in objects against the Kubernetes JSON schemas (strict),
   custom resources against their CRDs' schemas from MEDREC_K8S_CRDS (default:
   ../shared/k8s-crds beside the repository; when absent the check says so).
3. Consistency (:mod:`.consistency`, which runs the named checks of :mod:`.references`,
   :mod:`.apis`, :mod:`.kafka`, :mod:`.postgres`, :mod:`.object_store`, :mod:`.flows`,
   :mod:`.service_settings` and :mod:`.bodies`): the objects reference each other correctly, the
   engines match the services' settings, the NetworkPolicies open exactly the flows the services
   make, each service's own settings class accepts its containers' environment, and each public
   host's ingress body limit is the largest body its service takes. Every label selector is
   matched by :func:`.selector.labels_match`.
4. Policy (:mod:`.policy`), with every exception explained in
   deploy/k8s/policy-exceptions.yaml.

Run: PYTHONPATH=deploy/tools .venv/bin/python -m k8s_check [--crds DIR] [--k8s-version 1.37]
(deploy/tools is on the path, not a package: deploy/images/smoke.py and tests/deploy import
`k8s_check` the same way).
"""

from .consistency import check_consistency
from .objects import CONSUMED, REPO, SERVICES, Obj, Rendered, object_id
from .render import RenderError, Target, render, render_target, targets
from .report import Report, TargetReport, print_report, run
from .schemas import (
    DEFAULT_CRDS,
    CrdSchemas,
    SchemaReport,
    crds_folder,
    validate_builtin,
    validate_schemas,
)
from .secret_refs import referenced_secrets
from .selector import labels_match
from .service_settings import container_env, settings_class

__all__ = [
    "CONSUMED",
    "DEFAULT_CRDS",
    "REPO",
    "SERVICES",
    "CrdSchemas",
    "Obj",
    "RenderError",
    "Rendered",
    "Report",
    "SchemaReport",
    "Target",
    "TargetReport",
    "check_consistency",
    "container_env",
    "crds_folder",
    "labels_match",
    "object_id",
    "print_report",
    "referenced_secrets",
    "render",
    "render_target",
    "run",
    "settings_class",
    "targets",
    "validate_builtin",
    "validate_schemas",
]
