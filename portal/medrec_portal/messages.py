"""Every problem an API can answer, as a sentence a citizen reads; the vocabulary of the pages.

A problem type without a sentence here gets the general one: a page never shows raw JSON, a
status line in English, or a stack trace."""

from medrec_portal.clients.http import ApiProblem
from medrec_shared.rules.custody import CUSTODY_LABELS
from medrec_shared.rules.staff import organisation_label, role_label

PROBLEMS: dict[str, str] = {
    "validation": "입력한 내용을 확인해 주세요.",
    "wrong-code": "인증번호가 맞지 않습니다. 받은 인증번호를 다시 입력해 주세요.",
    "verification-locked": "인증번호를 여러 번 잘못 입력하여 인증이 잠겼습니다. 처음부터 다시 인증해 주세요.",
    "verification-expired": "인증 시간이 지났습니다. 처음부터 다시 인증해 주세요.",
    "verification-provider-error": "본인인증 기관에서 인증을 처리하지 못했습니다. 다시 시도해 주세요.",
    "verification-provider-unavailable": "본인인증 기관에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    "identity-mismatch": "인증된 사람이 입력한 정보와 다릅니다. 본인의 정보로 다시 인증해 주세요.",
    "identity-binding-unavailable": "본인 확인 서비스에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    "too-many-requests": "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.",
    "unauthorized": "본인인증이 필요합니다. 다시 인증해 주세요.",
    "forbidden": "이 작업을 할 수 있는 권한이 없습니다.",
    "acting-for-other": "자녀를 대신하는 중에는 할 수 없는 작업입니다. 대리를 끝낸 뒤 다시 시도해 주세요.",
    "guardian-age-limit": "자녀의 나이가 보호자가 온라인으로 대신 열람·발급할 수 있는 나이를 넘었습니다.",
    "not-a-guardian": "가족관계등록부에서 부모 또는 후견인으로 확인되지 않습니다.",
    "no-parental-authority": "친권이 없는 부모는 자녀를 대신하여 열람·발급할 수 없습니다.",
    "family-registry-unavailable": "가족관계 정보를 확인할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    "not-found": "찾는 정보가 없습니다. 주소나 입력한 내용을 확인해 주세요.",
    "not-ready": "사본이 아직 준비되지 않았습니다. 잠시 후 다시 확인해 주세요.",
    "gone": "보관 기간이 지나 더 이상 내려받을 수 없습니다.",
    "conflict": "이미 처리된 요청입니다.",
    "content-too-large": "파일이 너무 큽니다. 더 작은 파일을 올려 주세요.",
    "unsupported-media-type": "올릴 수 없는 형식의 파일입니다. PDF 또는 이미지 파일을 올려 주세요.",
    "upload-interrupted": "파일을 올리는 중에 연결이 끊겼습니다. 다시 시도해 주세요.",
    "unavailable": "서비스에 잠시 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    "session-expired": "로그인 시간이 지났습니다. 다시 본인인증을 해 주세요.",
    "csrf": "보안 확인에 실패했습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요.",
}
# The same problems where the citizen typed no code: they came back from the OIDC provider.
OIDC_PROBLEMS: dict[str, str] = {
    "wrong-code": "본인인증 기관에서 돌아온 인증 정보가 이 신청과 맞지 않습니다. 처음부터 다시 인증해 주세요.",
    "validation": "본인인증 기관에서 돌아온 인증 정보가 올바르지 않습니다. 처음부터 다시 인증해 주세요.",
}
GENERAL = "요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요."

# The field of a validation problem, as the page labels it.
FIELDS: dict[str, str] = {
    "name": "이름",
    "rrn": "주민등록번호",
    "phone": "휴대전화번호",
    "code": "인증번호",
    "record_ids": "발급할 기록",
    "purpose": "발급 용도",
    "patient.name": "환자 이름",
    "patient.rrn": "환자 주민등록번호",
    "relation": "환자와의 관계",
    "institution_code": "요양기관기호",
    "consent_form": "동의서",
    "kinship_certificate": "가족관계증명서",
    "power_of_attorney": "위임장",
    "number": "발급번호",
    "file": "사본 파일",
}

REFUSALS = {
    "age_limit": "나이 제한을 넘었습니다 (만 19세 이상은 본인이 직접 신청해야 합니다)",
    "not_a_guardian": "부모 또는 후견인으로 확인되지 않습니다",
    "no_parental_authority": "친권이 없습니다",
}

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
SPECIALTIES = {"medical": "의과", "dental": "치과", "korean_medicine": "한방"}
INSTITUTION_STATUS = {"closed": "폐업", "suspended": "휴업", "reopened": "재개업"}
# 보관 상태 to search by: catalog's custody statuses and their one set of labels
CUSTODY_FILTERS = {status.value: label for status, label in CUSTODY_LABELS.items()}
INSTITUTION_TYPES = ("의원", "병원", "치과의원", "한의원", "요양병원", "종합병원")
REGIONS = (
    "서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기",
    "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주",
)  # fmt: skip
BILL_VISITS = {"outpatient": "외래", "inpatient": "입원"}


def won(amount: int) -> str:
    """Whole won with thousands separators, as the forms print them: 1,234,500원."""
    return f"{amount:,}원"


ISSUANCE_STATUS = {
    "pending": "발급 준비 중",
    "ready": "발급 완료",
    "failed": "발급 실패",
    "purged": "폐기됨",
    "expired": "열람 기간 만료",
}
RELATIONS = {
    "spouse": "배우자",
    "lineal_relative": "직계 존속·비속",
    "spouse_lineal_ascendant": "배우자의 직계 존속",
    "sibling": "형제·자매",
    "proxy": "환자가 지정한 대리인",
    "relative_of_deceased_or_incapable": "사망 또는 의식불명 환자의 친족",
}
PROXY_STATUS = {"submitted": "접수됨 (심사 중)", "approved": "승인됨", "rejected": "반려됨"}
# What was done to what, where the resource says more than the action (a preview is a view).
RESOURCE_ACTIONS = {("view", "document_preview"): "서류 미리보기"}
ACTIONS = {
    "list": "기록 목록 조회",
    "view": "기록 열람",
    "issuance_request": "사본 발급 신청",
    "issuance": "사본 발급",
    "download": "사본 내려받기",
    "verify": "진위확인",
    "linkage": "기록 연계",
    # Two reviewers matched a record deposited without an RRN to this person, or one undid it.
    "link": "주민등록번호 없는 기록 연결 (심사관 확인)",
    "unlink": "기록 연결 해제",
    "retention_extension": "보존기간 연장",
}
# 제출 (a share of an issued copy): its status, and what the recipient's page says.
SHARE_STATUS = {"active": "열람 가능", "revoked": "해지됨", "expired": "기간 만료"}
SHARE = {
    "wrong-code": "접근 코드가 맞지 않습니다. 서류를 보낸 분께 받은 6자리 숫자를 다시 확인해 주세요.",
    "too-many": "접근 코드를 여러 번 잘못 입력하여 지금은 이 링크를 열 수 없습니다. 서류를 보낸 분께 접근 코드를 다시 확인하고 내일 다시 시도하거나, 새 링크를 요청해 주세요.",
    "missing-code": "접근 코드 6자리를 입력해 주세요.",
    "revoked": "서류를 보낸 분이 이 제출 링크를 해지하여 더 이상 열 수 없습니다. 서류가 필요하면 보낸 분께 다시 요청해 주세요.",
    "expired": "이 제출 링크는 유효 기간이 지나 더 이상 열 수 없습니다. 서류가 필요하면 보낸 분께 다시 요청해 주세요.",
    "not-found": "제출 링크를 찾을 수 없습니다. 받은 주소 전체가 맞는지 확인해 주세요.",
    "copy-gone": "이 서류는 더 이상 내려받을 수 없습니다. 서류가 필요하면 보낸 분께 다시 요청해 주세요.",
    "recipient": "받는 곳을 100자 이내로 입력해 주세요.",
    "days": "유효 기간은 1일에서 30일 사이로 입력해 주세요.",
}

ACTORS = {
    "citizen": "본인",
    "guardian": "보호자(대리)",
    "operator": "운영자",
    "proxy": "대리 신청인",
    "service": "시스템",
    "staff": "보관기관 직원",
    "recipient": "제출받은 곳",
}


def action_label(action: str, resource_type: str) -> str:
    """What was done, as the citizen reads it in 열람 이력."""
    return RESOURCE_ACTIONS.get((action, resource_type)) or ACTIONS.get(action, action)


def actor_label(actor_type: str, actor_id: str, reason: str | None = None) -> str:
    """Who did it, as the citizen reads it. Staff are named by their organisation and role
    ("khis:reviewer" → 보관기관 심사관), never by who they are (the auditor sees that); whom
    the citizen shared a copy with, by the name the citizen gave them (the event's reason)."""
    if actor_type == "recipient":
        return f"{ACTORS['recipient']}: {reason}" if reason else ACTORS["recipient"]
    if actor_type == "staff" and ":" in actor_id:
        organisation, role = actor_id.rsplit(":", 1)
        return f"{organisation_label(organisation)} {role_label(role)}"
    return ACTORS.get(actor_type, actor_type)


DECISIONS = {"allowed": "허용", "denied": "거부"}


def sentence(problem: ApiProblem) -> str:
    """The problem as one Korean sentence (its validation errors are shown by their fields)."""
    return PROBLEMS.get(problem.kind, GENERAL)


def field_messages(problem: ApiProblem) -> dict[str, str]:
    """{form field: Korean message} of a validation problem."""
    out: dict[str, str] = {}
    for error in problem.errors:
        name = str(error.get("field", ""))
        label = FIELDS.get(name) or FIELDS.get(name.rsplit(".", 1)[-1])
        key = name.rsplit(".", 1)[-1] if name not in FIELDS else name
        if key in ("consent_form", "kinship_certificate", "power_of_attorney"):
            out[key] = "이 신청에 필요한 서류입니다. 파일을 올려 주세요."
        else:
            out[key] = f"{label or '입력값'} 항목을 확인해 주세요."
    return out
