use axum::response::IntoResponse;
pub async fn index() -> impl IntoResponse { "todo" }
pub async fn show() -> impl IntoResponse { "todo" }
pub async fn update() -> impl IntoResponse { "todo" }
pub async fn move_stage() -> impl IntoResponse { "todo" }
