"""Staff sign-in through the organisation's OpenID Connect provider (`MEDREC_STAFF_SIGN_IN=oidc`,
production): the same authorization code flow with PKCE as citizens' verification
(medrec_identity.verification.oidc.OidcProvider does the protocol), with the console's callback
as redirect URI. `start` keeps the state (as a hash) with its nonce and PKCE verifier sealed;
`finish` takes it once, exchanges the code and reads the account claim
(`MEDREC_STAFF_OIDC_ACCOUNT_CLAIM`, default preferred_username): it must name an existing, active
staff account. Accounts are never created here; an unknown one is a failed sign-in (401)."""

import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from medrec_identity.models import StaffOidcFlow
from medrec_identity.settings import IdentitySettings
from medrec_identity.staff.repository import StaffRepository
from medrec_identity.staff.service import ACTIVE, SignInFailed, token_hash
from medrec_identity.verification.oidc import OidcConfig, OidcProvider
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.crypto import Keyring, seal, unseal
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.problems import ValidationFailed

FLOW_CONTEXT = b"identity.staff.oidc"
FLOW_SECONDS = 600  # from start to finish: a person signing in at their provider
log = get_logger(__name__)


def staff_provider(settings: IdentitySettings) -> OidcProvider | None:
    if settings.staff_sign_in != "oidc":
        return None
    secret = settings.staff_oidc_client_secret
    assert settings.staff_oidc_issuer and settings.staff_oidc_client_id and secret
    return OidcProvider(
        OidcConfig(
            issuer=settings.staff_oidc_issuer,
            client_id=settings.staff_oidc_client_id,
            client_secret=secret.get_secret_value(),
            redirect_uri="",  # each flow's own: the console's callback
            scopes=settings.staff_oidc_scopes,
            timeout=settings.oidc_timeout_seconds,
        )
    )


@dataclass
class StaffOidc:
    provider: OidcProvider
    transactions: Transactions
    settings: IdentitySettings
    keyring: Keyring
    clock: Clock

    async def aclose(self) -> None:
        await self.provider.aclose()

    def _check_redirect(self, redirect_uri: str) -> None:
        local = self.settings.environment == "local"
        if not (redirect_uri.startswith("https://") or local):
            raise ValidationFailed(errors=[{"field": "redirect_uri", "message": "an https URL"}])

    async def start(self, redirect_uri: str) -> tuple[str, str]:
        """(authorization_url, state)."""
        self._check_redirect(redirect_uri)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        url = await self.provider.authorization_url(
            state=state, nonce=nonce, verifier=verifier, redirect_uri=redirect_uri
        )
        now = self.clock.now()
        sealed = seal(
            self.keyring,
            json.dumps({"nonce": nonce, "code_verifier": verifier}).encode(),
            context=FLOW_CONTEXT,
        )
        async with self.transactions.begin() as session:
            await StaffRepository(session).add_flow(
                StaffOidcFlow(
                    state_hash=token_hash(state),
                    secrets_sealed=sealed,
                    redirect_uri=redirect_uri,
                    expires_at=now + timedelta(seconds=FLOW_SECONDS),
                    used_at=None,
                )
            )
        return url, state

    async def finish(self, state: str, code: str, redirect_uri: str) -> uuid.UUID:
        """The account the provider vouched for; SignInFailed otherwise. The state is used
        once, whatever follows."""
        now = self.clock.now()
        async with self.transactions.begin() as session:
            flow = await StaffRepository(session).flow(token_hash(state))
            usable = flow is not None and flow.used_at is None and now < flow.expires_at
            if flow is not None:
                flow.used_at = now
        if flow is None or not usable or not hmac.compare_digest(flow.redirect_uri, redirect_uri):
            raise SignInFailed("The sign-in failed: start again.")
        saved = json.loads(unseal(self.keyring, flow.secrets_sealed, context=FLOW_CONTEXT))
        claims = await self.provider.exchange(code, redirect_uri, saved["code_verifier"])
        nonce_ok = claims is not None and hmac.compare_digest(
            str(claims.get("nonce", "")).encode(), str(saved["nonce"]).encode()
        )
        if claims is None or not nonce_ok:
            raise SignInFailed("The sign-in failed: start again.")
        login = claims.get(self.settings.staff_oidc_account_claim)
        if not isinstance(login, str) or not login:
            raise SignInFailed("The provider named no staff account.")
        async with self.transactions.read() as session:
            account = await StaffRepository(session).by_login(login)
        if account is None or account.status != ACTIVE:
            log.warning("staff_oidc_unknown_account")
            raise SignInFailed("No active staff account for this sign-in.")
        return account.account_id
