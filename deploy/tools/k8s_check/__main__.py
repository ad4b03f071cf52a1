"""`make k8s-check`: PYTHONPATH=deploy/tools .venv/bin/python -m k8s_check
[--crds DIR] [--k8s-version 1.37] [--render DIR]"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from . import __doc__ as package_doc
from .report import print_report, run
from .schemas import CRDS_ENV, DEFAULT_CRDS, DEFAULT_K8S_VERSION, K8S_VERSION_ENV


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(package_doc or "").split("\n")[0])
    parser.add_argument("--crds", help=f"CRD folder (default ${CRDS_ENV} or {DEFAULT_CRDS})")
    parser.add_argument(
        "--k8s-version", help=f"default ${K8S_VERSION_ENV} or {DEFAULT_K8S_VERSION}"
    )
    parser.add_argument("--render", metavar="DIR", help="also write each rendering to DIR")
    args = parser.parse_args(argv)
    report = run(Path(args.crds) if args.crds else None, args.k8s_version)
    if args.render:
        out = Path(args.render)
        out.mkdir(parents=True, exist_ok=True)
        for t in report.targets:
            name = re.sub(r"[^a-z0-9]+", "-", t.name.lower()).strip("-")
            (out / f"{name}.yaml").write_text(yaml.safe_dump_all(t.objects, sort_keys=False))
    print_report(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
