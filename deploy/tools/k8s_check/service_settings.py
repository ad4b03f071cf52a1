"""Settings against manifests: each container's rendered environment is given to the service's
own settings class (medrec_<service>.settings), so every required setting must be there, no
MEDREC_<SERVICE>_ variable may be unknown (a typo), and the settings' validators (production
refuses the sandbox, weak secrets, ...) must accept it. Secret values get strong stand-ins."""

from __future__ import annotations

import base64
import functools
import importlib
import os
import re
import secrets
from typing import Any
from unittest import mock

from pydantic import ValidationError

from medrec_shared.platform.entrypoints import MigrationSettings

from .objects import CONSOLE, FRONT_DOORS, SERVICES, Obj, Rendered


def settings_class(service: str) -> Any:
    module = importlib.import_module(f"medrec_{service}.settings")
    return getattr(module, f"{service.capitalize()}Settings")


def container_env(r: Rendered, container: Obj, service: str) -> dict[str, str]:
    """The environment a container starts with: its ConfigMaps, then `env` with strong stand-ins
    for Secret values (key specs for keyrings) and $(VAR) references expanded."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef", {}).get("name")
        env |= ((r.named("ConfigMap", ref) or {}).get("data", {})) if ref else {}
    for item in container.get("env", []):
        name = item["name"]
        if "value" in item:
            env[name] = re.sub(r"\$\((\w+)\)", lambda m: env.get(m[1], m[0]), item["value"])
        elif "secretKeyRef" in item.get("valueFrom", {}):
            if name.endswith("_KEYS"):  # a keyring: "<active id>:<base64 of 32 bytes>"
                active = env.get(name[: -len("KEYS")] + "KEY_ACTIVE", "kek-1")
                env[name] = f"{active}:{base64.b64encode(secrets.token_bytes(32)).decode()}"
            else:
                env[name] = secrets.token_hex(24)
    return env


def settings_of(r: Rendered, service: str) -> Any | None:
    """The service's settings as its api container would read them; None if it has no api or
    the settings refuse its environment (check_settings reports that)."""
    api = r.named("Deployment", f"medrec-{service}-api")
    if api is None:
        return None
    env = container_env(r, api["spec"]["template"]["spec"]["containers"][0], service)
    with mock.patch.dict(os.environ, env, clear=True):
        try:
            return settings_class(service)()
        except (ValidationError, ImportError):
            return None


def check_settings(r: Rendered) -> list[str]:
    """Each container's rendered environment, given to the service's own settings class: every
    required setting is there, no MEDREC_<SERVICE>_ variable is unknown (a typo), and the
    settings' validators (production refuses the sandbox, weak secrets, ...) accept it."""
    errors: list[str] = []
    for svc in (*SERVICES, *FRONT_DOORS):
        try:
            settings = settings_class(svc)
        except ImportError as e:
            if svc == CONSOLE and e.name and e.name.startswith("medrec_console"):
                continue  # a checkout without the console package (#27 lands it): nothing to hold
            return [f"cannot import the services' settings ({e}): run in the project's venv"]
        prefix = f"MEDREC_{svc.upper()}_"
        fields = {prefix + name.upper() for name in settings.model_fields}
        for kind, component in (
            ("Deployment", "api"),
            ("Deployment", "worker"),
            ("Job", "migrate"),
        ):
            w = r.named(kind, f"medrec-{svc}-{component}")
            if w is None:
                continue
            env = container_env(r, w["spec"]["template"]["spec"]["containers"][0], svc)
            who = f"medrec-{svc}-{component}"
            for name in sorted(n for n in env if n.startswith(prefix) and n not in fields):
                errors.append(f"{who}: {name} is no setting of {svc}")
            # A front door's migration (the portal's, the console's) holds its database URL and
            # nothing else (the services' Jobs also carry their clients' secrets, which their
            # settings require).
            check = (
                functools.partial(MigrationSettings, _env_prefix=prefix)
                if svc in FRONT_DOORS and component == "migrate"
                else settings
            )
            with mock.patch.dict(os.environ, env, clear=True):
                try:
                    check()
                except ValidationError as e:
                    problems = "; ".join(
                        f"{prefix}{'.'.join(map(str, err['loc'])).upper() or '(model)'}: "
                        f"{err['msg']}"
                        for err in e.errors()
                    )
                    errors.append(f"{who}: the service refuses this configuration: {problems}")
    return errors
