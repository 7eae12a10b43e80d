//! A case's audit trail for supervisors, drawn: the bank's words for each event, the time and
//! who acted (`review::trail` reads it).

use maud::{html, Markup};
use reset_bank::store::audit::TrailLine;

use super::page::beijing;
use reset_bank::store::from_ms;

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
