"""The one label-selector matcher: Services, PodDisruptionBudgets, NetworkPolicies (their pods
and their peers) and the policy scan all match labels through it, as the API server does."""

from typing import Any


def labels_match(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a LabelSelector (`matchLabels` and `matchExpressions`) selects `labels`; the
    empty selector selects everything."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True
