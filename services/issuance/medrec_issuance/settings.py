from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from medrec_issuance.documents.limits import CopyLimits
from medrec_shared.platform.settings import ServiceSettings

MiB = 1024 * 1024


class IssuanceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_ISSUANCE_", extra="ignore", frozen=True)

    api_port: int = 8004
    # The citizens' portal's 진위확인 page: every copy's QR code and printed URL open
    # {verify_page_url}?number=…&code=…, which the portal answers at once (a page, not JSON).
    verify_page_url: str = "http://127.0.0.1:8000/verify"
    # The portal's share page (제출): a share's link is {share_page_url}/<token>, which the
    # recipient opens to type the access code.
    share_page_url: str = "http://127.0.0.1:8000/share"
    catalog_url: str = "http://127.0.0.1:8003"
    ingest_url: str = "http://127.0.0.1:8002"
    # issuance's own client credentials (scopes content:read catalog:read names:read
    # document-facts:read)
    client_id: str
    client_secret: SecretStr
    s3_url: str
    s3_access_key: SecretStr
    s3_secret_key: SecretStr
    copies_bucket: str = "medrec-copies"
    content_keys: SecretStr
    content_key_active: str
    # Keyed hash of RRNs (shared with identity and ingest): finds a patient named in a relative's
    # or proxy's request.
    person_index_key: SecretStr
    copy_valid_days: int = 90
    # The public check is open to anyone: limited per client address (sliding window).
    verify_limit_per_client: int = 30
    verify_limit_window_seconds: int = 60
    # A share's access code is six digits: wrong codes are limited per share and per client
    # address (sliding window); a limit reached refuses even the right code until it frees.
    # Every try at a share also counts, atomically (concurrent guesses cannot pass the wrong
    # codes' count before it is written). A day's window: over a share's 30 days at most 150
    # wrong codes, 0.015% of the codes.
    share_code_limit_per_share: int = 5
    share_code_limit_per_client: int = 20
    share_tries_per_share: int = 20
    share_code_limit_window_seconds: int = 86400
    max_records_per_copy: int = 100
    # A copy is rendered from content held in memory (in a child process, below), so what is
    # rendered is bounded: bytes per record and per copy (refused from the stored size, before
    # any download), pages, pixels of each image frame (from its header, before decoding). A
    # copy over them fails with a reason the citizen reads. Content only listed on a copy
    # (DICOM, other binaries) is described by its stored size and SHA-256 and never read.
    copy_record_max_bytes: int = 32 * MiB
    copy_content_max_bytes: int = 64 * MiB
    copy_max_pages: int = 2000
    # An A3 page scanned at 300 dpi is 17.4 million; a 20-million-pixel RGB image of noise
    # (the worst case) peaks at 480 MiB in the render process, inside its cap.
    copy_image_max_pixels: int = 20_000_000
    # The signed copy: no copy issued is larger, so it is also all POST /v1/verify reads.
    copy_max_bytes: int = 128 * MiB
    # The render process's address space (RLIMIT_AS; about 240 MiB of it is the libraries):
    # with the worker's own ~150 MiB it stays inside the pod's 768 MiB.
    render_memory_max_bytes: int = 640 * MiB
    # From the last record sent to the signed copy's first byte; a slower copy fails.
    render_timeout_seconds: float = 300.0
    # A copy is claimed while it renders (`issuances.rendering`), with a lease: past it the claim
    # is taken to be a dead worker's and the copy is made again by the next sweep. Longer than
    # any render can take (the timeout above, plus fetching the records and storing the copy).
    render_lease_seconds: float = 600.0
    # Copies to make are looked for this often (and at once when one is asked for).
    render_sweep_seconds: float = 30.0
    # A copy that could not be made for now (catalog or the vault away) waits this long.
    render_retry_seconds: float = 30.0
    # A copy whose claims ended this many times without an outcome (its worker died, or an
    # error other than a service away) fails the next time instead of being tried again.
    render_max_failures: int = 2

    def copy_limits(self) -> CopyLimits:
        return CopyLimits(
            record_bytes=self.copy_record_max_bytes,
            content_bytes=self.copy_content_max_bytes,
            pages=self.copy_max_pages,
            image_pixels=self.copy_image_max_pixels,
            copy_bytes=self.copy_max_bytes,
        )

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        return {
            "client_secret": self.client_secret,
            "s3_secret_key": self.s3_secret_key,
            "content_keys": self.content_keys,
            "person_index_key": self.person_index_key,
        }
