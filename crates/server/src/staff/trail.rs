//! A case's audit trail for supervisors: every event of the case's flow, oldest first, with
//! the staff member named where one acted. Only event names and safe details are stored.

use maud::{html, Markup};
use sqlx::Row;

use super::page::beijing;
use crate::state::AppState;
use crate::store::from_ms;

/// One line of the trail.
pub struct TrailLine {
    pub at_ms: i64,
    pub event: String,
    pub staff: Option<String>,
}

/// The events of the flow behind `case_id`.
pub async fn of_case(state: &AppState, case_id: &str) -> Result<Vec<TrailLine>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.at, a.event, a.detail FROM audit_events a \
         JOIN review_cases c ON c.flow_id = a.flow_id WHERE c.id = $1 ORDER BY a.id",
    )
    .bind(case_id)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let detail: String = r.try_get(2)?;
            let staff = serde_json::from_str::<serde_json::Value>(&detail)
                .ok()
                .and_then(|d| d["staff"].as_str().map(str::to_owned));
            Ok(TrailLine {
                at_ms: r.try_get(0)?,
                event: r.try_get(1)?,
                staff,
            })
        })
        .collect()
}

/// The bank's words for an event; unknown ones show their stored name.
fn label(event: &str) -> &str {
    match event {
        "flow_started" => "客户发起忘记密码",
        "phone_unavailable" => "客户选择手机号不可用",
        "face_passed" => "人脸识别通过",
        "documents_accepted" => "证件资料上传",
        "contact_code_requested" => "联系电话验证码发送",
        "contact_phone_verified" => "联系电话验证通过",
        "case_submitted" => "提交人工审核",
        "case_viewed" => "查看案件",
        "evidence_viewed" => "查看影像资料",
        "case_approved" => "审核通过",
        "case_rejected" => "审核拒绝",
        "evidence_purged" => "影像资料到期删除",
        "flow_expired" => "业务超时",
        "flow_replaced" => "业务被重新发起",
        other => other,
    }
}

pub fn render(lines: &[TrailLine]) -> Markup {
    html! {
        section.card {
            h2 { "操作记录" span.muted.small { "（仅审核主管可见）" } }
            table.audit #audit-trail {
                thead { tr { th { "时间" } th { "事件" } th { "操作人" } } }
                tbody {
                    @for l in lines {
                        tr {
                            td { (beijing(from_ms(l.at_ms))) }
                            td { (label(&l.event)) }
                            td { (l.staff.as_deref().unwrap_or("客户")) }
                        }
                    }
                }
            }
        }
    }
}
