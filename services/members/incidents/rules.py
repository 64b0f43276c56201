"""Incident kinds, their default playbooks, and the moves of an incident's status, pure."""

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class IncidentKind(StrEnum):
    NEGATIVE_PUBLICITY = "negative_publicity"  # 负面舆情
    ATTACK = "attack"  # 恶意攻击/刷屏
    DISPUTE = "dispute"  # 成员纠纷
    VIOLATION = "violation"  # 违规内容
    LEAK = "leak"  # 信息泄露


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class IncidentStatus(StrEnum):
    OPEN = "open"
    MITIGATING = "mitigating"
    RESOLVED = "resolved"
    REVIEWED = "reviewed"


class EntryKind(StrEnum):
    OPENED = "opened"
    NOTE = "note"  # a handler's own words
    UPDATE = "update"  # what one change did: status, owner, severity, checklist, links


SEVERITY_RANK: Final[Mapping[Severity, int]] = {
    severity: rank for rank, severity in enumerate(Severity)
}

# What an early warning (`health.alert_raised`, from scoring) is, as an incident: its kind and
# severity. A community that lets alerts open incidents (`auto_open_at`) gets one for each
# alert at or above that severity, with the alert linked.
ALERT_INCIDENTS: Final[Mapping[str, tuple[IncidentKind, Severity]]] = {
    "join_spike": (IncidentKind.ATTACK, Severity.HIGH),
    "report_spike": (IncidentKind.ATTACK, Severity.MEDIUM),
    "sanction_spike": (IncidentKind.VIOLATION, Severity.MEDIUM),
    "leave_spike": (IncidentKind.NEGATIVE_PUBLICITY, Severity.MEDIUM),
    "wau_drop": (IncidentKind.NEGATIVE_PUBLICITY, Severity.LOW),
    # Members rated the latest event well below the usual: discontent, not yet an attack.
    "rating_drop": (IncidentKind.NEGATIVE_PUBLICITY, Severity.LOW),
}
# Who opens an incident an alert opened (the owner owns it).
EARLY_WARNING = "early-warning"


# Forward only; `reviewed` closes the incident and takes the review (cause, what was done,
# lessons). Skipping `mitigating` is allowed: some incidents are over when they are seen.
MOVES: Final[Mapping[IncidentStatus, frozenset[IncidentStatus]]] = {
    IncidentStatus.OPEN: frozenset({IncidentStatus.MITIGATING, IncidentStatus.RESOLVED}),
    IncidentStatus.MITIGATING: frozenset({IncidentStatus.RESOLVED}),
    IncidentStatus.RESOLVED: frozenset({IncidentStatus.REVIEWED}),
    IncidentStatus.REVIEWED: frozenset(),
}

# The playbooks' crisis plan (危机预警 → 信息收集与传递 → 危机处理 → 透明沟通 → 事后总结), one
# checklist per kind; a community replaces any of them (PUT …/playbooks/{kind}).
DEFAULT_PLAYBOOKS: Final[Mapping[IncidentKind, tuple[str, ...]]] = {
    IncidentKind.NEGATIVE_PUBLICITY: (
        "收集舆情来源与截图,确认事实",
        "指定唯一对外发言人",
        "向群主/管理员同步进展",
        "发布透明说明(事实、原因、措施)",
        "跟进成员反馈,必要时一对一沟通",
        "事后复盘:原因、处理、改进",
    ),
    IncidentKind.ATTACK: (
        "开启封群(lockdown):入群需审核或关闭",
        "删除刷屏/攻击消息,禁言或移出攻击者",
        "检查并收紧审核规则(关键词、链接、频率)",
        "保留证据(截图、消息 id、成员 id)",
        "向成员说明情况并安抚",
        "解除封群并复盘",
    ),
    IncidentKind.DISPUTE: (
        "分别听取双方陈述,收集聊天记录",
        "私下沟通,避免在群内升级",
        "依据群规作出处理并说明理由",
        "记录处理结果,跟进双方反馈",
    ),
    IncidentKind.VIOLATION: (
        "立即删除违规内容",
        "依据处罚阶梯警告、禁言或移出",
        "检查是否有同类内容需一并清理",
        "在群内重申群规",
        "更新关键词/审核规则",
    ),
    IncidentKind.LEAK: (
        "确认泄露范围(哪些信息、涉及哪些成员)",
        "删除或要求删除泄露内容",
        "通知受影响的成员",
        "评估是否需上报平台或主管部门",
        "修补泄露环节(权限、流程)",
        "复盘并更新隐私规范",
    ),
}
