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
