from medrec_portal.models import PortalBase
from medrec_shared.platform.migrations import run_env

run_env(PortalBase.metadata)
