from medrec_ingest.models import IngestBase
from medrec_shared.migrations import run_env

run_env(IngestBase.metadata)
