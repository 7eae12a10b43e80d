//! HTTP in front of the bank's services (`reset-bank`): the customers' API, the staff review
//! console (server-rendered HTML with its cookies and CSRF tokens), the operators' endpoints,
//! and serving them on their listeners with the bank's workers beside them.

pub mod api;
pub mod app;
pub mod error;
pub mod server;
pub mod staff;

pub use app::app;
