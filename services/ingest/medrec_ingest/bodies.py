"""The routes that take more than the default request body (`body_max_bytes`, 64 KiB), and how
much: only the deposits and the transfer's opening and completion (a declaration's manifest),
which read their bodies after the depositor's token is checked. The
ingress's `proxy-body-size` for the transfer API is the largest of these (k8s-check)."""

from medrec_ingest.deposit import endpoints as deposit
from medrec_ingest.deposit.validation import body_limit
from medrec_ingest.fhir import endpoints as fhir
from medrec_ingest.fields import EXTERNAL_ID_MAX_LENGTH
from medrec_ingest.settings import IngestSettings
from medrec_ingest.transfers import endpoints as transfers
from medrec_ingest.transfers.schemas import COMPLETION_MAX_IDS, MANIFEST_MAX_LINES
from medrec_shared.platform.bodylimits import BodyLimits

# A declaration's manifest: each line's external_id at its longest and its SHA-256, with their
# keys, quotes and braces.
DECLARATION_MAX_BYTES = MANIFEST_MAX_LINES * (EXTERNAL_ID_MAX_LENGTH + 64 + 40) + 64 * 1024
# Every external_id at its longest, quoted, with a comma and a space; a declaration; and the
# rest of the body.
COMPLETION_MAX_BYTES = COMPLETION_MAX_IDS * (EXTERNAL_ID_MAX_LENGTH + 4) + DECLARATION_MAX_BYTES


def body_limits(settings: IngestSettings) -> BodyLimits:
    return {
        ("PUT", deposit.RECORD_PATH): body_limit(settings),  # inline content in base64
        ("PUT", deposit.CONTENT_PATH): settings.content_max_bytes,
        ("POST", deposit.BATCH_PATH): settings.batch_max_bytes,
        ("POST", transfers.COMPLETE_PATH): COMPLETION_MAX_BYTES,
        ("POST", transfers.OPEN_PATH): DECLARATION_MAX_BYTES,
        ("POST", fhir.PROVIDE_PATH): settings.fhir_bundle_max_bytes,  # held whole: parsed
    }
