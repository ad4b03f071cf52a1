from medrec_identity.models import IdentityBase
from medrec_shared.platform.migrations import run_env

run_env(IdentityBase.metadata)
