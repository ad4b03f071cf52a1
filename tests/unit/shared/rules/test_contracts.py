"""The shared answers between services (`medrec_shared.rules.contracts`) read back the JSON the
serving routes write."""

from medrec_shared.rules.contracts import CatalogedRecord
from tests.support.copies import cataloged


def test_catalogs_record_reads_back_as_written() -> None:
    written = cataloged(None)
    read = CatalogedRecord.model_validate_json(written.model_dump_json())
    assert read == written
    assert read.person_key is None and read.institution.name is None
