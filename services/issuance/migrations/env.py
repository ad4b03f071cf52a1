from medrec_issuance.models import IssuanceBase
from medrec_shared.migrations import run_env

run_env(IssuanceBase.metadata)
