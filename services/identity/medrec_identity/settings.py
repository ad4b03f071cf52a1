"""identity's settings, from `MEDREC_IDENTITY_*` environment variables.

Outside the local stack (`environment=production`, the default) the sandbox adapters, the movable
test clock and weak or missing secrets are refused at start-up: production has to name a real
verification provider (`VERIFICATION_PROVIDER=oidc` with its issuer, client and redirect URI), a
real identity binding service (`BINDING_SERVICE=http` with its URL and token: it confirms the CI
the provider asserts belongs to the RRN typed) and a real family registry (`FAMILY_REGISTRY=http`
with its URL and token).
"""

from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from medrec_shared.platform.settings import ServiceSettings

# Verification start limits when the setting is left unset: strict in production, loose in the
# local stack (every test and demo citizen there comes from 127.0.0.1, many with one phone).
# The token endpoint's limits likewise: services cache their token until shortly before it
# expires, so an address that fails 20 times a minute for one client is guessing its secret.
# Staff sign-in likewise: a person mistypes a password a few times, a guesser many.
_PRODUCTION_LIMITS = {
    "phone": 5,
    "ip": 30,
    "token_failures": 20,
    "token_ip": 60,
    "sign_in_ip": 30,
    "sign_in_failures_ip": 20,
    "sign_in_failures_login": 5,
}
_LOCAL_LIMITS = {
    "phone": 1000,
    "ip": 10000,
    "token_failures": 10000,
    "token_ip": 100000,
    "sign_in_ip": 100000,
    "sign_in_failures_ip": 10000,
    "sign_in_failures_login": 1000,
}


def _staff(name: str) -> AliasChoices:
    """A staff sign-in setting: MEDREC_STAFF_<NAME> (as the console's settings name it too), or
    MEDREC_IDENTITY_STAFF_<NAME>."""
    return AliasChoices(
        f"staff_{name}", f"MEDREC_STAFF_{name.upper()}", f"MEDREC_IDENTITY_STAFF_{name.upper()}"
    )


DEFAULT_MACHINE_ID = "operator"


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="MEDREC_IDENTITY_", extra="ignore", frozen=True, populate_by_name=True
    )

    identity_url: str = "http://127.0.0.1:8001"
    # Where callers outside the cluster reach identity (https://id.medrec.example): the base of
    # the endpoints its discovery documents publish. Outside the local stack it is required and
    # is also the issuer (`jwt_issuer`, every service's, must be this URL): RFC 8414 §3.3, the
    # issuer is the URL its metadata is read from. Unset locally: `identity_url`.
    public_url: str | None = None
    sandbox: bool = False
    # The machine account (medrec-admin's automation; client credentials, the machine scopes).
    # Outside the local stack it must be named: the well-known default is refused, so that no
    # deployment runs with the shared operator client of before #27.
    admin_client_id: str = DEFAULT_MACHINE_ID
    admin_client_secret: SecretStr | None = None
    # Keyed hash of RRNs: the same key as ingest's, so a verified person finds their records.
    # identity also derives its other lookup keys from it (phone and client-address hashes, codes).
    person_index_key: SecretStr
    # Encrypts RRNs, names and the token signing keys at rest.
    field_keys: (
        SecretStr  # "kek-id:base64,..." as medrec_shared.platform.crypto.LocalKeyring.from_spec
    )
    field_key_active: str
    client_token_ttl_seconds: int = 3600
    citizen_token_ttl_seconds: int = 900
    guardian_token_ttl_seconds: int = Field(default=600, ge=1, le=3600)
    # At most this many failed token requests (unknown client or wrong secret) for one client
    # id from one client address, and this many token requests of any kind from one address,
    # within the window; unset means 20 failures and 60 requests a minute in production (loose
    # locally). Failures are not counted per client id alone: its id is no secret (`operator`),
    # and whoever knows it could then lock its owner out.
    token_failures_per_client_address: int | None = Field(default=None, ge=1)
    token_limit_per_ip: int | None = Field(default=None, ge=1)
    token_limit_window_seconds: int = Field(default=60, ge=1)

    # -- verification --------------------------------------------------------------------------
    verification_provider: Literal["sandbox", "oidc"] = "sandbox"
    verification_ttl_seconds: int = Field(default=180, ge=1)
    verification_max_attempts: int = Field(default=5, ge=1)
    # At most this many verifications started per phone number / per client address within the
    # window; unset means 5 per phone and 30 per address in production (loose in the local stack).
    verification_limit_per_phone: int | None = Field(default=None, ge=1)
    verification_limit_per_ip: int | None = Field(default=None, ge=1)
    verification_limit_window_seconds: int = Field(default=3600, ge=1)
    # A person (by the keyed hash of the RRN they claim) with one phone gets this many wrong
    # codes within the window, over all their verifications: then starting another for that
    # person with that phone answers 429 until the oldest wrong code ages out. Starting
    # verification after verification buys no new guesses; a stranger who fails codes under
    # someone's RRN with their own phone does not lock that person out.
    verification_wrong_codes_per_person_phone: int = Field(default=10, ge=1)
    verification_wrong_codes_window_seconds: int = Field(default=86400, ge=1)
    # Unconfirmed or used verifications (sealed name and RRN) are deleted this long after expiry.
    verification_retention_seconds: int = Field(default=86400, ge=0)

    # A generic OpenID Connect provider (VERIFICATION_PROVIDER=oidc), authorization code + PKCE.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_uri: str | None = None  # the citizen portal's callback, registered at the OP
    oidc_scopes: str = "openid profile phone"
    oidc_timeout_seconds: float = Field(default=10.0, gt=0)
    # The ID token claim that carries the person's CI (연계정보); providers name it differently.
    oidc_ci_claim: str = Field(default="ci", min_length=1, max_length=64)

    # -- identity binding: does the CI the provider asserted belong to the RRN typed? ----------
    binding_service: Literal["sandbox", "http"] = "sandbox"
    binding_url: str | None = None  # see docs/identity-binding.md
    binding_token: SecretStr | None = None
    binding_timeout_seconds: float = Field(default=5.0, gt=0)

    # -- family registry -----------------------------------------------------------------------
    family_registry: Literal["sandbox", "http"] = "sandbox"
    family_registry_url: str | None = None  # see docs/family-registry.md
    family_registry_token: SecretStr | None = None
    family_registry_timeout_seconds: float = Field(default=5.0, gt=0)

    # -- staff (medrec_identity.staff) -----------------------------------------------------------
    # Access tokens of staff people: short, the session refreshes them (at most 15 minutes).
    staff_token_ttl_seconds: int = Field(default=900, ge=30, le=900)
    staff_session_absolute_seconds: int = Field(default=8 * 3600, ge=60)
    staff_session_idle_seconds: int = Field(default=30 * 60, ge=30)
    staff_password_change_seconds: int = Field(default=600, ge=30)  # the change token's life
    # This many wrong second factors, each after the right password, lock the account for
    # staff_lock_seconds (a stranger without the password cannot get this far).
    staff_second_factor_failures: int = Field(default=5, ge=1)
    staff_lock_seconds: int = Field(default=900, ge=1)
    # Sign-in attempts per address, and wrong passwords (or unknown logins) per address and per
    # (login, address) within the window; unset: 30, 20 and 5 per 15 minutes in production
    # (loose locally). Never per login alone: that would let anyone lock its owner out.
    staff_sign_in_per_ip: int | None = Field(default=None, ge=1)
    staff_sign_in_failures_per_ip: int | None = Field(default=None, ge=1)
    staff_sign_in_failures_per_login_address: int | None = Field(default=None, ge=1)
    staff_sign_in_window_seconds: int = Field(default=900, ge=1)
    # "password" (password and TOTP, kept here) or "oidc" (the organisation's provider; the
    # password sign-in then answers 404).
    staff_sign_in: Literal["password", "oidc"] = Field(
        default="password", validation_alias=_staff("sign_in")
    )
    staff_oidc_issuer: str | None = Field(default=None, validation_alias=_staff("oidc_issuer"))
    staff_oidc_client_id: str | None = Field(
        default=None, validation_alias=_staff("oidc_client_id")
    )
    staff_oidc_client_secret: SecretStr | None = Field(
        default=None, validation_alias=_staff("oidc_client_secret")
    )
    # The ID token claim naming the staff account (its login); accounts are never created here.
    staff_oidc_account_claim: str = Field(
        default="preferred_username",
        min_length=1,
        max_length=64,
        validation_alias=_staff("oidc_account_claim"),
    )
    staff_oidc_scopes: str = Field(default="openid profile", validation_alias=_staff("oidc_scopes"))

    # -- tests -----------------------------------------------------------------------------------

    @property
    def limit_per_phone(self) -> int:
        return self.verification_limit_per_phone or self._default_limits["phone"]

    @property
    def limit_per_ip(self) -> int:
        return self.verification_limit_per_ip or self._default_limits["ip"]

    @property
    def token_failures_per_client(self) -> int:
        return self.token_failures_per_client_address or self._default_limits["token_failures"]

    @property
    def token_per_ip(self) -> int:
        return self.token_limit_per_ip or self._default_limits["token_ip"]

    @property
    def sign_in_per_ip(self) -> int:
        return self.staff_sign_in_per_ip or self._default_limits["sign_in_ip"]

    @property
    def sign_in_failures_per_ip(self) -> int:
        return self.staff_sign_in_failures_per_ip or self._default_limits["sign_in_failures_ip"]

    @property
    def sign_in_failures_per_login(self) -> int:
        return (
            self.staff_sign_in_failures_per_login_address
            or self._default_limits["sign_in_failures_login"]
        )

    @property
    def public_base_url(self) -> str:
        return (self.public_url or self.identity_url).rstrip("/")

    @property
    def longest_token_seconds(self) -> int:
        """The longest a token identity signs stays valid: a key that stopped signing stays in
        the JWKS this long (and a minute more, medrec_identity.signing_keys.rotation)."""
        return max(
            self.client_token_ttl_seconds,
            self.citizen_token_ttl_seconds,
            self.guardian_token_ttl_seconds,
            self.staff_token_ttl_seconds,
        )

    @property
    def rate_events_kept_seconds(self) -> int:
        """Housekeeping keeps rate events as long as the longest window counts them."""
        return max(
            self.verification_limit_window_seconds,
            self.verification_wrong_codes_window_seconds,
            self.token_limit_window_seconds,
            self.staff_sign_in_window_seconds,
        )

    @property
    def _default_limits(self) -> dict[str, int]:
        return _LOCAL_LIMITS if self.environment == "local" else _PRODUCTION_LIMITS

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        checked: dict[str, SecretStr | None] = {
            "admin_client_secret": self.admin_client_secret,
            "person_index_key": self.person_index_key,
            "field_keys": self.field_keys,
        }
        if self.verification_provider == "oidc":
            checked["oidc_client_secret"] = self.oidc_client_secret
        if self.family_registry == "http":
            checked["family_registry_token"] = self.family_registry_token
        if self.binding_service == "http":
            checked["binding_token"] = self.binding_token
        if self.staff_sign_in == "oidc":
            checked["staff_oidc_client_secret"] = self.staff_oidc_client_secret
        return checked

    @model_validator(mode="after")
    def _check_adapters(self) -> Self:
        if self.verification_provider == "oidc":
            missing = [
                name
                for name in (
                    "oidc_issuer",
                    "oidc_client_id",
                    "oidc_client_secret",
                    "oidc_redirect_uri",
                )
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"verification_provider=oidc needs {', '.join(missing)}")
            if "openid" not in self.oidc_scopes.split():
                raise ValueError("oidc_scopes must include openid")
        if self.staff_sign_in == "oidc":
            needed = ("staff_oidc_issuer", "staff_oidc_client_id", "staff_oidc_client_secret")
            missing = [name for name in needed if not getattr(self, name)]
            if missing:
                raise ValueError(f"staff_sign_in=oidc needs {', '.join(missing)}")
            if "openid" not in self.staff_oidc_scopes.split():
                raise ValueError("staff_oidc_scopes must include openid")
        if self.family_registry == "http" and not self.family_registry_url:
            raise ValueError("family_registry=http needs family_registry_url")
        if self.binding_service == "http" and not self.binding_url:
            raise ValueError("binding_service=http needs binding_url")
        if self.environment == "local":
            return self
        if self.verification_provider == "sandbox":
            raise ValueError("the sandbox verification provider is only allowed in the local stack")
        if self.family_registry == "sandbox":
            raise ValueError("the sandbox family registry is only allowed in the local stack")
        if self.binding_service == "sandbox":
            raise ValueError("the sandbox identity binding is only allowed in the local stack")
        for name in (
            "oidc_issuer",
            "oidc_redirect_uri",
            "family_registry_url",
            "binding_url",
            "public_url",
            "staff_oidc_issuer",
        ):
            value = getattr(self, name)
            if value and urlsplit(value).scheme != "https":
                raise ValueError(f"{name} must be an https URL outside the local stack")
        if not self.public_url:
            raise ValueError("public_url is required outside the local stack (the issuer URL)")
        if self.jwt_issuer != self.public_base_url:
            raise ValueError(
                "jwt_issuer must be public_url outside the local stack (every service's "
                "JWT_ISSUER: the issuer identity's metadata publishes)"
            )
        if self.admin_client_secret is not None and self.admin_client_id == DEFAULT_MACHINE_ID:
            raise ValueError(
                "admin_client_id must name the machine account outside the local stack (e.g. "
                "medrec-admin), not the well-known default 'operator': people sign in with "
                "staff accounts, no one shares the operator client"
            )
        return self
