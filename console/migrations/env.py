from medrec_console.models import ConsoleBase
from medrec_shared.platform.migrations import run_env

run_env(ConsoleBase.metadata)
