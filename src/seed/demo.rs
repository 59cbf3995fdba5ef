use crate::state::AppState;
pub async fn seed(_state: &AppState) -> anyhow::Result<String> { anyhow::bail!("not yet") }
