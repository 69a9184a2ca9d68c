//! The one error shape of the API: `{"code", "message", "details": [...]}`.

use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no {what} with id {id:?}"),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A body that could not be read: larger than `limit` bytes (413), or broken.
    pub fn unreadable(e: BytesRejection, limit: usize) -> ApiError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {limit} bytes"),
            )
        } else {
            ApiError::bad_request(format!("cannot read the body: {e}"))
        }
    }

    pub fn invalid(message: impl Into<String>, details: Vec<Value>) -> ApiError {
        ApiError {
            details,
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
        }
    }

    pub fn conflict(current: i64) -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("the resource changed since it was read; its ETag is now \"{current}\": read it again and reapply the change"),
        )
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"code": self.code, "message": self.message, "details": self.details});
        (self.status, axum::Json(body)).into_response()
    }
}
