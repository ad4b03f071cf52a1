from medrec_catalog.models import CatalogBase
from medrec_shared.platform.migrations import run_env

run_env(CatalogBase.metadata)
