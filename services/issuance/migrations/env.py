from medrec_issuance.models import IssuanceBase
from medrec_shared.platform.migrations import run_env

run_env(IssuanceBase.metadata)
