"""What identity needs in its database before it answers: a signing key, and the operator client
with the configured secret."""

from medrec_identity.clients.service import OperatorClient, ensure_operator
from medrec_identity.settings import IdentitySettings
from medrec_identity.signing_keys.repository import SigningKeyRepository
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.crypto import Keyring
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.logs import get_logger

log = get_logger(__name__)


async def seed_clients_and_keys(
    transactions: Transactions, *, settings: IdentitySettings, keyring: Keyring, clock: Clock
) -> None:
    """First start: a signing key and the operator client; a later start with another
    configured secret gives the operator that one. One transaction, serialised across
    replicas."""
    async with transactions.begin() as session:
        keys = SigningKeyRepository(session)
        await keys.lock()
        if await keys.active() is None:
            await keys.create(keyring, clock.now())
        secret = settings.admin_client_secret
        if secret is None:
            return
        client_id = settings.admin_client_id
        done = await ensure_operator(session, client_id, secret.get_secret_value(), now=clock.now())
        if done is OperatorClient.rotated:
            # The configured secret is the operator's: changing it is how it is rotated.
            log.info("operator_secret_rotated", client_id=client_id)
