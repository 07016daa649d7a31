"""Pure metric computations: frames in, frames out (MRR, movements, retention, pipeline)."""
