"""The problems' words in Chinese, by problem type, in one place: a caller who sends
`Accept-Language: zh-CN` (or any zh) reads `title` and `detail` in Chinese; the `type` slug and
every other field stay as they are. A type missing here is answered in English
(tests/common/test_problem_language.py fails for any type the code can raise that is missing)."""

from collections.abc import Mapping
from typing import Any, NamedTuple


class ProblemText(NamedTuple):
    title: str
    detail: str


ZH_CN: Mapping[str, ProblemText] = {
    # Generic types, and what the web edge answers itself.
    "bad-request": ProblemText("请求有误", "请求无法处理，请检查后重试。"),
    "invalid-input": ProblemText("输入无效", "请求中的某个值不被接受，请检查后重试。"),
    "validation-error": ProblemText("校验失败", "以下字段无效或缺失：{fields}"),
    "malformed-json": ProblemText("JSON 格式错误", "请求体不是可读取的 JSON。"),
    "unsupported-media-type": ProblemText(
        "不支持的媒体类型", "请求体必须是 JSON，并带上 'Content-Type: application/json'。"
    ),
    "payload-too-large": ProblemText("请求体过大", "请求体超过了允许的大小。"),
    "unauthenticated": ProblemText(
        "需要身份验证", "请在 Authorization 头中提供有效的 Bearer 令牌，或提供 X-API-Key。"
    ),
    "invalid-api-key": ProblemText("API 密钥无效", "该 API 密钥不存在、已撤销或已过期。"),
    "forbidden": ProblemText("无权操作", "你没有执行此操作的权限。"),
    "not-found": ProblemText("未找到", "请求的资源不存在。"),
    "conflict": ProblemText("状态冲突", "该操作与资源当前的状态冲突。"),
    "method-not-allowed": ProblemText("方法不被允许", "该路径不支持此 HTTP 方法，见 Allow 头。"),
    "rate-limited": ProblemText("请求过于频繁", "请求太多，请按 Retry-After 头等待后重试。"),
    "service-busy": ProblemText("服务繁忙", "服务正忙，请稍后重试。"),
    "service-unavailable": ProblemText("服务不可用", "后端服务暂时不可用，请稍后重试。"),
    "bad-gateway": ProblemText("网关错误", "后端服务没有给出有效的应答，请稍后重试。"),
    "gateway-timeout": ProblemText("网关超时", "后端服务没有及时应答，请稍后重试。"),
    "internal-error": ProblemText(
        "内部错误", "我们这边出了问题；请求 ID 可以帮我们在日志中找到它。"
    ),
    "idempotency-key-reused": ProblemText(
        "幂等键被重复使用", "这个 Idempotency-Key 已用于另一个不同的请求。"
    ),
    "idempotency-request-in-progress": ProblemText(
        "请求处理中", "使用同一 Idempotency-Key 的请求仍在处理中，请稍后重试。"
    ),
    # Access.
    "role-required": ProblemText("需要更高的角色", "此操作需要社群中更高的角色。"),
    "permission-required": ProblemText("缺少权限", "你在该社群的角色没有此操作的权限。"),
    "owner-only": ProblemText("仅限群主", "只有社群的群主可以执行此操作。"),
    "not-your-own": ProblemText("只能为自己操作", "普通成员只能为自己操作；组织者可以代他人操作。"),
    "scope-required": ProblemText("API 密钥缺少权限范围", "该 API 密钥没有此操作所需的 scope。"),
    "community-not-covered": ProblemText("社群不在密钥范围内", "该 API 密钥不适用于这个社群。"),
    "not-for-api-keys": ProblemText(
        "不支持 API 密钥", "此操作只能由个人用户调用，不能用 API 密钥。"
    ),
    "people-only": ProblemText("仅限个人用户", "只有个人用户才能执行此操作。"),
    # Members.
    "community-not-found": ProblemText("社群不存在", "该社群不存在，或你不是其成员。"),
    "member-not-found": ProblemText("成员不存在", "该社群中没有这个成员。"),
    "already-member": ProblemText("已是成员", "该用户已经是这个社群的成员。"),
    "community-full": ProblemText("社群已满", "社群人数已达上限。"),
    "invite-required": ProblemText("需要邀请码", "加入这个社群需要邀请码。"),
    "invite-invalid": ProblemText("邀请码无效", "该邀请码不存在或不属于这个社群。"),
    "invite-expired": ProblemText("邀请码已过期", "该邀请码已经过期。"),
    "invite-used-up": ProblemText("邀请码已用完", "该邀请码的使用次数已经用完。"),
    "wrong-member-status": ProblemText("成员状态不符", "成员当前的状态不允许此操作。"),
    # The member journey: welcome templates, application questions.
    "invalid-questions": ProblemText("入群问题无效", "以下字段有误：{fields}；未保存任何内容。"),
    "invalid-answers": ProblemText("入群回答无效", "以下回答有误：{fields}；未保存任何内容。"),
    "application-not-found": ProblemText("没有入群申请", "该成员没有回答入群问题。"),
    "transfer-ownership-first": ProblemText(
        "请先转让群主", "群主离开前需要先把群主身份转让给他人。"
    ),
    "owner-cannot-be-sanctioned": ProblemText("不能处罚群主", "群主不能被警告、禁言或移出。"),
    "tier-not-found": ProblemText("等级不存在", "该社群中没有这个等级。"),
    "tier-exists": ProblemText("等级已存在", "该社群已有同名或同级的等级。"),
    "tier-full": ProblemText("等级已满", "等级 {tier_id} 已满（上限 {capacity} 人）。"),
    "tier-not-allowed": ProblemText("等级不符", "你的等级不能参加此活动。"),
    "insufficient-points": ProblemText("积分不足", "成员的积分不够扣减。"),
    "badge-not-found": ProblemText("徽章不存在", "该社群没有徽章 {badge}。"),
    "badge-built-in": ProblemText("内置徽章", "徽章 {badge} 由规则自动授予，不能手动授予。"),
    "badge-award-not-found": ProblemText("未持有徽章", "成员 {member_id} 没有徽章 {badge}。"),
    "coupon-batch-not-found": ProblemText("优惠券批次不存在", "该奖品没有优惠券批次 {batch_id}。"),
    "reward-has-plain-stock": ProblemText(
        "奖品已有手工库存",
        "奖品 {reward_id} 已有手工库存或兑换记录，请为优惠券新建库存为 0 的奖品。",
    ),
    "reward-stock-is-coupons": ProblemText(
        "库存由优惠券决定", "奖品 {reward_id} 的库存是剩余的优惠券码，请添加优惠券批次。"
    ),
    "badge-rule-not-found": ProblemText("徽章规则不存在", "该徽章没有规则 {rule_id}。"),
    "community-lottery-not-found": ProblemText("抽奖不存在", "该社群没有抽奖 {lottery_id}。"),
    "community-lottery-drawn": ProblemText("已开奖", "抽奖 {lottery_id} 已经开奖。"),
    "goal-not-found": ProblemText("目标不存在", "该社群没有目标 {goal_id}。"),
    "goal-exists": ProblemText(
        "目标已存在", "该社群在 {period} 已有 {metric} 的目标（{goal_id}）。"
    ),
    "target-out-of-range": ProblemText(
        "目标值超出范围", "{metric} 的目标值须在 {low} 与 {high} 之间。"
    ),
    "report-period-invalid": ProblemText(
        "报告周期无效",
        "报告周期 {period} 不可用（{reason}）：须为已结束的月（2026-11）"
        "或 ISO 周（2026-W48），且社群当时已存在。",
    ),
    "reward-not-found": ProblemText("奖品不存在", "该社群没有奖品 {reward_id}。"),
    "redemption-not-found": ProblemText("兑换记录不存在", "该社群没有兑换记录 {redemption_id}。"),
    "reward-withdrawn": ProblemText("奖品已下架", "奖品 {reward_id} 已下架。"),
    "reward-out-of-stock": ProblemText("库存不足", "奖品 {reward_id} 已无库存，未扣任何积分。"),
    "reward-limit-reached": ProblemText(
        "已达兑换上限", "每位成员最多兑换奖品 {reward_id} {per_member_limit} 次，未扣任何积分。"
    ),
    "reward-not-available": ProblemText(
        "不在兑换时间内", "奖品 {reward_id} 当前不可兑换（{field}），未扣任何积分。"
    ),
    "reward-tier-restricted": ProblemText(
        "等级不符", "奖品 {reward_id} 仅限等级 {tier_id} 的成员兑换。"
    ),
    "redemption-cancelled": ProblemText("兑换已取消", "兑换记录 {redemption_id} 已经取消。"),
    # Win-back nudges (scoring).
    "campaign-not-found": ProblemText("召回活动不存在", "该社群没有召回活动 {campaign_id}。"),
    "unknown-placeholder": ProblemText(
        "未知的占位符", "消息模板中有无法填充的占位符：{placeholders}（可用：{known}）。"
    ),
    "unknown-tier": ProblemText("等级不存在", "这个社群没有等级 {tier_id}（或该等级下没有成员）。"),
    "campaign-target-required": ProblemText(
        "目标不明确", "召回活动须且只能指定 segment、tier_id 或 tag 中的一个。"
    ),
    "campaign-not-runnable": ProblemText(
        "活动不能执行",
        "召回活动 {campaign_id} 当前为 {current_status}，只有草稿或已排期的活动可以执行或取消。",
    ),
    # The suggestion box (content).
    "suggestion-not-found": ProblemText(
        "建议不存在", "该社群没有建议 {suggestion_id}，或你看不到它。"
    ),
    "suggestion-members-only": ProblemText("仅限成员", "只有社群成员可以提交建议或点赞。"),
    "not-your-suggestion": ProblemText(
        "不是你的建议", "只有作者可以修改或撤回建议 {suggestion_id}。"
    ),
    "suggestion-not-editable": ProblemText(
        "建议不可修改", "建议只能在“新建”状态下修改或撤回，当前状态为 {current_status}。"
    ),
    "own-suggestion-vote": ProblemText("不能给自己点赞", "作者不能为自己的建议 +1。"),
    "suggestion-closed": ProblemText(
        "建议已结束", "只有新建、评估中或已计划的建议可以 +1，当前状态为 {current_status}。"
    ),
    # Content.
    "content-not-found": ProblemText("内容不存在", "该内容不存在，或你看不到它。"),
    "illegal-transition": ProblemText("不允许的状态变更", "当前状态下不能执行这一步。"),
    "not-editable": ProblemText("不可编辑", "该内容在当前状态下不能编辑。"),
    "not-your-content": ProblemText("不是你的内容", "只有作者或编辑可以操作这条内容。"),
    "unknown-author": ProblemText("作者不存在", "作者不是这个社群的成员。"),
    "publishing-rule": ProblemText(
        "违反发布规则", "该时间不符合社群的发布规则（时段、间隔或每日上限）。"
    ),
    "invalid-publishing-rules": ProblemText("发布规则无效", "发布规则中的时段或数值无效。"),
    "invalid-rrule": ProblemText("重复规则无效", "系列的 RRULE 无法解析或不被支持。"),
    "series-not-found": ProblemText("系列不存在", "该社群中没有这个系列。"),
    "invalid-poll": ProblemText("投票设置无效", "投票的选项无效。"),
    "not-a-poll": ProblemText("不是投票", "这条内容不是投票。"),
    "poll-not-open": ProblemText("投票未开放", "这个投票目前不接受投票。"),
    "unknown-option": ProblemText("选项不存在", "投票中没有这个选项。"),
    "already-voted": ProblemText("已经投过票", "该成员已经投过票了。"),
    "not-your-vote": ProblemText("不能代他人投票", "成员只能为自己投票。"),
    # Events.
    "event-not-found": ProblemText("活动不存在", "该活动不存在，或你看不到它。"),
    "event-not-open": ProblemText("活动状态不符", "活动当前的状态不允许报名、签到或抽奖。"),
    "outside-window": ProblemText("不在时间窗口内", "现在不在允许的时间窗口内（报名或签到）。"),
    "already-registered": ProblemText("已经报名", "该成员已经报名了这个活动。"),
    "registration-not-found": ProblemText("报名不存在", "该活动中没有这条报名。"),
    "registration-inactive": ProblemText("报名已失效", "这条报名已取消或不再有效。"),
    "not-registered": ProblemText("未报名", "该成员没有报名这个活动。"),
    "already-checked-in": ProblemText("已经签到", "该成员已经签到过了。"),
    "wrong-checkin-code": ProblemText("签到码错误", "签到码不正确。"),
    "attendees-only": ProblemText("仅限参加者", "只有签到参加过活动的成员才能反馈。"),
    "feedback-exists": ProblemText("已经反馈过", "该成员已经提交过反馈。"),
    "lottery-not-found": ProblemText("抽奖不存在", "该活动中没有这个抽奖。"),
    "already-drawn": ProblemText("已经开奖", "这个抽奖已经开过奖了。"),
    "calendar-feed-not-found": ProblemText(
        "日历订阅地址不存在", "没有这个日历订阅地址，它可能已被撤销。"
    ),
    "challenge-not-found": ProblemText("打卡挑战不存在", "该打卡挑战不存在，或你看不到它。"),
    "outside-challenge": ProblemText("不在挑战期内", "这一天不在打卡挑战的日期范围内。"),
    "no-make-up-cards": ProblemText("补卡次数已用完", "该成员没有剩余的补卡机会。"),
    # Scoring.
    "out-of-range": ProblemText("超出范围", "某个值超出了允许的范围。"),
    # Gateway.
    "api-key-not-found": ProblemText("API 密钥不存在", "没有这个 API 密钥。"),
    "webhook-not-found": ProblemText("Webhook 不存在", "没有这个 Webhook 订阅。"),
    "delivery-not-found": ProblemText("投递记录不存在", "没有这条 Webhook 投递记录。"),
    "unsafe-webhook-url": ProblemText(
        "Webhook 地址不安全",
        "Webhook 只能发往公网地址；开发环境可在网关上设置 "
        "WEBHOOK_ALLOW_PRIVATE_URLS=1，允许本机或内网的接收端（`make run` 已设置）。",
    ),
    # Reads, edits and sanctions (issue 21).
    "member-muted": ProblemText(
        "成员已被禁言",
        "禁言期间可以浏览，但不能发布、投票、报名或签到；禁言到 {muted_until} 结束。",
    ),
    "event-started": ProblemText("活动已开始", "活动开始后不能再修改。"),
    "capacity-below-seats": ProblemText("名额少于已确认人数", "新的名额不能少于已确认的报名人数。"),
    "invite-not-found": ProblemText("邀请码不存在", "没有这个邀请码。"),
    "invite-revoked": ProblemText("邀请码已撤销", "该邀请码已被撤销，不能再使用。"),
    "tier-not-empty": ProblemText("分群中还有成员", "只能删除没有成员的分群，请先移走其中的成员。"),
    "last-tier": ProblemText("不能删除唯一的分群", "社群至少要保留一个分群。"),
    "not-deletable": ProblemText("不能删除", "只能删除草稿和被驳回的内容；其余内容请归档。"),
    # Placement and manual tier moves (issue 20).
    "entry-tier-is-core": ProblemText(
        "新成员不进核心群", "新成员不能直接加入核心分群，请指定排在其下的分群。"
    ),
    "owner-stays-in-core": ProblemText("群主留在核心群", "群主不会被移出核心分群。"),
    "already-in-tier": ProblemText("已在该分群", "该成员已经在这个分群中。"),
    # Moderation, cases, lockdown and incidents (issue 22).
    "invalid-pattern": ProblemText(
        "规则表达式不可用",
        "表达式 {pattern} 无法使用：须为 RE2 语法（不支持反向引用和环视），每条最多 300 个字符。",
    ),
    "unknown-members": ProblemText("成员不存在", "本社群中没有这些成员，本批消息均未检查。"),
    "already-reported": ProblemText("已举报过", "你已经举报过该对象，相关案件仍在处理中。"),
    "case-not-found": ProblemText("案件不存在", "本社群中没有这个案件。"),
    # Versioned rules and their acknowledgements (issue 23).
    "rules-version-not-found": ProblemText("群规版本不存在", "本社群中没有这个群规版本。"),
    "rules-version-not-current": ProblemText(
        "不是当前群规版本", "只能确认当前生效的群规版本，请阅读最新版本后再确认。"
    ),
    "rules-already-acknowledged": ProblemText("已确认过群规", "你已经确认过这个版本的群规。"),
    "rules-version-race": ProblemText("群规同时发布", "另一个群规版本刚刚同时发布，请重试。"),
    "acknowledger-not-member": ProblemText("不是社群成员", "只有本社群的成员才能确认群规。"),
    "case-resolved": ProblemText("案件已处理", "该案件已经处理完毕。"),
    "report-limit-reached": ProblemText("举报过于频繁", "举报次数已达上限，请稍后再试。"),
    "reporter-not-member": ProblemText("不是社群成员", "只有本社群的成员才能在此举报。"),
    "resolution-not-applicable": ProblemText("无法执行该处理", "该处理方式不适用于这个案件。"),
    "target-not-found": ProblemText("举报对象不存在", "本社群中没有被举报的对象。"),
    "community-locked-down": ProblemText("社群已封闭", "社群暂停接纳新成员，直到 {until}。"),
    "no-lockdown": ProblemText("社群未封闭", "社群当前没有处于封闭状态。"),
    "incident-not-found": ProblemText("事件不存在", "本社群中没有这个危机事件。"),
    "incident-closed": ProblemText("事件已关闭", "该危机事件已复盘并关闭。"),
    "wrong-incident-status": ProblemText(
        "事件状态不允许", "危机事件当前为 {incident_status}，不能变更为所请求的状态。"
    ),
    "review-required": ProblemText(
        "需要复盘", "关闭危机事件（状态 reviewed）需要填写复盘：原因、处理措施和经验教训。"
    ),
    "no-such-checklist-item": ProblemText("清单项不存在", "清单中没有第 {index} 项。"),
    # Surveys (issue 23).
    "survey-not-found": ProblemText("问卷不存在", "本社群中没有这份问卷。"),
    "invalid-survey": ProblemText("问卷设置有误", "字段 {field} 不可用。"),
    "invalid-answer": ProblemText("答案不可用", "字段 {field} 的答案不符合该题的要求。"),
    "survey-not-open": ProblemText(
        "问卷未开放", "问卷当前为 {survey_status}，只有开放中的问卷才能作答。"
    ),
    "already-responded": ProblemText("已经作答", "每位成员只能回答一次这份问卷。"),
    "not-in-audience": ProblemText("不在调查范围内", "这份问卷不面向你，无法作答。"),
    "no-response": ProblemText("尚未作答", "你还没有回答这份问卷。"),
    "no-such-question": ProblemText("题目不存在", "这份问卷没有这道文字题 {question_id}。"),
}

# What Starlette itself answers (`http-<status>`), by status.
ZH_CN_HTTP: Mapping[int, ProblemText] = {
    400: ProblemText("请求有误", "请求无法读取。"),
    404: ProblemText("未找到", "没有这个路径。"),
    405: ProblemText("方法不被允许", "该路径不支持此 HTTP 方法，见 Allow 头。"),
}


def wants_chinese(accept_language: str | None) -> bool:
    """Whether the caller's most preferred language is Chinese (any `zh` tag)."""
    best, best_q = "", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > best_q:
            best, best_q = tag.lower(), q
    return best_q > 0 and (best == "zh" or best.startswith("zh-"))


def chinese(slug: str, status: int, values: Mapping[str, Any]) -> ProblemText | None:
    """The Chinese words for a problem; a detail's `{name}` is filled from the problem's
    extension fields (`fields`: the invalid fields of a validation error). None: no words."""
    text = ZH_CN.get(slug)
    if text is None and slug == f"http-{status}":
        text = ZH_CN_HTTP.get(status)
    if text is None:
        return None
    try:
        return text._replace(detail=text.detail.format_map(values))
    except (KeyError, IndexError, ValueError):
        return None  # a template asking for what this problem lacks: English says more
