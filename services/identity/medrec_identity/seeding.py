"""What identity needs in its database before it answers: a signing key, and the machine account
(the operator client of before #27) with the configured secret and the machine scopes.

Outside sandbox mode, identity refuses to start while any active client holds the blanket
`admin` scope (none does after the migration that replaced it; one would come from a database
edited by hand): with it, whoever holds that client's secret would act as every staff person at
once, which is what staff accounts end (every act is a named person's, or a machine's that can
decide nothing about a person's records)."""

from medrec_identity.clients.repository import ClientRepository
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
        if secret is not None:
            client_id = settings.admin_client_id
            done = await ensure_operator(
                session, client_id, secret.get_secret_value(), now=clock.now()
            )
            if done is OperatorClient.rotated:
                # The configured secret is the machine account's: changing it rotates it.
                log.info("operator_secret_rotated", client_id=client_id)
        if not settings.sandbox:
            shared = await ClientRepository(session).holding("admin")
            if shared:
                raise AdminScopeHeld(shared)


class AdminScopeHeld(RuntimeError):
    def __init__(self, client_ids: list[str]) -> None:
        super().__init__(
            f"refusing to start: clients {', '.join(sorted(client_ids))} hold the retired "
            f"`admin` scope; revoke them, or give them the machine scopes "
            f"(medrec_shared.rules.staff.MACHINE_SCOPES)"
        )
