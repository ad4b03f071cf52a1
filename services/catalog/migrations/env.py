from medrec_catalog.models import CatalogBase
from medrec_shared.migrations import run_env

run_env(CatalogBase.metadata)
