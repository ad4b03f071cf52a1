"""Every problem an API can answer, as a sentence a staff person reads; the vocabulary of the
pages (statuses, relations, roles).

A problem type without a sentence here gets the general one: a page never shows raw JSON, a
status line in English, or a stack trace."""

from medrec_console.clients.http import ApiProblem

PROBLEMS: dict[str, str] = {
    "validation": "입력한 내용을 확인해 주세요.",
    "sign-in-failed": "아이디, 비밀번호 또는 일회용 비밀번호가 맞지 않습니다. 다시 확인해 주세요.",
    "account-locked": "로그인에 여러 번 실패하여 계정이 잠겼습니다. 운영자에게 잠금 해제를 요청해 주세요.",
    "account-disabled": "사용이 중지된 계정입니다. 운영자에게 문의해 주세요.",
    "password-change-expired": "비밀번호 변경 시간이 지났습니다. 처음부터 다시 로그인해 주세요.",
    "weak-password": "새 비밀번호가 너무 약합니다. 12자 이상으로, 아이디와 다르게 정해 주세요.",
    "too-many-requests": "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.",
    "rate-limited": "시도가 너무 많습니다. 잠시 후 다시 시도해 주세요.",
    "session-ended": "로그인 시간이 지났습니다. 다시 로그인해 주세요.",
    "unauthorized": "로그인이 필요합니다. 다시 로그인해 주세요.",
    "forbidden": "이 작업을 할 수 있는 권한이 없습니다.",
    "not-found": "찾는 정보가 없습니다. 이미 처리되었거나 주소가 잘못되었습니다.",
    "conflict": "이미 처리된 건이거나, 같은 사람이 두 번 승인할 수 없습니다.",
    "second-person-required": "처음 승인한 심사관은 확인할 수 없습니다. 다른 심사관이 확인해야 합니다.",
    "person-required": "결정은 직원 본인의 계정으로만 할 수 있습니다.",
    "already-reviewed": "이미 심사가 끝난 신청입니다. 목록을 새로 고쳐 확인해 주세요.",
    "candidate-decided": "이미 결정된 연계 후보입니다. 목록을 새로 고쳐 확인해 주세요.",
    "record-not-held": "이 기록은 더 이상 보관되어 있지 않습니다.",
    "unavailable": "서비스에 잠시 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    "upstream-unavailable": "연계된 서비스에 잠시 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    "upstream-error": "연계된 서비스가 요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.",
    "demographics-unavailable": "인적 사항을 가져올 수 없습니다. 잠시 후 다시 시도해 주세요.",
    "content-too-large": "보낸 내용이 너무 큽니다.",
    "session-expired": "로그인 시간이 지났습니다. 다시 로그인해 주세요.",
    "provider-error": "기관 계정 로그인에 실패했습니다. 처음부터 다시 로그인해 주세요.",
    "provider-unavailable": "기관 계정 로그인 서비스에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    "csrf": "보안 확인에 실패했습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요.",
}
GENERAL = "요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요."
REFUSED = "이 화면을 볼 권한이 없습니다."
AWAITING_SECOND = "두 번째 심사관의 확인을 기다립니다."

ROLES = {
    "reviewer": "심사관",
    "health_centre": "보건소 담당자",
    "platform": "운영자",
    "auditor": "감사관",
}
RELATIONS = {
    "spouse": "배우자",
    "lineal_relative": "직계 존속·비속",
    "spouse_lineal_ascendant": "배우자의 직계 존속",
    "sibling": "형제·자매",
    "proxy": "환자가 지정한 대리인",
    "relative_of_deceased_or_incapable": "사망 또는 의식불명 환자의 친족",
}
DOCUMENTS = {
    "consent_form": "환자의 동의서",
    "kinship_certificate": "가족관계증명서",
    "power_of_attorney": "위임장",
}
PROXY_STATUS = {"submitted": "심사 중", "approved": "승인됨", "rejected": "반려됨"}
CANDIDATE_STATUS = {
    "pending": "검토 대기",
    "approved": "승인됨",
    "rejected": "반려됨",
    "closed": "다른 후보 승인으로 종료",
    "unlinked": "연결 해제됨",
}
SEXES = {"male": "남", "female": "여", "M": "남", "F": "여"}
MATCHED_ON = {"name+birth_date+sex": "이름·생년월일·성별", "name+birth_date": "이름·생년월일"}
KINDS = {
    "patient_register": "환자 명부",
    "medical_record": "진료기록부",
    "prescription": "처방전",
    "surgery_record": "수술기록",
    "test_record": "검사내용 및 검사소견기록",
    "radiology": "방사선 사진 및 소견서",
    "nursing_record": "간호기록부",
    "midwifery_record": "조산기록부",
    "certificate_copy": "진단서 등의 부본",
}


def sentence(problem: ApiProblem) -> str:
    """The problem as one Korean sentence."""
    return PROBLEMS.get(problem.kind, GENERAL)


# -- 이관, 파기, 기관 연동, 장애 이벤트, 감사 로그, 직원 관리 --------------------------------------
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
    "api_client": "연동 계정",
    "staff_account": "직원 계정",
    "dead_letter": "장애 이벤트",
}
ACTS = {
    "transfer.propose_release": "반환 제안",
    "transfer.release": "반환 확인",
    "transfer.confirm_receipt": "이관확인서 확인",
    "record.extend_retention": "보존기간 연장",
    "retention.sweep": "보존기간 점검 실행",
    "release.sweep": "반환 기록 정리 실행",
    "segments.sweep": "저장 묶음 정리 실행",
    "client.register": "연동 계정 등록",
    "client.revoke": "연동 계정 폐기",
    "staff.create": "직원 계정 생성",
    "staff.roles": "역할 변경",
    "staff.second_factor_reset": "2단계 인증 초기화",
    "staff.password_reset": "비밀번호 초기화",
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

OPERATIONS_PROBLEMS: dict[str, str] = {
    "not-suspended": "폐업한 기관의 이관은 반환하지 않습니다. 휴업한 기관만 반환할 수 있습니다.",
    "second-person-required": "반환을 제안한 사람은 확인할 수 없습니다. 다른 운영자가 확인해야 합니다.",
    "person-required": "반환은 사람만 결정할 수 있습니다. 직원 계정으로 로그인해 주세요.",
    "already-extended": "이 기록은 이미 보존기간을 연장했습니다. 한 기록은 한 번만 연장할 수 있습니다.",
    "not-parked": "이미 재처리 중이거나 재처리된 이벤트입니다.",
    "login-taken": "이미 쓰고 있는 아이디입니다. 다른 아이디를 정해 주세요.",
    "own-account": "자기 계정은 사용 중지할 수 없습니다. 다른 운영자에게 요청해 주세요.",
    "not-found": "찾는 정보가 없습니다. 이미 처리되었거나, 볼 수 없는 지역의 정보입니다.",
}
SAME_PERSON_RELEASE = OPERATIONS_PROBLEMS["second-person-required"]

# What an API's 422 on these pages' forms means, by the field it names (errors[].field, or its
# loc's last part): the sentence the page puts beside that field.
FIELD_REFUSED: dict[str, str] = {
    "name": "이 이름은 받을 수 없습니다. 확인해 주세요.",
    "institution_codes": "받을 수 없는 요양기관기호가 있습니다. 확인해 주세요.",
    "scopes": "이 연동 계정에 줄 수 없는 권한입니다.",
    "login": "이 아이디는 쓸 수 없습니다. 영문 소문자로 시작하는 3~64자로 정해 주세요.",
    "organisation": "소속을 확인해 주세요.",
    "roles": "이 소속의 직원에게 줄 수 없는 역할입니다. 보건소 직원은 보건소 담당자 역할만 가집니다.",
    "region": "지역은 보건소 담당자 역할에만 정하고, 보건소 직원은 그 보건소의 지역이어야 합니다.",
    "reason": "사유를 확인해 주세요.",
}


RECEIPT_PROBLEMS = {
    "receipt-not-issued": "완료된 이관만 이관확인서를 확인할 수 있습니다.",
    "person-required": "이관확인서 확인은 직원 본인의 계정으로만 할 수 있습니다.",
}


def receipt_sentence(problem: ApiProblem) -> str:
    """A refused confirmation of a transfer's 이관확인서."""
    return RECEIPT_PROBLEMS.get(problem.kind, sentence(problem))


def release_sentence(problem: ApiProblem) -> str:
    """A refused release: a 409 that is not `not-suspended` is the proposer confirming."""
    if problem.kind in OPERATIONS_PROBLEMS:
        return OPERATIONS_PROBLEMS[problem.kind]
    if problem.status == 409:
        return SAME_PERSON_RELEASE
    return sentence(problem)


def field_errors(problem: ApiProblem) -> dict[str, str]:
    """A 422's fields, each with one Korean sentence (the API's English is never shown)."""
    found: dict[str, str] = {}
    for error in problem.errors:
        name = str(error.get("field") or error.get("loc") or "").rsplit(".", 1)[-1]
        if name in FIELD_REFUSED:
            found[name] = FIELD_REFUSED[name]
    return found
