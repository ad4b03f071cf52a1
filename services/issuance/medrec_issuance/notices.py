"""Telling a person something (a copy ready, a shared copy opened, an Art. 21 request decided):
a `NoticeRequested` on the audit topic, keyed by the person, written in the caller's transaction
(the outbox), so it goes out exactly when the act it tells of commits. catalog keeps one notice
per (person, `notice_key`) however often it is asked, and only for people who have signed in."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.messaging import announce
from medrec_shared.rules.events import NoticeRequested
from medrec_shared.rules.notices import NoticeKind


def ask_notice(
    session: AsyncSession,
    settings: IssuanceSettings,
    person_key: str,
    kind: NoticeKind,
    notice_key: str,
    params: dict[str, str],
) -> None:
    announce(
        session,
        settings.topic_audit,
        person_key,
        NoticeRequested(person_key=person_key, kind=kind, notice_key=notice_key, params=params),
    )
