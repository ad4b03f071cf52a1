"""The routes that take more than the default request body (`body_max_bytes`, 64 KiB), and how
much: the uploads, a copy to check and a proxy's documents. Their forms are read whole (a
proxy's once its token is checked), so each is bounded by what its files may hold and a form's
allowance. The ingress's `proxy-body-size` for copies is the largest of these (k8s-check)."""

from medrec_issuance.proxies import endpoints as proxies
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.bodylimits import BodyLimits

FORM_ALLOWANCE = 64 * 1024  # multipart boundaries, part headers, the request's JSON field
PROXY_FORM = len(proxies.DOCUMENT_KINDS) * proxies.MAX_DOCUMENT + FORM_ALLOWANCE


def body_limits(settings: IssuanceSettings) -> BodyLimits:
    return {
        ("POST", "/v1/verify"): settings.copy_max_bytes + FORM_ALLOWANCE,
        ("POST", "/v1/proxy-requests"): PROXY_FORM,
    }
