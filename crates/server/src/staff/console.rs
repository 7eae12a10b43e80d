//! The review console's pages: the queue, a case with its pictures, the pictures themselves,
//! and the decision. Everything shown goes through maud, which escapes it.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use reset_flow::ErrorCode;
use serde::Deserialize;

use super::page::{beijing, frame, Menu, PageError};
use super::session::StaffSession;
use super::trail;
use reset_bank::review::{self, CaseDetail, CaseState, Decision, EvidenceKind, EvidenceRef};
use reset_bank::staff::StaffRole;
use reset_bank::Services;

/// The reasons a reviewer picks from; the customer reads the chosen one in the SMS.
pub const REJECT_REASONS: &[&str] = &[
    "证件照片不清晰",
    "人脸与证件不符",
    "手持证件照不符合要求",
    "资料不完整",
    "其他",
];

/// A longer free-text note is refused: with the longest listed reason it stays within the
/// review module's 120 characters, as it goes into an SMS.
const NOTE_MAX_CHARS: usize = 100;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    state: Option<String>,
    page: Option<u32>,
    /// After a decision: which one, and on which case, for the notice.
    done: Option<String>,
    case: Option<String>,
}

/// `GET /staff`: cases by state, most urgent first, a page at a time.
pub async fn queue(
    State(state): State<Services>,
    staff: StaffSession,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Markup, PageError> {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let filter = match q.state.as_deref() {
        None | Some("") => CaseState::Pending,
        Some(s) => s.parse::<CaseState>()?,
    };
    let menu = match filter {
        CaseState::Pending => Menu::Pending,
        CaseState::Approved => Menu::Approved,
        CaseState::Rejected => Menu::Rejected,
    };
    if filter != CaseState::Pending {
        staff.require_supervisor()?;
    }
    let size = state.settings.staff.page_size.max(1);
    let page = q.page.unwrap_or(1).max(1);
    let (cases, total) =
        review::queue(&state, filter, size, (page - 1).saturating_mul(size)).await?;
    let pages = total.div_ceil(u64::from(size)).max(1);
    let now = state.clock.now();
    let notice = match q.done.as_deref() {
        Some("approve") => Some("已审核通过，新密码已生效，结果短信已发送客户联系电话。"),
        Some("reject") => Some("已拒绝，拒绝原因已通过短信告知客户。"),
        _ => None,
    };
    let title = match filter {
        CaseState::Pending => "待审核案件",
        CaseState::Approved => "已通过案件",
        CaseState::Rejected => "已拒绝案件",
    };
    let state_query = match filter {
        CaseState::Pending => String::new(),
        other => format!("state={}&", other.as_str()),
    };
    let body = html! {
        div.page-head {
            h1 { (title) }
            span.count { "共 " (total) " 件" }
        }
        @if let Some(text) = notice {
            div.alert.alert-ok role="status" {
                @if let Some(case) = &q.case { "案件 " code { (short_id(case)) } " " }
                (text)
            }
        }
        @if filter == CaseState::Pending {
            p.muted { "按审核时限排序，最紧急的在前。客户提交后须在 T+1 日内完成审核。" }
        }
        section.card.table-card {
            table.queue {
                thead {
                    tr {
                        th { "案件编号" } th { "证件类型" } th { "证件号码" } th { "姓名" }
                        th { "提交时间" } th { "审核时限" }
                        @if filter != CaseState::Pending { th { "审核时间" } }
                        th { "状态" } th { "操作" }
                    }
                }
                tbody {
                    @for c in &cases {
                        @let overdue = c.state == CaseState::Pending && c.due_at < now;
                        tr.overdue[overdue] {
                            td.mono { (short_id(&c.case_id)) }
                            td { (c.id_type.label_zh()) }
                            td.mono { (c.masked_id_number) }
                            td { (c.masked_name) }
                            td { (beijing(c.created_at)) }
                            td { (beijing(c.due_at)) }
                            @if filter != CaseState::Pending {
                                td { (c.decided_at.map(beijing).unwrap_or_default()) }
                            }
                            td {
                                @if overdue { span.badge.badge-overdue { "逾期" } }
                                @else { (state_badge(c.state)) }
                            }
                            td { a.btn.btn-small href={ "/staff/cases/" (c.case_id) } { "审核" } }
                        }
                    }
                    @if cases.is_empty() {
                        tr { td.empty colspan="9" { "暂无案件" } }
                    }
                }
            }
        }
        nav.pager {
            @if page > 1 {
                a.btn.btn-small href={ "/staff?" (state_query) "page=" (page - 1) } { "上一页" }
            }
            span { "第 " (page) " / " (pages) " 页" }
            @if u64::from(page) < pages {
                a.btn.btn-small href={ "/staff?" (state_query) "page=" (page + 1) } { "下一页" }
            }
        }
    };
    Ok(frame(title, Some(&staff), menu, body))
}

/// `GET /staff/cases/{case_id}`
pub async fn case(
    State(state): State<Services>,
    staff: StaffSession,
    Path(case_id): Path<String>,
) -> Result<Markup, PageError> {
    let case_id = checked_case_id(&case_id)?;
    open_to(&state, &staff, case_id).await?;
    let d = review::case_detail(&state, &staff.actor(), case_id).await?;
    let overdue = d.state == CaseState::Pending && d.due_at < state.clock.now();
    let trail = match staff.role {
        StaffRole::Supervisor => Some(review::trail(&state, case_id).await?),
        StaffRole::Reviewer => None,
    };
    let body = html! {
        div.page-head {
            a.back href="/staff" { "← 返回审核队列" }
            h1 { "案件 " code { (short_id(&d.case_id)) } }
            @if overdue { span.badge.badge-overdue { "逾期" } } @else { (state_badge(d.state)) }
        }
        div.case-grid {
            section.card.facts {
                h2 { "客户填写信息" }
                dl {
                    dt { "证件类型" } dd { (d.id_type.label_zh()) }
                    dt { "证件号码" } dd.mono.strong #id-number { (d.id_number) }
                    dt { "姓名" } dd.strong #name { (d.name) }
                    dt { "联系电话" } dd.mono { (d.masked_contact_phone) }
                    dt { "提交时间" } dd { (beijing(d.created_at)) }
                    dt { "审核时限" } dd { (beijing(d.due_at)) }
                }
            }
            (ocr_card(&d))
        }
        (pictures(&d))
        (history(&d))
        @if d.state == CaseState::Pending { (decision_forms(&d, &staff)) } @else { (outcome(&d)) }
        @if let Some(lines) = &trail { (trail::render(lines)) }
    };
    Ok(frame("案件审核", Some(&staff), Menu::Pending, body))
}

/// `GET /staff/cases/{case_id}/evidence/{kind}/{seq}`: one decrypted picture, never cached.
pub async fn evidence(
    State(state): State<Services>,
    staff: StaffSession,
    Path((case_id, kind, seq)): Path<(String, String, u32)>,
) -> Result<Response, PageError> {
    let case_id = checked_case_id(&case_id)?;
    let kind: EvidenceKind = kind.parse().map_err(|_| ErrorCode::NotFound)?;
    open_to(&state, &staff, case_id).await?;
    let jpeg = review::evidence_picture(&state, &staff.actor(), case_id, kind, seq).await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg")], jpeg).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    reason: String,
    note: String,
    csrf: String,
}

/// `POST /staff/cases/{case_id}/decision`: approve, or reject with a reason; then back to the
/// queue with a notice. The loser of two reviewers deciding at once reads 案件已被他人处理.
pub async fn decide(
    State(state): State<Services>,
    staff: StaffSession,
    Path(case_id): Path<String>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Ok(Form(form)) = form else {
        return Err(ErrorCode::MalformedBody.into());
    };
    staff.check_csrf(&form.csrf)?;
    let case_id = checked_case_id(&case_id)?;
    let decision = match form.decision.as_str() {
        "approve" => {
            staff.require_second_factor()?;
            Decision::Approve
        }
        "reject" => Decision::Reject {
            reason: reject_reason(&form.reason, &form.note)?,
        },
        _ => return Err(ErrorCode::MalformedBody.into()),
    };
    review::decide(&state, &staff.actor(), case_id, decision).await?;
    Ok(Redirect::to(&format!("/staff?done={}&case={case_id}", form.decision)).into_response())
}

/// Reviewers open pending cases only; decided ones are for supervisors. Checked before the
/// case is read, so a refused look leaves no view in the audit trail.
async fn open_to(state: &Services, staff: &StaffSession, case_id: &str) -> Result<(), PageError> {
    // Pending, unknown, or not yet submitted: the review service answers for those.
    if staff.role == StaffRole::Supervisor || !review::is_decided(state, case_id).await? {
        return Ok(());
    }
    Err(ErrorCode::Forbidden.into())
}

/// The reason text the customer is sent: one from the list, with the reviewer's note after it
/// (a note is required for 其他).
fn reject_reason(reason: &str, note: &str) -> Result<String, ErrorCode> {
    let reason = reason.trim();
    let note = note.trim();
    if !REJECT_REASONS.contains(&reason) || (reason == "其他" && note.is_empty()) {
        return Err(ErrorCode::ReasonRequired);
    }
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(ErrorCode::MalformedBody);
    }
    Ok(if note.is_empty() {
        reason.to_owned()
    } else {
        format!("{reason}：{note}")
    })
}

/// Case ids are opaque tokens of letters, digits, `-` and `_`; anything else names no case
/// (and so can never carry markup into a link or a redirect).
fn checked_case_id(id: &str) -> Result<&str, ErrorCode> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(id).ok_or(ErrorCode::CaseNotFound)
}

/// Enough of a case id to tell cases apart on a screen.
fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

fn state_badge(s: CaseState) -> Markup {
    match s {
        CaseState::Pending => html! { span.badge.badge-pending { "待审核" } },
        CaseState::Approved => html! { span.badge.badge-approved { "已通过" } },
        CaseState::Rejected => html! { span.badge.badge-rejected { "已拒绝" } },
    }
}

fn ocr_card(d: &CaseDetail) -> Markup {
    let verdict = |m: Option<bool>| match m {
        Some(true) => html! { span.badge.badge-approved { "一致" } },
        Some(false) => html! { span.badge.badge-rejected { "不一致" } },
        None => html! { span.badge { "无法判断" } },
    };
    html! {
        section.card.ocr {
            h2 { "证件识别结果" span.muted.small { "（仅供参考，以人工核对为准）" } }
            @match &d.ocr {
                None => p.muted { "暂无识别结果" },
                Some(o) => dl {
                    dt { "识别号码" } dd.mono { (o.id_number.as_deref().unwrap_or("未识别")) }
                    dt { "号码比对" } dd #ocr-number { (verdict(o.number_matches)) }
                    dt { "识别姓名" } dd { (o.name.as_deref().unwrap_or("未识别")) }
                    dt { "姓名比对" } dd #ocr-name { (verdict(o.name_matches)) }
                },
            }
        }
    }
}

fn picture_label(e: &EvidenceRef) -> String {
    match e.kind {
        EvidenceKind::IdFront => "身份证正面（人像面）".into(),
        EvidenceKind::IdBack => "身份证反面（国徽面）".into(),
        EvidenceKind::Handheld => "手持身份证照".into(),
        EvidenceKind::Face => format!("人脸识别照片 {}", e.seq + 1),
    }
}

fn pictures(d: &CaseDetail) -> Markup {
    let rank = |k: EvidenceKind| match k {
        EvidenceKind::IdFront => 0,
        EvidenceKind::IdBack => 1,
        EvidenceKind::Handheld => 2,
        EvidenceKind::Face => 3,
    };
    let mut shown = d.evidence.clone();
    shown.sort_by_key(|e| (rank(e.kind), e.seq));
    html! {
        section.card {
            h2 { "影像资料" }
            // Said plainly: the movement check stops a photo held up unchanged, not edited copies,
            // a video or a mask.
            p.muted #challenge-note {
                "人脸照片为主动动作挑战（由服务器随机指定转头、靠近等动作）的抓拍，并非经认证的活体检测，请人工比对。"
            }
            @if d.purged {
                p.muted { "影像资料已超过保存期限，已按规定删除。" }
            } @else {
                div.pictures {
                    @for e in &shown {
                        figure.picture.face[e.kind == EvidenceKind::Face] {
                            img src={ "/staff/cases/" (d.case_id) "/evidence/" (e.kind.as_str()) "/" (e.seq) }
                                alt=(picture_label(e));
                            figcaption { (picture_label(e)) }
                        }
                    }
                }
            }
        }
    }
}

fn past_state(state: &str) -> &'static str {
    match state {
        "approved" => "已通过",
        "rejected" => "已拒绝",
        "pending" => "待审核",
        "abandoned" => "已放弃",
        _ => "未提交",
    }
}

/// Earlier cases of the same ID: a string of rejected or abandoned requests is a warning sign.
fn history(d: &CaseDetail) -> Markup {
    html! {
        section.card #history {
            h2 { "该证件的历史申请" }
            @if d.history.is_empty() {
                p.muted { "无" }
            } @else {
                table.history {
                    thead { tr { th { "案件" } th { "申请时间" } th { "状态" } th { "处理时间" } th { "审核人" } th { "原因" } } }
                    tbody {
                        @for c in &d.history {
                            tr {
                                td.mono { (short_id(&c.case_id)) }
                                td { (beijing(c.created_at)) }
                                td { (past_state(&c.state)) }
                                td { (c.decided_at.map(beijing).unwrap_or_default()) }
                                td { (c.decided_by.as_deref().unwrap_or("")) }
                                td { (c.reason.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn decision_forms(d: &CaseDetail, staff: &StaffSession) -> Markup {
    let action = format!("/staff/cases/{}/decision", d.case_id);
    html! {
        section.card.decision {
            h2 { "审核决定" }
            div.decision-row {
                form.approve method="post" action=(action) {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    input type="hidden" name="decision" value="approve";
                    p { "已核对证件照片、手持证件照与人脸照片属于同一人，且与客户填写信息一致。" }
                    @if staff.second_factor {
                        button.btn.btn-approve #approve type="submit" { "通过" }
                    } @else {
                        p.muted #needs-second-factor { "审批通过须使用动态验证码登录，请退出后重新登录。" }
                        button.btn.btn-approve #approve type="submit" disabled { "通过" }
                    }
                }
                form.reject method="post" action=(action) {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    input type="hidden" name="decision" value="reject";
                    label for="reason" { "拒绝原因" }
                    select #reason name="reason" required {
                        option value="" { "请选择拒绝原因" }
                        @for r in REJECT_REASONS { option value=(r) { (r) } }
                    }
                    label for="note" { "补充说明（将随短信发送给客户，选择“其他”时必填）" }
                    textarea #note name="note" rows="2" maxlength="100" {}
                    button.btn.btn-reject #reject type="submit" { "拒绝" }
                }
            }
        }
    }
}

fn outcome(d: &CaseDetail) -> Markup {
    html! {
        section.card {
            h2 { "审核结果" }
            dl {
                dt { "结果" } dd { (state_badge(d.state)) }
                dt { "审核人" } dd { (d.decided_by.as_deref().unwrap_or("")) }
                dt { "审核时间" } dd { (d.decided_at.map(beijing).unwrap_or_default()) }
                @if let Some(reason) = &d.reason {
                    dt { "拒绝原因" } dd #reason-text { (reason) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_come_from_the_list() {
        assert_eq!(reject_reason("资料不完整", ""), Ok("资料不完整".into()));
        assert_eq!(
            reject_reason("人脸与证件不符", " 戴了口罩 "),
            Ok("人脸与证件不符：戴了口罩".into())
        );
        assert_eq!(reject_reason("", ""), Err(ErrorCode::ReasonRequired));
        assert_eq!(reject_reason("其他", " "), Err(ErrorCode::ReasonRequired));
        assert_eq!(
            reject_reason("随便写的", ""),
            Err(ErrorCode::ReasonRequired)
        );
        let longest = REJECT_REASONS
            .iter()
            .map(|r| r.chars().count())
            .max()
            .unwrap();
        assert!(longest + 1 + NOTE_MAX_CHARS <= review::REASON_MAX_CHARS);
        let long = "长".repeat(NOTE_MAX_CHARS + 1);
        assert_eq!(reject_reason("其他", &long), Err(ErrorCode::MalformedBody));
    }

    #[test]
    fn case_ids_with_markup_name_no_case() {
        assert_eq!(checked_case_id("abc_DEF-123"), Ok("abc_DEF-123"));
        assert!(checked_case_id("<script>").is_err());
        assert!(checked_case_id("a/b").is_err());
        assert!(checked_case_id("").is_err());
    }
}
