from medrec_ingest.models import IngestBase
from medrec_shared.platform.migrations import run_env

run_env(IngestBase.metadata)
