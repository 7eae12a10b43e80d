//! The application's three routers, each served on a listener of its own so
//! a bank can put them on different networks: the customers' API (public), the staff console
//! (the bank's intranet) and the operators' endpoints (loopback by default). Each router has
//! the same layers: body cap, request metrics, tracing spans that carry the route and never
//! the URI's values.

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::api;
use reset_bank::metrics::RequestLabels;
use reset_bank::Services;

/// The customers' API. Nothing here answers for the staff console or the operators: `/staff`
/// and `/metrics` are `not_found` on this listener.
pub fn app(state: Services) -> Router {
    let max_body = state.settings.max_body_bytes;
    // Uploads of pictures get their own, larger cap; every other call keeps `max_body`.
    let max_upload = state.evidence.settings.max_request_bytes;
    let routes = Router::new()
        .route("/v1/login", post(api::customer_login::login))
        .route("/v1/resets", post(api::resets::start))
        .route("/v1/resets/{id}", get(api::resets::status))
        .route("/v1/resets/{id}/sms", post(api::resets::send_code))
        .route("/v1/resets/{id}/sms/verify", post(api::resets::verify_code))
        .route("/v1/resets/{id}/password", post(api::resets::set_password))
        .route(
            "/v1/resets/{id}/phone-unavailable",
            post(api::phone_unavailable::phone_unavailable),
        )
        .route(
            "/v1/resets/{id}/face/challenge",
            post(api::phone_unavailable::face_challenge),
        )
        .route(
            "/v1/resets/{id}/face",
            post(api::phone_unavailable::face).layer(DefaultBodyLimit::max(max_upload)),
        )
        .route(
            "/v1/resets/{id}/documents",
            post(api::phone_unavailable::documents).layer(DefaultBodyLimit::max(max_upload)),
        )
        .route(
            "/v1/resets/{id}/contact/sms",
            post(api::phone_unavailable::contact_send_code),
        )
        .route(
            "/v1/resets/{id}/contact/verify",
            post(api::phone_unavailable::contact_verify_code),
        )
        .route("/v1/dev/sms", get(api::ops::dev_sms))
        // The load balancer's probes; they tell nothing about customers.
        .route("/healthz", get(api::ops::healthz))
        .route("/readyz", get(api::ops::readyz));
    layered(routes, state, max_body)
}

/// The staff review console, for the bank's intranet (`--staff-listen`).
pub fn staff_app(state: Services) -> Router {
    let max_body = state.settings.max_body_bytes;
    layered(crate::staff::routes(), state, max_body)
}

/// The operators' endpoints (`--admin-listen`, loopback by default): the metrics, whose
/// counters (SMS delivered, codes burnt) would tell a stranger which phone is whose, and the
/// probes again.
pub fn admin_app(state: Services) -> Router {
    let max_body = state.settings.max_body_bytes;
    let routes = Router::new()
        .route("/metrics", get(api::ops::metrics))
        .route("/healthz", get(api::ops::healthz))
        .route("/readyz", get(api::ops::readyz));
    layered(routes, state, max_body)
}

fn layered(routes: Router<Services>, state: Services, max_body: usize) -> Router {
    routes
        .fallback(api::ops::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", |p| p.as_str());
                    tracing::info_span!("request", method = %req.method(), route = %route)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

async fn count_requests(State(state): State<Services>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let resp = next.run(req).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: resp.status().as_u16(),
        })
        .inc();
    resp
}
