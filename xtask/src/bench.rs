pub fn run(_o: &crate::Options) -> Result<(), String> { Err("not yet".into()) }
