//! Leaving: 取消, the back arrow and Android's back button (one step back, or a question before
//! an open reset is abandoned), and the kiosk's clean start, which leaves nothing of a customer.

use super::view::{Lang, Screen};
use super::{resume, AppCore};

impl AppCore {
    /// Back to the login screen, forgetting the flow and everything typed.
    pub fn cancel(&mut self) {
        self.wipe();
        resume::save(self.settings.resume_file.as_deref(), None);
        self.visit += 1;
        self.screen = Screen::Login;
    }

    /// The kiosk's clean start (idle, or a finished visit): nothing of the customer is left,
    /// neither what they typed nor the language or text size they chose.
    pub fn fresh_start(&mut self) {
        self.cancel();
        self.customer = None;
        self.pending_resume = None;
        self.lang = Lang::Zh;
        self.large_text = false;
    }

    /// Whether the visit has reached its end: a kiosk returns to a clean start from here.
    pub fn visit_finished(&self) -> bool {
        matches!(self.screen, Screen::SignedIn | Screen::Result)
    }

    /// The header's back arrow and the phone's back button: closes the camera, else one step
    /// back where the flow allows it, and asks before abandoning an open reset.
    pub fn back(&mut self) {
        self.notices.clear();
        if self.path_b.camera.is_some() {
            return self.cancel_camera();
        }
        if self.confirm_leave {
            self.confirm_leave = false;
            return;
        }
        match self.screen {
            Screen::Login | Screen::NoServer => {}
            Screen::Identity | Screen::Result => self.cancel(),
            Screen::SignedIn => self.log_out(),
            // Not resumed yet: the flow's id stays on disk for the next start.
            Screen::Offline => {
                self.pending_resume = None;
                self.screen = Screen::Login;
            }
            Screen::ReservedPhone
            | Screen::Face
            | Screen::Documents
            | Screen::ContactPhone
            | Screen::NewPassword => self.confirm_leave = true,
        }
    }

    /// The answer to 确定放弃本次密码重置吗？: `leave` abandons the reset. From 预留手机号 that
    /// is one step back, to 个人信息 with what was typed (a new flow starts on 下一步); from
    /// later steps, back to the login screen.
    pub fn answer_leave(&mut self, leave: bool) {
        if !std::mem::take(&mut self.confirm_leave) || !leave {
            return;
        }
        if self.screen == Screen::ReservedPhone {
            let kept = (
                self.id_type,
                self.id_number.clone(),
                self.id_remembered,
                self.name.clone(),
            );
            self.wipe();
            resume::save(self.settings.resume_file.as_deref(), None);
            (self.id_type, self.id_number, self.id_remembered, self.name) = kept;
            self.screen = Screen::Identity;
        } else {
            self.cancel();
        }
    }
}
