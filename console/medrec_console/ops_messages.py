"""The vocabulary of 이관, 파기, 기관 연동, 장애 이벤트, 감사 로그 and 직원 관리 (to join
medrec_console.messages): statuses, reasons and acts as a staff person reads them, and the
problems these pages' acts can meet. An unknown value is shown as it came."""

from medrec_console.clients.http import ApiProblem

TRANSFER_REASONS = {"closure": "폐업", "suspension": "휴업"}
RELEASE_STATUS = {"release_proposed": "반환 제안됨 (확인 대기)", "released": "반환됨"}
DESTRUCTION_REASONS = {
    "retention_expired": "보존기간 경과",
    "release_not_reclaimed": "반환 후 기간 내 미회수",
}
SPECIALTIES = {"medical": "의과", "dental": "치과", "korean_medicine": "한방"}
ACCOUNT_STATUS = {"active": "사용 중", "disabled": "사용 중지"}
ROLE_HELP = {
    "reviewer": "대리 신청·연계 검토",
    "health_centre": "소속 지역의 이관 현황",
    "platform": "기관 연동, 직원, 장애 이벤트, 보존기간, 반환",
    "auditor": "감사 로그와 파기 기록 열람",
}
SERVICE_NAMES = {"ingest": "이관 서비스", "catalog": "기록 목록 서비스", "issuance": "발급 서비스"}
RESOURCE_TYPES = {
    "record": "기록",
    "transfer": "이관",
    "proxy_request": "대리 신청",
    "linkage_candidate": "연계 후보",
    "sweep": "정리 작업",
    "retention": "보존기간 점검",
    "audit": "감사 로그",
    "client": "연동 계정",
    "staff_account": "직원 계정",
    "dead_letter": "장애 이벤트",
}
ACTS = {
    "transfer.propose_release": "반환 제안",
    "transfer.release": "반환 확인",
    "record.extend_retention": "보존기간 연장",
    "retention.sweep": "보존기간 점검 실행",
    "release.sweep": "반환 기록 정리 실행",
    "segments.sweep": "저장 묶음 정리 실행",
    "client.register": "연동 계정 등록",
    "client.revoke": "연동 계정 폐기",
    "staff.create": "직원 계정 생성",
    "staff.set_roles": "역할 변경",
    "staff.reset_second_factor": "2단계 인증 초기화",
    "staff.disable": "계정 사용 중지",
    "dead_letter.retry": "장애 이벤트 재처리 요청",
    "audit.search": "감사 로그 검색",
    "proxy_request.view": "대리 신청 열람",
    "proxy_request.read_document": "대리 신청 서류 열람",
    "proxy_request.propose_approval": "대리 신청 승인 제안",
    "proxy_request.approve": "대리 신청 승인 확인",
    "proxy_request.reject": "대리 신청 반려",
    "linkage_candidate.view": "연계 후보 열람",
    "linkage_candidate.propose_link": "연계 승인 제안",
    "linkage_candidate.approve_link": "연계 승인 확인",
    "linkage_candidate.reject": "연계 반려",
    "linkage_candidate.unlink": "연계 해제",
}

OPS_PROBLEMS: dict[str, str] = {
    "not-suspended": "폐업한 기관의 이관은 반환하지 않습니다. 휴업한 기관만 반환할 수 있습니다.",
    "second-person-required": "반환을 제안한 사람은 확인할 수 없습니다. 다른 운영자가 확인해야 합니다.",
    "person-required": "반환은 사람만 결정할 수 있습니다. 직원 계정으로 로그인해 주세요.",
    "already-extended": "이 기록은 이미 보존기간을 연장했습니다. 한 기록은 한 번만 연장할 수 있습니다.",
    "not-parked": "이미 재처리 중이거나 재처리된 이벤트입니다.",
    "login-taken": "이미 쓰고 있는 아이디입니다. 다른 아이디를 정해 주세요.",
    "not-found": "찾는 정보가 없습니다. 이미 처리되었거나, 볼 수 없는 지역의 정보입니다.",
}
SAME_PERSON_RELEASE = OPS_PROBLEMS["second-person-required"]

# identity's and catalog's validation fields, as these pages' form fields name them.
FIELDS = {"name": "name", "institution_codes": "institution_codes", "scopes": "scopes",
          "login": "login", "roles": "roles", "region": "region", "organisation": "organisation",
          "reason": "reason"}  # fmt: skip


def release_sentence(problem: ApiProblem, general: str) -> str:
    """A refused release: a 409 that is not `not-suspended` is the proposer confirming."""
    if problem.kind in OPS_PROBLEMS:
        return OPS_PROBLEMS[problem.kind]
    if problem.status == 409:
        return SAME_PERSON_RELEASE
    return general


def field_errors(problem: ApiProblem) -> dict[str, str]:
    """A 422's fields, each with the one Korean sentence (the API's English is never shown)."""
    found: dict[str, str] = {}
    for error in problem.errors:
        name = str(error.get("field") or error.get("loc") or "").rsplit(".", 1)[-1]
        if name in FIELDS:
            found[FIELDS[name]] = "이 값은 받을 수 없습니다. 확인해 주세요."
    return found
